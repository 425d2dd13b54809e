"""Enqueueing background jobs: always after commit, never losing work.

RQ is only the doorbell. The work itself is a database row (an outbox
message, a payout, a refund) written in the business transaction; the job
carries its id. If Redis is down the enqueue is skipped with a warning and a
periodic sweep (workers/cron.py) rings the bell again later (invariant 5).
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from redis.exceptions import RedisError

from app.core.context import current_request_id
from app.core.db import after_commit

log = logging.getLogger(__name__)

_JOB_ID = re.compile(r"^[A-Za-z0-9_\-]{1,200}$")
_ACTIVE = {"queued", "started", "scheduled", "deferred"}


def job_id_for(domain: str, job: str, key: Any) -> str:
    """`<domain>-<job>-<id>`: the only characters RQ accepts in a job id."""
    job_id = f"{domain}-{job}-{key}"
    if not _JOB_ID.match(job_id):
        raise ValueError(f"invalid job id {job_id!r}")
    return job_id


def enqueue_now(
    func_path: str,
    *args: Any,
    job_id: str,
    queue: str = "default",
    at: datetime | None = None,
    job_timeout: int = 300,
    **kwargs: Any,
) -> bool:
    """Enqueue `func_path(*args, **kwargs)`; True when Redis took it.

    A job with the same id that is still waiting or running is left alone,
    so ringing the bell twice does not queue the work twice.
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from app.extensions import get_queue, redis_connection

    if not _JOB_ID.match(job_id):
        raise ValueError(f"invalid job id {job_id!r}")
    try:
        conn = redis_connection()
        try:
            existing = Job.fetch(job_id, connection=conn)
            if existing.get_status(refresh=False) in _ACTIVE:
                return True
        except NoSuchJobError:
            pass
        q = get_queue(queue)
        meta = {"request_id": current_request_id()}
        options = dict(job_id=job_id, meta=meta, job_timeout=job_timeout,
                       result_ttl=3600, failure_ttl=7 * 24 * 3600)
        if at is not None:
            q.enqueue_at(at, func_path, *args, **options, **kwargs)
        else:
            q.enqueue(func_path, *args, **options, **kwargs)
        return True
    except RedisError as exc:
        log.warning("could not enqueue %s (%s); a periodic sweep will retry", job_id, exc)
        return False


def enqueue_after_commit(func_path: str, *args: Any, job_id: str, queue: str = "default", **kwargs: Any) -> None:
    """Enqueue once the current transaction commits (dropped on rollback)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    request_id = current_request_id()

    def _go() -> None:
        from app.core.context import request_id_var

        token = request_id_var.set(request_id)
        try:
            if has_app_context():  # hooks run in the committing thread, inside its context
                enqueue_now(func_path, *args, job_id=job_id, queue=queue, **kwargs)
            else:
                with app.app_context():
                    enqueue_now(func_path, *args, job_id=job_id, queue=queue, **kwargs)
        finally:
            request_id_var.reset(token)

    after_commit(_go)
