"""ReportRun: one row per report (kind + period), with the figures it computed.

The figures are stored as computed (JSON), so a report reads the same later, the page and
the CSV show exactly what the email said, and Today can ask whether the day's report went
out (`sent_at`). Computing the same period again updates the row (figures, `as_of`,
`times_computed`) and never sends the email a second time (unique kind + period_start).

The report's queries read other domains' tables by time; the indexes they need are declared
here (they belong to this package's migration, 0017).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.booking.models import Reservation
from app.core.db import JSONType, UTCDateTime
from app.core.models import TimestampMixin
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.notifications.models import OutboxMessage
from app.remittance.models import Payout


class ReportRun(TimestampMixin, db.Model):
    __tablename__ = "report_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # policies.KINDS
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)  # inclusive, a Korean calendar day
    # The figures count what happened before this moment (the end of the period, or the time of a
    # daily report run at 18:00 for its own day).
    as_of: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    times_computed: Mapped[int] = mapped_column(default=1, nullable=False)
    computed_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # [{"email": …, "language": …}] the email was queued for.
    recipients: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list, nullable=False)

    __table_args__ = (
        UniqueConstraint("kind", "period_start", name="uq_report_runs_kind_period_start"),
        CheckConstraint("kind IN ('daily', 'weekly', 'monthly')", name="kind_known"),
        CheckConstraint("period_end >= period_start", name="period_order"),
    )

    def __repr__(self) -> str:
        return f"<ReportRun {self.kind} {self.period_start}..{self.period_end}>"


# Time-range reads of the reports (bench/reports.py measured them on a seed-scale day).
Index("ix_reservations_created_at", Reservation.created_at)
Index("ix_ledger_entries_occurred_at", LedgerEntry.occurred_at)
Index("ix_payouts_requested_at", Payout.requested_at)
Index("ix_outbox_messages_created_at", OutboxMessage.created_at)
