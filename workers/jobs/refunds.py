"""Refund jobs: thin wrappers (ids in, a service call) — the service does the re-checks."""
from app.refunds import decisions
from workers import job


@job
def run_card_refund(refund_id: int) -> str:
    """Send a processing card refund to the gateway (job id `refunds-card-<id>`). Safe to run
    twice: the gateway's idempotency key is derived from the refund, so it refunds once."""
    return decisions.run_card_refund(refund_id)
