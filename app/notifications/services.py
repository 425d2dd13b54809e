"""Customer notifications: queueing them (the outbox) and a person's Resend.

A notification is first a row in `outbox_messages`, added in the same
transaction as the business change that causes it (DESIGN invariant 5).
Sending is only enqueued after that transaction commits; if Redis is down
then, the relay (app.notifications.relay) enqueues it later. The worker's
side is app.notifications.delivery.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from app.core import audit, clock
from app.core.actor import Actor, current_actor
from app.core.context import current_request_id
from app.core.db import among, insert_unless_present, is_postgres, run_in_transaction
from app.core.errors import IllegalTransition, NotFound
from app.core.jobs import enqueue_after_commit, job_id_for
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.policies import (EMAIL, EVENT_CHANNELS, OPERATOR_CHANNELS, OPERATOR_MESSAGE, SMS,
                                        missing_context)
from app.notifications.relay import RING_JOB, SEND_JOB, send_job_id
from app.notifications.states import OutboxStatus, next_state


def _jsonable(value: Any) -> Any:
    """Dates become ISO strings, so a context always fits the JSON column."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def queue_notification(
    event: str,
    *,
    reservation=None,
    key: str,
    context: dict[str, Any] | None = None,
    recipient_email: str | None = None,
    recipient_phone: str | None = None,
    language: str | None = None,
) -> list[int]:
    """Add the event's messages to the current transaction's outbox (no commit);
    returns the ids of the messages added.

    `key` makes the message unique (e.g. the reservation's id): queueing the
    same event with the same key again adds nothing, so a retried request or
    a job that runs twice never sends twice. `context` must carry the keys
    policies.EVENT_CONTEXT lists for the event (ValueError otherwise).
    Sending is enqueued after commit.
    """
    if event not in EVENT_CHANNELS:
        raise ValueError(f"unknown notification event {event!r}")
    context = _jsonable(dict(context or {}))
    missing = missing_context(event, context, has_reservation=reservation is not None)
    if missing:
        raise ValueError(f"notification {event!r} needs context {', '.join(missing)}")
    email = recipient_email or (reservation.guest_email if reservation is not None else None)
    phone = recipient_phone or (reservation.guest_phone if reservation is not None else None)
    lang = language or (reservation.language if reservation is not None else "ko")
    created: list[int] = []
    now = clock.now()
    for channel in EVENT_CHANNELS[event]:
        recipient = email if channel == EMAIL else phone if channel == SMS else None
        if not recipient:
            continue
        message_id = insert_unless_present(OutboxMessage, {
            "event": event, "channel": channel, "recipient": recipient, "language": lang,
            "reservation_id": reservation.id if reservation is not None else None,
            "dedupe_key": f"{event}:{channel}:{key}", "context": context, "status": OutboxStatus.PENDING.value,
            "attempts": 0, "next_attempt_at": now, "request_id": current_request_id(),
            "created_at": now, "updated_at": now,
        }, ["dedupe_key"])
        if message_id is None:  # queued before (a retried request, a job run twice)
            continue
        enqueue_after_commit(SEND_JOB, message_id, job_id=send_job_id(message_id, 0), queue="default")
        created.append(message_id)
    return created


def queue_operator_message(*, event: str, channel: str, recipient: str, language: str, subject: str,
                           body: str, dedupe_key: str, html: str | None = None) -> OutboxMessage | None:
    """Add one message for an operator (an alert, a report) to the current
    transaction's outbox (no commit); returns it, or None when a message with
    this dedupe key was queued before (so it is never sent twice).

    Unlike guest messages, `subject` and `body` arrive already rendered in the
    recipient's language (the caller uses flask_babel.force_locale) and are
    sent as stored; nothing is tied to a reservation and nothing reaches a guest.
    `channel` is "email", "sms" or "webhook"; for a webhook `recipient` is the
    URL and the body is posted as Slack-compatible JSON {"text": body}.
    `html` is an optional HTML alternative of an email's body.
    Sending is enqueued after commit, as for guest messages (the relay covers Redis being down).
    """
    if channel not in OPERATOR_CHANNELS:
        raise ValueError(f"unknown operator channel {channel!r}")
    if not recipient or not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("an operator message needs a recipient and a dedupe key of at most 200 characters")
    now = clock.now()
    context: dict[str, Any] = {OPERATOR_MESSAGE: True}
    if html:
        context["html"] = html
    message_id = insert_unless_present(OutboxMessage, {
        "event": event[:60], "channel": channel, "recipient": recipient[:254], "language": (language or "ko")[:2],
        "reservation_id": None, "dedupe_key": dedupe_key, "context": context,
        "subject": subject[:300] if subject is not None else None, "body": body,
        "status": OutboxStatus.PENDING.value, "attempts": 0, "next_attempt_at": now,
        "request_id": current_request_id(), "created_at": now, "updated_at": now,
    }, ["dedupe_key"])
    if message_id is None:
        return None
    enqueue_after_commit(SEND_JOB, message_id, job_id=send_job_id(message_id, 0), queue="default")
    return db.session.get(OutboxMessage, message_id)


