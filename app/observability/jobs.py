"""Job runs: when each RQ job started and how it ended, with the request that caused it.

Called by the job wrapper (workers.job). Written in short transactions of
their own, before and after the job's work, so a job's rollback never erases
its run and a recording problem never fails the job.
"""
from __future__ import annotations

import logging

from sqlalchemy import update

from app.core import clock
from app.extensions import db
from app.observability.models import JobRun

log = logging.getLogger(__name__)


def record_job_started(job) -> int | None:
    """Insert a `started` run for the RQ `job`; returns its id (None when it could not be written)."""
    if job is None:
        return None
    try:
        run = JobRun(job_id=str(job.id)[:200], func=str(job.func_name or "")[:200],
                     queue=(job.origin or None), request_id=((job.meta or {}).get("request_id") or None),
                     status="started", started_at=clock.now())
        db.session.add(run)
        db.session.commit()
        return run.id
    except Exception:  # noqa: BLE001 - recording must never stop the job
        db.session.rollback()
        log.warning("could not record the start of job %s", getattr(job, "id", "?"), exc_info=True)
        return None


def record_job_finished(run_id: int | None, error: BaseException | None = None) -> None:
    """Mark the run `finished` (or `failed` with the error's type and message). Safe to call twice."""
    if run_id is None:
        return
    try:
        db.session.rollback()  # whatever the job left half-done is not ours to commit
        values = {"status": "failed" if error is not None else "finished", "finished_at": clock.now()}
        if error is not None:
            values["error"] = f"{error.__class__.__name__}: {error}"[:2000]
        db.session.execute(update(JobRun).where(JobRun.id == run_id, JobRun.status == "started").values(**values))
        db.session.commit()
    except Exception:  # noqa: BLE001
        db.session.rollback()
        log.warning("could not record the end of job run %s", run_id, exc_info=True)
