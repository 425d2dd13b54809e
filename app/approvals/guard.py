"""The four-eyes check the money services call before they move anything.

A service (approve a refund, send to an account typed by an operator, write off,
mark paid, top up the fund…) calls `require(kind, amount, actor=…)` inside its
transaction, once it knows the amount. When the operator may not do it alone it
raises NeedsApproval, the transaction rolls back and nothing has moved; the view then
turns the same input into an ApprovalRequest. While an approved request runs its
movement (`executing`), the check passes: the second person has already said yes.
Movements by the system or a guest are not operator decisions and are not checked here.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.approvals.policies import may_act_alone
from app.core.actor import Actor
from app.core.errors import DomainError
from app.extensions import db

_executing: ContextVar[int | None] = ContextVar("approval_executing", default=None)


class NeedsApproval(DomainError):
    """This movement needs a second person; nothing was changed."""

    code = "needs_approval"
    status = 409
    default_message = _l("A manager must approve this; nothing has moved yet.")

    def __init__(self, *, kind: str, amount: int, currency: str = "KRW", **extra):
        super().__init__(fields={}, kind=kind, amount=amount, currency=currency, **extra)
        self.kind, self.amount, self.currency = kind, amount, currency


def threshold() -> int:
    return int(current_app.config["FOUR_EYES_ABOVE"])


def operator_role(actor: Actor) -> str:
    from app.auth.models import Operator

    operator = db.session.get(Operator, actor.id) if actor.id is not None else None
    return operator.role if operator is not None and operator.active else ""


def require(kind: str, amount: int, *, actor: Actor, currency: str = "KRW", manager_decision: bool = False) -> None:
    """Raise NeedsApproval unless `actor` may move `amount` alone (no side effect)."""
    if not actor.is_operator or _executing.get() is not None:
        return
    if may_act_alone(amount, threshold(), role=operator_role(actor), manager_decision=manager_decision):
        return
    raise NeedsApproval(kind=kind, amount=amount, currency=currency)


def asks_approval(amount: int, *, manager_decision: bool = False) -> bool:
    """Whether the signed-in operator's confirm step should say that moving `amount` becomes a
    request for another manager (what `require` will decide when they confirm)."""
    from flask_login import current_user

    role = getattr(current_user, "role", "") or ""
    return not may_act_alone(amount, threshold(), role=role, manager_decision=manager_decision)


def approval_in_progress() -> int | None:
    """The id of the approved request whose movement runs now, if any."""
    return _executing.get()


@contextmanager
def executing(request_id: int):
    """The approved request `request_id` runs its movement: the checks pass."""
    token = _executing.set(request_id)
    try:
        yield
    finally:
        _executing.reset(token)
