"""Adjustments of a reservation by an operator.

Status changes and date/room changes go through the booking service (the ONE
transition table, inventory taken and given back all or nothing); this module
adds the back office's rules (which moves, who may make them) and room
assignment: rooms given to a reservation for its stay, one reservation per
room per night.

Assignment rows are written only here. A row whose reservation no longer
holds its nights (canceled, checked out) or whose stay was changed since is
*stale*: it is released by the next assignment that needs the room, in that
assignment's transaction, so a room never stays blocked by a booking that no
longer uses it, even when the change came through another path (the API).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError

from app.adjust import policies
from app.adjust.models import ReservationNote, RoomAssignment, RoomFeature
from app.booking import policies as booking_policies
from app.booking import services as booking
from app.booking.models import Reservation
from app.booking.queries import availability_by_room_type, nightly_prices
from app.booking.states import HOLDS_INVENTORY, ReservationStatus
from app.catalog.models import Room, RoomType
from app.catalog.states import RoomStatus
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import is_postgres, run_in_transaction
from app.core.errors import DomainError, Forbidden, IllegalTransition, NotFound, SoldOut, ValidationFailed
from app.extensions import db
from app.notifications.services import queue_notification

log = logging.getLogger(__name__)

S = ReservationStatus

#: Statuses in which a booking can be given rooms (the room_assigned message is true then).
ASSIGNABLE = frozenset({S.PAID, S.CHECKED_IN})


class RoomTaken(DomainError):
    """Another reservation has this room on some of these nights."""

    status = 409
    code = "room_taken"


# --- status changes ---------------------------------------------------------------------

def _role_allows(operator_role: str, needed: str) -> bool:
    from app.auth.roles import has_role

    return has_role(operator_role, needed)


def offered_moves(reservation: Reservation, operator_role: str) -> list[policies.StatusMove]:
    """The status moves this operator is offered on this booking now."""
    return [m for m in policies.moves_from(reservation.status) if _role_allows(operator_role, m.role)]


def check_move(reservation: Reservation, key: str, operator_role: str) -> policies.StatusMove:
    """The move, or an error saying why it cannot be made (nothing changes)."""
    move = policies.MOVES_BY_KEY.get(key)
    if move is None:
        raise NotFound()
    if not _role_allows(operator_role, move.role):
        raise Forbidden(_l("Only a manager can do this."))
    if reservation.status != move.source:
        from app.booking.display import RESERVATION_STATUS, label

        raise IllegalTransition(fields={"move": _l("This booking is now “%(status)s”: this change is not possible.",
                                                   status=label(RESERVATION_STATUS, reservation.status)[0])})
    if key == "check_in":
        why = policies.check_in_window(clock.local_today(reservation.hotel.timezone), reservation.check_in,
                                       reservation.check_out)
        if why == "early":
            raise ValidationFailed(fields={"move": _l("The guest arrives on %(day)s: check-in opens that day.",
                                                      day=reservation.check_in.isoformat())})
        if why == "late":
            raise ValidationFailed(fields={"move": _l("The stay has already ended: check-in is no longer possible.")})
    if key == "no_show" and not policies.no_show_window(clock.local_today(reservation.hotel.timezone),
                                                        reservation.check_in):
        raise ValidationFailed(fields={"move": _l("The guest arrives on %(day)s: a no-show can be recorded from "
                                                  "that day. To cancel earlier, cancel at the guest's request.",
                                                  day=reservation.check_in.isoformat())})
    if key == "reopen":
        why = reopen_blocker(reservation)
        if why:
            raise ValidationFailed(fields={"move": why})
    return move


def reopen_blocker(reservation: Reservation) -> Any | None:
    """Why a canceled booking cannot be reopened (None when it can)."""
    from app.refunds.models import Refund
    from app.refunds.states import RefundStatus

    if booking.outstanding_amount(reservation) > 0:
        return _l("We do not hold the full price of this booking. Reopen only a booking that is fully paid.")
    refunds = db.session.scalars(select(Refund.status).where(Refund.reservation_id == reservation.id)).all()
    if any(s != RefundStatus.REFUSED for s in refunds):
        return _l("A refund was requested or paid for this booking. Decide the refund first.")
    return None


def change_status(reservation_id: int, key: str, *, actor: Actor, operator_role: str, reason: str) -> Reservation:
    """Make one of the back office's status moves, with the operator's reason. Commits.

    The booking service locks the row and re-checks the table, so a move made
    twice (a double click, two operators) happens once; a move the table or
    the back office does not allow changes nothing.
    """
    reservation = _get(reservation_id)
    move = check_move(reservation, key, operator_role)
    if not (reason or "").strip():
        raise ValidationFailed(fields={"reason": _l("Write the reason in a sentence.")})
    try:
        if move.target == S.CANCELED:
            source = "customer" if key == "cancel_paid" else "operator"
            outcome = booking.cancel_reservation(reservation.id, actor=actor, reason=reason, source=source)
            if not outcome.changed:
                raise IllegalTransition(fields={"move": _l("This booking was already canceled.")})
            reservation = outcome.reservation
        else:
            reservation = booking.change_status(reservation.id, move.target, actor=actor, reason=reason,
                                                expected=(move.source,))
    except SoldOut:
        raise SoldOut(fields={"move": _l("Its nights have been sold meanwhile: the booking cannot be reopened.")}) \
            from None
    if reservation.status not in HOLDS_INVENTORY:
        release_assignments(reservation.id, why=f"status {reservation.status}")
    return reservation


# --- date, room type and number of rooms ------------------------------------------------

@dataclass
class ChangePreview:
    reservation: Reservation
    check_in: date
    check_out: date
    room_type: RoomType
    rooms: int
    old_total: int
    new_total: int
    paid: int
    nights_freed: int
    nights_taken: int
    full_nights: list[date] = field(default_factory=list)

    @property
    def difference(self) -> int:
        return policies.price_difference(self.old_total, self.new_total)

    @property
    def unchanged(self) -> bool:
        r = self.reservation
        return (self.check_in, self.check_out, self.room_type.id, self.rooms) == (
            r.check_in, r.check_out, r.room_type_id, r.number_of_rooms)

    @property
    def sold_out(self) -> bool:
        return bool(self.full_nights)

    @property
    def refund_amount(self) -> int:
        """What goes back to the guest: the drop, at most what was paid."""
        if self.reservation.status != S.PAID or self.difference >= 0:
            return 0
        return min(-self.difference, self.paid)

    @property
    def to_collect(self) -> int:
        """What the guest still has to pay after the change."""
        return max(0, self.new_total - self.paid)


def _validate_change(r: Reservation, check_in: date, check_out: date, room_type: RoomType, rooms: int) -> None:
    if r.status not in (S.PENDING, S.PAID):
        raise IllegalTransition(fields={"status": _l("Only a booking that is not yet paid or paid (and not checked "
                                                     "in) can be changed.")})
    if room_type.hotel_id != r.hotel_id:
        raise NotFound(fields={"room_type": _l("No such room type in this hotel.")})
    if not room_type.active and room_type.id != r.room_type_id:
        raise ValidationFailed(fields={"room_type": _l("This room type is not taking bookings.")})
    if not 1 <= rooms <= booking_policies.MAX_ROOMS:
        raise ValidationFailed(fields={"rooms": _l("A whole number from 1 to 9.")})
    cfg = current_app.config
    local_now = clock.to_local(clock.now(), r.hotel.timezone)
    try:
        booking_policies.validate_stay(check_in, check_out, today=local_now.date(), local_now=local_now,
                                       same_day_cutoff=time.fromisoformat(cfg["SAME_DAY_CUTOFF"]),
                                       max_nights=cfg["MAX_NIGHTS"], horizon_days=cfg["INVENTORY_HORIZON_DAYS"])
        booking_policies.validate_occupancy(r.number_of_guests, rooms, room_type.max_occupancy)
    except ValidationFailed as exc:
        names = {"checkInDate": "check_in", "checkOutDate": "check_out", "numberOfGuests": "rooms"}
        raise ValidationFailed(fields={names.get(k, k): v for k, v in exc.fields.items()}) from None


def preview_change(reservation_id: int, *, check_in: date, check_out: date, room_type_id: int,
                   rooms: int) -> ChangePreview:
    """What a change would do: prices, nights freed and taken, nights that are full.
    Read-only; raises ValidationFailed for a change that makes no sense."""
    r = _get(reservation_id)
    room_type = db.session.get(RoomType, room_type_id)
    if room_type is None:
        raise NotFound(fields={"room_type": _l("No such room type in this hotel.")})
    _validate_change(r, check_in, check_out, room_type, rooms)
    new_total = sum(nightly_prices(room_type, check_in, check_out)) * rooms
    freed, taken = policies.nights_freed_and_taken(
        (r.room_type_id, r.check_in, r.check_out, r.number_of_rooms), (room_type.id, check_in, check_out, rooms))
    info = availability_by_room_type([room_type.id], check_in, check_out, with_nights=True)[room_type.id]
    by_night = {n.night: n.available for n in info.nights}
    held = set(policies.nights_between(r.check_in, r.check_out)) if r.inventory_held and \
        r.room_type_id == room_type.id else set()
    full = [n for n in policies.nights_between(check_in, check_out)
            if by_night.get(n, 0) + (r.number_of_rooms if n in held else 0) < rooms]
    paid = r.total_amount - booking.outstanding_amount(r)
    return ChangePreview(r, check_in, check_out, room_type, rooms, r.total_amount, new_total, paid, freed, taken, full)


def change_booking(reservation_id: int, *, check_in: date, check_out: date, room_type_id: int, rooms: int,
                   actor: Actor, reason: str):
    """Make the change: all or nothing. Commits.

    Sold-out nights → SoldOut and neither the booking nor the inventory
    changes. A paid booking whose price drops gets a refund request for the
    difference; one whose price rises owes it (shown as "still to pay"). The
    guest gets the booking_changed message. Rooms assigned for the old stay
    are released.
    """
    if not (reason or "").strip():
        raise ValidationFailed(fields={"reason": _l("Write the reason in a sentence.")})
    r = _get(reservation_id)
    room_type = db.session.get(RoomType, room_type_id)
    if room_type is None:
        raise NotFound(fields={"room_type": _l("No such room type in this hotel.")})
    _validate_change(r, check_in, check_out, room_type, rooms)
    outcome = booking.modify_reservation(r.id, check_in=check_in, check_out=check_out, room_type_id=room_type_id,
                                         rooms=rooms, actor=actor, reason=reason)
    release_assignments(r.id, why="stay changed")
    return outcome


# --- room assignment ---------------------------------------------------------------------

def _live_assignment_clause():
    """An assignment that still blocks its room: not released, its booking holds
    its nights, and the stay is the booking's current one."""
    return and_(RoomAssignment.released_at.is_(None),
                Reservation.status.in_([s.value for s in HOLDS_INVENTORY]),
                Reservation.check_in == RoomAssignment.check_in,
                Reservation.check_out == RoomAssignment.check_out,
                Reservation.room_type_id == Room.room_type_id)


