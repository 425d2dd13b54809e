"""Ticket, its conversation (TicketMessage: guest messages, public replies, internal notes)
and the spans it waited on the customer (TicketPause). Every change is audited
(app.core.audit, entity_type "ticket").

Internal notes are TicketMessage rows with kind "note": never shown to or sent to a guest
(DESIGN invariant 13); `public_messages` is what a guest may see.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime
from app.core.models import TimestampMixin
from app.extensions import db


class MessageKind:
    GUEST = "guest"   # written by the guest (form, email, phone call as typed by an operator)
    REPLY = "reply"   # an operator's public reply, sent to the guest
    NOTE = "note"     # internal note: never shown or sent to the guest
    ALL = (GUEST, REPLY, NOTE)
    PUBLIC = (GUEST, REPLY)


class Ticket(TimestampMixin, db.Model):
    __tablename__ = "support_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    severity: Mapped[str] = mapped_column(String(2), nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    purpose: Mapped[str] = mapped_column(String(300), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(24), default="new", nullable=False)
    queue: Mapped[str] = mapped_column(String(4), nullable=False)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)
    guest_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    guest_email: Mapped[str] = mapped_column(String(254), default="", nullable=False)
    guest_phone: Mapped[str] = mapped_column(String(30), default="", nullable=False)
    language: Mapped[str] = mapped_column(String(2), default="ko", nullable=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    #: Bumped by every change; a reply composed on an older version warns before sending.
    version: Mapped[int] = mapped_column(default=1, nullable=False)
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_update_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updates_sent: Mapped[int] = mapped_column(default=0, nullable=False)
    updates_late: Mapped[int] = mapped_column(default=0, nullable=False)
    #: Whether each clock was met, fixed when it stops (None while running).
    first_response_met: Mapped[bool | None] = mapped_column()
    resolution_met: Mapped[bool | None] = mapped_column()
    csat_score: Mapped[int | None] = mapped_column()
    csat_comment: Mapped[str | None] = mapped_column(Text)
    csat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_message_id: Mapped[str | None] = mapped_column(String(300), index=True)

    owner = relationship("Operator", foreign_keys=[owner_id])
    reservation = relationship("Reservation")
    messages = relationship("TicketMessage", back_populates="ticket", order_by="TicketMessage.id",
                            cascade="all, delete-orphan")
    pauses = relationship("TicketPause", order_by="TicketPause.id", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("severity IN ('S1', 'S2', 'S3', 'S4')", name="support_ticket_severity_known"),
        CheckConstraint("status IN ('new', 'open', 'waiting_on_customer', 'resolved', 'closed')",
                        name="support_ticket_status_known"),
        CheckConstraint("csat_score IS NULL OR (csat_score BETWEEN 1 AND 5)", name="support_ticket_csat_range"),
        Index("ix_support_tickets_status_created", "status", "created_at"),
    )

    @property
    def public_messages(self) -> list["TicketMessage"]:
        return [m for m in self.messages if m.kind in MessageKind.PUBLIC]

    @property
    def notes(self) -> list["TicketMessage"]:
        return [m for m in self.messages if m.kind == MessageKind.NOTE]

    @property
    def pause_spans(self) -> list[tuple[datetime, datetime | None]]:
        return [(p.started_at, p.ended_at) for p in self.pauses]


class TicketMessage(db.Model):
    __tablename__ = "support_ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    subject: Mapped[str | None] = mapped_column(String(300))
    author_operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    author_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    macro: Mapped[str | None] = mapped_column(String(40))
    email_message_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    ticket = relationship("Ticket", back_populates="messages")

    __table_args__ = (
        CheckConstraint("kind IN ('guest', 'reply', 'note')", name="support_message_kind_known"),
    )


class TicketPause(db.Model):
    """A span the ticket waited on the customer: its clocks do not count it."""

    __tablename__ = "support_ticket_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id"), nullable=False, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
