"""Support use cases: the only code that changes tickets. Each call adds to the current
transaction and commits through run_in_transaction; audit rows (entity_type "ticket") go
in the same transaction. Guest emails go through the outbox (sent after commit).
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.auth.models import Operator
from app.auth.roles import Role
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import run_in_transaction
from app.core.errors import NotFound, ValidationFailed
from app.core.ids import CODE_ALPHABET, display_code
from app.extensions import db
from app.support import macros, policies
from app.support.models import MessageKind, Ticket, TicketMessage, TicketPause
from app.support.policies import TicketStatus

log = logging.getLogger(__name__)

CSAT_SALT = "support-csat"
CSAT_MAX_AGE = 30 * 24 * 3600  # the rating link works for 30 days


def new_public_id() -> str:
    return "T-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))


def calendar_of(ticket: Ticket) -> policies.Calendar:
    return policies.CALENDARS.get(ticket.queue, policies.CALENDARS["KR"])


def recompute_clocks(ticket: Ticket, now: datetime | None = None) -> None:
    """Set the due times from creation with the current severity's targets, extended by the
    time spent waiting on the customer. Safe to run any number of times."""
    now = now or clock.now()
    cal = calendar_of(ticket)
    pauses = ticket.pause_spans
    start = ticket.created_at
    ticket.first_response_due_at = policies.compute_due(start, ticket.severity, policies.FIRST_RESPONSE, cal,
                                                        pauses, now)
    ticket.resolution_due_at = policies.compute_due(start, ticket.severity, policies.RESOLUTION, cal, pauses, now)
    cadence = policies.target_duration(ticket.severity, policies.UPDATE, cal)
    if ticket.last_reply_at is not None and cadence is not None and ticket.status in TicketStatus.ACTIVE:
        later_pauses = [(a, b) for a, b in pauses if (b or now) > ticket.last_reply_at]
        ticket.next_update_due_at = policies.compute_due(ticket.last_reply_at, ticket.severity, policies.UPDATE,
                                                         cal, later_pauses, now)
    else:
        ticket.next_update_due_at = None


def _round_robin_owner(queue: str) -> Operator | None:
    """The next active operator (staff or above: every member of staff answers guests) after the owner
    of the queue's latest ticket, by id, wrapping around; each queue (KR, JP) rotates on its own."""
    candidates = [op for op in db.session.scalars(select(Operator).where(Operator.active.is_(True))
                                                  .order_by(Operator.id)).all() if op.has_role(Role.STAFF)]
    if not candidates:
        return None
    last_owner = db.session.scalar(select(Ticket.owner_id).where(Ticket.queue == queue, Ticket.owner_id.is_not(None))
                                   .order_by(Ticket.id.desc()).limit(1))
    for op in candidates:
        if last_owner is None or op.id > last_owner:
            return op
    return candidates[0]


def _oncall_owner() -> Operator | None:
    from app.alerts.services import oncall_contacts

    for contact in oncall_contacts("transactions"):
        if contact.operator_id:
            op = db.session.get(Operator, contact.operator_id)
            if op is not None and op.active:
                return op
    return None


def pick_owner(ticket: Ticket) -> Operator | None:
    """S1/S2 → the transactions on-call person (1st entry); else round-robin in the queue."""
    if ticket.severity in (policies.S1, policies.S2):
        op = _oncall_owner()
        if op is not None:
            return op
    return _round_robin_owner(ticket.queue)


def _payment_problem(category: str, reservation) -> bool:
    """A paid booking whose guest writes about money, or one with a short payment on record."""
    from app.booking.states import ReservationStatus

    if reservation is None:
        return False
    if getattr(reservation, "payment_shortfall_at", None) is not None:
        return True
    return category == "billing" and reservation.status in (ReservationStatus.PAID, ReservationStatus.CHECKED_IN)


def suggest_for(category: str, reservation) -> str:
    today = clock.local_today(reservation.hotel.timezone) if reservation is not None else None
    return policies.suggest_severity(category=category, check_in=reservation.check_in if reservation else None,
                                     today=today, payment_problem=_payment_problem(category, reservation))


