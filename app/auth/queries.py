"""Read helpers for the operator pages."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, select

from app.auth.models import Operator, OperatorSession
from app.auth.roles import Role
from app.core import clock
from app.core.errors import NotFound
from app.extensions import db


def list_operators() -> list[Operator]:
    """Active operators first, then by role (admins first) and name."""
    rank = case((Operator.role == Role.ADMIN, 0), (Operator.role == Role.MANAGER, 1), else_=2)
    return list(db.session.scalars(select(Operator).order_by(Operator.active.desc(), rank, Operator.name,
                                                             Operator.id)))


def get_operator(operator_id: int) -> Operator:
    operator = db.session.get(Operator, operator_id)
    if operator is None:
        raise NotFound()
    return operator


def live_session_counts() -> dict[int, int]:
    """operator id → number of sessions that still count."""
    now = clock.now()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    rows = db.session.execute(select(OperatorSession.operator_id, func.count()).where(
        OperatorSession.revoked_at.is_(None), OperatorSession.expires_at > now,
        OperatorSession.last_seen_at > now - idle).group_by(OperatorSession.operator_id)).all()
    return {operator_id: count for operator_id, count in rows}


def is_last_active_admin(operator: Operator) -> bool:
    """True when `operator` is the only active admin (disabling or demoting them is refused)."""
    if not (operator.active and operator.role == Role.ADMIN):
        return False
    others = db.session.scalar(select(func.count()).select_from(Operator).where(
        Operator.role == Role.ADMIN, Operator.active.is_(True), Operator.id != operator.id))
    return not others
