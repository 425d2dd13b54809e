"""Payment: one row per attempt to take money for a reservation."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONType, UTCDateTime
from app.core.models import TimestampMixin
from app.extensions import db
from app.payments.states import PaymentStatus


class Payment(TimestampMixin, db.Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id"), nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    amount: Mapped[int] = mapped_column(nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    # pending → completed | failed | canceled; completed → reversed (the bank took a deposit back).
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.PENDING, nullable=False)
    # Sum of completed refunds against this payment; never above `amount`.
    refunded_amount: Mapped[int] = mapped_column(default=0, nullable=False)
    gateway: Mapped[str | None] = mapped_column(String(40))
    gateway_charge_id: Mapped[str | None] = mapped_column(String(100), index=True)
    card_token: Mapped[str | None] = mapped_column(String(100))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    card_brand: Mapped[str | None] = mapped_column(String(20))
    failure_code: Mapped[str | None] = mapped_column(String(40))
    failure_message: Mapped[str | None] = mapped_column(Text)
    deposit_reference: Mapped[str | None] = mapped_column(String(40))
    payer_name: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    request_id: Mapped[str | None] = mapped_column(String(100))

    reservation = relationship("Reservation", backref="payments")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refunded_within_amount"),
        Index("ix_payments_status_created", "status", "created_at"),
    )

    @property
    def refundable_amount(self) -> int:
        return self.amount - self.refunded_amount if self.status == PaymentStatus.COMPLETED else 0
