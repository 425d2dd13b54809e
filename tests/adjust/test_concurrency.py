"""Two operators give the same room to two bookings at the same moment: real
clients, each with its own database connection, committing for real."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.adjust import services
from app.adjust.models import RoomAssignment
from app.extensions import db
from tests.adjust.conftest import ACTOR, rooms_of
from tests.concurrency import at_once, second_app
from tests.conftest import CSRFClient
from tests.factories import DEFAULT_PASSWORD, future, make_operator, make_paid_reservation, make_room_type

pytestmark = pytest.mark.committing


@pytest.fixture(scope="module")
def other_app(app):
    """Another app on the same database: its own connection pool, as another web worker would have."""
    with second_app(app, test_client_class=CSRFClient) as other:
        yield other


def assign(booking_id: int, room_id: int) -> str:
    try:
        services.assign_rooms(booking_id, [room_id], actor=ACTOR, reason="Race")
        return "assigned"
    except services.RoomTaken:
        return "taken"


def _live_rows(room_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(RoomAssignment.id)).where(
        RoomAssignment.room_id == room_id, RoomAssignment.released_at.is_(None)))


def test_two_operators_assigning_the_same_room_one_wins_the_other_is_told(other_app):
    room_type = make_room_type(rooms=3)
    room = rooms_of(room_type)[0]
    bookings = [make_paid_reservation(room_type, check_in=future(5), nights=2),
                make_paid_reservation(room_type, check_in=future(6), nights=2)]   # night 6 overlaps
    ids = [b.public_id for b in bookings]
    operators = [make_operator("staff").email, make_operator("staff").email]
    room_id, room_number = room.id, room.room_number
    db.session.commit()

    def preview(i: int):
        client = other_app.test_client()
        client.post("/auth/login", data={"email": operators[i], "password": DEFAULT_PASSWORD})
        assert client.post(url(i), data={"rooms": str(room_id), "reason": "Ready"}).status_code == 200
        return client

    def confirm(i: int, client):
        response = client.post(url(i), data={"rooms": str(room_id), "reason": "Ready", "confirmed": "yes"})
        return response.status_code, response.get_data(as_text=True)

    def url(i: int) -> str:
        return f"/ops/reservations/{ids[i]}/rooms"

    results = at_once(other_app, 2, confirm, ready=preview)
    statuses = sorted(r[0] for r in results)
    assert statuses == [302, 409], results
    loser = next(body for code, body in results if code == 409)
    assert "field-error" in loser and room_number in loser
    assert _live_rows(room_id) == 1


def one_room_many_bookings(room_count: int, bookings: list[tuple[int, int]]) -> tuple[int, list[int]]:
    """A room type of `room_count` rooms, paid bookings (days ahead, nights) of it; the first room's id."""
    room_type = make_room_type(rooms=room_count)
    room_id = rooms_of(room_type)[0].id
    ids = [make_paid_reservation(room_type, check_in=future(days), nights=nights).id for days, nights in bookings]
    db.session.commit()
    return room_id, ids


def assert_one_wins(other_app, room_id: int, booking_ids: list[int]) -> None:
    results = at_once(other_app, len(booking_ids), lambda i: assign(booking_ids[i], room_id))
    assert sorted(results) == ["assigned"] + ["taken"] * (len(booking_ids) - 1), results
    assert _live_rows(room_id) == 1


def test_many_concurrent_assignments_of_one_room_leave_exactly_one(other_app):
    assert_one_wins(other_app, *one_room_many_bookings(8, [(8, 1 + i % 3) for i in range(6)]))


def test_without_the_room_lock_the_database_still_keeps_one_booking_per_room(other_app, monkeypatch):
    """A buggy path that skips the room lock: on PostgreSQL the exclusion
    constraint refuses the second insert (reported as RoomTaken); on SQLite
    BEGIN IMMEDIATE serialises the transactions and the check sees the first."""
    from app.catalog.models import Room

    def unlocked(room_ids):
        return {room.id: room for room in db.session.scalars(select(Room).where(Room.id.in_(room_ids)))}

    monkeypatch.setattr(services, "_lock_rooms", unlocked)
    assert_one_wins(other_app, *one_room_many_bookings(6, [(9, 2)] * 4))
