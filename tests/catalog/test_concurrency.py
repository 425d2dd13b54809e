"""Two operators at once on the catalog pages: real clients in threads, each with its own
database connection, committing for real. One effect, whoever clicks first."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.booking.models import Reservation
from app.catalog.models import Hotel, InventoryNight, Room
from app.core import clock
from app.core.audit import AuditEvent
from app.core.db import end_transaction
from app.extensions import db
from app.refunds.models import Refund
from tests.auth.helpers import sign_in
from tests.concurrency import at_once, second_app
from tests.conftest import CSRFClient
from tests.factories import make_hotel, make_operator, make_paid_reservation, make_reservation, make_room_type

pytestmark = pytest.mark.committing


@pytest.fixture(scope="module")
def twin_app(app):
    """A second app on the same database, so each client thread has its own connection."""
    with second_app(app, test_client_class=CSRFClient) as other:
        yield other


def posted_together(twin_app, clients, posts) -> list[int]:
    """POST posts[i] from clients[i], all released together; the status codes."""
    end_transaction()
    codes = at_once(twin_app, len(posts), lambda i: clients[i].post(posts[i][0], data=posts[i][1]).status_code,
                    join=60)
    end_transaction()
    return codes


def signed_in(twin_app, role: str):
    email = make_operator(role).email
    end_transaction()
    client = twin_app.test_client()
    with twin_app.app_context():
        assert sign_in(client, email).status_code == 302
        db.session.remove()
    return client


def test_two_staff_taking_rooms_out_at_once_never_push_a_night_over_its_cap(twin_app):
    room_type = make_room_type(make_hotel(), rooms=5)              # cap 5
    night = clock.local_today("Asia/Seoul") + timedelta(days=6)
    for _ in range(4):
        make_reservation(room_type, check_in=night, nights=1)      # 4 sold: one room may go, not two
    hotel_id, type_id = room_type.hotel_id, room_type.id
    rooms = [r.id for r in room_type.rooms[:2]]
    end_transaction()
    clients = [signed_in(twin_app, "staff"), signed_in(twin_app, "staff")]
    posts = [(f"/ops/catalog/hotels/{hotel_id}/rooms/{room_id}/status",
              {"status": "maintenance", "confirmed": "yes"}) for room_id in rooms]
    codes = posted_together(twin_app, clients, posts)
    assert sorted(codes) == [302, 403], codes
    out = db.session.scalar(select(func.count()).select_from(Room).where(Room.status == "maintenance"))
    total = db.session.scalar(select(InventoryNight.total).where(InventoryNight.room_type_id == type_id,
                                                                 InventoryNight.night == night))
    assert (out, total) == (1, 4)


def test_two_managers_confirming_a_closure_at_once_cancel_and_refund_each_booking_once(twin_app):
    room_type = make_room_type(make_hotel(), rooms=5)
    today = clock.local_today("Asia/Seoul")
    make_reservation(room_type, check_in=today + timedelta(days=4))
    for days in (10, 20):
        make_paid_reservation(room_type, check_in=today + timedelta(days=days))
    hotel_id = room_type.hotel_id
    end_transaction()
    clients = [signed_in(twin_app, "manager"), signed_in(twin_app, "manager")]
    form = {"bookings": "cancel", "reason": "Closed by the fire department", "confirmed": "yes"}
    codes = posted_together(twin_app, clients, [(f"/ops/catalog/hotels/{hotel_id}/deactivate", form)] * 2)
    assert codes == [302, 302], codes
    assert db.session.get(Hotel, hotel_id).status == "inactive"
    assert set(db.session.scalars(select(Reservation.status))) == {"canceled"}
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 2
    deactivated = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "hotel.deactivated"))
    canceled = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "reservation.status", AuditEvent.to_state == "canceled"))
    assert (deactivated, canceled) == (1, 3)


def test_bookings_in_flight_when_a_hotel_closes_are_canceled_with_the_rest(twin_app, monkeypatch):
    """Customers are booking at the moment a manager closes the hotel with "cancel and refund":
    the bookings already inside their transaction finish first and are then canceled by the
    closure; none is left behind as a live booking of a closed hotel."""
    from app.booking import services as booking
    from app.booking.services import create_reservation
    from app.catalog import management
    from app.core.actor import Actor
    from app.core.errors import ValidationFailed
    from tests.factories import booking_request, future

    room_type = make_room_type(make_hotel(), rooms=10)
    hotel_id, type_id = room_type.hotel_id, room_type.id
    requests = [booking_request(room_type, check_in=future(5 + i)) for i in range(4)]
    end_transaction()
    take = booking._lock_and_take_rooms

    def slow_take(*args, **kwargs):
        time.sleep(0.5)                    # inside the booking's transaction, past every check
        return take(*args, **kwargs)

    monkeypatch.setattr(booking, "_lock_and_take_rooms", slow_take)

    def act(i: int):
        if i == 0:
            time.sleep(0.2)                # the bookings are in flight now
            return management.close_hotel(hotel_id, "Closed by the fire department",
                                          actor=Actor.system("test"), cancel_affected=True)
        return create_reservation(requests[i - 1], idempotency_key=f"in-flight-{i}")

    closure, *bookings = at_once(twin_app, 1 + len(requests), act)
    assert not isinstance(closure, Exception), closure
    assert all(not isinstance(b, Exception) or isinstance(b, ValidationFailed) for b in bookings), bookings
    made = [b.body["reservationID"] for b in bookings if not isinstance(b, Exception)]
    assert sorted(closure.canceled) == sorted(made)
    db.session.expire_all()
    assert set(db.session.scalars(select(Reservation.status).where(Reservation.hotel_id == hotel_id))) <= {"canceled"}
    assert not db.session.scalar(select(func.sum(InventoryNight.reserved)).where(InventoryNight.room_type_id == type_id))
