"""Notification jobs: send one message; relay the outbox."""
from app.notifications import delivery, relay
from workers import job


@job
def send_message(message_id: int) -> str:
    """Send one outbox message (claim → re-check → render → send → record).
    Safe to run twice: only a due `pending` row is ever claimed."""
    return delivery.send_message(message_id)


@job
def relay_outbox() -> dict:
    """Every minute: take back abandoned sends, enqueue due messages that have no
    live job (Redis restarted, keys evicted, retries). Safe to run twice."""
    return relay.relay_outbox()


@job
def ring_doorbells(event: str, reservation_ids: list[int]) -> int:
    """After a bulk insert (hold expiry): enqueue a send job for each pending,
    due `event` message of these bookings that has no live job. Safe to run twice."""
    return relay.ring_for_reservations(event, reservation_ids)
