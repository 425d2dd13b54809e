"""Compensation for booking conflicts (seed 000): the customer's history by e-mail,
the tier's proposal, and giving it — credit, coupon, priority — once per conflict
(or per reservation), with the conflict marked resolved and the apology queued."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.booking.models import BookingConflict, ConflictResolution, Reservation
from app.core import audit, clock
from app.core.actor import Actor
from app.core.context import current_request_id
from app.core.db import run_in_transaction
from app.core.errors import IllegalTransition, NotFound
from app.core.ids import public_id
from app.extensions import db
from app.ledger.services import record_coupon
from app.notifications.services import queue_notification
from app.refunds.decisions import in_language, lock_reservation, new_coupon_code
from app.refunds.models import Compensation, Coupon, CouponKind
from app.refunds.policies import COMPENSATION_COUPON_DAYS, CompensationTier, compute_compensation


class AlreadyCompensated(IllegalTransition):
    """This conflict (or reservation) already got its compensation."""


@dataclass(frozen=True)
class Proposal:
    email: str
    occurrence: int
    tier: CompensationTier
    conflicts: list          # the customer's conflicts, oldest first
    given: list              # compensations already given, oldest first
    existing: Compensation | None


def _email(value: str) -> str:
    return (value or "").strip().lower()


def history(email: str) -> tuple[list[BookingConflict], list[Compensation]]:
    email = _email(email)
    conflicts = list(db.session.scalars(select(BookingConflict).where(
        func.lower(BookingConflict.guest_email) == email).order_by(BookingConflict.created_at, BookingConflict.id)))
    given = list(db.session.scalars(select(Compensation).where(Compensation.guest_email == email)
                                    .order_by(Compensation.created_at, Compensation.id)))
    return conflicts, given


def _occurrence_for_conflict(conflict: BookingConflict) -> int:
    """Conflicts of the customer up to this one, plus compensations given for reservations."""
    email = _email(conflict.guest_email)
    upto = db.session.scalar(select(func.count()).select_from(BookingConflict).where(
        func.lower(BookingConflict.guest_email) == email,
        (BookingConflict.created_at < conflict.created_at)
        | ((BookingConflict.created_at == conflict.created_at) & (BookingConflict.id <= conflict.id)))) or 0
    return max(1, upto + _reservation_compensations(email))


def _occurrence_for_reservation(reservation: Reservation) -> int:
    email = _email(reservation.guest_email)
    conflicts = db.session.scalar(select(func.count()).select_from(BookingConflict).where(
        func.lower(BookingConflict.guest_email) == email)) or 0
    return conflicts + _reservation_compensations(email, excluding=reservation.id) + 1


def _reservation_compensations(email: str, excluding: int | None = None) -> int:
    query = select(func.count()).select_from(Compensation).where(
        Compensation.guest_email == email, Compensation.conflict_id.is_(None))
    if excluding is not None:
        query = query.where(Compensation.reservation_id != excluding)
    return db.session.scalar(query) or 0


def propose_for_conflict(conflict: BookingConflict) -> Proposal:
    occurrence = _occurrence_for_conflict(conflict)
    conflicts, given = history(conflict.guest_email)
    existing = db.session.scalar(select(Compensation).where(Compensation.conflict_id == conflict.id))
    return Proposal(_email(conflict.guest_email), occurrence, compute_compensation(occurrence), conflicts, given,
                    existing)


def propose_for_reservation(reservation: Reservation) -> Proposal:
    occurrence = _occurrence_for_reservation(reservation)
    conflicts, given = history(reservation.guest_email)
    existing = db.session.scalar(select(Compensation).where(Compensation.reservation_id == reservation.id))
    return Proposal(_email(reservation.guest_email), occurrence, compute_compensation(occurrence), conflicts,
                    given, existing)


def describe(tier: CompensationTier) -> str:
    """The tier in one sentence, in the current language."""
    parts = [_("%(minutes)s minutes of stay-time credit", minutes=tier.credit_minutes)]
    if tier.coupon_minutes:
        parts.append(_("a coupon for %(minutes)s minutes", minutes=tier.coupon_minutes))
    if tier.priority:
        parts.append(_("priority booking (VIP)"))
    return ", ".join(parts)


def _message_compensation(tier: CompensationTier, language: str) -> dict:
    description = in_language(language, lambda: describe(tier))
    if not tier.coupon_minutes and not tier.priority:
        return {"kind": "time", "minutes": tier.credit_minutes, "description": description}
    return {"kind": "package", "description": description}


def _give(*, email: str, occurrence: int, actor: Actor, reason: str | None, conflict: BookingConflict | None,
          reservation: Reservation | None) -> Compensation:
    tier = compute_compensation(occurrence)
    now = clock.now()
    coupon = None
    if tier.coupon_minutes:
        coupon = Coupon(code=new_coupon_code(), kind=CouponKind.MINUTES, value=tier.coupon_minutes, currency=None,
                        expires_at=now + timedelta(days=COMPENSATION_COUPON_DAYS), guest_email=email,
                        reason=f"booking conflict #{occurrence}",
                        created_by_id=actor.id if actor.is_operator else None)
        db.session.add(coupon)
        db.session.flush()
        record_coupon(coupon, reservation_id=reservation.id if reservation is not None else None, actor=actor)
    comp = Compensation(public_id=public_id("cmp"), guest_email=email, occurrence=occurrence,
                        conflict_id=conflict.id if conflict is not None else None,
                        reservation_id=reservation.id if reservation is not None else None,
                        credit_minutes=tier.credit_minutes, coupon_minutes=tier.coupon_minutes,
                        priority=tier.priority, coupon_id=coupon.id if coupon else None, reason=reason,
                        created_by_id=actor.id if actor.is_operator else None, request_id=current_request_id())
    db.session.add(comp)
    db.session.flush()
    audit.record("compensation.given", entity_type="compensation", entity_id=comp.public_id,
                 reservation_id=reservation.id if reservation is not None else None, actor=actor, reason=reason,
                 data={"email": email, "occurrence": occurrence, "credit_minutes": tier.credit_minutes,
                       "coupon_minutes": tier.coupon_minutes, "priority": tier.priority,
                       "coupon": coupon.code if coupon else None,
                       "conflict": conflict.id if conflict is not None else None})
    return comp


def compensate_conflict(conflict_id: int, *, actor: Actor, reason: str | None = None) -> Compensation:
    """Give the tier's compensation for one conflict and mark it resolved (commits). Once."""
    def work() -> Compensation:
        conflict = db.session.execute(select(BookingConflict).where(BookingConflict.id == conflict_id)
                                      .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
        if conflict is None:
            raise NotFound()
        if db.session.scalar(select(Compensation.id).where(Compensation.conflict_id == conflict.id)) is not None:
            raise AlreadyCompensated(fields={"conflict": "This conflict was already compensated."})
        occurrence = _occurrence_for_conflict(conflict)
        comp = _give(email=_email(conflict.guest_email), occurrence=occurrence, actor=actor, reason=reason,
                     conflict=conflict, reservation=None)
        resolve_conflict(conflict, comp, actor=actor, note=reason)
        tier = compute_compensation(occurrence)
        queue_notification("booking_conflict_apology", key=f"conflict-{conflict.id}:compensated",
                           recipient_email=conflict.guest_email, recipient_phone=conflict.guest_phone or None,
                           language=conflict.language,
                           context={"alternatives": list(conflict.alternatives or [])[:3],
                                    "compensation": _message_compensation(tier, conflict.language),
                                    "guest_name": conflict.guest_name, "hotel_name": conflict.hotel.name,
                                    "check_in": conflict.check_in, "check_out": conflict.check_out})
        return comp

    return run_in_transaction(work)


def compensate_reservation(reservation_id: int, *, actor: Actor, reason: str | None = None) -> Compensation:
    """Give the tier's compensation to a reservation's customer (commits). Once per reservation."""
    def work() -> Compensation:
        reservation = lock_reservation(reservation_id)
        if db.session.scalar(select(Compensation.id).where(Compensation.reservation_id == reservation.id)) is not None:
            raise AlreadyCompensated(fields={"reservation": "This reservation was already compensated."})
        occurrence = _occurrence_for_reservation(reservation)
        comp = _give(email=_email(reservation.guest_email), occurrence=occurrence, actor=actor, reason=reason,
                     conflict=None, reservation=reservation)
        tier = compute_compensation(occurrence)
        queue_notification("booking_conflict_apology", reservation=reservation,
                           key=f"{reservation.public_id}:compensated",
                           context={"alternatives": [],
                                    "compensation": _message_compensation(tier, reservation.language)})
        return comp

    return run_in_transaction(work)


def resolve_conflict(conflict: BookingConflict, comp: Compensation, *, actor: Actor, note: str | None) -> None:
    """Mark `conflict` resolved by the compensation `comp` (audited)."""
    old = conflict.resolution
    conflict.resolution, conflict.resolved_at = ConflictResolution.RESOLVED, clock.now()
    conflict.resolved_by_id = actor.id if actor.is_operator else None
    conflict.resolution_note = note or f"compensation {comp.public_id}"
    audit.record("conflict.resolved", entity_type="booking_conflict", entity_id=conflict.id, actor=actor,
                 from_state=old, to_state=ConflictResolution.RESOLVED, reason=note,
                 data={"compensation": comp.public_id})
