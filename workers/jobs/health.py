"""Health job: the heartbeat that proves the clock and the workers both run."""
from rq import get_current_job

from app.ops import health
from workers import job


@job
def record_health_snapshot() -> dict:
    """Every minute: write the `periodic-jobs` heartbeat (which worker ran it,
    when the clock enqueued it, queue sizes). Safe to run twice."""
    current = get_current_job()
    worker = getattr(current, "worker_name", None) if current is not None else None
    return health.record_health_snapshot(worker_name=worker,
                                         enqueued_at=current.enqueued_at if current is not None else None)
