"""The observability package's only state changes: housekeeping of its own tables."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete

from app.core import clock
from app.extensions import db
from app.observability.models import JobRun, RequestMetric


def purge_old_figures() -> dict[str, int]:
    """Delete request-duration minutes and job runs older than their keep days (REQUEST_METRICS_KEEP_DAYS,
    JOB_RUNS_KEEP_DAYS); returns rows deleted per table. One transaction; safe to run twice."""
    now = clock.now()
    metrics_cutoff = now - timedelta(days=int(current_app.config["REQUEST_METRICS_KEEP_DAYS"]))
    runs_cutoff = now - timedelta(days=int(current_app.config["JOB_RUNS_KEEP_DAYS"]))
    metrics = db.session.execute(delete(RequestMetric).where(RequestMetric.minute < metrics_cutoff)).rowcount or 0
    runs = db.session.execute(delete(JobRun).where(JobRun.started_at < runs_cutoff)).rowcount or 0
    db.session.commit()
    return {"request_metrics": metrics, "job_runs": runs}
