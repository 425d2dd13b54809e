"""The idempotency contract through real HTTP, with real commits and concurrent requests."""
from __future__ import annotations

import http.client
import json
import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.booking.models import Reservation
from app.core.db import end_transaction
from app.core.idempotency import IdempotencyKey
from app.extensions import db
from tests.api.helpers import booking_body
from tests.factories import future, inventory, make_hotel, make_room_type

REQUESTS = 20


def _post(base_url: str, path: str, body: dict, headers: dict) -> tuple[int, bytes]:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.committing
def test_same_key_fired_twenty_times_at_once_books_once(live_server):
    room_type = make_room_type(make_hotel(), rooms=5)
    body = booking_body(room_type, rooms=2)
    room_type_id = room_type.id
    end_transaction()  # hold no lock while the server works
    start = threading.Barrier(REQUESTS)
    results: list[tuple[int, bytes]] = [None] * REQUESTS  # type: ignore[list-item]

    def fire(i: int) -> None:
        start.wait()
        results[i] = _post(live_server.url, "/v1/reservations", body, {"Idempotency-Key": "one-booking"})

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(REQUESTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    statuses = [status for status, _ in results]
    assert statuses == [201] * REQUESTS, [json.loads(raw) for status, raw in results if status != 201][:3]
    bodies = {raw for _, raw in results}
    assert len(bodies) == 1
    created = json.loads(bodies.pop())
    assert created["status"] == "pending" and created["accessToken"].startswith("rat_")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Reservation)) == 1
    assert db.session.scalar(select(Reservation.public_id)) == created["reservationID"]
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
    from app.catalog.models import RoomType

    rt = db.session.get(RoomType, room_type_id)
    assert inventory(rt, future(10)).reserved == 2
