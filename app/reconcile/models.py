"""ReconciliationRun, ReconciliationItem and SettlementFile.

A run is one row per (business date, source): reconciling the same day again
updates it (status, totals, match rate), so the day's figures are always the
latest. An item is one difference, identified by a natural key (the
transaction, payout, statement line or day it is about), so a re-run finds the
same item again instead of adding a second one; the run that last saw it is
`run_id`. A settlement file is stored once per content (sha256).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONType, UTCDateTime, utcnow_default
from app.core.models import TimestampMixin
from app.extensions import db
from app.reconcile.policies import ItemStatus, RunStatus


class ReconciliationRun(TimestampMixin, db.Model):
    __tablename__ = "reconciliation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(String(12), nullable=False)  # policies.SOURCES
    status: Mapped[str] = mapped_column(String(10), default=RunStatus.RUNNING, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    trigger: Mapped[str] = mapped_column(String(10), default="schedule", nullable=False)
    times_run: Mapped[int] = mapped_column(default=0, nullable=False)
    # Per side: how many rows and their signed sum (our ledger / the file or the statement).
    internal_count: Mapped[int] = mapped_column(default=0, nullable=False)
    internal_amount: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    external_count: Mapped[int] = mapped_column(default=0, nullable=False)
    external_amount: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    matched_count: Mapped[int] = mapped_column(default=0, nullable=False)
    total_count: Mapped[int] = mapped_column(default=0, nullable=False)
    # MATCHED / TOTAL (seed 001's SLO); None for a day with nothing to reconcile.
    match_rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    currency: Mapped[str] = mapped_column(String(3), default="KRW", nullable=False)
    # Figures the summary page shows beside the totals (fees, net, the file used, counts by type).
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)

    items = relationship("ReconciliationItem", back_populates="run")

    __table_args__ = (
        UniqueConstraint("business_date", "source", name="uq_reconciliation_runs_business_date_source"),
        CheckConstraint("status IN ('running', 'completed', 'failed')", name="status_known"),
        CheckConstraint("source IN ('gateway', 'payouts', 'settlement')", name="source_known"),
    )

    def __repr__(self) -> str:
        return f"<ReconciliationRun {self.business_date} {self.source} {self.status}>"


class ReconciliationItem(TimestampMixin, db.Model):
    __tablename__ = "reconciliation_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    # What the item is about, e.g. "gateway:tx:ch_3f9a", "payouts:payout:12", "settlement:day:2026-12-07".
    natural_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    source: Mapped[str] = mapped_column(String(12), nullable=False)
    # The business date it belongs to (the earlier day of a pair recorded on different days).
    business_date: Mapped[date] = mapped_column(Date, nullable=False)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id"), nullable=False, index=True)
    type: Mapped[str] = mapped_column(String(24), nullable=False)
    # Both sides as found: our ledger rows (ids, kinds, amounts, dates) / the external row's fields.
    internal: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    external: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # What the actions need to know (the payment, refund or payout concerned; what can be asked).
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    internal_amount: Mapped[int | None] = mapped_column(BigInteger)
    external_amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="KRW", nullable=False)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    status: Mapped[str] = mapped_column(String(10), default=ItemStatus.OPEN, nullable=False)
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What an action did (e.g. the gateway's refund id, the payment's new status).
    resolution_details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    run = relationship("ReconciliationRun", back_populates="items")
    owner = relationship("Operator")
    reservation = relationship("Reservation")

    __table_args__ = (
        CheckConstraint("status IN ('open', 'resolved')", name="status_known"),
        CheckConstraint("type IN ('AMOUNT_MISMATCH', 'STATUS_MISMATCH', 'GHOST_TRANSACTION', 'TIMING_MISMATCH', "
                        "'INTERNAL_ONLY', 'EXTERNAL_ONLY')", name="type_known"),
        Index("ix_reconciliation_items_status_due", "status", "due_at"),
        Index("ix_reconciliation_items_date_source", "business_date", "source"),
    )

    @property
    def difference(self) -> int:
        """External minus internal (a missing side counts as 0)."""
        return (self.external_amount or 0) - (self.internal_amount or 0)

    def __repr__(self) -> str:
        return f"<ReconciliationItem {self.natural_key} {self.type} {self.status}>"


class SettlementFile(db.Model):
    """A gateway settlement file as received (fetched from the gateway or uploaded), kept whole."""

    __tablename__ = "settlement_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    business_date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    gateway: Mapped[str] = mapped_column(String(40), nullable=False)
    origin: Mapped[str] = mapped_column(String(10), nullable=False)  # fetched | uploaded
    file_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    row_count: Mapped[int] = mapped_column(nullable=False)
    total_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total_fee: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total_net: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    received_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)

    __table_args__ = (CheckConstraint("origin IN ('fetched', 'uploaded')", name="origin_known"),)
