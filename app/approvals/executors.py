"""What an approved request runs: each calls the movement's own service with the
approver as the actor (the requester is in the approval's audit row and the reason).

Called by app.approvals.services.approve inside its transaction, under
guard.executing (the four-eyes checks pass). Each service re-checks its subject under
its own locks, so a subject that changed since the request raises and nothing moves.
"""
from __future__ import annotations

from app.core.errors import IllegalTransition


def _reason(req) -> str:
    return f"{req.reason} (asked by {req.requested_by_name}, approval {req.public_id})"


def approve_refund(req, actor):
    from app.refunds import decisions

    return decisions.approve_refund(req.subject_id, actor=actor, may_override=True, amount=req.params.get("amount"),
                                    reason=_reason(req))


def refund_our_fault(req, actor):
    """Open the refund as case C (a paid booking is canceled first), then approve it."""
    from app.refunds import decisions

    refund = decisions.open_refund(req.subject_id, our_fault=req.params["our_fault"], note=_reason(req), actor=actor)
    return decisions.approve_refund(refund.id, actor=actor, may_override=True, reason=_reason(req))


def refund_account(req, actor):
    from app.refunds import decisions

    return decisions.enter_account(req.subject_id, req.account, actor=actor, reason=_reason(req))


def payout_account(req, actor):
    from app.remittance import decisions

    return decisions.change_payout_account(req.subject_id, req.account, actor=actor, reason=_reason(req))


def write_off(req, actor):
    from app.reconcile import actions

    return actions.resolve_item(req.subject_public_id, "write_off", reason=_reason(req), actor=actor,
                                is_manager=True)


def mark_paid(req, actor):
    from app.deposits import services

    decision = services.mark_paid_manually(req.subject_public_id, actor=actor, reason=_reason(req))
    if decision is None:
        raise IllegalTransition(fields={"status": "The booking was already paid."})
    return decision


def top_up(req, actor):
    from app.remittance import fund

    entry = fund.top_up_fund(req.amount, _reason(req), key=f"approval-{req.public_id}", actor=actor,
                             currency=req.currency)
    if entry is None:
        raise IllegalTransition(fields={"key": "This top-up was already added."})
    return entry