def assignments_of(reservation_id: int, *, live_only: bool = True) -> list[RoomAssignment]:
    query = (select(RoomAssignment).join(Reservation, Reservation.id == RoomAssignment.reservation_id)
             .join(Room, Room.id == RoomAssignment.room_id)
             .where(RoomAssignment.reservation_id == reservation_id))
    if live_only:
        query = query.where(_live_assignment_clause())
    return list(db.session.scalars(query.order_by(RoomAssignment.released_at.is_not(None), Room.room_number)))


def _busy_room_ids(room_ids: list[int], check_in: date, check_out: date, *, except_reservation: int | None) -> set[int]:
    if not room_ids:
        return set()
    query = (select(RoomAssignment.room_id).join(Reservation, Reservation.id == RoomAssignment.reservation_id)
             .join(Room, Room.id == RoomAssignment.room_id)
             .where(RoomAssignment.room_id.in_(room_ids), RoomAssignment.check_in < check_out,
                    RoomAssignment.check_out > check_in, _live_assignment_clause()))
    if except_reservation is not None:
        query = query.where(RoomAssignment.reservation_id != except_reservation)
    return set(db.session.scalars(query))


@dataclass
class Suggestion:
    room: Room
    meets: list[str]


def free_rooms(reservation: Reservation, *, taken: set[int] | frozenset[int] = frozenset(),
               spans: dict[int, list[tuple[date, date]]] | None = None) -> list[Suggestion]:
    """Rooms of the booking's type that are free for its whole stay, best first.

    Skips rooms under maintenance or out of service, rooms another booking has
    on any of these nights, and `taken` (rooms planned for others in a bulk
    plan whose stays overlap, given as `spans`).
    """
    rooms = list(db.session.scalars(select(Room).where(
        Room.hotel_id == reservation.hotel_id, Room.room_type_id == reservation.room_type_id,
        Room.active.is_(True), Room.status != RoomStatus.MAINTENANCE)))
    busy = _busy_room_ids([x.id for x in rooms], reservation.check_in, reservation.check_out,
                          except_reservation=reservation.id)
    for room_id, stays in (spans or {}).items():
        if any(a < reservation.check_out and b > reservation.check_in for a, b in stays):
            busy.add(room_id)
    busy |= set(taken)
    features: dict[int, set[str]] = {}
    ids = [x.id for x in rooms if x.id not in busy]
    if ids:
        for room_id, feature in db.session.execute(
                select(RoomFeature.room_id, RoomFeature.feature).where(RoomFeature.room_id.in_(ids))):
            features.setdefault(room_id, set()).add(feature)
    by_id = {x.id: x for x in rooms}
    candidates = [policies.Candidate(x.id, x.room_number, x.floor, frozenset(features.get(x.id, ())))
                  for x in rooms if x.id not in busy]
    ranked = policies.rank_rooms(candidates, policies.parse_requests(reservation.special_requests))
    return [Suggestion(by_id[c.room_id], meets) for c, meets in ranked]


