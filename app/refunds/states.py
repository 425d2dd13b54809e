"""Refund statuses and their one transition table."""
from __future__ import annotations

from enum import StrEnum

from app.core.errors import IllegalTransition


class RefundStatus(StrEnum):
    REQUESTED = "requested"                # waiting for an operator's decision
    APPROVED = "approved"                  # decided; about to be paid back
    REFUSED = "refused"                    # decided: nothing is paid back
    PROCESSING = "processing"              # card refund sent to the gateway
    AWAITING_ACCOUNT = "awaiting_account"  # bank transfer: the customer's account is needed
    AWAITING_PAYOUT = "awaiting_payout"    # bank transfer: a payout will pay it back
    COMPLETED = "completed"                # money returned (a returned payout reopens it: awaiting_account)
    FAILED = "failed"                      # the gateway or bank refused, or never answered; needs a person


R = RefundStatus

TRANSITIONS: dict[RefundStatus, frozenset[RefundStatus]] = {
    R.REQUESTED: frozenset({R.APPROVED, R.REFUSED}),
    R.APPROVED: frozenset({R.PROCESSING, R.AWAITING_ACCOUNT, R.AWAITING_PAYOUT, R.COMPLETED}),
    R.PROCESSING: frozenset({R.COMPLETED, R.FAILED}),
    R.AWAITING_ACCOUNT: frozenset({R.AWAITING_PAYOUT, R.REFUSED, R.FAILED}),
    R.AWAITING_PAYOUT: frozenset({R.COMPLETED, R.FAILED, R.AWAITING_ACCOUNT}),
    R.FAILED: frozenset({R.APPROVED}),
    R.REFUSED: frozenset(),
    # The bank sent the payout back (account closed …): the guest is asked for another account.
    R.COMPLETED: frozenset({R.AWAITING_ACCOUNT}),
}

#: Statuses whose amount counts against what may still be refunded.
COMMITTED = frozenset({R.APPROVED, R.PROCESSING, R.AWAITING_ACCOUNT, R.AWAITING_PAYOUT, R.COMPLETED})
#: Decided and on its way, but the money has not left yet (the ledger has no row for it).
IN_FLIGHT = COMMITTED - {R.COMPLETED}


def next_state(current: str, target: str) -> RefundStatus:
    if RefundStatus(target) not in TRANSITIONS[RefundStatus(current)]:
        raise IllegalTransition(fields={"status": f"{current} → {target} is not allowed"})
    return RefundStatus(target)
