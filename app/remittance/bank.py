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

`get_bank()` returns the configured implementation (`BANK_ADAPTER`): `sandbox`
(app.remittance.sandbox_bank, the only one shipped) or the import path
`package.module:Class` of your own (app.core.adapters: a class with the methods
of `Bank`, built by `from_config(config)`, `Class(config)` or `Class()`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import current_app

from app.core.adapters import AdapterSpec


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
    """A payout bank. Constructor: a `from_config(config)` classmethod, or `Class(config)` /
    `Class()` (app.core.adapters); built for each use, so keep it cheap. `name` names it in logs."""

    name: str

    def send_transfer(self, *, transfer_id: str, request_no: int, amount: int, currency: str,
                      bank_code: str, account_number: str, account_holder: str) -> TransferResult:
        """Move money once per transfer id. May raise BankTimeout or BankUnavailable."""

    def inquire(self, transfer_id: str) -> TransferResult | None:
        """What became of the transfer id (None: never received). May raise BankTimeout/BankUnavailable."""


#: BANK_ADAPTER: our short names, and the protocol an import path must satisfy.
BANK_SPEC = AdapterSpec("BANK_ADAPTER", {"sandbox": "app.remittance.sandbox_bank:SandboxBank"}, Bank)


def get_bank() -> Bank:
    """The configured bank (BANK_ADAPTER), built for this use. Checked at start-up by create_app."""
    return BANK_SPEC.load(current_app.config["BANK_ADAPTER"], current_app.config)


def uses_sandbox_bank(config=None) -> bool:
    """Whether BANK_ADAPTER names our sandbox bank (by short name or import path)."""
    return BANK_SPEC.is_ours((config or current_app.config)["BANK_ADAPTER"], "sandbox")
