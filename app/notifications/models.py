"""OutboxMessage: a message to a customer, written in the same transaction as
the change that causes it (DESIGN invariant 5) and sent by a worker."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONType, UTCDateTime
from app.core.models import TimestampMixin
from app.extensions import db


class OutboxStatus:
    PENDING = "pending"    # waiting to be sent (or to be retried at next_attempt_at)
    SENDING = "sending"    # a worker claimed it
    SENT = "sent"
    SKIPPED = "skipped"    # no longer true at send time (e.g. already paid)
    FAILED = "failed"      # gave up after the last try; shown in "failed notifications"


class OutboxMessage(TimestampMixin, db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(60), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)  # email | sms
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)
    # Never sent twice: one row per dedupe key.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    context: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING, nullable=False)
    attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(100))

    reservation = relationship("Reservation")

    __table_args__ = (Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),)