def guest_name_of(reservation) -> str:
    """The booking guest's name in the guest's own language order (app.core.language.display_name)."""
    if reservation is None:
        return ""
    from app.core.language import display_name

    return display_name(reservation.guest_first_name, reservation.guest_last_name, reservation.language,
                        honorific=False)


def create_ticket(*, channel: str, category: str, purpose: str, body: str, actor: Actor,
                  reservation=None, guest_name: str = "", guest_email: str = "", guest_phone: str = "",
                  language: str = "ko", severity: str | None = None, email_message_id: str | None = None,
                  author_name: str = "") -> Ticket:
    """Open a ticket with its first guest message, clocks and owner; audited. Commits."""
    if channel not in policies.CHANNELS or category not in policies.CATEGORIES:
        raise ValidationFailed("unknown channel or category")
    if severity is not None and severity not in policies.SEVERITIES:
        raise ValidationFailed("unknown severity")
    language = language if language in ("ko", "ja", "en") else "en"

    def work() -> Ticket:
        now = clock.now()
        hotel_country = reservation.hotel.country if reservation is not None else None
        ticket = Ticket(
            public_id=new_public_id(), severity=severity or suggest_for(category, reservation), category=category,
            purpose=purpose.strip()[:300], channel=channel, status=TicketStatus.NEW,
            queue=policies.queue_for(language, hotel_country), reservation_id=reservation.id if reservation else None,
            guest_name=(guest_name or guest_name_of(reservation))[:200],
            guest_email=(guest_email or (reservation.guest_email if reservation else ""))[:254],
            guest_phone=(guest_phone or (reservation.guest_phone if reservation else ""))[:30],
            language=language, email_message_id=email_message_id, created_at=now, updated_at=now, version=1,
            updates_sent=0, updates_late=0)
        db.session.add(ticket)
        ticket.messages.append(TicketMessage(kind=MessageKind.GUEST, body=body.strip(), created_at=now,
                                             author_name=(author_name or ticket.guest_name)[:200]))
        recompute_clocks(ticket, now)
        owner = pick_owner(ticket)
        ticket.owner_id = owner.id if owner else None
        db.session.flush()
        audit.record("ticket.created", entity_type="ticket", entity_id=ticket.public_id, actor=actor,
                     reservation_id=ticket.reservation_id, to_state=ticket.status,
                     data={"severity": ticket.severity, "channel": channel, "category": category,
                           "queue": ticket.queue, "owner_id": ticket.owner_id})
        return ticket

    return run_in_transaction(work)


def get_ticket(public_id: str) -> Ticket:
    ticket = db.session.scalar(select(Ticket).where(Ticket.public_id == (public_id or "")[:20]))
    if ticket is None:
        raise NotFound("no such ticket")
    return ticket


def _lock(public_id: str) -> Ticket:
    ticket = db.session.scalar(select(Ticket).where(Ticket.public_id == public_id).with_for_update())
    if ticket is None:
        raise NotFound("no such ticket")
    return ticket


def _bump(ticket: Ticket, now: datetime) -> None:
    ticket.version += 1
    ticket.updated_at = now


def _set_status(ticket: Ticket, target: str, now: datetime) -> str:
    """Move the status (pauses and stop times follow); returns the old status."""
    old = ticket.status
    if old == target:
        return old
    policies.next_status(old, target)
    if old == TicketStatus.WAITING:
        for pause in ticket.pauses:
            if pause.ended_at is None:
                pause.ended_at = now
    if target == TicketStatus.WAITING:
        ticket.pauses.append(TicketPause(started_at=now))
    if target == TicketStatus.RESOLVED:
        ticket.resolved_at = now
        ticket.resolution_met = ticket.resolution_due_at is None or now <= _due_after_pauses(ticket, now)
    if target == TicketStatus.CLOSED:
        ticket.closed_at = now
        if ticket.resolved_at is None:
            ticket.resolved_at = now
            ticket.resolution_met = ticket.resolution_due_at is None or now <= _due_after_pauses(ticket, now)
    if target == TicketStatus.OPEN and old in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.resolution_met = None
    ticket.status = target
    return old


