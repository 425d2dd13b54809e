"""Concurrency storms: real threads, each with its own database connection,
released together by a barrier, committing for real (DESIGN invariant 1 and 3).

On PostgreSQL (CI) every thread holds its own connection from a 100-connection
pool; on SQLite the same storms run through BEGIN IMMEDIATE.
"""
from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.booking.models import Reservation
from app.booking.services import cancel_reservation, create_reservation
from app.catalog.models import InventoryNight
from app.core.errors import DomainError, SoldOut
from app.extensions import db
from tests.concurrency import at_once, second_app
from tests.factories import booking_request, future, make_room_type

pytestmark = pytest.mark.committing

THREADS = 100


@pytest.fixture(scope="module")
def storm_app(app):
    """A second app on the same database whose pool gives every thread its own connection."""
    with second_app(app, pool_size=THREADS, max_overflow=0, pool_timeout=120) as storm:
        yield storm


def storm(storm_app, count: int, action) -> list:
    """Run action(i) in `count` threads released at once; returns results or exceptions."""
    def patient(i: int):
        for attempt in range(100):
            try:
                return action(i)
            except OperationalError as exc:  # the server's connection limit, not our logic
                db.session.rollback()
                if "too many clients" not in str(exc) or attempt == 99:
                    raise
                threading.Event().wait(0.05)

    db.session.remove()
    db.engine.dispose()  # the test app's idle connections make room for the storm's
    results = at_once(storm_app, count, patient, wait=60, join=300)
    with storm_app.app_context():
        db.engine.dispose()  # give the connections back before the test checks the result
    return results


def outcomes(results) -> Counter:
    kinds = Counter()
    for r in results:
        if isinstance(r, SoldOut):
            kinds["sold_out"] += 1
        elif isinstance(r, Exception):
            kinds[f"error:{type(r).__name__}:{r}"] += 1
        else:
            kinds["booked"] += 1
    return kinds


def assert_inventory_matches_reservations() -> None:
    """`reserved` equals the rooms held by pending + paid + checked-in reservations, every night."""
    db.session.expire_all()
    held: Counter = Counter()
    for r in db.session.scalars(select(Reservation).where(Reservation.inventory_held.is_(True))):
        assert r.status in ("pending", "paid", "checked_in")
        for i in range(r.nights):
            held[(r.room_type_id, r.check_in + timedelta(days=i))] += r.number_of_rooms
    for row in db.session.scalars(select(InventoryNight).where(InventoryNight.reserved != 0)):
        assert row.reserved == held.pop((row.room_type_id, row.night), 0), (row.room_type_id, row.night)
    assert not held, f"held nights with no reserved count: {held}"


def test_storm_on_five_rooms_at_110_percent_books_exactly_five(storm_app):
    room_type = make_room_type(rooms=5, percent=110)
    req = booking_request(room_type, check_in=future(20), nights=2)
    results = storm(storm_app, THREADS, lambda i: create_reservation(
        replace(req, guest=replace(req.guest, email=f"s{i}@example.com")), idempotency_key=f"storm-a-{i}"))
    assert outcomes(results) == Counter(booked=5, sold_out=THREADS - 5)
    assert db.session.scalar(select(func.count(Reservation.id))) == 5
    assert_inventory_matches_reservations()


def test_storm_on_ten_rooms_at_120_percent_books_exactly_twelve(storm_app):
    room_type = make_room_type(rooms=10, percent=120)
    req = booking_request(room_type, check_in=future(30), nights=3)
    results = storm(storm_app, THREADS, lambda i: create_reservation(req, idempotency_key=f"storm-b-{i}"))
    assert outcomes(results) == Counter(booked=12, sold_out=THREADS - 12)
    assert_inventory_matches_reservations()


