"""ApprovalRequest: one money movement waiting for a second person.

The recipient account of an account change is kept as payouts keep it (the number is
needed to send, app.remittance.models.Payout): in its own columns, shown masked
everywhere (`masked_account`) and never logged or copied into `params` or the audit log.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONType, UTCDateTime
from app.core.models import TimestampMixin
from app.extensions import db
from app.remittance.policies import BankAccount, mask_account


class ApprovalStatus:
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"

    ALL = (PENDING, APPROVED, REFUSED, WITHDRAWN)


class ApprovalRequest(TimestampMixin, db.Model):
    __tablename__ = "approval_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    subject_type: Mapped[str] = mapped_column(String(40), nullable=False)
    subject_id: Mapped[int] = mapped_column(nullable=False)
    subject_public_id: Mapped[str | None] = mapped_column(String(40))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)
    amount: Mapped[int] = mapped_column(nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    params: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    bank_code: Mapped[str | None] = mapped_column(String(10))
    account_number: Mapped[str | None] = mapped_column(String(20))
    account_holder: Mapped[str | None] = mapped_column(String(50))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), nullable=False)
    requested_by_name: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), default=ApprovalStatus.PENDING, nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    stale: Mapped[bool] = mapped_column(default=False, nullable=False)

    requested_by = relationship("Operator", foreign_keys=[requested_by_id])
    decided_by = relationship("Operator", foreign_keys=[decided_by_id])
    reservation = relationship("Reservation")

    __table_args__ = (
        CheckConstraint("amount >= 0", name="approval_amount_non_negative"),
        CheckConstraint("status IN ('pending', 'approved', 'refused', 'withdrawn')", name="approval_status_known"),
        Index("ix_approval_requests_status_created", "status", "created_at"),
        Index("ix_approval_requests_subject", "subject_type", "subject_id"),
        # One waiting request per movement of a subject: a double click asks once.
        Index("uq_approval_requests_pending_subject", "kind", "subject_type", "subject_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    @property
    def account(self) -> BankAccount | None:
        if not self.account_number:
            return None
        return BankAccount(self.bank_code or "", self.account_number, self.account_holder or "")

    @property
    def masked_account(self) -> str | None:
        return mask_account(self.account_number) if self.account_number else None

    @property
    def is_pending(self) -> bool:
        return self.status == ApprovalStatus.PENDING
