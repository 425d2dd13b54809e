"""Payout statuses, attempt outcomes, breaker states, and their transition tables.

A payout moves money from our payout account to a bank account (a refund to a
customer, or a settlement). Its life, in one table (seed 001 §4):

    REQUESTED ──▶ PROCESSING ──▶ TRANSFERRING ──▶ COMPLETED ──▶ RETURNED ──▶ CANCELED
        ▲             │   ▲            │
        │             ▼   │            ├──▶ TRANSFER_FAILED ──▶ PROCESSING (retry) …
        │      HELD_BY_BREAKER         │          └──────────▶ ABANDONED ──▶ REQUESTED | CANCELED
        │        (fund too low)        └──▶ WAITING_FOR_ACCOUNT ──▶ REQUESTED | CANCELED
        └──────────────────────────────────────────┘ (a person corrected or retried it)

TRANSFERRING means the request may have reached the bank: until the bank's
answer (or a status inquiry) says what happened, nothing is sent again.
"""
from __future__ import annotations

from enum import StrEnum

from app.core.errors import IllegalTransition


class PayoutStatus(StrEnum):
    REQUESTED = "requested"                      # recorded; the first (or a person's) try is due
    PROCESSING = "processing"                    # a worker took it; checking the fund; nothing sent yet
    HELD_BY_BREAKER = "held_by_breaker"          # the operating fund is too low; resumes by itself
    TRANSFERRING = "transferring"                # sent (or maybe sent) to the bank; answer pending
    TRANSFER_FAILED = "transfer_failed"          # the bank refused; an automatic retry is scheduled
    WAITING_FOR_ACCOUNT = "waiting_for_account"  # the account is wrong; waiting for a corrected one
    ABANDONED = "abandoned"                      # retries used up or 24 h passed; a person decides
    COMPLETED = "completed"                      # the bank moved the money
    RETURNED = "returned"                        # the money came back later; a person decides
    CANCELED = "canceled"                        # closed by a person; this payout sends nothing more


class AttemptOutcome(StrEnum):
    SENDING = "sending"      # written before the bank call; if it stays, the worker died mid-call
    UNKNOWN = "unknown"      # the bank did not answer in time; ask before doing anything else
    COMPLETED = "completed"
    FAILED = "failed"


class BreakerState(StrEnum):
    CLOSED = "closed"        # normal: every payout may start
    HALF_OPEN = "half_open"  # after a top-up, until the fund is healthy: small payouts only
    OPEN = "open"            # the fund is below the floor: no payout starts


P = PayoutStatus

#: The one transition table of a payout. Every change goes through `next_state`.
TRANSITIONS: dict[PayoutStatus, frozenset[PayoutStatus]] = {
    P.REQUESTED: frozenset({P.PROCESSING}),
    P.PROCESSING: frozenset({P.TRANSFERRING, P.HELD_BY_BREAKER}),
    P.HELD_BY_BREAKER: frozenset({P.PROCESSING, P.CANCELED}),
    P.TRANSFERRING: frozenset({P.COMPLETED, P.TRANSFER_FAILED, P.WAITING_FOR_ACCOUNT}),
    P.TRANSFER_FAILED: frozenset({P.PROCESSING, P.ABANDONED}),
    P.WAITING_FOR_ACCOUNT: frozenset({P.REQUESTED, P.CANCELED}),
    P.ABANDONED: frozenset({P.REQUESTED, P.CANCELED}),
    P.COMPLETED: frozenset({P.RETURNED}),
    P.RETURNED: frozenset({P.CANCELED}),
    P.CANCELED: frozenset(),
}

B = BreakerState

#: The circuit breaker's transitions (seed 001 §5.2); the balance decides which (policies).
BREAKER_TRANSITIONS: dict[BreakerState, frozenset[BreakerState]] = {
    B.CLOSED: frozenset({B.OPEN}),
    B.OPEN: frozenset({B.HALF_OPEN, B.CLOSED}),
    B.HALF_OPEN: frozenset({B.CLOSED, B.OPEN}),
}

#: Statuses a worker may pick up to send (the attempt job's starting points).
STARTABLE = frozenset({P.REQUESTED, P.PROCESSING, P.TRANSFER_FAILED, P.HELD_BY_BREAKER})

#: Statuses shown in the back office's "needs a person" list (seed 001 §4.3).
NEEDS_ATTENTION = frozenset({P.ABANDONED, P.WAITING_FOR_ACCOUNT, P.RETURNED, P.HELD_BY_BREAKER})

#: Statuses in which a payout is still open (one open payout per refund).
OPEN = frozenset(set(PayoutStatus) - {P.COMPLETED, P.RETURNED, P.CANCELED})


def next_state(current: str, target: str) -> PayoutStatus:
    """`target` if the table allows current → target, else IllegalTransition."""
    if PayoutStatus(target) not in TRANSITIONS[PayoutStatus(current)]:
        raise IllegalTransition(fields={"status": f"{current} → {target} is not allowed"})
    return PayoutStatus(target)
