"""The reservation state machine: one table, read by services, UI and tests.

    pending → paid → checked_in → checked_out
    pending → canceled
    paid → canceled → refunded
    canceled → paid   (revival: a deposit arrived after the hold expired and the
                       rooms are still free; the nights are taken again)
    refunded → canceled (a refund's payout came back from the bank: money is owed again)
    paid → pending    (the bank reversed the deposit that paid it while its hold still
                       runs: it waits for its money again until the hold ends)
"""
from __future__ import annotations

from enum import StrEnum

from app.core.errors import IllegalTransition


class ReservationStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CHECKED_IN = "checked_in"
    CHECKED_OUT = "checked_out"
    CANCELED = "canceled"
    REFUNDED = "refunded"


S = ReservationStatus

TRANSITIONS: dict[ReservationStatus, frozenset[ReservationStatus]] = {
    S.PENDING: frozenset({S.PAID, S.CANCELED}),
    S.PAID: frozenset({S.CHECKED_IN, S.CANCELED, S.PENDING}),
    S.CHECKED_IN: frozenset({S.CHECKED_OUT}),
    S.CHECKED_OUT: frozenset(),
    S.CANCELED: frozenset({S.REFUNDED, S.PAID}),
    # A refund's payout came back from the bank: money is owed to the guest again (audited).
    S.REFUNDED: frozenset({S.CANCELED}),
}

#: Reservations in these statuses hold rooms in the inventory (invariant 1).
HOLDS_INVENTORY = frozenset({S.PENDING, S.PAID, S.CHECKED_IN})


def can_transition(current: str, target: str) -> bool:
    return ReservationStatus(target) in TRANSITIONS[ReservationStatus(current)]


def next_state(current: str, target: str) -> ReservationStatus:
    """`target` if the table allows current → target, else IllegalTransition."""
    if not can_transition(current, target):
        raise IllegalTransition(fields={"status": f"{current} → {target} is not allowed"},
                                current=current, target=target)
    return ReservationStatus(target)
