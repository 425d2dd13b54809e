"""Status page rows: notices (incidents and planned maintenance), their updates, subscribers.

Every text a guest reads is kept per language ({"ko": {...}, "ja": {...}, "en": {...}}).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONType, UTCDateTime
from app.core.models import TimestampMixin
from app.extensions import db


class StatusNotice(TimestampMixin, db.Model):
    """An incident or a planned maintenance, with the components it affects."""

    __tablename__ = "status_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)           # incident | maintenance
    severity: Mapped[str] = mapped_column(String(2), nullable=False)        # S1–S4
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    #: {component: level} while it lasts.
    components: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    override_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    #: The RCA of seed 002 E per language: {lang: {overview, cause, mitigation, prevention, evidence, contact}}.
    rca: Mapped[dict | None] = mapped_column(JSONType)
    rca_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    updates = relationship("StatusUpdate", order_by="StatusUpdate.id", back_populates="notice",
                           cascade="all, delete-orphan")

    __table_args__ = (Index("ix_status_notices_status_published", "status", "published_at"),)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def latest(self):
        return self.updates[-1] if self.updates else None

    @property
    def published_updates(self):
        return [u for u in self.updates if u.published_at is not None]


class StatusUpdate(TimestampMixin, db.Model):
    """One update of a notice: its status then, texts per language ({lang: {title, body, impact}}),
    and when the next update will come. A draft until published."""

    __tablename__ = "status_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("status_notices.id"), index=True, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    texts: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    next_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))

    notice = relationship("StatusNotice", back_populates="updates")


class StatusSubscriber(TimestampMixin, db.Model):
    """An email address that asked for status mail in one language (double opt-in)."""

    __tablename__ = "status_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    language: Mapped[str] = mapped_column(String(2), nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How many confirmation mails were asked for (keys each one's outbox row).
    confirmations_sent: Mapped[int] = mapped_column(default=0, nullable=False)

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None
