"""Approval requests: ask, approve, refuse, withdraw (DESIGN invariant 11).

Each service locks the request row, re-checks its status and commits once, so a
double click, two managers at once or a retried POST decide a request once.
`approve` runs the movement's own service (policies.KINDS[kind].executor) in the same
database transaction as the decision, with the approver as the actor: the request row
is locked first, the movement's service takes its own locks and commits the decision
and the movement together. A movement whose subject has changed since it was asked
(refund already decided, payout already sent, booking canceled) is not done: the
request is withdrawn as stale, with an audit row, and SubjectChanged is raised.
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.approvals.guard import executing, operator_role
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.approvals.policies import KINDS, may_approve
from app.auth.roles import has_role
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import lock_by_id, run_in_transaction
from app.core.errors import Forbidden, IllegalTransition, NotFound, ValidationFailed
from app.core.ids import public_id
from app.extensions import db

log = logging.getLogger(__name__)
S = ApprovalStatus


class RequestAlreadyDecided(IllegalTransition):
    """The request is no longer waiting (someone decided it, or the same POST came twice)."""


class SelfApproval(Forbidden):
    """The requester tried to approve their own request."""


class SubjectChanged(IllegalTransition):
    """What the request would move has changed since it was asked; it was withdrawn as stale."""


def _clean(text: str | None, field: str, *, required: bool) -> str | None:
    text = (text or "").strip()
    if required and not text:
        raise ValidationFailed(fields={field: "Write the reason in a sentence."})
    if len(text) > 1000:
        raise ValidationFailed(fields={field: "Keep it under 1,000 characters."})
    return text or None


def _name(actor: Actor) -> str:
    from app.auth.models import Operator

    operator = db.session.get(Operator, actor.id) if actor.id is not None else None
    return ((operator.name or operator.email) if operator is not None else actor.name)[:200]


def _audit(action: str, req: ApprovalRequest, actor: Actor, *, reason: str | None = None, **data) -> None:
    audit.record(action, entity_type="approval_request", entity_id=req.public_id, actor=actor,
                 reservation_id=req.reservation_id, from_state=data.pop("from_state", None),
                 to_state=data.pop("to_state", None), reason=reason,
                 data={"kind": req.kind, "amount": req.amount, "currency": req.currency,
                       "subject": req.subject_public_id or req.subject_id, "account": req.masked_account,
                       "requested_by": req.requested_by_id, **data})


def pending_for(kind: str, subject_type: str, subject_id: int) -> ApprovalRequest | None:
    return db.session.scalar(select(ApprovalRequest).where(
        ApprovalRequest.kind == kind, ApprovalRequest.subject_type == subject_type,
        ApprovalRequest.subject_id == subject_id, ApprovalRequest.status == S.PENDING))


def request_approval(kind: str, *, subject_id: int, amount: int, currency: str, reason: str | None, actor: Actor,
                     subject_public_id: str | None = None, reservation_id: int | None = None,
                     params: dict | None = None, account=None) -> ApprovalRequest:
    """Ask a second person to approve a movement (commits; audited `approval.requested`).

    Nothing moves. Safe twice: while a request of the same kind for the same subject
    waits, asking again returns that one (a unique index on pending requests makes a
    concurrent double click ask once too). `account` (a BankAccount) is stored as
    payouts store it and shown masked; `params` never holds an account number."""
    if kind not in KINDS or not actor.is_operator:
        raise ValidationFailed(fields={"kind": "Unknown approval."})
    reason = _clean(reason, "reason", required=True)
    spec = KINDS[kind]

    def work() -> ApprovalRequest:
        existing = pending_for(kind, spec.subject_type, subject_id)
        if existing is not None:
            return existing
        req = ApprovalRequest(
            public_id=public_id("apr"), kind=kind, subject_type=spec.subject_type, subject_id=subject_id,
            subject_public_id=subject_public_id, reservation_id=reservation_id, amount=int(amount),
            currency=currency, params=dict(params or {}), requested_by_id=actor.id, requested_by_name=_name(actor),
            reason=reason, status=S.PENDING, stale=False)
        if account is not None:
            req.bank_code, req.account_number, req.account_holder = account.bank_code, account.number, account.holder
        db.session.add(req)
        db.session.flush()
        _audit("approval.requested", req, actor, reason=reason, to_state=S.PENDING)
        return req

    try:
        return run_in_transaction(work)
    except IntegrityError:
        existing = pending_for(kind, spec.subject_type, subject_id)
        if existing is None:
            raise
        return existing


def _executor(kind: str) -> Callable:
    module, _, name = KINDS[kind].executor.partition(":")
    return getattr(importlib.import_module(module), name)


def _lock_pending(request_id: int) -> ApprovalRequest:
    req = lock_by_id(ApprovalRequest, request_id)
    if req.status != S.PENDING:
        raise RequestAlreadyDecided(fields={"request": f"This request is already {req.status}."}, status=req.status)
    return req


def _decide(req: ApprovalRequest, status: str, actor: Actor, note: str | None) -> None:
    req.status = status
    req.decided_by_id, req.decided_by_name, req.decided_at = actor.id, _name(actor), clock.now()
    req.decision_note = note


def check_may_approve(req: ApprovalRequest, actor: Actor) -> None:
    """SelfApproval for the requester, Forbidden for anyone without the approver role."""
    if actor.id is not None and actor.id == req.requested_by_id:
        raise SelfApproval(fields={"request": "The person who asked cannot approve it."})
    if not may_approve(approver_id=actor.id, approver_role=operator_role(actor), requester_id=req.requested_by_id,
                       kind=req.kind):
        raise Forbidden(fields={"request": "Approving needs a manager."})


def approve(request_id: int, *, actor: Actor, note: str | None = None):
    """A different manager approves (commits): the movement runs now, once.

    Returns (request, what the movement's service returned). Safe twice: the second
    call finds the request decided (RequestAlreadyDecided) and moves nothing."""
    note = _clean(note, "note", required=False)

    def work():
        req = _lock_pending(request_id)
        check_may_approve(req, actor)
        _decide(req, S.APPROVED, actor, note)
        _audit("approval.approved", req, actor, reason=note, from_state=S.PENDING, to_state=S.APPROVED,
               requested_by_name=req.requested_by_name)
        db.session.flush()
        try:
            with executing(req.id):
                result = _executor(req.kind)(req, actor)
        except (IllegalTransition, NotFound, ValidationFailed) as exc:
            raise SubjectChanged(fields={"request": str(exc.message)}, cause=type(exc).__name__,
                                 detail={k: str(v) for k, v in (exc.fields or {}).items()}) from exc
        if req.status != S.APPROVED:  # the movement's own transaction was retried: mark it again
            _decide(req, S.APPROVED, actor, note)
        return req, result

    try:
        return run_in_transaction(work, retries=0)
    except SubjectChanged as exc:
        mark_stale(request_id, actor=actor, why=exc.extra.get("cause", "changed"), detail=exc.extra.get("detail"))
        raise


def mark_stale(request_id: int, *, actor: Actor, why: str, detail: dict | None = None) -> None:
    """The request's subject changed: it is withdrawn as stale (commits; audited). Safe twice."""
    def work() -> None:
        req = lock_by_id(ApprovalRequest, request_id)
        if req.status != S.PENDING:
            return
        req.status, req.stale, req.decided_at = S.WITHDRAWN, True, clock.now()
        req.decided_by_id, req.decided_by_name = actor.id, _name(actor)
        req.decision_note = f"stale: {why}"[:1000]
        _audit("approval.stale", req, actor, reason=why, from_state=S.PENDING, to_state=S.WITHDRAWN,
               detail=detail or {})

    run_in_transaction(work)


def refuse(request_id: int, *, actor: Actor, note: str | None) -> ApprovalRequest:
    """A manager (not the requester) refuses, with a written reason (commits). Nothing moves.
    Safe twice: the second call raises RequestAlreadyDecided."""
    note = _clean(note, "note", required=True)

    def work() -> ApprovalRequest:
        req = _lock_pending(request_id)
        check_may_approve(req, actor)
        _decide(req, S.REFUSED, actor, note)
        _audit("approval.refused", req, actor, reason=note, from_state=S.PENDING, to_state=S.REFUSED)
        return req

    return run_in_transaction(work)


def may_withdraw(req: ApprovalRequest, actor: Actor) -> bool:
    return actor.id == req.requested_by_id or has_role(operator_role(actor), "manager")


def withdraw(request_id: int, *, actor: Actor, note: str | None = None) -> ApprovalRequest:
    """The requester (or a manager) takes a waiting request back (commits). Nothing moves."""
    note = _clean(note, "note", required=False)

    def work() -> ApprovalRequest:
        req = _lock_pending(request_id)
        if not may_withdraw(req, actor):
            raise Forbidden(fields={"request": "Only the person who asked, or a manager, can withdraw it."})
        _decide(req, S.WITHDRAWN, actor, note)
        _audit("approval.withdrawn", req, actor, reason=note, from_state=S.PENDING, to_state=S.WITHDRAWN)
        return req

    return run_in_transaction(work)
