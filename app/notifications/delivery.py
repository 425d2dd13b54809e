"""Sending one outbox message: what the `send_message` job does.

    1. claim       pending → sending, attempts + 1 (guarded UPDATE; commit).
                   Anything but a due `pending` row → nothing to do, so a job
                   that runs twice, or two workers with the same job, send once.
    2. re-check    is the message still true? (policies.STILL_TRUE) → `skipped`
    3. render      the event's template in the guest's language; kept on the row
    4. send        outside any transaction; the provider accepts or refuses
    5. record      sending → sent (commit, retried briefly if the database
                   hiccups), or → pending at the next time of RETRY_DELAYS for a
                   temporary failure, or → failed after the last try or for a
                   permanent refusal.

The remaining at-least-once window, honestly: if the worker dies (or the
database stays unreachable) after the provider accepted the message and
before step 5 commits, the row stays `sending`. After SENDING_LEASE the relay
puts it back to `pending` and it is sent again — with the same Message-ID
(derived from the dedupe key), so mail stores that keep one copy per
Message-ID show it once and a person sees it is the same message. The same
holds when an SMTP server accepts the message but the connection drops
before its "250 OK" reaches us. SMTP offers no way to ask "did you get this
Message-ID?", so closing the window completely is not possible; it is
milliseconds wide in normal operation.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import or_, update
from sqlalchemy.exc import OperationalError

from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import end_transaction, run_in_transaction
from app.extensions import db
from app.notifications import policies
from app.notifications.channels import (DeliveryError, Outgoing, PermanentFailure, deliver,
                                        sender_domain)
from app.notifications.models import OutboxMessage
from app.notifications.rendering import message_context, render
from app.notifications.states import OutboxStatus, next_state

log = logging.getLogger(__name__)
ACTOR = Actor.system("notifications")


@dataclass(frozen=True)
class Claim:
    message_id: int
    attempt: int


def claim(message_id: int) -> Claim | None:
    """Step 1 (commits). None when the message is not a due `pending` one."""
    now = clock.now()
    next_state(OutboxStatus.PENDING, OutboxStatus.SENDING)

    def work() -> Claim | None:
        row = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING,
                   or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
            .values(status=OutboxStatus.SENDING, attempts=OutboxMessage.attempts + 1, claimed_at=now,
                    updated_at=now)
            .returning(OutboxMessage.attempts)
            .execution_options(synchronize_session=False)).first()
        return Claim(message_id, row[0]) if row else None

    return run_in_transaction(work)


def _finish(c: Claim, target: OutboxStatus, *, action: str, reason: str | None = None, **values) -> bool:
    """Move the claimed row from `sending` to `target` if it is still this try's (no commit)."""
    now = clock.now()
    next_state(OutboxStatus.SENDING, target)
    changed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == c.message_id, OutboxMessage.status == OutboxStatus.SENDING,
               OutboxMessage.attempts == c.attempt)
        .values(status=target, updated_at=now, **values)
        .execution_options(synchronize_session=False)).rowcount
    if changed:
        message = db.session.get(OutboxMessage, c.message_id)
        audit.record(action, entity_type="notification", entity_id=c.message_id,
                     reservation_id=message.reservation_id if message else None, actor=ACTOR,
                     from_state=OutboxStatus.SENDING, to_state=target, reason=reason,
                     data={"attempt": c.attempt, "event": message.event if message else None,
                           "channel": message.channel if message else None})
    return bool(changed)


class _Skipped(Exception):
    pass


