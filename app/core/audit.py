"""The audit log: one row per state change, written in the same transaction.

Rows are append-only: the ORM refuses to update or delete them, and on
PostgreSQL a trigger refuses it too (see the initial migration).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from app.core.actor import Actor, current_actor
from app.core.context import current_request_id
from app.core.db import JSONType, UTCDateTime, utcnow_default
from app.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    action: Mapped[str] = mapped_column(String(80), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), nullable=True)
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    request_id: Mapped[str | None] = mapped_column(String(100), index=True)

    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        Index("ix_audit_events_reservation_id", "reservation_id"),
        Index("ix_audit_events_created_at", "created_at"),
    )


@event.listens_for(AuditEvent, "before_update")
def _no_update(*_args):
    raise RuntimeError("audit events cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _no_delete(*_args):
    raise RuntimeError("audit events cannot be deleted")


def record(
    action: str,
    *,
    entity_type: str,
    entity_id: Any,
    actor: Actor | None = None,
    reservation_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (not committed here)."""
    actor = actor or current_actor()
    event_row = AuditEvent(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name[:200],
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        reservation_id=reservation_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data,
        request_id=current_request_id(),
    )
    db.session.add(event_row)
    return event_row