def _lock_rooms(room_ids: list[int]) -> dict[int, Room]:
    """Lock the rooms in id order (PostgreSQL; SQLite holds the write lock already)."""
    query = select(Room).where(Room.id.in_(room_ids)).order_by(Room.id).execution_options(populate_existing=True)
    if is_postgres():
        query = query.with_for_update(of=Room)
    return {room.id: room for room in db.session.scalars(query)}


def _release_rows(condition, why: str) -> int:
    return db.session.execute(
        update(RoomAssignment).where(RoomAssignment.released_at.is_(None), condition)
        .values(released_at=clock.now(), release_reason=why[:200]).execution_options(synchronize_session=False)
    ).rowcount


def assign_rooms(reservation_id: int, room_ids: list[int], *, actor: Actor, reason: str | None = None,
                 notify: bool = True) -> list[RoomAssignment]:
    """Give the booking these rooms for its stay (one per booked room). Commits.

    Locks the booking, then the rooms in id order. A room another live
    booking has on any of these nights → RoomTaken and nothing changes (on
    PostgreSQL the exclusion constraint refuses it even if this check were
    skipped). Rooms the booking had before are released. The guest gets the
    room_assigned message; Reservation.room_id is the first room.
    """
    room_ids = sorted({int(i) for i in room_ids})
    reason = (reason or "").strip() or None

    def work() -> list[RoomAssignment]:
        r = booking._lock_reservation(reservation_id)
        if r.status not in ASSIGNABLE:
            raise IllegalTransition(fields={"rooms": _l("Rooms are given to paid or checked-in bookings only.")})
        if len(room_ids) != r.number_of_rooms:
            raise ValidationFailed(fields={"rooms": _l("Choose exactly %(n)s room(s): one for each booked room.",
                                                       n=r.number_of_rooms)})
        rooms = _lock_rooms(room_ids)
        for room_id in room_ids:
            room = rooms.get(room_id)
            if room is None or room.hotel_id != r.hotel_id or room.room_type_id != r.room_type_id:
                raise ValidationFailed(fields={"rooms": _l("Choose rooms of the booked room type in this hotel.")})
            if not room.active or room.status == RoomStatus.MAINTENANCE:
                raise ValidationFailed(fields={"rooms": _l("Room %(number)s is under maintenance or out of service.",
                                                           number=room.room_number)})
        already = sorted(a.room_id for a in assignments_of(r.id))
        if already == room_ids:      # the same rooms again (a double click): nothing to do
            return assignments_of(r.id)
        if policies.assignment_needs_reason(already, room_ids) and not reason:
            raise ValidationFailed(fields={"reason": _l("Moving the guest from a room they already have needs a "
                                                        "written reason.")})
        clashes = list(db.session.execute(
            select(RoomAssignment.id, RoomAssignment.room_id, RoomAssignment.reservation_id,
                   RoomAssignment.check_in, RoomAssignment.check_out, Reservation.status, Reservation.check_in,
                   Reservation.check_out, Reservation.room_type_id, Room.room_type_id)
            .join(Reservation, Reservation.id == RoomAssignment.reservation_id)
            .join(Room, Room.id == RoomAssignment.room_id)
            .where(RoomAssignment.room_id.in_(room_ids), RoomAssignment.released_at.is_(None),
                   RoomAssignment.check_in < r.check_out, RoomAssignment.check_out > r.check_in,
                   RoomAssignment.reservation_id != r.id)))
        stale = []
        for row in clashes:
            live = (row[5] in HOLDS_INVENTORY and (row[6], row[7]) == (row[3], row[4]) and row[8] == row[9])
            if live:
                raise RoomTaken(fields={"rooms": _l("Room %(number)s is already given to another booking on some "
                                                    "of these nights.", number=rooms[row[1]].room_number)})
            stale.append(row[0])
        if stale:
            _release_rows(RoomAssignment.id.in_(stale), "booking no longer uses the room")
        previous = [a.room_id for a in assignments_of(r.id, live_only=False) if a.released_at is None]
        _release_rows(RoomAssignment.reservation_id == r.id, "replaced by another room")
        db.session.flush()
        now = clock.now()
        created = [RoomAssignment(reservation_id=r.id, room_id=room_id, check_in=r.check_in, check_out=r.check_out,
                                  assigned_at=now, assigned_by=actor.name[:200]) for room_id in room_ids]
        db.session.add_all(created)
        first = min((rooms[i] for i in room_ids), key=lambda x: x.room_number)
        r.room_id = first.id
        r.updated_at = now
        numbers = sorted(rooms[i].room_number for i in room_ids)
        db.session.flush()
        audit.record("reservation.room_assigned", entity_type="reservation", entity_id=r.public_id,
                     reservation_id=r.id, actor=actor, reason=reason,
                     data={"rooms": numbers, "previous_room_ids": previous,
                           "stay": [r.check_in.isoformat(), r.check_out.isoformat()]})
        if notify:
            queue_notification("room_assigned", reservation=r,
                               key=f"{r.public_id}:{'-'.join(numbers)}:{r.check_in.isoformat()}",
                               context={"room_number": ", ".join(numbers), "room_numbers": numbers})
        return created

    try:
        return run_in_transaction(work)
    except IntegrityError as exc:
        if "ex_room_assignments_room_night" in str(exc.orig) or "23P01" in str(getattr(exc.orig, "sqlstate", "")):
            raise RoomTaken(fields={"rooms": _l("One of these rooms was just given to another booking. "
                                                "Choose again.")}) from None
        raise