def _due_after_pauses(ticket: Ticket, now: datetime) -> datetime:
    recompute_clocks(ticket, now)
    return ticket.resolution_due_at


def reply_values(ticket: Ticket, link: str = "") -> dict[str, str]:
    """The values a macro may use, in the guest's language; nothing internal."""
    lang = macros.language_of(ticket.language)
    cfg = current_app.config
    booking = display_code(ticket.reservation.code) if ticket.reservation is not None else macros.NO_BOOKING[lang]
    return {"name": ticket.guest_name or macros.GUEST_FALLBACK[lang], "ticket": ticket.public_id,
            "booking": booking, "link": link or cfg.get("PUBLIC_BASE_URL", ""),
            "brand": cfg.get("BRAND_NAME", "Frontdesk"), "phone": cfg.get("SUPPORT_PHONE", "")}


def reply_subject(ticket: Ticket) -> str:
    return macros.render_text(macros.REPLY_SUBJECT[macros.language_of(ticket.language)], reply_values(ticket))


class StaleTicket(ValidationFailed):
    """The ticket changed after the reply was composed."""


def send_reply(public_id: str, *, body: str, operator, version: int | None = None, macro: str | None = None,
               then_status: str | None = None, force: bool = False) -> TicketMessage:
    """Send `body` (exactly as previewed) to the guest in their language through the outbox, stop the
    first-response clock, restart the update cadence; optionally move the status. A reply composed on
    an older version raises StaleTicket unless `force`. Commits."""
    body = (body or "").strip()
    if not body:
        raise ValidationFailed("empty reply", fields={"body": "required"})
    actor = Actor.operator(operator)

    def work() -> TicketMessage:
        from app.notifications.services import queue_operator_message

        now = clock.now()
        ticket = _lock(public_id)
        if version is not None and version != ticket.version and not force:
            raise StaleTicket("the ticket changed since the reply was written")
        if not ticket.guest_email:
            raise ValidationFailed("the guest has no email address", fields={"body": "no email"})
        subject = reply_subject(ticket)
        message = TicketMessage(kind=MessageKind.REPLY, body=body, subject=subject, author_operator_id=operator.id,
                                author_name=(operator.name or operator.email)[:200], macro=macro, created_at=now)
        ticket.messages.append(message)
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
            recompute_clocks(ticket, now)
            ticket.first_response_met = now <= ticket.first_response_due_at
        else:
            ticket.updates_sent += 1
            if ticket.next_update_due_at is not None and now > ticket.next_update_due_at:
                ticket.updates_late += 1
        ticket.last_reply_at = now
        old = ticket.status
        if then_status and then_status != ticket.status:
            _set_status(ticket, then_status, now)
        elif ticket.status == TicketStatus.NEW:
            _set_status(ticket, TicketStatus.OPEN, now)
        recompute_clocks(ticket, now)
        _bump(ticket, now)
        db.session.flush()
        queue_operator_message(event="support_reply", channel="email", recipient=ticket.guest_email,
                               language=ticket.language, subject=subject, body=body,
                               dedupe_key=f"support_reply:{ticket.public_id}:{message.id}")
        audit.record("ticket.replied", entity_type="ticket", entity_id=ticket.public_id, actor=actor,
                     reservation_id=ticket.reservation_id, from_state=old, to_state=ticket.status,
                     data={"macro": macro, "message_id": message.id})
        if ticket.status == TicketStatus.RESOLVED and old != TicketStatus.RESOLVED:
            _queue_csat(ticket)
        return message

    return run_in_transaction(work)


def add_note(public_id: str, *, body: str, operator) -> TicketMessage:
    """An internal note: stored, shown to operators only, never sent. Commits."""
    body = (body or "").strip()
    if not body:
        raise ValidationFailed("empty note", fields={"body": "required"})

    def work() -> TicketMessage:
        now = clock.now()
        ticket = _lock(public_id)
        note = TicketMessage(kind=MessageKind.NOTE, body=body, author_operator_id=operator.id,
                             author_name=(operator.name or operator.email)[:200], created_at=now)
        ticket.messages.append(note)
        _bump(ticket, now)
        audit.record("ticket.noted", entity_type="ticket", entity_id=ticket.public_id,
                     actor=Actor.operator(operator), reservation_id=ticket.reservation_id)
        return note

    return run_in_transaction(work)


