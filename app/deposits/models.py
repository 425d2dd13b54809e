"""BankStatement, StatementLine, StatementGap, ImportRun and CsvMapping.

A statement line is unique per account by its `dedupe_key`: the bank's own
line id where the format has one, else the line's date, amount, memo and
running balance (or its ordinal among identical lines). Re-importing a file or
an overlapping export therefore adds nothing twice, while two genuinely
identical deposits (different running balance or ordinal) both count.

Every line has a `kind` (LineKind: money in, a payout, a bank fee, a reversal,
a returned payout, a pending entry, a gateway's settlement, anything else) and
says what it did; an account's statements chain by their balances, and a break
in the chain is a StatementGap until the missing statement is imported.
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
    OUTGOING = "outgoing"  # not a deposit to decide (money out, a fee, a reversal, a return): shown
    PENDING = "pending"    # not yet booked by the bank (CAMT Sts=PDNG): shown, pays nothing, no balance


class LineKind:
    """What a statement line is (the import sets it; see app.deposits.directions)."""

    DEPOSIT = "deposit"                        # money in that may pay a booking
    PAYOUT = "payout"                          # money out: one of our payouts
    FEE = "fee"                                # money out: the bank's charge
    REVERSAL = "reversal"                      # the bank took back a credit (or undid a debit)
    PAYOUT_RETURN = "payout_return"            # a payout of ours came back
    PENDING = "pending"                        # not yet booked (comes again, booked, later)
    GATEWAY_SETTLEMENT = "gateway_settlement"  # the card gateway paying out card money
    OTHER = "other"                            # any other money out


LINE_KINDS = (LineKind.DEPOSIT, LineKind.PAYOUT, LineKind.FEE, LineKind.REVERSAL, LineKind.PAYOUT_RETURN,
              LineKind.PENDING, LineKind.GATEWAY_SETTLEMENT, LineKind.OTHER)


class ImportRun(TimestampMixin, db.Model):
    """One import of one file: who, what, and how every line came out (the result page)."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    source_format: Mapped[str] = mapped_column(String(10), nullable=False)
    file_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    lines_in_file: Mapped[int] = mapped_column(default=0, nullable=False)
    already_imported: Mapped[int] = mapped_column(default=0, nullable=False)
    # ImportResult.counts, and the account's open balance gaps after the import.
    counts: Mapped[dict[str, int]] = mapped_column(JSONType, nullable=False)
    gaps: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    actor_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))

    statements = relationship("BankStatement", back_populates="run", order_by="BankStatement.id")


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
    # The bank's statement id (CAMT Stmt/Id, MT940 :20:/:28C:), whether the bank marked this
    # file a copy (CAMT CpyDplctInd=DUPL), and the days it covers.
    statement_id: Mapped[str | None] = mapped_column(String(100))
    copy_duplicate: Mapped[bool] = mapped_column(default=False, nullable=False)
    from_date: Mapped[date | None] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"), index=True)

    lines = relationship("StatementLine", back_populates="statement", order_by="StatementLine.id")
    run = relationship("ImportRun", back_populates="statements")

    __table_args__ = (Index("ix_bank_statements_account_to_date", "account", "to_date"),)


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
    kind: Mapped[str] = mapped_column(String(20), default=LineKind.DEPOSIT, nullable=False)
    pending: Mapped[bool] = mapped_column(default=False, nullable=False)
    # Our transfer reference as the bank reports it (CAMT EndToEndId, MT940 :61: reference),
    # the bank's transaction code, and a returned transfer's reason code (e.g. AC04).
    our_ref: Mapped[str | None] = mapped_column(String(100))
    bank_code: Mapped[str | None] = mapped_column(String(40))
    return_reason: Mapped[str | None] = mapped_column(String(20))
    # The payout this line is (or is the fee or the return of), and the line a reversal undoes.
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), index=True)
    reverses_line_id: Mapped[int | None] = mapped_column(ForeignKey("statement_lines.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=LineStatus.NEEDS_DECISION, nullable=False)
    # What the matcher found (app.deposits.matching.PROBLEMS) and the booking(s) it points at; for
    # a payout proposal the payouts it may be, for a reversal waiting for a person the bookings it un-paid.
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
    payout = relationship("Payout")
    reverses = relationship("StatementLine", remote_side=[id], foreign_keys=[reverses_line_id])

    __table_args__ = (
        UniqueConstraint("account", "dedupe_key", name="uq_statement_lines_account_dedupe_key"),
        Index("ix_statement_lines_status_booked", "status", "booked_on"),
        Index("ix_statement_lines_account_amount", "account", "amount"),
    )

    @property
    def is_deposit(self) -> bool:
        return self.kind == LineKind.DEPOSIT and self.amount > 0 and not self.reversal


class StatementGap(TimestampMixin, db.Model):
    """A break in an account's balance chain: `after`'s opening balance is not `before`'s
    closing one, so a statement in between is missing. Closed when it is imported."""

    __tablename__ = "statement_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    currency: Mapped[str] = mapped_column(String(3), default="KRW", nullable=False)
    before_statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"), nullable=False)
    after_statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"), nullable=False)
    expected_opening: Mapped[int] = mapped_column(BigInteger, nullable=False)  # `before`'s closing
    found_opening: Mapped[int] = mapped_column(BigInteger, nullable=False)     # `after`'s opening
    from_date: Mapped[date | None] = mapped_column(Date)  # the missing days lie between these
    to_date: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_statement_id: Mapped[int | None] = mapped_column(ForeignKey("bank_statements.id"))

    before = relationship("BankStatement", foreign_keys=[before_statement_id])
    after = relationship("BankStatement", foreign_keys=[after_statement_id])

    __table_args__ = (
        UniqueConstraint("before_statement_id", "after_statement_id", name="uq_statement_gaps_before_after"),
    )


class CsvMapping(TimestampMixin, db.Model):
    """Which CSV column means what, remembered per bank (proposed on the next upload)."""

    __tablename__ = "csv_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    columns: Mapped[dict[str, str]] = mapped_column(JSONType, nullable=False)