def release_assignments(reservation_id: int, *, why: str) -> int:
    """Free the rooms of a booking that no longer uses them (canceled, checked
    out, stay changed). Commits; returns how many rows were released."""

    def work() -> int:
        r = booking._lock_reservation(reservation_id)
        return _release_rows(RoomAssignment.reservation_id == r.id, why)

    return run_in_transaction(work)


# --- tomorrow's arrivals -----------------------------------------------------------------

@dataclass
class PlanLine:
    reservation: Reservation
    rooms: list[Room]
    meets: list[str]
    problem: Any = None


def plan_tomorrow(now: datetime | None = None) -> list[PlanLine]:
    """Who gets which room among tomorrow's arrivals without one (read-only).

    Greedy, in the arrivals list's order: each booking gets the best free
    rooms for its requests that no earlier line of the plan took for
    overlapping nights. A booking with too few free rooms gets a problem line.
    """
    from app.ops.queries import list_arrivals_without_room

    plan: list[PlanLine] = []
    spans: dict[int, list[tuple[date, date]]] = {}
    for r in list_arrivals_without_room(now or clock.now()):
        free = free_rooms(r, spans=spans)
        if len(free) < r.number_of_rooms:
            plan.append(PlanLine(r, [], [], _l("Not enough free rooms of this type: assign by hand or move a "
                                              "booking.")))
            continue
        chosen = free[:r.number_of_rooms]
        for s in chosen:
            spans.setdefault(s.room.id, []).append((r.check_in, r.check_out))
        meets = sorted({m for s in chosen for m in s.meets})
        plan.append(PlanLine(r, [s.room for s in chosen], meets))
    return plan


