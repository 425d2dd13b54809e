"""Background work: RQ jobs (thin: load by id, call a service) and periodic jobs.

Every job function is wrapped by `job`, which runs it inside the Flask app
(created once per worker process), puts the job id and the originating
request id on every log line, and leaves no database session behind.
"""
from __future__ import annotations

import functools
import logging
import os
from typing import Any, Callable

log = logging.getLogger(__name__)

_app = None
_app_pid: int | None = None


def get_app():
    """The Flask app for this worker process (a forked work horse reuses the
    parent's app but opens its own database connections)."""
    global _app, _app_pid
    if _app is None:
        from app import create_app

        _app = create_app()
        _app_pid = os.getpid()
    elif _app_pid != os.getpid():
        from app.extensions import db

        with _app.app_context():
            db.engine.dispose(close=False)  # connections belong to the parent
        _app_pid = os.getpid()
    return _app


def job(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for RQ job functions (see module doc)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from rq import get_current_job

        from app.core.context import job_id_var, request_id_var
        from app.extensions import db

        app = get_app()
        current = get_current_job()
        job_token = job_id_var.set(current.id if current else None)
        request_token = request_id_var.set((current.meta or {}).get("request_id") if current else None)
        try:
            with app.app_context():
                from app.observability.jobs import record_job_finished, record_job_started

                run_id = record_job_started(current)  # job runs for the trace and the SLO (app.observability)
                try:
                    result = func(*args, **kwargs)
                except BaseException as exc:
                    record_job_finished(run_id, exc)
                    raise
                else:
                    record_job_finished(run_id)
                    return result
                finally:
                    db.session.remove()
        finally:
            request_id_var.reset(request_token)
            job_id_var.reset(job_token)

    return wrapper
