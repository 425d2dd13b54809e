"""Ringing a job at a time, and the safety net taking over a ring that is late.

RQ is only the doorbell; the database holds what is due and when (a payout's
`next_attempt_at`, a card refund's `next_check_at`). Two ways ring it:

- `schedule_after_commit`: once the transaction commits, the job is put in RQ's
  ScheduledJobRegistry for that moment (`enqueue_at`); the worker's scheduler
  (`rq worker --with-scheduler`) enqueues it then, so a retry runs on time instead
  of at the next minute sweep. RQ keeps whole seconds and enqueues a job when its
  second has begun, so the time is rounded UP to the second: the job never runs
  before the database says it is due (it would find "not due yet" and do nothing).
- `enqueue_due`: the minute sweeps ring what the database says is due. A job of that
  id still waiting in the ScheduledJobRegistry (the scheduler is late or down) is
  moved to its queue now. Whoever removes it from the registry enqueues it, so the
  sweep and the scheduler rarely both do; when they do, the job's own re-check under
  a lock makes the second run change nothing.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from app.core.jobs import enqueue_after_commit, enqueue_now

log = logging.getLogger(__name__)


def whole_second_after(at: datetime) -> datetime:
    """`at` rounded up to the whole second (RQ's scheduler keeps whole seconds)."""
    if at.microsecond:
        return at.replace(microsecond=0) + timedelta(seconds=1)
    return at


def schedule_after_commit(func_path: str, *args: Any, job_id: str, queue: str, at: datetime,
                          **kwargs: Any) -> None:
    """Enqueue `func_path(*args)` for `at` once the current transaction commits (dropped on rollback)."""
    enqueue_after_commit(func_path, *args, job_id=job_id, queue=queue, at=whole_second_after(at), **kwargs)


def enqueue_due(func_path: str, *args: Any, job_id: str, queue: str, **kwargs: Any) -> bool:
    """Enqueue a job the database says is due now; True when Redis has it waiting or running.

    A job of this id that RQ's scheduler has not moved yet is moved to its queue now.
    """
    from app.extensions import get_queue, redis_connection

    try:
        conn = redis_connection()
        job = Job.fetch(job_id, connection=conn)
        if job.get_status(refresh=False) == "scheduled":
            registry = ScheduledJobRegistry(job.origin, connection=conn)
            if conn.zrem(registry.key, job.id):
                log.info("taking over the scheduled job %s (the scheduler has not run it)", job_id)
                get_queue(job.origin).enqueue_job(job)
                return True
    except NoSuchJobError:
        pass
    except RedisError as exc:
        log.warning("could not ring %s (%s); the next sweep will", job_id, exc)
        return False
    return enqueue_now(func_path, *args, job_id=job_id, queue=queue, **kwargs)
