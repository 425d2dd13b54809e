"""Read helpers for the back office's message pages."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.states import OutboxStatus


def get_message(message_id: int) -> OutboxMessage | None:
    return db.session.get(OutboxMessage, message_id)


def list_failed_messages(limit: int = 200) -> list[OutboxMessage]:
    """Failed messages, the longest-waiting first (each is a guest who was not told)."""
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
                                   .options(selectinload(OutboxMessage.reservation))
                                   .order_by(OutboxMessage.updated_at, OutboxMessage.id).limit(limit)))


def list_recent_messages(limit: int = 50) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).options(selectinload(OutboxMessage.reservation))
                                   .order_by(OutboxMessage.id.desc()).limit(limit)))


def count_failed_messages() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == OutboxStatus.FAILED)) or 0


def count_by_status() -> dict[str, int]:
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    counts = {status.value: 0 for status in OutboxStatus}
    counts.update({status: n for status, n in rows})
    return counts
