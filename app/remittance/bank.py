"""The bank adapter: what Frontdesk needs from the bank that sends payouts.

Two calls, both keyed by OUR transfer id (one per payout, for its whole life):

- `send_transfer(transfer_id, request_no, …)` asks the bank to move money. The
  bank is idempotent by transfer id: once a transfer id has moved money, asking
  again moves nothing and returns the first result. A transfer id whose
  earlier requests were refused (nothing moved) may be tried again.
  `request_no` numbers our requests (the attempt number), so a status inquiry
  can tell which request the bank saw last.
- `inquire(transfer_id)` says what became of it: completed (by whichever
  request), the last refused request, or None (the bank never received one).

A timeout (`BankTimeout`) means the request may or may not have been carried
out: the caller must inquire before anything else. `BankUnavailable` means the
bank refused the connection before receiving anything.

`get_bank()` returns the configured implementation (`BANK_ADAPTER`); the only
one shipped is the sandbox (app.remittance.sandbox_bank).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import current_app


class BankTimeout(Exception):
    """No answer in time: the transfer may or may not have happened."""


class BankUnavailable(Exception):
    """The bank refused the connection: the request was not received."""


@dataclass(frozen=True)
class TransferResult:
    status: str                        # "completed" | "failed"
    transfer_id: str
    request_no: int                    # which of our requests this is the result of
    bank_reference: str | None = None  # the bank's id of the movement (completed only)
    failure_type: str | None = None    # policies.FAILURE_TYPES code (failed only)
    message: str | None = None

    @property
    def completed(self) -> bool:
        return self.status == "completed"


class Bank(Protocol):
    name: str

    def send_transfer(self, *, transfer_id: str, request_no: int, amount: int, currency: str,
                      bank_code: str, account_number: str, account_holder: str) -> TransferResult:
        """Move money once per transfer id. May raise BankTimeout or BankUnavailable."""

    def inquire(self, transfer_id: str) -> TransferResult | None:
        """What became of the transfer id (None: never received). May raise BankTimeout/BankUnavailable."""


def get_bank() -> Bank:
    name = current_app.config["BANK_ADAPTER"]
    if name == "sandbox":
        from app.remittance.sandbox_bank import SandboxBank

        return SandboxBank.from_config(current_app.config)
    raise RuntimeError(f"unknown BANK_ADAPTER {name!r}")
