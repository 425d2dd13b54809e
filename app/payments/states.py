"""Payment statuses and their one transition table."""
from __future__ import annotations

from enum import StrEnum

from app.core.errors import IllegalTransition


class PaymentStatus(StrEnum):
    PENDING = "pending"      # card charge in flight or unknown; bank transfer awaiting deposit
    COMPLETED = "completed"  # money received
    FAILED = "failed"        # declined or errored; nothing taken
    CANCELED = "canceled"    # a bank-transfer order that was never paid
    REVERSED = "reversed"    # the bank took a deposit back (a reversed credit on the statement)


class PaymentMethod(StrEnum):
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"


P = PaymentStatus

TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    P.PENDING: frozenset({P.COMPLETED, P.FAILED, P.CANCELED}),
    P.COMPLETED: frozenset({P.REVERSED}),
    P.FAILED: frozenset(),
    P.CANCELED: frozenset(),
    P.REVERSED: frozenset(),
}


def next_state(current: str, target: str) -> PaymentStatus:
    if PaymentStatus(target) not in TRANSITIONS[PaymentStatus(current)]:
        raise IllegalTransition(fields={"status": f"{current} → {target} is not allowed"})
    return PaymentStatus(target)
