"""Refund jobs: thin wrappers (ids in, a service call) — the service does the re-checks."""
from app.refunds import card
from workers import job


@job
def run_card_refund(refund_id: int) -> str:
    """Send a processing card refund to the gateway (job id `refunds-card-<id>`). Safe to run
    twice: the gateway's idempotency key is derived from the refund, so it refunds once."""
    return card.run_card_refund(refund_id)


@job
def run_refund_check(refund_id: int, number: int) -> str:
    """Check `number` of a card refund the gateway did not answer (job id `refunds-check-<id>-<n>`,
    enqueued for its time). Safe to run twice: it re-reads the refund, and a resend uses the same key."""
    return card.run_refund_check(refund_id, number)


@job
def sweep_card_refunds() -> dict:
    """Every minute: ring the card refund checks that are due and were not rung. Safe to run twice."""
    return card.sweep_card_refunds()
