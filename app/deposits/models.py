"""BankStatement, StatementLine and CsvMapping.

A statement line is unique per account by its `dedupe_key`: the bank's own
line id where the format has one, else the line's date, amount, memo and
running balance (or its ordinal among identical lines). Re-importing a file or
an overlapping export therefore adds nothing twice, while two genuinely
identical deposits (different running balance or ordinal) both count.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONType, UTCDateTime
from app.core.models import TimestampMixin
from app.extensions import db


class LineStatus:
    NEEDS_DECISION = "needs_decision"
    DONE = "done"
    OUTGOING = "outgoing"  # a withdrawal or a reversal: shown, nothing to decide


class BankStatement(TimestampMixin, db.Model):
    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    source_format: Mapped[str] = mapped_column(String(10), nullable=False)  # csv | mt940 | camt053
    bank: Mapped[str] = mapped_column(String(60), default="", nullable=False)
    account: Mapped[str] = mapped_column(String(60), nullable=False)
    file_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    currency: Mapped[str] = mapped_column(String(3), default="KRW", nullable=False)
    opening_balance: Mapped[int | None] = mapped_column(BigInteger)
    closing_balance: Mapped[int | None] = mapped_column(BigInteger)
    lines_in_file: Mapped[int] = mapped_column(default=0, nullable=False)
    lines_new: Mapped[int] = mapped_column(default=0, nullable=False)
    # Set when a manager imported a statement whose balances do not add up.
    override_reason: Mapped[str | None] = mapped_column(Text)
    balance_problems: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))

    lines = relationship("StatementLine", back_populates="statement", order_by="StatementLine.id")


class StatementLine(TimestampMixin, db.Model):
    __tablename__ = "statement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"), nullable=False, index=True)
    account: Mapped[str] = mapped_column(String(60), nullable=False)
    dedupe_key: Mapped[str] = mapped_column(String(300), nullable=False)
    booked_on: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)  # + money in, - money out
    currency: Mapped[str] = mapped_column(String(3), default="KRW", nullable=False)
    memo: Mapped[str] = mapped_column(Text, default="", nullable=False)
    depositor: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    bank_ref: Mapped[str | None] = mapped_column(String(100))
    running_balance: Mapped[int | None] = mapped_column(BigInteger)
    reversal: Mapped[bool] = mapped_column(default=False, nullable=False)
    status: Mapped[str] = mapped_column(String(20), default=LineStatus.NEEDS_DECISION, nullable=False)
    # What the matcher found (app.deposits.matching.PROBLEMS) and the booking(s) it points at.
    problem: Mapped[str | None] = mapped_column(String(20))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)
    proposals: Mapped[list[int] | None] = mapped_column(JSONType)
    # What was decided, by whom, why; and what it created.
    outcome: Mapped[str | None] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    payment_ids: Mapped[list[int] | None] = mapped_column(JSONType)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))

    statement = relationship("BankStatement", back_populates="lines")
    reservation = relationship("Reservation")

    __table_args__ = (
        UniqueConstraint("account", "dedupe_key", name="uq_statement_lines_account_dedupe_key"),
        Index("ix_statement_lines_status_booked", "status", "booked_on"),
    )

    @property
    def is_deposit(self) -> bool:
        return self.amount > 0 and not self.reversal


class CsvMapping(TimestampMixin, db.Model):
    """Which CSV column means what, remembered per bank (proposed on the next upload)."""

    __tablename__ = "csv_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    columns: Mapped[dict[str, str]] = mapped_column(JSONType, nullable=False)