def test_multi_night_stays_through_a_full_night_take_nothing(storm_app):
    room_type = make_room_type(rooms=2, percent=100)
    start = future(40)
    # Fill the third night.
    for i in range(2):
        create_reservation(booking_request(room_type, check_in=start + timedelta(days=2), nights=1),
                           idempotency_key=f"fill-{i}")

    long_stay = booking_request(room_type, check_in=start, nights=5)   # across the full night
    short_stay = booking_request(room_type, check_in=start, nights=2)
    room_type_id = room_type.id

    def action(i: int):
        if i % 2:
            return create_reservation(long_stay, idempotency_key=f"long-{i}")
        return create_reservation(short_stay, idempotency_key=f"short-{i}")

    results = storm(storm_app, THREADS, action)
    long_results = [r for i, r in enumerate(results) if i % 2]
    assert all(isinstance(r, SoldOut) for r in long_results)
    assert outcomes(results)["booked"] == 2  # only two short stays fit
    reserved = dict(db.session.execute(select(InventoryNight.night, InventoryNight.reserved).where(
        InventoryNight.room_type_id == room_type_id, InventoryNight.night >= start,
        InventoryNight.night < start + timedelta(days=5))).all())
    assert [reserved[start + timedelta(days=d)] for d in range(5)] == [2, 2, 2, 0, 0]
    assert_inventory_matches_reservations()


def test_overlapping_stays_in_every_order_never_deadlock(storm_app):
    """Stays that overlap in different ways queue on the date-ordered locks; nothing but sold-out fails."""
    room_type = make_room_type(rooms=30, percent=110)
    start = future(50)
    stays = [booking_request(room_type, check_in=start + timedelta(days=i % 7), nights=1 + (i * 3) % 6)
             for i in range(THREADS)]

    def action(i: int):
        return create_reservation(stays[i], idempotency_key=f"overlap-{i}")

    results = storm(storm_app, THREADS, action)
    kinds = outcomes(results)
    assert set(kinds) <= {"booked", "sold_out"}, kinds
    assert kinds["booked"] > 0
    assert_inventory_matches_reservations()


def test_same_idempotency_key_twenty_times_at_once_makes_one_reservation(storm_app):
    room_type = make_room_type(rooms=5)
    req = booking_request(room_type, check_in=future(60))
    results = storm(storm_app, 20, lambda i: create_reservation(req, idempotency_key="one-key"))
    assert all(not isinstance(r, Exception) for r in results), outcomes(results)
    assert len({r.body["reservationID"] for r in results}) == 1
    assert db.session.scalar(select(func.count(Reservation.id))) == 1
    assert_inventory_matches_reservations()


def test_cancelling_the_same_booking_at_once_releases_once(storm_app):
    room_type = make_room_type(rooms=3)
    start = future(70)
    r = create_reservation(booking_request(room_type, check_in=start, rooms=3), idempotency_key=str(uuid.uuid4()))
    rid, room_type_id = r.reservation.id, room_type.id
    results = storm(storm_app, 30, lambda i: cancel_reservation(rid, reason=f"click {i}"))
    assert all(not isinstance(x, Exception) for x in results)
    assert sum(1 for x in results if x.changed) == 1
    assert_inventory_matches_reservations()
    night = db.session.scalar(select(InventoryNight).where(InventoryNight.room_type_id == room_type_id,
                                                          InventoryNight.night == start))
    assert night.reserved == 0


def test_bookings_and_cancellations_mixed_keep_the_count_exact(storm_app):
    room_type = make_room_type(rooms=10, percent=110)
    start = future(80)
    existing = [create_reservation(booking_request(room_type, check_in=start), idempotency_key=f"pre-{i}")
                .reservation.id for i in range(8)]
    req = booking_request(room_type, check_in=start)

    def action(i: int):
        if i < len(existing) * 2:
            return cancel_reservation(existing[i // 2])
        return create_reservation(req, idempotency_key=f"mix-{i}")

    results = storm(storm_app, THREADS, action)
    assert all(not isinstance(r, Exception) or isinstance(r, DomainError) for r in results), outcomes(results)
    assert_inventory_matches_reservations()
    live = db.session.scalar(select(func.count(Reservation.id)).where(Reservation.inventory_held.is_(True)))
    assert live <= 11