def add_guest_message(public_id: str, *, body: str, email_message_id: str | None = None,
                      actor: Actor | None = None) -> TicketMessage | None:
    """The guest wrote again (email reply): add it, reopen a waiting/resolved ticket. A message id seen
    before adds nothing (safe to import the same mail twice). Commits."""
    def work() -> TicketMessage | None:
        now = clock.now()
        if email_message_id and db.session.scalar(select(TicketMessage.id).where(
                TicketMessage.email_message_id == email_message_id)):
            return None
        ticket = _lock(public_id)
        message = TicketMessage(kind=MessageKind.GUEST, body=body.strip(), email_message_id=email_message_id,
                                author_name=ticket.guest_name, created_at=now)
        ticket.messages.append(message)
        old = ticket.status
        if ticket.status in (TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED):
            _set_status(ticket, TicketStatus.OPEN, now)
        recompute_clocks(ticket, now)
        _bump(ticket, now)
        audit.record("ticket.guest_wrote", entity_type="ticket", entity_id=ticket.public_id,
                     actor=actor or Actor.guest(ticket.guest_email or "guest"),
                     reservation_id=ticket.reservation_id, from_state=old, to_state=ticket.status)
        return message

    return run_in_transaction(work)


def change_status(public_id: str, target: str, *, operator, reason: str = "") -> Ticket:
    """Move the ticket (table: policies.TRANSITIONS); waiting pauses the clocks; resolved stops them and
    emails the one-question CSAT link. Commits."""
    if target not in TicketStatus.ALL:
        raise ValidationFailed("unknown status")

    def work() -> Ticket:
        now = clock.now()
        ticket = _lock(public_id)
        try:
            old = _set_status(ticket, target, now)
        except policies.IllegalTicketTransition as exc:
            raise ValidationFailed(str(exc)) from exc
        recompute_clocks(ticket, now)
        _bump(ticket, now)
        audit.record("ticket.status_changed", entity_type="ticket", entity_id=ticket.public_id,
                     actor=Actor.operator(operator), reservation_id=ticket.reservation_id, from_state=old,
                     to_state=target, reason=reason or None)
        if target == TicketStatus.RESOLVED and old != TicketStatus.RESOLVED:
            _queue_csat(ticket)
        return ticket

    return run_in_transaction(work)


def change_severity(public_id: str, severity: str, *, operator, reason: str) -> Ticket:
    """Re-rate the ticket; clocks are recomputed from creation with the new targets. Needs a reason.
    Commits."""
    if severity not in policies.SEVERITIES:
        raise ValidationFailed("unknown severity", fields={"severity": "unknown"})
    if not (reason or "").strip():
        raise ValidationFailed("a reason is required", fields={"reason": "required"})

    def work() -> Ticket:
        now = clock.now()
        ticket = _lock(public_id)
        old = ticket.severity
        ticket.severity = severity
        recompute_clocks(ticket, now)
        if ticket.first_responded_at is not None:
            ticket.first_response_met = ticket.first_responded_at <= ticket.first_response_due_at
        _bump(ticket, now)
        audit.record("ticket.severity_changed", entity_type="ticket", entity_id=ticket.public_id,
                     actor=Actor.operator(operator), reservation_id=ticket.reservation_id,
                     reason=reason.strip(), data={"before": old, "after": severity})
        return ticket

    return run_in_transaction(work)


def change_owner(public_id: str, owner_id: int, *, operator, reason: str = "") -> Ticket:
    def work() -> Ticket:
        now = clock.now()
        ticket = _lock(public_id)
        new_owner = db.session.get(Operator, owner_id) if 0 < owner_id < 2**31 else None
        if new_owner is None or not new_owner.active:
            raise ValidationFailed("unknown operator", fields={"owner": "unknown"})
        old = ticket.owner_id
        ticket.owner_id = new_owner.id
        _bump(ticket, now)
        audit.record("ticket.owner_changed", entity_type="ticket", entity_id=ticket.public_id,
                     actor=Actor.operator(operator), reservation_id=ticket.reservation_id, reason=reason or None,
                     data={"before": old, "after": new_owner.id})
        return ticket

    return run_in_transaction(work)


