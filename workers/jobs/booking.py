"""Booking jobs: ending holds that were never paid."""
from app.booking import services
from workers import job


HELPER_JOB = "workers.jobs.booking.expire_holds_helper"
HELPER_JOB_ID = "booking-expire_holds-helper"


@job
def expire_holds() -> int:
    """Every minute: cancel pending card bookings past their hold, free their
    rooms once, tell the guest. Batched; safe to run twice or concurrently.

    A backlog (the first batch was full) brings in one more worker: a helper
    job on the same queue takes batches alongside (the batches skip each
    other's rows), so a large expiry finishes sooner where more than one
    worker process runs, and costs nothing more where one does."""
    return services.expire_due_holds(on_backlog=_call_a_helper)


@job
def expire_holds_helper() -> int:
    """A second pair of hands for a backlog of expired holds (see expire_holds)."""
    return services.expire_due_holds()


def _call_a_helper() -> None:
    from rq import get_current_job

    from app.core.jobs import enqueue_now

    current = get_current_job()
    enqueue_now(HELPER_JOB, job_id=HELPER_JOB_ID, queue=current.origin if current else "high", job_timeout=900)


@job
def cancel_unpaid_bank_transfers() -> int:
    """Every 5 minutes: cancel bank-transfer bookings whose deposit did not
    arrive within their 24-hour hold. Safe to run twice or concurrently."""
    return services.cancel_unpaid_bank_transfers()