def prepare(c: Claim) -> Outgoing:
    """Steps 2 and 3 (commits). Raises _Skipped when the message is no longer true."""

    def work() -> Outgoing | None:
        message = db.session.get(OutboxMessage, c.message_id, populate_existing=True)
        if policies.is_operator_message(message.context):
            # An alert or report to an operator: rendered by its sender, sent as stored.
            message_id = policies.message_id_for(message.dedupe_key, sender_domain())
            db.session.execute(
                update(OutboxMessage).where(OutboxMessage.id == c.message_id, OutboxMessage.attempts == c.attempt)
                .values(message_id=message_id).execution_options(synchronize_session=False))
            return Outgoing(message.channel, message.recipient, message.language, message.subject,
                            message.body or "", message_id, html=(message.context or {}).get("html"))
        reservation = message.reservation
        current_room = reservation.room.room_number if reservation is not None and reservation.room else None
        ok, why = policies.still_true(message.event, reservation.status if reservation is not None else None,
                                      room_number=(message.context or {}).get("room_number"),
                                      current_room_number=current_room)
        if not ok:
            _finish(c, OutboxStatus.SKIPPED, action="notification.skipped", reason=why, skip_reason=why)
            return None
        rendered = render(message.event, message.language, message.channel, message_context(message))
        message_id = policies.message_id_for(message.dedupe_key, sender_domain())
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == c.message_id, OutboxMessage.attempts == c.attempt)
            .values(subject=rendered.subject, body=rendered.body, message_id=message_id)
            .execution_options(synchronize_session=False))
        return Outgoing(message.channel, message.recipient, message.language, rendered.subject, rendered.body,
                        message_id)

    outgoing = run_in_transaction(work)
    if outgoing is None:
        raise _Skipped()
    return outgoing


def record_failure(c: Claim, exc: DeliveryError) -> str:
    """Step 5 for a refusal (commits): retry later, or give up. Returns the new status."""
    now = clock.now()
    retry_at = policies.next_attempt_at(c.attempt, now) if exc.temporary else None
    error = str(exc)[:2000] or type(exc).__name__

    def work() -> str:
        if retry_at is None:
            _finish(c, OutboxStatus.FAILED, action="notification.failed", reason=error, last_error=error,
                    next_attempt_at=None)
            return OutboxStatus.FAILED
        _finish(c, OutboxStatus.PENDING, action="notification.retry", reason=error, last_error=error,
                next_attempt_at=retry_at)
        return OutboxStatus.PENDING

    status = run_in_transaction(work)
    log.warning("message %s try %s failed: %s", c.message_id, c.attempt, error,
                extra={"outbox_message": c.message_id, "retry_at": retry_at.isoformat() if retry_at else None})
    return status


def record_sent(c: Claim, provider: str, reference: str | None) -> None:
    """Step 5 after the provider accepted (commits; a few quick retries if the
    database is briefly unreachable, because failing here means a resend)."""
    for pause in (0.2, 1.0, 3.0, None):
        try:
            run_in_transaction(lambda: _finish(c, OutboxStatus.SENT, action="notification.sent",
                                               sent_at=clock.now(), provider=provider, provider_ref=reference,
                                               last_error=None, next_attempt_at=None))
            return
        except OperationalError:
            if pause is None:
                raise
            log.warning("could not record message %s as sent yet; retrying", c.message_id)
            time.sleep(pause)


def send_message(message_id: int) -> str:
    """Send one outbox message at most once per try (see module doc).

    Returns what happened: "sent", "skipped", "retry", "failed" or "nothing"
    (not a due pending message: already sent, claimed by another worker, not
    due yet, or unknown). Safe to run twice.
    """
    c = claim(message_id)
    if c is None:
        return "nothing"
    try:
        outgoing = prepare(c)
    except _Skipped:
        return "skipped"
    except Exception as exc:  # a template or data bug: retrying cannot help; a person sees it
        log.exception("could not render message %s", message_id)
        record_failure(c, PermanentFailure(f"could not render the message: {type(exc).__name__}: {exc}"))
        return "failed"
    end_transaction()  # nothing held open during the network call
    try:
        delivery = deliver(outgoing)
    except DeliveryError as exc:
        return "retry" if record_failure(c, exc) == OutboxStatus.PENDING else "failed"
    record_sent(c, delivery.provider, delivery.reference)
    return "sent"
