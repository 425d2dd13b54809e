"""Helpers shared by the auth and ops tests."""
from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import OperatorSession
from app.core.audit import AuditEvent
from app.extensions import db
from tests.factories import DEFAULT_PASSWORD


def sign_in(client, email, password=DEFAULT_PASSWORD, **kwargs):
    """POST the sign-in form (with a CSRF token)."""
    return client.post("/auth/login", data={"email": email, "password": password}, **kwargs)


def audit_actions(action_prefix: str = "") -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.startswith(action_prefix))
                                   .order_by(AuditEvent.id)))


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def live_session_rows(operator_id: int) -> list[OperatorSession]:
    return list(db.session.scalars(select(OperatorSession).where(
        OperatorSession.operator_id == operator_id, OperatorSession.revoked_at.is_(None))
        .execution_options(populate_existing=True)))


def is_signed_in(client) -> bool:
    """True when the client's cookie opens the Today page (not the sign-in redirect)."""
    response = client.get("/ops/")
    return response.status_code == 200
