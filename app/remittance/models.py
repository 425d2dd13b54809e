"""Payout, PayoutAttempt, OperatingFund and FundEntry.

A payout's state, its attempts and its next-attempt time live here; RQ only
rings the bell. The account number is stored (the bank needs it) but shown
masked everywhere (`masked_account`) and never logged.
"""
from __future__ import annotations

from datetime import datetime
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONType, UTCDateTime, utcnow_default
from app.core.models import TimestampMixin
from app.extensions import db
from app.remittance.policies import BankAccount, mask_account
from app.remittance.states import AttemptOutcome, BreakerState, PayoutStatus


class PayoutPurpose:
    REFUND = "refund"          # paying a customer's refund back by bank transfer
    SETTLEMENT = "settlement"  # paying a partner (e.g. a hotel)


class Payout(TimestampMixin, db.Model):
    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), index=True)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    bank_code: Mapped[str] = mapped_column(String(3), nullable=False)
    account_number: Mapped[str] = mapped_column(String(20), nullable=False)
    account_holder: Mapped[str] = mapped_column(String(50), nullable=False)
    memo: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    # Our transfer id: the bank's idempotency key. One per payout, for its whole
    # life, so the bank can never move this payout's money twice.
    transfer_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(String(24), default=PayoutStatus.REQUESTED, nullable=False)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    # A round is the first send and its automatic retries; a person's retry starts a new one.
    round_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    round_failures: Mapped[int] = mapped_column(default=0, nullable=False)
    attempt_count: Mapped[int] = mapped_column(default=0, nullable=False)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held_reason: Mapped[str | None] = mapped_column(String(30))
    last_failure_type: Mapped[str | None] = mapped_column(String(30))
    abandon_reason: Mapped[str | None] = mapped_column(String(30))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bank_reference: Mapped[str | None] = mapped_column(String(60))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reference: Mapped[str | None] = mapped_column(String(100))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"))
    # Delay notices (policies.DELAY_NOTICES stages) already queued for the customer.
    delay_notices: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(100))

    refund = relationship("Refund")
    reservation = relationship("Reservation")
    attempts = relationship("PayoutAttempt", order_by="PayoutAttempt.number", back_populates="payout")

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("attempt_count >= 0 AND round_failures >= 0", name="counters_non_negative"),
        Index("ix_payouts_status_next", "status", "next_attempt_at"),
    )

    @property
    def account(self) -> BankAccount:
        return BankAccount(self.bank_code, self.account_number, self.account_holder)

    @property
    def masked_account(self) -> str:
        return mask_account(self.account_number)

    def __repr__(self) -> str:
        return f"<Payout {self.public_id} {self.status} {self.amount} {self.currency}>"


class PayoutAttempt(db.Model):
    """One try at the bank: written (outcome `sending`) before the request goes out."""

    __tablename__ = "payout_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"), nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    bank_code: Mapped[str] = mapped_column(String(3), nullable=False)
    account_masked: Mapped[str] = mapped_column(String(20), nullable=False)
    outcome: Mapped[str] = mapped_column(String(12), default=AttemptOutcome.SENDING, nullable=False)
    failure_type: Mapped[str | None] = mapped_column(String(30))
    failure_message: Mapped[str | None] = mapped_column(Text)
    bank_reference: Mapped[str | None] = mapped_column(String(60))
    # How the outcome became known: the bank's answer, or a status inquiry afterwards.
    resolved_by: Mapped[str | None] = mapped_column(String(10))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    latency_ms: Mapped[int | None] = mapped_column()
    sends: Mapped[int] = mapped_column(default=0, nullable=False)
    job_id: Mapped[str | None] = mapped_column(String(120))
    request_id: Mapped[str | None] = mapped_column(String(100))

    payout = relationship("Payout", back_populates="attempts")

    __table_args__ = (
        UniqueConstraint("payout_id", "number", name="uq_payout_attempts_payout_number"),
        Index("ix_payout_attempts_outcome", "outcome"),
    )


class OperatingFund(TimestampMixin, db.Model):
    """The payout account's balance as we know it (one row per currency).

    Every change is a FundEntry written with a guarded update of this row, in the
    same transaction; the breaker state is stored here and changes with it.
    """

    __tablename__ = "operating_funds"

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), unique=True, nullable=False)
    balance: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    breaker_state: Mapped[str] = mapped_column(String(10), default=BreakerState.OPEN, nullable=False)
    level: Mapped[str] = mapped_column(String(20), default="breaker_open", nullable=False)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)

    __table_args__ = (CheckConstraint("balance >= 0", name="balance_non_negative"),)


class FundEntryKind:
    TOP_UP = "top_up"                      # a manager put money in
    PAYOUT_DEBIT = "payout_debit"          # a payout was sent
    PAYOUT_REVERSAL = "payout_reversal"    # the bank refused it: the money never left
    RETURN_CREDIT = "return_credit"        # a completed payout came back


class FundEntry(db.Model):
    """One line of the fund's ledger. Never changed; `dedupe_key` makes each once."""

    __tablename__ = "fund_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("operating_funds.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)   # signed: + in, - out
    balance_after: Mapped[int] = mapped_column(BigInteger, nullable=False)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    actor_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(100))
    payout = relationship("Payout")

    __table_args__ = (Index("ix_fund_entries_created_at", "created_at"),)
