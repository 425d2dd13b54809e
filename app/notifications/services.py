"""Queueing customer notifications (the outbox)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core import clock
from app.core.context import current_request_id
from app.core.jobs import enqueue_after_commit, job_id_for
from app.extensions import db
from app.notifications.models import OutboxMessage, OutboxStatus
from app.notifications.policies import EMAIL, EVENT_CHANNELS, SMS


def queue_notification(
    event: str,
    *,
    reservation=None,
    key: str,
    context: dict[str, Any] | None = None,
    recipient_email: str | None = None,
    recipient_phone: str | None = None,
    language: str | None = None,
) -> list[OutboxMessage]:
    """Add the event's messages to the current transaction's outbox.

    `key` makes the message unique (e.g. the reservation's id): queueing the
    same event with the same key again adds nothing, so a retried request or
    a job that runs twice never sends twice. Sending is enqueued after commit.
    """
    if event not in EVENT_CHANNELS:
        raise ValueError(f"unknown notification event {event!r}")
    email = recipient_email or (reservation.guest_email if reservation is not None else None)
    phone = recipient_phone or (reservation.guest_phone if reservation is not None else None)
    lang = language or (reservation.language if reservation is not None else "ko")
    created = []
    for channel in EVENT_CHANNELS[event]:
        recipient = email if channel == EMAIL else phone if channel == SMS else None
        if not recipient:
            continue
        dedupe_key = f"{event}:{channel}:{key}"
        exists = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        if exists:
            continue
        message = OutboxMessage(
            event=event, channel=channel, recipient=recipient, language=lang,
            reservation_id=reservation.id if reservation is not None else None,
            dedupe_key=dedupe_key, context=context or {}, status=OutboxStatus.PENDING,
            next_attempt_at=clock.now(), request_id=current_request_id(),
        )
        try:
            with db.session.begin_nested():  # a concurrent twin loses quietly
                db.session.add(message)
        except IntegrityError:
            continue
        enqueue_after_commit("workers.jobs.notifications.send_message", message.id,
                             job_id=job_id_for("notifications", "send", message.id), queue="default")
        created.append(message)
    return created
