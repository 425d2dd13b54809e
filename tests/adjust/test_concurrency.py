"""Two operators give the same room to two bookings at the same moment: real
clients, each with its own database connection, committing for real."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app import create_app
from app.adjust import services
from app.adjust.models import RoomAssignment
from app.extensions import db
from tests.adjust.conftest import ACTOR, rooms_of
from tests.conftest import CSRFClient
from tests.factories import DEFAULT_PASSWORD, future, make_operator, make_paid_reservation, make_room_type

pytestmark = pytest.mark.committing


@pytest.fixture(scope="module")
def second_app(app):
    """Another app on the same database: its own connection pool, as another web worker would have."""
    other = create_app({"TESTING": True})
    other.test_client_class = CSRFClient
    yield other
    with other.app_context():
        db.engine.dispose()


def _together(count: int, action) -> list:
    """Run action(i) in `count` threads released at once; results or exceptions."""
    db.session.remove()
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            results[i] = action(i, barrier)
        except Exception as exc:  # noqa: BLE001 — asserted on by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def _live_rows(room_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(RoomAssignment.id)).where(
        RoomAssignment.room_id == room_id, RoomAssignment.released_at.is_(None)))


def test_two_operators_assigning_the_same_room_one_wins_the_other_is_told(second_app):
    room_type = make_room_type(rooms=3)
    room = rooms_of(room_type)[0]
    bookings = [make_paid_reservation(room_type, check_in=future(5), nights=2),
                make_paid_reservation(room_type, check_in=future(6), nights=2)]   # night 6 overlaps
    ids = [b.public_id for b in bookings]
    operators = [make_operator("staff").email, make_operator("staff").email]
    room_id, room_number = room.id, room.room_number
    db.session.commit()

    def operator(i: int, barrier):
        with second_app.app_context():
            client = second_app.test_client()
            client.post("/auth/login", data={"email": operators[i], "password": DEFAULT_PASSWORD})
            url = f"/ops/reservations/{ids[i]}/rooms"
            assert client.post(url, data={"rooms": str(room_id), "reason": "Ready"}).status_code == 200
            db.session.remove()
            barrier.wait(timeout=30)
            response = client.post(url, data={"rooms": str(room_id), "reason": "Ready", "confirmed": "yes"})
            return response.status_code, response.get_data(as_text=True)

    results = _together(2, operator)
    statuses = sorted(r[0] for r in results)
    assert statuses == [302, 409], results
    loser = next(body for code, body in results if code == 409)
    assert "field-error" in loser and room_number in loser
    assert _live_rows(room_id) == 1


def test_many_concurrent_assignments_of_one_room_leave_exactly_one(second_app):
    room_type = make_room_type(rooms=8)
    room = rooms_of(room_type)[0]
    bookings = [make_paid_reservation(room_type, check_in=future(8), nights=1 + i % 3) for i in range(6)]
    booking_ids = [b.id for b in bookings]
    room_id = room.id
    db.session.commit()

    def assign(i: int, barrier):
        with second_app.app_context():
            barrier.wait(timeout=30)
            try:
                services.assign_rooms(booking_ids[i], [room_id], actor=ACTOR, reason="Race")
                return "assigned"
            except services.RoomTaken:
                return "taken"
            finally:
                db.session.remove()

    results = _together(len(booking_ids), assign)
    assert sorted(results) == ["assigned"] + ["taken"] * (len(booking_ids) - 1), results
    assert _live_rows(room_id) == 1


def test_without_the_room_lock_the_database_still_keeps_one_booking_per_room(second_app, monkeypatch):
    """A buggy path that skips the room lock: on PostgreSQL the exclusion
    constraint refuses the second insert (reported as RoomTaken); on SQLite
    BEGIN IMMEDIATE serialises the transactions and the check sees the first."""
    from app.catalog.models import Room

    def unlocked(room_ids):
        return {room.id: room for room in db.session.scalars(select(Room).where(Room.id.in_(room_ids)))}

    monkeypatch.setattr(services, "_lock_rooms", unlocked)
    room_type = make_room_type(rooms=6)
    room = rooms_of(room_type)[0]
    bookings = [make_paid_reservation(room_type, check_in=future(9), nights=2) for _ in range(4)]
    booking_ids = [b.id for b in bookings]
    room_id = room.id
    db.session.commit()

    def assign(i: int, barrier):
        with second_app.app_context():
            barrier.wait(timeout=30)
            try:
                services.assign_rooms(booking_ids[i], [room_id], actor=ACTOR, reason="Race")
                return "assigned"
            except services.RoomTaken:
                return "taken"
            finally:
                db.session.remove()

    results = _together(len(booking_ids), assign)
    assert sorted(results) == ["assigned"] + ["taken"] * (len(booking_ids) - 1), results
    assert _live_rows(room_id) == 1
