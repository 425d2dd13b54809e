"""Refund: one row per decision to pay money back."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime
from app.core.models import TimestampMixin
from app.extensions import db
from app.refunds.states import RefundStatus


class Refund(TimestampMixin, db.Model):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id"), nullable=False, index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    amount: Mapped[int] = mapped_column(nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(20), default=RefundStatus.REQUESTED, nullable=False)
    # What the policy recommended, and why (kept even if a manager chose otherwise).
    policy_case: Mapped[str] = mapped_column(String(1), nullable=False)
    policy_percent: Mapped[int] = mapped_column(nullable=False)
    policy_amount: Mapped[int] = mapped_column(nullable=False)
    policy_reason: Mapped[str] = mapped_column(String(60), nullable=False)
    apology_coupon: Mapped[bool] = mapped_column(default=False, nullable=False)
    source: Mapped[str] = mapped_column(String(20), default="customer", nullable=False)
    requested_reason: Mapped[str | None] = mapped_column(Text)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gateway_refund_id: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    request_id: Mapped[str | None] = mapped_column(String(100))

    reservation = relationship("Reservation", backref="refunds")
    payment = relationship("Payment")

    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        Index("ix_refunds_status_created", "status", "created_at"),
    )
