"""The payment-gateway adapter: what Frontdesk needs from a card processor.

`get_gateway()` returns the configured implementation (`PAYMENT_GATEWAY`):
`sandbox` (app.payments.sandbox, the only one shipped, which behaves like a real
processor: latency, declines, timeouts, idempotency, webhooks) or the import path
`package.module:Class` of your own (app.core.adapters: a class with the methods of
`PaymentGateway`, built by `from_config(config)`, `Class(config)` or `Class()`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from flask import current_app

from app.core.adapters import AdapterSpec


class GatewayTimeout(Exception):
    """No answer in time: the charge may or may not have happened."""


class GatewayUnavailable(Exception):
    """The gateway refused the connection or answered 5xx; nothing happened."""


@dataclass(frozen=True)
class CardDetails:
    """Card data as typed by the customer. Lives only in memory, never stored
    or logged: its repr shows the last four digits only."""

    number: str = field(repr=False)
    exp_month: int = field(repr=False)
    exp_year: int = field(repr=False)
    cvc: str = field(repr=False)
    holder: str = ""

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:
        return f"CardDetails(****{self.last4})"


@dataclass(frozen=True)
class ChargeResult:
    status: str                 # "succeeded" | "declined" | "failed"
    charge_id: str | None = None
    card_token: str | None = None
    last4: str | None = None
    brand: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    amount: int | None = None
    currency: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True)
class RefundResult:
    status: str                 # "succeeded" | "failed"
    refund_id: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None


class PaymentGateway(Protocol):
    """A card processor. Constructor: a `from_config(config)` classmethod, or `Class(config)` /
    `Class()` (app.core.adapters); built for each use, so keep it cheap. `name` names it in logs."""

    name: str
    #: May be left out: reconciliation then waits for the file to be uploaded by a person.
    optional_methods = ("settlement_file",)

    def charge(self, *, idempotency_key: str, amount: int, currency: str, card: CardDetails,
               description: str) -> ChargeResult:
        """Take money; the same idempotency key never charges twice.
        May raise GatewayTimeout or GatewayUnavailable."""

    def retrieve(self, idempotency_key: str) -> ChargeResult | None:
        """What became of the charge with this key (None: the gateway never saw it)."""

    def refund(self, *, idempotency_key: str, charge_id: str, amount: int, currency: str) -> RefundResult:
        """Pay back (part of) a charge; the same key never refunds twice.
        May raise GatewayTimeout or GatewayUnavailable."""

    def refund_status(self, idempotency_key: str) -> RefundResult | None:
        """What became of the refund with this key (None: the gateway never received it).
        May raise GatewayTimeout or GatewayUnavailable."""

    def settlement_file(self, business_date: date) -> bytes | None:
        """The gateway's settlement file of a business date (format: app.payments.settlement),
        or None when it is not ready yet. Reading it changes nothing."""


#: PAYMENT_GATEWAY: our short names, and the protocol an import path must satisfy.
GATEWAY_SPEC = AdapterSpec("PAYMENT_GATEWAY", {"sandbox": "app.payments.sandbox:SandboxGateway"}, PaymentGateway)


def get_gateway() -> PaymentGateway:
    """The configured gateway (PAYMENT_GATEWAY), built for this use. Checked at start-up by create_app."""
    return GATEWAY_SPEC.load(current_app.config["PAYMENT_GATEWAY"], current_app.config)


def uses_sandbox_gateway(config=None) -> bool:
    """Whether PAYMENT_GATEWAY names our sandbox gateway (by short name or import path)."""
    return GATEWAY_SPEC.is_ours((config or current_app.config)["PAYMENT_GATEWAY"], "sandbox")


def luhn_ok(number: str) -> bool:
    """The card number checksum (catches typos before the gateway does)."""
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number.startswith("35"):
        return "jcb"
    return "card"
