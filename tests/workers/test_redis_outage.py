"""Redis stopped while customers book (DESIGN invariant 5): bookings succeed,
and once Redis is back the relay and a worker deliver every message exactly once."""
from __future__ import annotations

import email
import email.policy
import uuid
from collections import Counter

from sqlalchemy import select

from app.booking.models import Reservation
from app.booking.services import create_reservation
from app.extensions import db, get_queue
from app.notifications.models import OutboxMessage
from app.notifications.relay import relay_outbox
from app.payments.gateway import CardDetails
from app.payments.services import pay_by_card
from tests.factories import booking_request, future, make_room_type


def _api_booking(client, room_type, i: int) -> str:
    check_in = future(30 + i)
    body = {"hotelID": str(room_type.hotel_id), "roomTypeID": str(room_type.id),
            "checkInDate": check_in.isoformat(), "checkOutDate": future(32 + i).isoformat(),
            "numberOfRooms": 1, "numberOfGuests": 1, "paymentMethod": "card",
            "guestInfo": {"firstName": "Yui", "lastName": "Sato", "email": f"api{i}@example.com",
                          "phone": "+81 90-1234-5678", "language": ["ko", "ja", "en"][i % 3]}}
    response = client.post("/v1/reservations", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["reservationID"]


def test_bookings_succeed_while_redis_is_down_and_every_message_goes_out_once(
        own_redis, smtp_server, run_worker, client):
    room_type = make_room_type(rooms=5)
    own_redis.stop()  # Redis goes away while customers are booking

    public_ids = [_api_booking(client, room_type, i) for i in range(3)]
    for i in range(2):
        outcome = create_reservation(booking_request(room_type, check_in=future(40 + i), email=f"svc{i}@example.com"),
                                     idempotency_key=str(uuid.uuid4()))
        public_ids.append(outcome.reservation.public_id)
    paid = db.session.scalar(select(Reservation).where(Reservation.public_id == public_ids[0]))
    assert pay_by_card(paid, amount=paid.total_amount, currency=paid.currency,
                       card=CardDetails("4242424242424242", 12, 2099, "123", "Yui Sato"),
                       idempotency_key=str(uuid.uuid4())).body["status"] == "completed"

    messages = db.session.scalars(select(OutboxMessage)).all()
    assert len(public_ids) == 5 and {m.status for m in messages} == {"pending"}
    emails = {m.id: m.recipient for m in messages if m.channel == "email"}
    assert len(emails) == 6 and len(messages) == 7  # 5 received + payment confirmed (+ its SMS)

    own_redis.start()  # back, empty: every job enqueued before is gone
    assert get_queue("default").count == 0
    assert relay_outbox()["enqueued"] == 7
    run_worker()

    delivered = Counter(m["to"][0] for m in smtp_server.messages)
    assert sorted(delivered.elements()) == sorted(emails.values())  # every email, each exactly once
    rows = db.session.scalars(select(OutboxMessage).execution_options(populate_existing=True)).all()
    assert {m.status for m in rows} == {"sent"}
    ids = [email.message_from_bytes(m["message"].as_bytes(), policy=email.policy.default)["Message-ID"]
           for m in smtp_server.messages]
    assert sorted(ids) == sorted(m.message_id for m in rows if m.channel == "email")

    assert relay_outbox()["enqueued"] == 0  # and nothing is sent again afterwards
    run_worker()
    assert len(smtp_server.messages) == 6
