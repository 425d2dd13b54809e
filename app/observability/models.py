"""RequestMetric (request durations per route and minute) and JobRun (one background job's run).

RequestMetric is an aggregate, not a log: one row per (minute, route, method,
status class) with a count, the summed and largest duration and a fixed
latency histogram (`BUCKETS_MS`), so a percentile over any range is a SUM over
rows. JobRun is one execution of an RQ job: its id, the request that caused
it, when it started and finished and how it ended (for the trace and the
"failed jobs = 0" service level).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime
from app.extensions import db

#: Upper bounds (milliseconds, inclusive) of the latency buckets; the last bucket is everything slower.
#: 500 is a bound so "API p95 < 500 ms" is read exactly off the histogram.
BUCKETS_MS: tuple[int, ...] = (5, 10, 25, 50, 100, 200, 300, 500, 750, 1000, 2500, 5000, 10000)
#: Column names of the buckets, fastest first; the last one (le_inf) has no upper bound.
BUCKET_COLUMNS: tuple[str, ...] = tuple(f"le_{b}" for b in BUCKETS_MS) + ("le_inf",)


class RequestMetric(db.Model):
    __tablename__ = "request_metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    minute: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    route: Mapped[str] = mapped_column(String(200), nullable=False)      # the URL rule, e.g. /v1/reservations
    endpoint: Mapped[str] = mapped_column(String(100), nullable=False)   # e.g. api.create_reservation
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    status_class: Mapped[str] = mapped_column(String(3), nullable=False)  # 2xx, 3xx, 4xx, 5xx
    count: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    total_ms: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    max_ms: Mapped[float] = mapped_column(Float, default=0.0, nullable=False)
    le_5: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_10: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_25: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_50: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_100: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_200: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_300: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_500: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_750: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_1000: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_2500: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_5000: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_10000: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    le_inf: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)

    __table_args__ = (
        UniqueConstraint("minute", "route", "endpoint", "method", "status_class",
                         name="uq_request_metrics_minute_route"),
        Index("ix_request_metrics_minute", "minute"),
    )


class JobRun(db.Model):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(200), nullable=False)
    func: Mapped[str] = mapped_column(String(200), nullable=False)
    queue: Mapped[str | None] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="started", nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("status IN ('started', 'finished', 'failed')", name="status_known"),
        Index("ix_job_runs_request_id", "request_id"),
        Index("ix_job_runs_job_id", "job_id"),
        Index("ix_job_runs_started_at", "started_at"),
    )

    def __repr__(self) -> str:
        return f"<JobRun {self.job_id} {self.status}>"
