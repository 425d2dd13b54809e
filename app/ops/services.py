"""The back office's own use cases: dismissing a booking conflict, the conflict-log clean-up
(seed 000), and the shift handover note (seed 001 §2.3). Each is one transaction and
writes its audit event in it; each is safe to run twice.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, update

from app.booking.models import BookingConflict, ConflictResolution
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import run_in_transaction
from app.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.ops import policies
from app.ops.models import HandoverNote

log = logging.getLogger(__name__)

SYSTEM = Actor.system("ops")


class ConflictAlreadyClosed(DomainError):
    """Someone resolved or dismissed the conflict meanwhile; nothing was changed."""

    code = "conflict_already_closed"
    status = 409


class NoteAlreadyAcknowledged(DomainError):
    code = "note_already_acknowledged"
    status = 409


# --- DISMISSED: a conflict that needs no contact ---------------------------------------

def dismiss_conflict(conflict_id: int, *, reason: str, actor: Actor) -> BookingConflict:
    """Close a conflict waiting for review as DISMISSED with a written internal reason (commits).

    The reason stays internal (never sent to the guest); nothing is sent to the guest. Only a
    PENDING_REVIEW conflict can be dismissed (guarded UPDATE): a second click, or one after a
    colleague compensated it, raises ConflictAlreadyClosed and changes nothing.
    """
    reason = (reason or "").strip()
    if len(reason) < policies.DISMISS_REASON_MIN_LENGTH:
        raise ValidationFailed(fields={"reason": "A written reason is required."})
    if not actor.is_operator:
        raise Forbidden()

    def work() -> BookingConflict:
        conflict = db.session.get(BookingConflict, conflict_id)
        if conflict is None:
            raise NotFound()
        now = clock.now()
        changed = db.session.execute(
            update(BookingConflict)
            .where(BookingConflict.id == conflict_id,
                   BookingConflict.resolution == ConflictResolution.PENDING_REVIEW)
            .values(resolution=ConflictResolution.DISMISSED, resolved_at=now, resolved_by_id=actor.id,
                    resolution_note=reason[:policies.DISMISS_REASON_MAX_LENGTH], updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            db.session.refresh(conflict)
            raise ConflictAlreadyClosed(resolution=conflict.resolution)
        audit.record("conflict.dismissed", entity_type="booking_conflict", entity_id=conflict_id, actor=actor,
                     from_state=ConflictResolution.PENDING_REVIEW, to_state=ConflictResolution.DISMISSED,
                     reason=reason, data={"hotel": conflict.hotel_id, "room_type": conflict.room_type_id})
        db.session.refresh(conflict)
        return conflict

    return run_in_transaction(work)


# --- clean-up of old conflict logs (seed 000 "오래된 로그 정리") ---------------------------

def clean_up_old_conflicts(*, retention_days: int | None = None, actor: Actor = SYSTEM) -> int:
    """Anonymise resolved and dismissed conflicts created more than `retention_days` ago
    (default CONFLICT_RETENTION_DAYS): the guest's name, e-mail, phone, the alternatives
    offered and the request keys are cleared; hotel, room type, nights, time and resolution
    stay, so the statistics of past weeks and months do not change. Conflicts still waiting
    for review are never touched. Audited with the count (commits); running it twice
    changes nothing the second time. Returns how many were anonymised.
    """
    days = current_app.config["CONFLICT_RETENTION_DAYS"] if retention_days is None else retention_days
    if days < 1:
        raise ValueError("retention must be at least one day")
    cutoff = clock.now() - timedelta(days=days)

    def work() -> int:
        now = clock.now()
        count = db.session.execute(
            update(BookingConflict)
            .where(BookingConflict.created_at < cutoff,
                   BookingConflict.resolution.in_((ConflictResolution.RESOLVED, ConflictResolution.DISMISSED)),
                   or_(BookingConflict.guest_email != "", BookingConflict.guest_name != "",
                       BookingConflict.guest_phone != "", BookingConflict.idempotency_key.is_not(None),
                       BookingConflict.request_id.is_not(None)))
            .values(guest_name="", guest_email="", guest_phone="", alternatives=[], idempotency_key=None,
                    request_id=None, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if count:
            audit.record("conflict.cleanup", entity_type="booking_conflict", entity_id="retention", actor=actor,
                         data={"count": count, "before": cutoff.isoformat(), "retention_days": days})
        return count

    count = run_in_transaction(work)
    log.info("conflict clean-up", extra={"anonymised": count, "retention_days": days})
    return count


# --- shift handover ------------------------------------------------------------------------

def snapshot_open_items(operator) -> dict[str, dict]:
    """The Today items not done right now (key → title and count), as the operator sees them."""
    from app.ops.checklist import collect_today

    snapshot: dict[str, dict] = {}
    for entries in collect_today(operator).values():
        for entry in entries:
            if entry.failed:
                key = getattr(entry.item.compute, "__name__", "item")
                snapshot[key] = {"title": str(entry.item.title or key), "count": None}
            elif entry.count is not None and not entry.done:
                snapshot[entry.count.key] = {"title": str(entry.count.title), "count": entry.count.count}
    return snapshot


def write_handover_note(operator, note: str, *, actor: Actor) -> HandoverNote:
    """Record the closing shift's note with a snapshot of the open items (commits, audited).

    Each call writes a new note (the latest is the one the next shift sees)."""
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(fields={"note": "Write the note."})
    if len(note) > policies.HANDOVER_NOTE_MAX_LENGTH:
        raise ValidationFailed(fields={"note": "The note is too long."})

    def work() -> HandoverNote:
        row = HandoverNote(note=note, open_items=snapshot_open_items(operator), written_by_id=operator.id,
                           written_by_name=(operator.name or operator.email)[:200])
        db.session.add(row)
        db.session.flush()
        audit.record("handover.written", entity_type="handover_note", entity_id=row.id, actor=actor,
                     data={"open_items": {k: v["count"] for k, v in row.open_items.items()}})
        return row

    return run_in_transaction(work)


def acknowledge_handover_note(note_id: int, operator, *, actor: Actor) -> HandoverNote:
    """The next shift confirms having read the note (commits, audited). The writer cannot
    acknowledge their own note (Forbidden); a second acknowledgement raises
    NoteAlreadyAcknowledged and changes nothing."""
    def work() -> HandoverNote:
        row = db.session.get(HandoverNote, note_id)
        if row is None:
            raise NotFound()
        if row.written_by_id == operator.id:
            raise Forbidden()
        now = clock.now()
        changed = db.session.execute(
            update(HandoverNote).where(HandoverNote.id == note_id, HandoverNote.acknowledged_at.is_(None))
            .values(acknowledged_by_id=operator.id, acknowledged_by_name=(operator.name or operator.email)[:200],
                    acknowledged_at=now, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        db.session.refresh(row)
        if changed != 1:
            raise NoteAlreadyAcknowledged()
        audit.record("handover.acknowledged", entity_type="handover_note", entity_id=row.id, actor=actor,
                     data={"written_by": row.written_by_id})
        return row

    return run_in_transaction(work)

