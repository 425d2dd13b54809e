"""Housekeeping jobs."""
from app.core import idempotency
from workers import job


@job
def purge_idempotency_keys() -> int:
    """Daily (seed 001: 04:00): delete idempotency keys past their expiry. Safe to run twice."""
    return idempotency.purge_expired()
