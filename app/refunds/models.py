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
    # A card refund whose outcome is unknown (the gateway timed out): when the gateway is
    # asked next, and how many of policies.REFUND_CHECK_DELAYS' checks were made.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checks: Mapped[int] = mapped_column(default=0, nullable=False)

    reservation = relationship("Reservation", backref="refunds")
    payment = relationship("Payment")

    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        Index("ix_refunds_status_created", "status", "created_at"),
        Index("ix_refunds_status_next_check", "status", "next_check_at"),
    )


class CouponKind:
    AMOUNT = "amount"      # value: minor units of `currency` off
    PERCENT = "percent"    # value: percent off (1–100)
    MINUTES = "minutes"    # value: minutes of stay time (seed 000's coupons)


class Coupon(TimestampMixin, db.Model):
    """A coupon given to a customer: an apology for a refund we caused, or compensation."""

    __tablename__ = "coupons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    value: Mapped[int] = mapped_column(nullable=False)
    currency: Mapped[str | None] = mapped_column(String(3))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    guest_email: Mapped[str] = mapped_column(String(254), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    # One apology coupon per refund: a retried approval never gives a second one.
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Only at this hotel (None: any hotel); the booking that used it (once: guarded UPDATE).
    hotel_id: Mapped[int | None] = mapped_column(ForeignKey("hotels.id"))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), unique=True)

    refund = relationship("Refund", backref="coupons")
    hotel = relationship("Hotel")
    reservation = relationship("Reservation", foreign_keys=[reservation_id])

    __table_args__ = (
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind IN ('amount', 'percent', 'minutes')", name="kind_known"),
    )


class Compensation(TimestampMixin, db.Model):
    """What a customer got for a booking conflict (seed 000's tiers)."""

    __tablename__ = "compensations"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    guest_email: Mapped[str] = mapped_column(String(254), nullable=False, index=True)
    # One compensation per conflict, and per reservation.
    conflict_id: Mapped[int | None] = mapped_column(ForeignKey("booking_conflicts.id"), unique=True)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), unique=True)
    occurrence: Mapped[int] = mapped_column(nullable=False)       # the customer's n-th conflict
    credit_minutes: Mapped[int] = mapped_column(nullable=False)
    coupon_minutes: Mapped[int] = mapped_column(default=0, nullable=False)
    priority: Mapped[bool] = mapped_column(default=False, nullable=False)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    request_id: Mapped[str | None] = mapped_column(String(100))

    coupon = relationship("Coupon")
    conflict = relationship("BookingConflict")
    reservation = relationship("Reservation")

    __table_args__ = (
        CheckConstraint("credit_minutes >= 0 AND coupon_minutes >= 0", name="minutes_non_negative"),
        CheckConstraint("conflict_id IS NOT NULL OR reservation_id IS NOT NULL", name="about_something"),
    )
