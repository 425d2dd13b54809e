"""Back-office catalog use cases that need more than one service call: a room's
status change with its inventory check, a hotel's closure (optionally
cancelling and refunding its bookings) and its reopening.

Each one locks what it changes, re-checks, acts and writes audit events; the
catalog services underneath keep the inventory in step and commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.catalog import services as catalog
from app.catalog.models import Hotel, InventoryNight, Room
from app.catalog.queries import RoomStatusEffect, affected_reservation_ids, room_status_effect
from app.catalog.states import HotelStatus, RoomStatus
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import is_postgres
from app.core.errors import IllegalTransition, ValidationFailed
from app.extensions import db
from app.refunds.policies import OurFault


class ManagerNeeded(Exception):
    """The change pushes nights beyond their cap: only a manager, with a reason, may make it."""

    def __init__(self, effect: RoomStatusEffect):
        super().__init__("manager needed")
        self.effect = effect


def _lock(model, row_id: int):
    stmt = select(model).where(model.id == row_id).execution_options(populate_existing=True)
    if is_postgres():
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


def _lock_nights(room: Room) -> None:
    """Lock the room type's future nights in date order (like bookings), so the
    over-cap check reads figures no booking can change before we commit."""
    if not is_postgres():
        return  # SQLite: the transaction already holds the write lock (BEGIN IMMEDIATE)
    today = clock.local_today(room.room_type.hotel.timezone)
    db.session.execute(select(InventoryNight.id).where(
        InventoryNight.room_type_id == room.room_type_id, InventoryNight.night >= today)
        .order_by(InventoryNight.night).with_for_update())


def set_room_status(room_id: int, status: str, *, actor: Actor, is_manager: bool,
                    reason: str | None = None) -> tuple[Room, RoomStatusEffect, bool]:
    """Change a room's status (maintenance on/off, cleaning, occupied); its type's
    inventory totals follow for every night from today. Commits.

    When taking the room out would leave a night sold beyond its new cap,
    only a manager with a written reason may do it (ManagerNeeded otherwise);
    the bookings on those nights are kept and named in the audit event.
    Returns (room, effect, changed): setting the status it already has is a no-op.
    """
    if status not in set(RoomStatus):
        raise ValidationFailed(fields={"status": _l("One of available, occupied, maintenance, cleaning.")})
    room = _lock(Room, room_id)
    if room is None or not room.active:
        raise IllegalTransition(_l("This room was removed from the hotel and cannot be changed."))
    _lock_nights(room)
    effect = room_status_effect(room, status)
    if room.status == status:
        db.session.rollback()
        return room, effect, False
    if effect.needs_manager:
        if not is_manager:
            db.session.rollback()
            raise ManagerNeeded(effect)
        if not (reason or "").strip():
            db.session.rollback()
            raise ValidationFailed(fields={"reason": _l("Write why the room must go out although nights are sold beyond the cap.")})
        audit.record("room.taken_out_over_cap", entity_type="room", entity_id=room.id, actor=actor,
                     from_state=room.status, to_state=status, reason=reason,
                     data={"nights_over_cap": [c.night.isoformat() for c in effect.over_cap],
                           "reservations": [r.public_id for r in effect.affected]})
    if effect.changes_inventory:
        audit.record("inventory.total_changed", entity_type="room_type", entity_id=room.room_type_id, actor=actor,
                     reason=reason or None,
                     data={"room": room.room_number, "from_total": effect.total_before,
                           "to_total": effect.total_after, "nights": effect.nights_changed})
    catalog.update_room(room, actor=actor, status=status)  # audits room.updated, syncs the nights, commits
    return room, effect, True


@dataclass
class ClosureOutcome:
    hotel: Hotel
    deactivated: bool
    canceled: list[str] = field(default_factory=list)   # public ids
    refunds: list[str] = field(default_factory=list)    # refund public ids
    refund_total: int = 0


def close_hotel(hotel_id: int, reason: str, *, actor: Actor, cancel_affected: bool) -> ClosureOutcome:
    """Deactivate a hotel: no new bookings from now on; existing ones kept, unless
    `cancel_affected`, then each pending or paid booking with nights to come is
    canceled and, when paid, gets a refund request of case C (our fault: hotel
    closure → full refund and an apology coupon). Commits (the closure first,
    then one transaction per booking).

    Safe to run twice: an inactive hotel stays as it is and a canceled booking
    is not canceled again.
    """
    from app.booking.services import cancel_reservation

    if not (reason or "").strip():
        raise ValidationFailed(fields={"reason": _l("Write the reason in a sentence.")})
    hotel = _lock(Hotel, hotel_id)
    deactivated = hotel.status != HotelStatus.INACTIVE
    if deactivated:
        catalog.deactivate_hotel(hotel, reason, actor=actor)  # audits and commits
    else:
        db.session.rollback()
    outcome = ClosureOutcome(hotel, deactivated)
    if not cancel_affected:
        return outcome
    for reservation_id in affected_reservation_ids(hotel):
        result = cancel_reservation(reservation_id, actor=actor, reason=reason, source="operator",
                                    our_fault=OurFault.HOTEL_CLOSURE.value)
        if result.changed:
            outcome.canceled.append(result.reservation.public_id)
            if result.refund is not None:
                outcome.refunds.append(result.refund.public_id)
                outcome.refund_total += result.refund.amount
    if outcome.canceled:
        audit.record("hotel.closure_bookings_canceled", entity_type="hotel", entity_id=hotel.id, actor=actor,
                     reason=reason, data={"reservations": outcome.canceled, "refunds": outcome.refunds,
                                          "refund_total": outcome.refund_total})
        db.session.commit()
    return outcome


def reactivate_hotel(hotel_id: int, reason: str, *, actor: Actor) -> tuple[Hotel, bool]:
    """Take bookings again. Commits. Safe to run twice (an active hotel is left alone)."""
    if not (reason or "").strip():
        raise ValidationFailed(fields={"reason": _l("Write the reason in a sentence.")})
    hotel = _lock(Hotel, hotel_id)
    if hotel.status == HotelStatus.ACTIVE:
        db.session.rollback()
        return hotel, False
    hotel.status = HotelStatus.ACTIVE
    hotel.deactivation_reason = None
    audit.record("hotel.reactivated", entity_type="hotel", entity_id=hotel.id, actor=actor,
                 from_state=HotelStatus.INACTIVE, to_state=HotelStatus.ACTIVE, reason=reason)
    for room_type in hotel.room_types:
        catalog.sync_inventory(room_type)  # the horizon may have moved while it was closed
    db.session.commit()
    return hotel, True