@dataclass
class BulkResult:
    assigned: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def assign_plan(lines: list[tuple[str, list[int]]], *, actor: Actor, reason: str | None = None) -> BulkResult:
    """Assign each (reservation public id, room ids) of a confirmed plan, each in
    its own transaction: one that fails (a room taken meanwhile, the booking
    changed) is reported and the others still happen. First assignments only, so
    no reason is needed (bookings that already have a room are skipped)."""
    result = BulkResult()
    for public_id, room_ids in lines:
        r = db.session.scalar(select(Reservation).where(Reservation.public_id == public_id))
        if r is None:
            continue
        code = r.code
        if r.room_id is not None and assignments_of(r.id):
            result.failed.append((code, str(_l("it already has a room"))))
            db.session.rollback()
            continue
        try:
            assign_rooms(r.id, room_ids, actor=actor, reason=reason)
            result.assigned.append(code)
        except DomainError as exc:
            message = next(iter(exc.fields.values()), None) if exc.fields else None
            result.failed.append((code, str(message or exc.message or exc)))
    return result


# --- room features -----------------------------------------------------------------------

def features_by_room(hotel_id: int) -> dict[int, set[str]]:
    rows = db.session.execute(select(RoomFeature.room_id, RoomFeature.feature).join(Room, Room.id == RoomFeature.room_id)
                              .where(Room.hotel_id == hotel_id))
    result: dict[int, set[str]] = {}
    for room_id, feature in rows:
        result.setdefault(room_id, set()).add(feature)
    return result


