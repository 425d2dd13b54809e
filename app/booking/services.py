"""Reservation use cases: reserve, cancel, modify, and every status change.

The heart of the product. Inventory follows DESIGN invariant 1:

* taking rooms is a conditional `UPDATE … SET reserved = reserved + n WHERE …
  AND reserved + n <= cap` over all nights of the stay; fewer rows changed
  than nights means sold out and the transaction rolls back (all or nothing);
* on PostgreSQL the nights are first locked in date order
  (`SELECT … ORDER BY night FOR UPDATE`), so concurrent bookings of the same
  nights queue instead of deadlocking; on SQLite every transaction is
  `BEGIN IMMEDIATE` (app.core.db);
* releasing rooms is guarded by flipping `reservations.inventory_held` from
  true to false in the same transaction, so it happens exactly once whatever
  the path (cancel twice, expiry racing a cancel, a job run twice).

No network call happens inside a transaction here.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from app.booking import policies, search_cache
from app.booking.models import BookingConflict, Reservation
from app.booking.policies import BookingRequest
from app.booking.queries import find_alternatives, nightly_prices, reservation_receipt
from app.booking.states import HOLDS_INVENTORY, ReservationStatus, next_state
from app.catalog.models import Hotel, RoomType
from app.catalog.states import HotelStatus
from app.core import audit, clock, idempotency
from app.core.actor import Actor, current_actor
from app.core.context import current_request_id
from app.core.db import among, insert_ignoring_duplicates, is_postgres, lock_by_id, run_in_transaction
from app.core.errors import IdempotencyInProgress, IllegalTransition, NotFound, SoldOut, ValidationFailed
from app.core.ids import booking_code, keyed_token, public_id, tokens_equal
from app.extensions import db
from app.notifications.services import queue_notification

log = logging.getLogger(__name__)

IDEMPOTENCY_SCOPE = "reservations"


# --- access tokens ------------------------------------------------------------

def access_token_for(reservation: Reservation) -> str:
    """The bearer token that lets a guest read and change their own booking.

    Derived from the app secret and a per-reservation salt: nothing secret is
    stored, and rotating the salt revokes it.
    """
    return "rat_" + keyed_token(current_app.config["LINK_SECRET"], "reservation-access",
                                reservation.public_id, reservation.access_salt)


def is_access_token_valid(reservation: Reservation, token: str | None) -> bool:
    return bool(token) and tokens_equal(access_token_for(reservation), token)


# --- inventory primitives (no commit) -------------------------------------------

class _Full(Exception):
    """Some night of the stay has too few rooms left."""


def _lock_nights(room_type_id: int, start: date, end: date) -> None:
    """PostgreSQL: lock the nights of [start, end) in date order (no-op on SQLite)."""
    if is_postgres():
        db.session.execute(
            text("SELECT id FROM inventory_nights WHERE room_type_id = :rt AND night >= :a AND night < :b "
                 "ORDER BY night FOR UPDATE"),
            {"rt": room_type_id, "a": start, "b": end},
        )


def _take_rooms(room_type: RoomType, start: date, end: date, rooms: int) -> None:
    """Add `rooms` to every night of [start, end) or raise _Full (caller rolls back)."""
    nights = (end - start).days
    changed = db.session.execute(
        text("UPDATE inventory_nights SET reserved = reserved + :n "
             "WHERE room_type_id = :rt AND night >= :a AND night < :b "
             "AND reserved + :n <= (total * :pct) / 100"),
        {"n": rooms, "rt": room_type.id, "a": start, "b": end, "pct": room_type.overbooking_percent},
    ).rowcount
    if changed != nights:
        raise _Full()
    search_cache.touch_nights(db.session, room_type.id, start, end)


def _lock_and_take_rooms(room_type: RoomType, start: date, end: date, rooms: int) -> None:
    """_lock_nights then _take_rooms, as one statement on PostgreSQL (or raise _Full).

    The CTE locks the nights in date order (`ORDER BY night FOR UPDATE`,
    MATERIALIZED so it stays its own LockRows-over-Sort step) and feeds the
    guarded UPDATE: DESIGN invariant 1's "the same as a CTE feeding the
    UPDATE", one round trip instead of two. The cap is re-checked on the
    newest row version under the lock, as with the two statements.
    """
    if not is_postgres():
        _take_rooms(room_type, start, end, rooms)  # BEGIN IMMEDIATE already serialises writers
        return
    nights = (end - start).days
    changed = db.session.execute(
        text("WITH locked AS MATERIALIZED ("
             "SELECT id FROM inventory_nights WHERE room_type_id = :rt AND night >= :a AND night < :b "
             "ORDER BY night FOR UPDATE) "
             "UPDATE inventory_nights SET reserved = reserved + :n FROM locked "
             "WHERE inventory_nights.id = locked.id "
             "AND inventory_nights.reserved + :n <= (inventory_nights.total * :pct) / 100"),
        {"n": rooms, "rt": room_type.id, "a": start, "b": end, "pct": room_type.overbooking_percent},
    ).rowcount
    if changed != nights:
        raise _Full()
    search_cache.touch_nights(db.session, room_type.id, start, end)


def _give_back_rooms(room_type_id: int, start: date, end: date, rooms: int) -> None:
    db.session.execute(
        text("UPDATE inventory_nights SET reserved = reserved - :n "
             "WHERE room_type_id = :rt AND night >= :a AND night < :b"),
        {"n": rooms, "rt": room_type_id, "a": start, "b": end},
    )
    search_cache.touch_nights(db.session, room_type_id, start, end)


def release_inventory(reservation: Reservation) -> bool:
    """Free the reservation's nights once (guarded); False if already freed. No commit."""
    flipped = db.session.execute(
        update(Reservation)
        .where(Reservation.id == reservation.id, Reservation.inventory_held.is_(True))
        .values(inventory_held=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    if flipped != 1:
        return False
    _lock_nights(reservation.room_type_id, reservation.check_in, reservation.check_out)
    _give_back_rooms(reservation.room_type_id, reservation.check_in, reservation.check_out,
                     reservation.number_of_rooms)
    db.session.refresh(reservation, ["inventory_held"])
    return True


def _retake_inventory(reservation: Reservation) -> None:
    """Hold a released reservation's nights again, all or none (raises SoldOut). No commit."""
    _lock_nights(reservation.room_type_id, reservation.check_in, reservation.check_out)
    try:
        _take_rooms(reservation.room_type, reservation.check_in, reservation.check_out,
                    reservation.number_of_rooms)
    except _Full:
        raise SoldOut(fields={"reservation": "The rooms of this booking have been sold meanwhile."}) from None
    reservation.inventory_held = True


def _lock_reservation(reservation_id: int) -> Reservation:
    """Re-read a reservation under a row lock (BEGIN IMMEDIATE covers SQLite)."""
    return lock_by_id(Reservation, reservation_id)


# --- reserve --------------------------------------------------------------------

@dataclass
class BookingOutcome:
    reservation: Reservation | None
    body: dict[str, Any]
    replayed: bool
    access_token: str

    @property
    def response_body(self) -> dict[str, Any]:
        return {**self.body, "accessToken": self.access_token}


class _DuplicateKey(Exception):
    pass


NOT_TAKING_BOOKINGS = "This hotel or room type is not taking bookings."
_MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger one exists nowhere (and PostgreSQL would refuse it)


def _load_bookable(req: BookingRequest) -> tuple[Hotel, RoomType]:
    """The hotel and room type of a request, in one query; NotFound says which is wrong."""
    row = None
    if req.hotel_id <= _MAX_ID and req.room_type_id <= _MAX_ID:
        row = db.session.execute(
            select(Hotel, RoomType).join(RoomType, RoomType.hotel_id == Hotel.id)
            .where(Hotel.id == req.hotel_id, RoomType.id == req.room_type_id)
        ).first()
    if row is None:
        if req.hotel_id > _MAX_ID or db.session.get(Hotel, req.hotel_id) is None:
            raise NotFound(fields={"hotelID": "No hotel with this id."})
        raise NotFound(fields={"roomTypeID": "No room type with this id in this hotel."})
    hotel, room_type = row
    if hotel.status != HotelStatus.ACTIVE or not room_type.active:
        raise ValidationFailed(fields={"hotelID": NOT_TAKING_BOOKINGS})
    return hotel, room_type


def _hold_hotel_open(hotel_id: int) -> None:
    """Inside the booking's transaction: the hotel is still taking bookings, and stays so
    until this transaction ends. On PostgreSQL a FOR SHARE lock on the hotel row makes a
    deactivation (FOR UPDATE) wait for bookings in flight, so its cancel-all step sees
    them; a booking that waited behind a deactivation reads the new status and stops.
    On SQLite BEGIN IMMEDIATE already orders the two."""
    status = db.session.scalar(select(Hotel.status).where(Hotel.id == hotel_id).with_for_update(read=True))
    if status != HotelStatus.ACTIVE:
        raise ValidationFailed(fields={"hotelID": NOT_TAKING_BOOKINGS})


def _validate_for_hotel(req: BookingRequest, hotel: Hotel, room_type: RoomType) -> None:
    cfg = current_app.config
    local_now = clock.to_local(clock.now(), hotel.timezone)
    policies.validate_stay(
        req.check_in, req.check_out, today=local_now.date(), local_now=local_now,
        same_day_cutoff=time.fromisoformat(cfg["SAME_DAY_CUTOFF"]),
        max_nights=cfg["MAX_NIGHTS"], horizon_days=cfg["INVENTORY_HORIZON_DAYS"],
    )
    policies.validate_occupancy(req.guests, req.rooms, room_type.max_occupancy)


def _new_code() -> str:
    for _ in range(5):
        code = booking_code()
        if not db.session.scalar(select(Reservation.id).where(Reservation.code == code)):
            return code
    raise RuntimeError("could not find a free booking code")


def _replay(row: idempotency.IdempotencyKey, fp: str) -> BookingOutcome:
    idempotency.check_replay(row, fp)
    if row.response_body is None:
        raise IdempotencyInProgress()
    reservation = db.session.scalar(select(Reservation).where(Reservation.public_id == row.resource_id))
    return BookingOutcome(reservation, row.response_body, True, access_token_for(reservation))


def create_reservation(req: BookingRequest, *, idempotency_key: str, channel: str = "api",
                       actor: Actor | None = None) -> BookingOutcome:
    """Hold rooms for a stay: a `pending` reservation with a hold that expires.

    With a coupon worth the whole price the booking is `paid` at once (method "coupon", ₩0,
    no hold): the coupon's ledger row is its whole money trail.

    Same idempotency key + same request → the first outcome again; another
    request under the key → IdempotencyConflict; a concurrent duplicate waits
    for the first and then replays it. Sold out → SoldOut with alternatives,
    after recording a booking conflict (once per key).
    """
    key = idempotency.validate_key(idempotency_key)
    fp = idempotency.fingerprint(req.fingerprint_payload())
    existing = idempotency.find(IDEMPOTENCY_SCOPE, key)
    if existing is not None:
        return _replay(existing, fp)
    hotel, room_type = _load_bookable(req)
    _validate_for_hotel(req, hotel, room_type)
    prices = nightly_prices(room_type, req.check_in, req.check_out)
    total = sum(prices) * req.rooms
    applied = None
    if req.coupon_code:
        from app.refunds import coupons
        applied = coupons.check(req.coupon_code, hotel_id=hotel.id, currency=hotel.currency, list_price=total)
        total = applied.total
    # A coupon worth the whole price (or more): nothing to pay, so no card, no transfer and no hold
    # to expire; the booking is confirmed in its own transaction, paid by the coupon.
    free = applied is not None and total == 0
    cfg = current_app.config
    actor = actor or current_actor(Actor.guest(req.guest.email))

    def work() -> tuple[Reservation, dict[str, Any], str]:
        # Built first (not yet in the session) so the key row can be inserted
        # with its response: the receipt depends only on these values.
        now = clock.now()
        reservation = Reservation(
            public_id=public_id("rsv"), code=_new_code(), hotel_id=hotel.id, room_type_id=room_type.id,
            check_in=req.check_in, check_out=req.check_out, number_of_rooms=req.rooms,
            number_of_guests=req.guests, guest_first_name=req.guest.first_name,
            guest_last_name=req.guest.last_name, guest_email=req.guest.email, guest_phone=req.guest.phone,
            language=req.guest.language, special_requests=req.special_requests,
            payment_method=policies.PAID_BY_COUPON if free else req.payment_method,
            status=ReservationStatus.PENDING, total_amount=total, currency=hotel.currency,
            discount_amount=applied.discount if applied else 0,
            hold_expires_at=None if free else now + policies.hold_duration(req.payment_method, cfg),
            inventory_held=True, access_salt=secrets.token_hex(8), channel=channel,
            request_id=current_request_id(), created_at=now, updated_at=now,
        )
        body = reservation_receipt(reservation)
        if free:  # paid below, in this transaction
            body["status"] = ReservationStatus.PAID.value
        _hold_hotel_open(hotel.id)
        try:
            idempotency.claim(IDEMPOTENCY_SCOPE, key, fp, cfg["IDEMPOTENCY_TTL_HOURS"], response_status=201,
                              response_body=body, resource_id=reservation.public_id)
        except IntegrityError as exc:
            raise _DuplicateKey() from exc
        _lock_and_take_rooms(room_type, req.check_in, req.check_out, req.rooms)
        db.session.add(reservation)
        db.session.flush()
        audit.record("reservation.created", entity_type="reservation", entity_id=reservation.public_id,
                     reservation_id=reservation.id, actor=actor, to_state=ReservationStatus.PENDING,
                     data={"code": reservation.code, "nights": req.nights, "rooms": req.rooms,
                           "total": total, "channel": channel,
                           **({"coupon": applied.code, "discount": applied.discount} if applied else {})})
        if applied is not None:
            from app.refunds import coupons
            coupons.redeem(applied, reservation, actor=actor)
        if free:
            _apply_transition(reservation, ReservationStatus.PAID, actor=actor, reason=policies.PAID_BY_COUPON_REASON,
                              data={"coupon": applied.code, "list_price": applied.list_price,
                                    "discount": applied.discount})
            queue_notification("payment_confirmed", reservation=reservation, key=reservation.public_id)
        else:
            queue_notification("booking_received", reservation=reservation, key=reservation.public_id)
        # Read before COMMIT expires the object: reloading it would cost a transaction.
        return reservation, body, access_token_for(reservation)

    try:
        reservation, body, token = run_in_transaction(work)
    except _DuplicateKey:
        existing = idempotency.find(IDEMPOTENCY_SCOPE, key)
        if existing is None:  # the other request rolled back in between
            raise IdempotencyInProgress()
        return _replay(existing, fp)
    except _Full:
        alternatives = record_conflict(req, hotel, room_type, idempotency_key=key, channel=channel)
        raise SoldOut(alternatives=alternatives)
    log.info("reservation created", extra={"reservation": body["reservationID"], "code": body["code"]})
    return BookingOutcome(reservation, body, False, token)


def record_conflict(req: BookingRequest, hotel: Hotel, room_type: RoomType, *, idempotency_key: str | None,
                    channel: str) -> list[dict[str, Any]]:
    """Write a booking conflict (resolution PENDING_REVIEW) and return the alternatives.

    One conflict per idempotency key, so a retried request is not counted twice.
    """
    today = clock.local_today(hotel.timezone)
    alternatives = find_alternatives(hotel, room_type, req.check_in, req.check_out,
                                     rooms=req.rooms, guests=req.guests, today=today)
    full = [n.isoformat() for n in _full_nights(room_type, req.check_in, req.check_out, req.rooms)]

    def work() -> None:
        insert_ignoring_duplicates(BookingConflict, [{
            "hotel_id": hotel.id, "room_type_id": room_type.id, "check_in": req.check_in,
            "check_out": req.check_out, "number_of_rooms": req.rooms,
            "guest_name": f"{req.guest.first_name} {req.guest.last_name}".strip(),
            "guest_email": req.guest.email, "guest_phone": req.guest.phone, "language": req.guest.language,
            "channel": channel, "full_nights": full, "alternatives": alternatives,
            "request_id": current_request_id(), "idempotency_key": idempotency_key,
            "resolution": "PENDING_REVIEW", "created_at": clock.now(), "updated_at": clock.now(),
        }], ["idempotency_key"])

    run_in_transaction(work)
    log.warning("booking conflict", extra={"hotel": hotel.id, "room_type": room_type.id,
                                           "check_in": req.check_in.isoformat(), "full_nights": full})
    return alternatives


def _full_nights(room_type: RoomType, start: date, end: date, rooms: int) -> list[date]:
    """The nights of [start, end) with fewer than `rooms` left (or not on sale)."""
    from app.booking.queries import availability_by_room_type

    info = availability_by_room_type([room_type.id], start, end, with_nights=True)[room_type.id]
    by_night = {n.night: n.available for n in info.nights}
    all_nights = [start + timedelta(days=i) for i in range((end - start).days)]
    return [n for n in all_nights if by_night.get(n, 0) < rooms]


# --- status changes ---------------------------------------------------------------

def _apply_transition(reservation: Reservation, target: str, *, actor: Actor, reason: str | None,
                      data: dict[str, Any] | None = None) -> str:
    """Move a locked reservation along the table, with its side effects. No commit."""
    previous = reservation.status
    new = next_state(previous, target)
    now = clock.now()
    reservation.status = new
    reservation.updated_at = now
    if new == ReservationStatus.PAID:
        reservation.paid_at = now
        reservation.hold_expires_at = None
    if new == ReservationStatus.CANCELED:
        reservation.canceled_at = now
        reservation.cancel_reason = reason
    if new not in HOLDS_INVENTORY:
        release_inventory(reservation)
    elif not reservation.inventory_held:
        _retake_inventory(reservation)
    audit.record("reservation.status", entity_type="reservation", entity_id=reservation.public_id,
                 reservation_id=reservation.id, actor=actor, from_state=previous, to_state=new,
                 reason=reason, data=data)
    return previous


def change_status(reservation_id: int, target: str, *, actor: Actor | None = None, reason: str | None = None,
                  expected: tuple[str, ...] | None = None) -> Reservation:
    """Move a reservation to `target` along the transition table. Commits.

    Locks the row and re-checks: when another process already made the same
    move it is a logged no-op; any move the table forbids raises
    IllegalTransition (409). `expected` narrows the allowed starting states.
    """
    actor = actor or current_actor()

    def work() -> Reservation:
        reservation = _lock_reservation(reservation_id)
        if reservation.status == target:
            log.info("status already %s", target, extra={"reservation": reservation.public_id})
            return reservation
        if expected is not None and reservation.status not in expected:
            raise IllegalTransition(fields={"status": f"{reservation.status} → {target} is not allowed here"})
        _apply_transition(reservation, target, actor=actor, reason=reason)
        return reservation

    return run_in_transaction(work)


def mark_paid(reservation_id: int, *, actor: Actor | None = None, reason: str | None = None,
              notify: bool = True) -> tuple[Reservation, bool]:
    """pending → paid (no commit: the caller's transaction records the payment too).

    Returns (reservation, True) when this call made it paid; (reservation,
    False) when it was already paid or is no longer pending (the caller then
    decides, e.g. a refund for money that arrived after the hold expired).
    """
    actor = actor or current_actor()
    reservation = _lock_reservation(reservation_id)
    if reservation.status != ReservationStatus.PENDING:
        return reservation, False
    _apply_transition(reservation, ReservationStatus.PAID, actor=actor, reason=reason)
    if notify:
        queue_notification("payment_confirmed", reservation=reservation, key=reservation.public_id)
    return reservation, True


def revive_reservation(reservation_id: int, *, actor: Actor | None = None, reason: str | None = None) -> Reservation:
    """canceled → paid for money that arrived after the hold expired (no commit).

    Takes the nights again if they are still free (SoldOut otherwise, and the
    caller refunds the payer). The caller records the payment in the same
    transaction.
    """
    actor = actor or current_actor()
    reservation = _lock_reservation(reservation_id)
    if reservation.status != ReservationStatus.CANCELED:
        raise IllegalTransition(fields={"status": f"Only a canceled booking can be revived, not {reservation.status}."})
    _apply_transition(reservation, ReservationStatus.PAID, actor=actor, reason=reason or "revived by a late deposit")
    if reservation.discount_amount:
        from app.refunds import coupons

        coupons.take_again(reservation, actor=actor)
    return reservation


def mark_refunded(reservation_id: int, *, actor: Actor | None = None, reason: str | None = None) -> bool:
    """canceled → refunded once its money went back (no commit). False when it is not canceled."""
    actor = actor or current_actor()
    reservation = _lock_reservation(reservation_id)
    if reservation.status != ReservationStatus.CANCELED:
        return False
    _apply_transition(reservation, ReservationStatus.REFUNDED, actor=actor, reason=reason)
    return True


@dataclass
class CancelOutcome:
    reservation: Reservation
    refund: Any | None
    changed: bool


def cancel_reservation(reservation_id: int, *, actor: Actor | None = None, reason: str | None = None,
                       source: str = "customer", our_fault: str | None = None) -> CancelOutcome:
    """Cancel a pending or paid booking, freeing its rooms once. Commits.

    A paid booking gets a refund request sized by the refund policy (an
    operator decides it, see app.refunds); `our_fault` (an OurFault value,
    e.g. a hotel closure) makes that refund case C. A booking paid in full by a
    coupon (₩0) has nothing to refund: no refund, no payout. A coupon the booking
    used comes back when app.refunds.policies.coupon_comes_back says so and it has
    not expired. Cancelling twice changes nothing the second time; cancelling a
    checked-in stay raises IllegalTransition.
    """
    from app.refunds.services import request_refund

    actor = actor or current_actor()

    def work() -> CancelOutcome:
        reservation = _lock_reservation(reservation_id)
        if reservation.status in (ReservationStatus.CANCELED, ReservationStatus.REFUNDED):
            return CancelOutcome(reservation, None, False)
        was = _apply_transition(reservation, ReservationStatus.CANCELED, actor=actor, reason=reason)
        from app.payments.services import cancel_pending_payments

        cancel_pending_payments(reservation, actor=actor)
        refund = None
        if was == ReservationStatus.PAID:
            refund = request_refund(reservation, source=source, requested_reason=reason, actor=actor,
                                    our_fault=our_fault)
        elif was == ReservationStatus.PENDING:
            # Part of the money had arrived (a short bank transfer): it is never kept silently.
            from app.ledger.services import paid_amount

            paid = paid_amount(reservation.id)
            if paid > 0:
                db.session.flush()
                refund = request_refund(reservation, source="partial_payment", fixed_amount=paid, actor=actor,
                                        requested_reason=reason)
        context = _give_back_coupon(reservation, was=was, our_fault=our_fault, actor=actor)
        queue_notification("booking_canceled", reservation=reservation, key=reservation.public_id, context=context)
        return CancelOutcome(reservation, refund, True)

    return run_in_transaction(work)


def _give_back_coupon(reservation: Reservation, *, was: str, our_fault: str | None, actor: Actor) -> dict[str, Any]:
    """A canceled booking's coupon, given back when the rules say so (no commit); the cancellation
    message's context says what became of it ({} when no coupon was used)."""
    if not reservation.discount_amount:
        return {}
    from app.refunds import coupons
    from app.refunds.policies import FULL_REFUND_DAYS, coupon_comes_back

    use = coupons.coupon_use(reservation)
    if use is None:
        return {}
    back = None
    if coupon_comes_back(was_paid=was == ReservationStatus.PAID, check_in=reservation.check_in,
                         today=clock.local_today(reservation.hotel.timezone), our_fault=our_fault):
        back = coupons.give_back(reservation, actor=actor, reason=reservation.cancel_reason or "canceled")
    coupon = {"code": use.code, "given_back": back is not None, "expired": back is None and use.expired,
              "days": FULL_REFUND_DAYS}
    if back is not None:
        coupon["expires"] = clock.to_local(back.expires_at, reservation.hotel.timezone).date()
    return {"coupon": coupon}


# --- modify ---------------------------------------------------------------------------

@dataclass
class ChangeOutcome:
    reservation: Reservation
    old_total: int
    new_total: int
    refund: Any | None


def modify_reservation(reservation_id: int, *, check_in: date | None = None, check_out: date | None = None,
                       room_type_id: int | None = None, rooms: int | None = None,
                       actor: Actor | None = None, reason: str | None = None) -> ChangeOutcome:
    """Change dates, room type or number of rooms: all or nothing. Commits.

    The old nights are given back and the new ones taken in one transaction;
    when the new nights are sold out nothing changes (SoldOut). A paid booking
    whose price drops gets a refund request for the difference; one whose
    price rises owes the difference (payable through POST /v1/payments). A
    coupon stays on the booking: its discount is worked out again on the new
    price (a ₩0 booking with a 100 % coupon stays ₩0), with a ledger row.
    """
    from app.refunds.services import refundable_amount, request_refund

    actor = actor or current_actor()

    def work() -> ChangeOutcome:
        r = _lock_reservation(reservation_id)
        if r.status not in (ReservationStatus.PENDING, ReservationStatus.PAID):
            raise IllegalTransition(fields={"status": f"A {r.status} booking cannot be changed."})
        new_in, new_out = check_in or r.check_in, check_out or r.check_out
        new_rooms = rooms if rooms is not None else r.number_of_rooms
        new_type = db.session.get(RoomType, room_type_id) if room_type_id is not None else r.room_type
        if new_type is None or new_type.hotel_id != r.hotel_id:
            raise NotFound(fields={"roomTypeID": "No room type with this id in this hotel."})
        if not new_type.active and new_type.id != r.room_type_id:
            raise ValidationFailed(fields={"roomTypeID": "This room type is not taking bookings."})
        if not 1 <= new_rooms <= policies.MAX_ROOMS:
            raise ValidationFailed(fields={"numberOfRooms": "A whole number from 1 to 9."})
        unchanged = (new_in, new_out, new_type.id, new_rooms) == (r.check_in, r.check_out, r.room_type_id,
                                                                   r.number_of_rooms)
        if unchanged:
            return ChangeOutcome(r, r.total_amount, r.total_amount, None)
        hotel = r.hotel
        local_now = clock.to_local(clock.now(), hotel.timezone)
        cfg = current_app.config
        policies.validate_stay(new_in, new_out, today=local_now.date(), local_now=local_now,
                               same_day_cutoff=time.fromisoformat(cfg["SAME_DAY_CUTOFF"]),
                               max_nights=cfg["MAX_NIGHTS"], horizon_days=cfg["INVENTORY_HORIZON_DAYS"])
        policies.validate_occupancy(r.number_of_guests, new_rooms, new_type.max_occupancy)
        # Lock every night involved, per room type in id order and in date order within it.
        spans: dict[int, tuple[date, date]] = {r.room_type_id: (r.check_in, r.check_out)}
        a, b = spans.get(new_type.id, (new_in, new_out))
        spans[new_type.id] = (min(a, new_in), max(b, new_out))
        for type_id in sorted(spans):
            _lock_nights(type_id, *spans[type_id])
        _give_back_rooms(r.room_type_id, r.check_in, r.check_out, r.number_of_rooms)
        _take_rooms(new_type, new_in, new_out, new_rooms)
        old = {"checkInDate": r.check_in.isoformat(), "checkOutDate": r.check_out.isoformat(),
               "roomTypeID": str(r.room_type_id), "numberOfRooms": r.number_of_rooms, "total": r.total_amount,
               **({"discount": r.discount_amount} if r.discount_amount else {})}
        old_total = r.total_amount
        new_list = sum(nightly_prices(new_type, new_in, new_out)) * new_rooms
        new_total = new_list
        if r.discount_amount:  # the coupon stays on the booking: its discount follows the new price
            from app.refunds import coupons

            r.discount_amount = coupons.discount_after_change(r, new_list, actor=actor)
            new_total = new_list - r.discount_amount
        r.check_in, r.check_out, r.room_type_id, r.number_of_rooms = new_in, new_out, new_type.id, new_rooms
        r.total_amount = new_total
        r.room_id = None  # a room assigned for the old stay may not fit the new one
        r.updated_at = clock.now()
        new = {"checkInDate": new_in.isoformat(), "checkOutDate": new_out.isoformat(),
               "roomTypeID": str(new_type.id), "numberOfRooms": new_rooms, "total": new_total,
               **({"discount": r.discount_amount} if r.discount_amount else {})}
        audit.record("reservation.changed", entity_type="reservation", entity_id=r.public_id,
                     reservation_id=r.id, actor=actor, reason=reason, data={"before": old, "after": new})
        refund = None
        if r.status == ReservationStatus.PAID and new_total < old_total:
            # Pay back only what we hold beyond the new price: a rise the guest never
            # paid is not refunded when the price drops again.
            excess = refundable_amount(r) - new_total
            if excess > 0:
                refund = request_refund(r, source="modification", requested_reason=reason, actor=actor,
                                        fixed_amount=excess)
        queue_notification("booking_changed", reservation=r, key=f"{r.public_id}:{r.updated_at.timestamp()}")
        return ChangeOutcome(r, old_total, new_total, refund)

    try:
        return run_in_transaction(work)
    except _Full:
        raise SoldOut(alternatives=[])


def outstanding_amount(reservation: Reservation) -> int:
    """What the guest still owes: the total less what the ledger says was paid (never negative)."""
    from app.ledger.services import paid_amount

    return max(0, reservation.total_amount - paid_amount(reservation.id))


def hold_remaining_seconds(reservation: Reservation, now: datetime | None = None) -> int:
    if reservation.hold_expires_at is None or reservation.status != ReservationStatus.PENDING:
        return 0
    return max(0, int((reservation.hold_expires_at - (now or clock.now())).total_seconds()))


# --- hold expiry and the bank-transfer auto-cancel (run by the periodic jobs) -------------

HOLD_EXPIRED_REASON = "Hold expired"
#: The deposits back office lists bookings canceled with a reason starting with this.
NO_DEPOSIT_REASON = "No deposit within 24 hours"
#: Bookings per transaction: larger batches cost fewer round trips; each batch holds the nights
#: it gives back locked for its own duration (≈ 0.25 s at 2,000 on two cores), which a booking of
#: those nights waits for.
EXPIRY_BATCH = 2000


def expire_due_holds(now: datetime | None = None, *, batch_size: int | None = None,
                     on_backlog: Callable[[], None] | None = None) -> int:
    """Cancel pending card bookings whose hold has ended (seed 003: 15 minutes).

    Each: pending → canceled (guarded: `status = 'pending' AND hold_expires_at
    <= now`), rooms freed exactly once, an audit event (reason "Hold
    expired"), and a `hold_expired` message to the guest. Processes batches
    of `batch_size`, one transaction each, with set-based statements, so
    100,000 expired holds take seconds, not hours. Safe to run twice, and
    concurrently: rows another transaction holds (a payment completing right
    now) are skipped and looked at again on the next run. Returns how many
    were canceled. `on_backlog` is called once, after the first batch, when
    that batch was full (more are due): the job uses it to bring in a helper.
    """
    return _cancel_expired(now or clock.now(), bank_transfer=False, reason=HOLD_EXPIRED_REASON,
                           actor=Actor.system("hold-expiry"),
                           batch_size=EXPIRY_BATCH if batch_size is None else batch_size, on_backlog=on_backlog)


def cancel_unpaid_bank_transfers(now: datetime | None = None, *, batch_size: int = EXPIRY_BATCH) -> int:
    """Cancel bank-transfer bookings whose deposit did not arrive within their
    hold (`hold_expires_at`, 24 hours after booking); their open transfer
    orders are closed. Reason: "No deposit within 24 hours". The guest gets
    `hold_expired`. Same guarantees as expire_due_holds; safe to run twice.

    Money is never kept silently (DESIGN invariant 10): a booking the ledger
    says is partly paid is not canceled but waits for a person's decision,
    and one that a deposit waiting for a decision on a statement line names
    is left for that decision (app.deposits.shortfall.hold_for_decision).
    """
    return _cancel_expired(now or clock.now(), bank_transfer=True, reason=NO_DEPOSIT_REASON,
                           actor=Actor.system("bank-transfer-auto-cancel"), batch_size=batch_size)


def _cancel_expired(now: datetime, *, bank_transfer: bool, reason: str, actor: Actor, batch_size: int,
                    on_backlog: Callable[[], None] | None = None) -> int:
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    next_state(ReservationStatus.PENDING, ReservationStatus.CANCELED)  # the table allows it
    total = 0
    skip: set[int] = set()  # bookings a deposit waiting for a decision keeps (grows batch by batch)
    while True:
        selected, canceled, held = run_in_transaction(
            lambda: _cancel_expired_batch(now, bank_transfer=bank_transfer, reason=reason, actor=actor,
                                          batch_size=batch_size, skip=skip))
        total += canceled
        if selected < batch_size or canceled + held == 0:
            break
        if on_backlog is not None:
            on_backlog()
            on_backlog = None
    if total:
        log.info("expired holds canceled", extra={"count": total, "bank_transfer": bank_transfer})
    return total


def _cancel_expired_batch(now: datetime, *, bank_transfer: bool, reason: str, actor: Actor,
                          batch_size: int, skip: set[int] | None = None) -> tuple[int, int, int]:
    """One batch in the caller's transaction: (rows looked at, rows canceled, rows kept for a
    decision). Bank transfers with money paid or a deposit waiting for a decision are kept;
    those waiting on a statement line are added to `skip`, so the next batch looks past them."""
    from app.notifications.services import queue_notifications_bulk
    from app.payments.models import Payment
    from app.payments.states import PaymentMethod, PaymentStatus

    method_clause = (Reservation.payment_method == "bank_transfer") if bank_transfer \
        else (Reservation.payment_method != "bank_transfer")
    due = (Reservation.status == ReservationStatus.PENDING, Reservation.hold_expires_at <= now, method_clause,
           Reservation.payment_shortfall_at.is_(None))
    query = (select(Reservation.id, Reservation.public_id, Reservation.room_type_id, Reservation.check_in,
                    Reservation.check_out, Reservation.number_of_rooms, Reservation.inventory_held)
             .where(*due).order_by(Reservation.hold_expires_at, Reservation.id).limit(batch_size))
    if skip:
        query = query.where(Reservation.id.not_in(sorted(skip)))
    if is_postgres():  # a booking being paid right now is locked: leave it to the payment
        query = query.with_for_update(skip_locked=True, of=Reservation)
    rows = {row.id: row for row in db.session.execute(query).all()}
    if not rows:
        return 0, 0, 0
    held: set[int] = set()
    if bank_transfer:  # money paid, or a deposit waiting for a decision: a person decides, not this job
        from app.deposits.shortfall import hold_for_decision

        partly_paid, waiting = hold_for_decision(sorted(rows), now=now, actor=actor)
        held = partly_paid | waiting
        if skip is not None:
            skip |= waiting
    to_cancel = [i for i in rows if i not in held]
    if not to_cancel:
        return len(rows), 0, len(held)
    # PostgreSQL: the SELECT above locked these rows with its conditions re-checked on their newest
    # version, so naming them by id is enough. Repeating the conditions let the planner walk the
    # (status, …) index through every pending booking for each batch — its statistics rarely
    # expect 100,000 pending ones — which made a large expiry quadratic. SQLite: BEGIN IMMEDIATE
    # serialises writers and the conditions are cheap.
    guard = () if is_postgres() else due
    canceled_ids = db.session.execute(
        update(Reservation).where(among(Reservation.id, to_cancel), *guard)
        .values(status=ReservationStatus.CANCELED, canceled_at=now, updated_at=now, cancel_reason=reason,
                inventory_held=False)
        .returning(Reservation.id).execution_options(synchronize_session=False)).scalars().all()
    canceled_ids = sorted(canceled_ids)
    canceled = [rows[i] for i in canceled_ids]
    released = [r for r in canceled if r.inventory_held]  # a pending booking always holds; be sure anyway
    _free_nights_in_bulk(released)
    closed = db.session.execute(
        update(Payment).where(among(Payment.reservation_id, canceled_ids), Payment.status == PaymentStatus.PENDING,
                              Payment.method == PaymentMethod.BANK_TRANSFER)
        .values(status=PaymentStatus.CANCELED, updated_at=now)
        .returning(Payment.public_id, Payment.reservation_id).execution_options(synchronize_session=False)).all()
    released_ids = {r.id for r in released}
    public_ids = {r.id: r.public_id for r in canceled}
    _audit_in_bulk(sorted(released_ids), now=now, actor=actor, reason=reason, released=True,
                   public_ids=public_ids)
    _audit_in_bulk([i for i in canceled_ids if i not in released_ids], now=now, actor=actor, reason=reason,
                   released=False, public_ids=public_ids)
    if closed:
        audit.record_many([
            dict(created_at=now, actor_kind=actor.kind, actor_id=actor.id, actor_name=actor.name,
                 action="payment.canceled", entity_type="payment", entity_id=p.public_id,
                 reservation_id=p.reservation_id, from_state=PaymentStatus.PENDING.value,
                 to_state=PaymentStatus.CANCELED.value, reason=reason, data=None, request_id=current_request_id())
            for p in closed])
    # Never paid: a coupon used on them comes back (app.refunds.policies.coupon_comes_back).
    from app.refunds.coupons import give_back_many

    give_back_many(canceled_ids, actor=actor, reason=reason)
    queue_notifications_bulk("hold_expired", canceled_ids)
    return len(rows), len(canceled), len(held)


def _audit_in_bulk(reservation_ids: list[int], *, now: datetime, actor: Actor, reason: str, released: bool,
                   public_ids: dict[int, str]) -> None:
    """One `pending → canceled` audit event per reservation, chained, in one INSERT (no commit).
    `public_ids`: id → public id, read with the batch."""
    if not reservation_ids:
        return
    request_id = current_request_id()
    found = [(rid, public_ids[rid]) for rid in sorted(reservation_ids)]
    audit.record_many([
        dict(created_at=now, actor_kind=actor.kind, actor_id=actor.id, actor_name=actor.name,
             action="reservation.status", entity_type="reservation", entity_id=public_id, reservation_id=rid,
             from_state=ReservationStatus.PENDING.value, to_state=ReservationStatus.CANCELED.value, reason=reason,
             data={"rooms_released": released}, request_id=request_id)
        for rid, public_id in found])


def _free_nights_in_bulk(reservations: list[Any]) -> None:
    """Give back the nights of many reservations at once (no commit).

    The caller has already flipped their `inventory_held` to false in the same
    transaction, which is what makes this happen once. Rooms are summed per
    (room type, night); on PostgreSQL the nights are locked in (room type, night)
    order first, as every other writer does (DESIGN invariant 1).
    """
    per_night: dict[tuple[int, date], int] = {}
    for r in reservations:
        night = r.check_in
        while night < r.check_out:
            per_night[(r.room_type_id, night)] = per_night.get((r.room_type_id, night), 0) + r.number_of_rooms
            night += timedelta(days=1)
    if not per_night:
        return
    search_cache.touch_room_type_nights(db.session, per_night)
    ordered = sorted(per_night.items())
    if is_postgres():
        # Lock every night first, in (room type, night) order, in one statement: the order each
        # booking locks its own room type's nights in, so no booking and this batch wait on each
        # other in a circle. Holds spread over hundreds of room types cost one round trip, not one
        # per room type.
        db.session.execute(
            text("SELECT i.id FROM inventory_nights AS i JOIN unnest(CAST(:rts AS integer[]), "
                 "CAST(:nights AS date[])) AS v(rt, night) ON i.room_type_id = v.rt AND i.night = v.night "
                 "ORDER BY i.room_type_id, i.night FOR UPDATE OF i"),
            {"rts": [rt for (rt, _night), _n in ordered], "nights": [night for (_rt, night), _n in ordered]})
        # One statement for every night, its rows given as three arrays.
        db.session.execute(
            text("UPDATE inventory_nights AS i SET reserved = i.reserved - v.n "
                 "FROM unnest(CAST(:rts AS integer[]), CAST(:nights AS date[]), CAST(:ns AS integer[])) "
                 "AS v(rt, night, n) WHERE i.room_type_id = v.rt AND i.night = v.night"),
            {"rts": [rt for (rt, _night), _n in ordered], "nights": [night for (_rt, night), _n in ordered],
             "ns": [n for _key, n in ordered]})
        return
    db.session.execute(
        text("UPDATE inventory_nights SET reserved = reserved - :n WHERE room_type_id = :rt AND night = :night"),
        [{"n": n, "rt": rt, "night": night} for (rt, night), n in ordered])
