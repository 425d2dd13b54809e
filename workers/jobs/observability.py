"""Observability housekeeping (app.observability)."""
from workers import job


@job
def purge_old_figures() -> dict:
    """Daily: delete request-duration minutes older than REQUEST_METRICS_KEEP_DAYS and job runs older than
    JOB_RUNS_KEEP_DAYS (default 90 each). Safe to run twice."""
    from app.observability.services import purge_old_figures as purge

    return purge()
