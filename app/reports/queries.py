"""Read helpers of the reports: the stored runs, and whether a report went out (Today's closing check)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from app.extensions import db
from app.reports.models import ReportRun


def report_sent_at(kind: str, period_start: date) -> datetime | None:
    """When the report of `kind` starting on `period_start` was emailed; None if it was not (yet)."""
    return db.session.scalar(select(ReportRun.sent_at).where(ReportRun.kind == kind,
                                                             ReportRun.period_start == period_start))


def get_run(kind: str, period_start: date) -> ReportRun | None:
    return db.session.scalar(select(ReportRun).where(ReportRun.kind == kind, ReportRun.period_start == period_start))


def list_runs(kind: str | None = None, limit: int = 60) -> list[ReportRun]:
    """The latest runs, newest period first."""
    query = select(ReportRun).order_by(ReportRun.period_start.desc(), ReportRun.kind).limit(limit)
    if kind:
        query = query.where(ReportRun.kind == kind)
    return list(db.session.scalars(query))