# --- CSAT ------------------------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["LINK_SECRET"], salt=CSAT_SALT)


def csat_token(ticket: Ticket) -> str:
    return _serializer().dumps({"t": ticket.public_id})


def csat_ticket(token: str) -> Ticket:
    """The ticket a rating link is for; NotFound for a bad, foreign or expired token."""
    try:
        data = _serializer().loads(token or "", max_age=CSAT_MAX_AGE)
    except (BadSignature, SignatureExpired) as exc:
        raise NotFound("bad rating link") from exc
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise NotFound("bad rating link")
    return get_ticket(data["t"])


def csat_link(ticket: Ticket) -> str:
    """The public rating link (built without a request: jobs and services call it too)."""
    return f"{current_app.config.get('PUBLIC_BASE_URL', '').rstrip('/')}/support/rate/{csat_token(ticket)}"


def _queue_csat(ticket: Ticket) -> None:
    from app.notifications.services import queue_operator_message

    if not ticket.guest_email or ticket.csat_at is not None:
        return
    lang = macros.language_of(ticket.language)
    link = csat_link(ticket)
    values = reply_values(ticket, link)
    queue_operator_message(event="support_csat", channel="email", recipient=ticket.guest_email, language=lang,
                           subject=macros.render_text(macros.CSAT_SUBJECT[lang], values),
                           body=macros.render_text(macros.CSAT_TEXT[lang], values),
                           dedupe_key=f"support_csat:{ticket.public_id}:{ticket.resolved_at.isoformat()}")


def record_csat(token: str, score: int, comment: str = "") -> Ticket:
    """Store the guest's rating once; a second answer is refused (ValidationFailed). Commits."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed("score 1 to 5", fields={"score": "range"})

    def work() -> Ticket:
        ticket = _lock(csat_ticket(token).public_id)
        if ticket.csat_at is not None:
            raise ValidationFailed("already rated")
        ticket.csat_score = score
        ticket.csat_comment = (comment or "").strip()[:2000] or None
        ticket.csat_at = clock.now()
        audit.record("ticket.rated", entity_type="ticket", entity_id=ticket.public_id,
                     actor=Actor.guest(ticket.guest_email or "guest"), reservation_id=ticket.reservation_id,
                     data={"score": score})
        return ticket

    return run_in_transaction(work)


# --- collision --------------------------------------------------------------------------------------

def note_viewer(ticket: Ticket, operator) -> list[str]:
    """Record that `operator` opened the ticket; return the names of others who opened it within the
    collision window (Redis hash with a TTL; an empty list when Redis is down)."""
    from app.extensions import redis_connection

    key = f"support:viewing:{ticket.public_id}"
    now = clock.now().timestamp()
    window = int(policies.COLLISION_WINDOW.total_seconds())
    try:
        conn = redis_connection()
        seen = conn.hgetall(key)
        pipe = conn.pipeline()
        pipe.hset(key, str(operator.id), f"{now}|{operator.name or operator.email}")
        pipe.expire(key, window)
        pipe.execute()
    except Exception:  # Redis down: no warning, the page still opens
        log.warning("collision check skipped: redis unavailable")
        return []
    others = []
    for op_id, value in seen.items():
        op_id = op_id.decode() if isinstance(op_id, bytes) else op_id
        value = value.decode() if isinstance(value, bytes) else value
        stamp, _, name = value.partition("|")
        if op_id != str(operator.id) and now - float(stamp) <= window:
            others.append(name)
    return sorted(others)


def count_new_today(tz: str = "Asia/Seoul") -> int:
    today = clock.local_today(tz)
    from zoneinfo import ZoneInfo

    start = datetime.combine(today, datetime.min.time(), ZoneInfo(tz))
    return db.session.scalar(select(func.count(Ticket.id)).where(Ticket.created_at >= start,
                                                                 Ticket.created_at < start + timedelta(days=1))) or 0


def values_for_preview(ticket: Ticket, link: str = "") -> dict[str, Any]:
    return reply_values(ticket, link)