def set_room_features(room_id: int, features: list[str], *, actor: Actor) -> set[str]:
    """Mark what a room offers ("quiet"); unknown names are refused. Commits."""
    wanted = set(features)
    unknown = wanted - set(policies.ROOM_FEATURES)
    if unknown:
        raise ValidationFailed(fields={"features": _l("Unknown room feature.")})

    def work() -> set[str]:
        room = db.session.get(Room, room_id)
        if room is None:
            raise NotFound()
        have = set(db.session.scalars(select(RoomFeature.feature).where(RoomFeature.room_id == room_id)))
        if have == wanted:
            return have
        db.session.execute(RoomFeature.__table__.delete().where(RoomFeature.room_id == room_id,
                                                                RoomFeature.feature.not_in(wanted)))
        db.session.add_all(RoomFeature(room_id=room_id, feature=f) for f in sorted(wanted - have))
        audit.record("room.features", entity_type="room", entity_id=room_id, actor=actor,
                     data={"before": sorted(have), "after": sorted(wanted)})
        return wanted

    return run_in_transaction(work)


# --- private notes -----------------------------------------------------------------------

def add_note(reservation_id: int, body: str, *, operator, actor: Actor) -> ReservationNote:
    """Keep a private note on a booking (operators only). Commits."""
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(fields={"body": _l("Write the note.")})
    if len(body) > 2000:
        raise ValidationFailed(fields={"body": _l("At most 2,000 characters.")})

    def work() -> ReservationNote:
        r = _get(reservation_id)
        note = ReservationNote(reservation_id=r.id, author_id=operator.id, author_name=operator.name[:200],
                               body=body, created_at=clock.now())
        db.session.add(note)
        db.session.flush()
        audit.record("reservation.note_added", entity_type="reservation", entity_id=r.public_id,
                     reservation_id=r.id, actor=actor, data={"note_id": note.id})
        return note

    return run_in_transaction(work)


def notes_of(reservation_id: int) -> list[ReservationNote]:
    return list(db.session.scalars(select(ReservationNote).where(ReservationNote.reservation_id == reservation_id)
                                   .order_by(ReservationNote.created_at.desc(), ReservationNote.id.desc())))


def _get(reservation_id: int) -> Reservation:
    r = db.session.get(Reservation, reservation_id, populate_existing=True)
    if r is None:
        raise NotFound()
    return r