def queue_notifications_bulk(event: str, reservation_ids: list[int]) -> None:
    """The `event` message of many bookings at once (no commit): hold expiry
    cancels thousands of bookings per transaction.

    One INSERT … SELECT per channel from the reservations themselves, with
    the same dedupe keys as queue_notification (`<event>:<channel>:<public
    id>`), so either path adds a message once (ON CONFLICT DO NOTHING). Only
    for events that need no context. After commit one fan-out job rings the
    doorbells (the relay covers it if Redis is down).
    """
    from sqlalchemy import String, cast, literal

    from app.booking.models import Reservation

    if event not in EVENT_CHANNELS or missing_context(event, {}, has_reservation=True):
        raise ValueError(f"{event!r} cannot be queued in bulk")
    if not reservation_ids:
        return
    if is_postgres():
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = clock.now()
    request_id = current_request_id()
    columns = ["event", "channel", "recipient", "language", "reservation_id", "dedupe_key", "context", "status",
               "attempts", "next_attempt_at", "request_id", "created_at", "updated_at"]
    for channel in EVENT_CHANNELS[event]:
        recipient = Reservation.guest_email if channel == EMAIL else Reservation.guest_phone
        source = select(
            literal(event, String), literal(channel, String), recipient, Reservation.language, Reservation.id,
            literal(f"{event}:{channel}:", String).op("||")(Reservation.public_id),
            literal({}, OutboxMessage.__table__.c.context.type), literal(OutboxStatus.PENDING.value, String),
            literal(0), literal(now, OutboxMessage.__table__.c.next_attempt_at.type),
            literal(request_id, String) if request_id else cast(Reservation.request_id, String),
            literal(now, OutboxMessage.__table__.c.created_at.type),
            literal(now, OutboxMessage.__table__.c.updated_at.type),
        ).where(among(Reservation.id, reservation_ids), recipient.is_not(None), recipient != "")
        db.session.execute(insert(OutboxMessage.__table__).from_select(columns, source)
                           .on_conflict_do_nothing(index_elements=["dedupe_key"]))
    ids = sorted(reservation_ids)
    # One fan-out job per call: a worker rings the doorbells, in parallel with the caller.
    enqueue_after_commit(RING_JOB, event, ids, queue="default",
                         job_id=job_id_for("notifications", "ring", f"{event}-{ids[0]}-{ids[-1]}-{len(ids)}"))


def resend_message(message_id: int, *, actor: Actor | None = None) -> OutboxMessage:
    """A person's Resend of a failed message: failed → pending, a fresh retry
    schedule, sent within a minute. Commits. Pressing it twice: the second
    time the message is no longer failed → IllegalTransition, nothing changes.

    The resend carries the same Message-ID as the earlier tries.
    """
    actor = actor or current_actor()

    def work() -> OutboxMessage:
        message = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
            .execution_options(populate_existing=True)).scalar_one_or_none()
        if message is None:
            raise NotFound()
        if message.status != OutboxStatus.FAILED:
            raise IllegalTransition(fields={"status": f"Only a failed message can be sent again, not a "
                                                      f"{message.status} one."})
        previous_attempts = message.attempts
        message.status = next_state(message.status, OutboxStatus.PENDING)
        message.attempts = 0
        message.next_attempt_at = clock.now()
        message.claimed_at = None
        audit.record("notification.resend", entity_type="notification", entity_id=message.id,
                     reservation_id=message.reservation_id, actor=actor, from_state=OutboxStatus.FAILED,
                     to_state=OutboxStatus.PENDING, reason=message.last_error,
                     data={"event": message.event, "channel": message.channel, "attempts": previous_attempts})
        enqueue_after_commit(SEND_JOB, message.id, job_id=send_job_id(message.id, 0), queue="default")
        return message

    return run_in_transaction(work)
