"""The search cache (app/booking/search_cache.py): a repeated search is answered from Redis, and
whatever changes a result — a booking, a cancellation, an expired hold, a price, a hotel's
details — is visible on the very next search. Real commits, real Redis, both databases."""
from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import event, select

from app import create_app
from app.booking import search_cache
from app.booking.models import Reservation
from app.booking.services import cancel_reservation, expire_due_holds
from app.catalog import services as catalog
from app.core.actor import Actor
from app.core.db import end_transaction
from app.extensions import db
from tests.api.helpers import booking_body
from tests.factories import future, make_hotel, make_room_type

pytestmark = [pytest.mark.committing]

CHECK_IN, NIGHTS = 12, 2


class Statements:
    """Counts the searches computed in the database (what the cache saves)."""

    def __init__(self, engine):
        self.engine, self.aggregates = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args):
        # the statement that finds the matching hotels of a search (one per search computed)
        if "GROUP BY" in statement and "inventory_nights" in statement and "OVER (" in statement:
            self.aggregates += 1


def search(client, city="Cachetown", check_in=CHECK_IN, nights=NIGHTS, **extra):
    params = {"location": city, "checkInDate": future(check_in).isoformat(),
              "checkOutDate": future(check_in + nights).isoformat(), **extra}
    response = client.get("/v1/hotels/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    end_transaction()  # SQLite: requests in the test's app context keep a transaction open
    return {hit["name"]: hit for hit in response.get_json()["results"]}


def book(client, room_type, check_in=CHECK_IN, nights=NIGHTS):
    response = client.post("/v1/reservations", json=booking_body(room_type, check_in=future(check_in),
                                                                  nights=nights),
                           headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.get_json()
    end_transaction()
    return response.get_json()


@pytest.fixture
def one_room():
    """A hotel in Cachetown whose only room type has one room (no overbooking)."""
    room_type = make_room_type(make_hotel(name="Small Inn", city="Cachetown"), rooms=1, percent=100,
                               base_price=80_000)
    end_transaction()
    return room_type


def test_a_repeated_search_is_answered_from_the_cache(client, one_room):
    with Statements(db.engine) as seen:
        first = search(client)
        second = search(client)
        search(client, check_in=CHECK_IN + 1)  # another stay: computed
    assert first == second and "Small Inn" in first
    assert seen.aggregates == 2


def test_a_booking_shows_on_the_next_search_and_its_cancellation_too(client, one_room):
    assert "Small Inn" in search(client)
    booking = book(client, one_room)
    assert "Small Inn" not in search(client)            # its one room is taken
    assert "Small Inn" in search(client, check_in=CHECK_IN + NIGHTS)  # other nights: free
    reservation_id = db.session.scalar(select(Reservation.id).filter_by(public_id=booking["reservationID"]))
    cancel_reservation(reservation_id, reason="test", actor=Actor.system("test"))
    end_transaction()
    assert "Small Inn" in search(client)


def test_an_expired_hold_shows_on_the_next_search(client, one_room, clock):
    book(client, one_room)
    assert "Small Inn" not in search(client)
    clock.advance(minutes=16)
    assert expire_due_holds() == 1
    end_transaction()
    assert "Small Inn" in search(client)


def test_a_bulk_expiry_over_many_nights_shows_on_the_next_search(client, one_room, clock, monkeypatch):
    """An expiry batch that touched more (city, night) pairs than search_cache.MAX_NIGHT_BUMPS
    bumps the catalog generation instead: every search, this one included, computes afresh."""
    monkeypatch.setattr(search_cache, "MAX_NIGHT_BUMPS", 3)
    other = make_room_type(make_hotel(name="Wide Inn", city="Widetown"), rooms=1, percent=100)
    end_transaction()
    book(client, one_room)
    book(client, other, check_in=CHECK_IN + 5, nights=3)  # 2 + 3 pairs in two cities: a "bulk" commit
    assert "Small Inn" not in search(client)
    assert "Wide Inn" not in search(client, city="Widetown", check_in=CHECK_IN + 5)
    with Statements(db.engine) as seen:
        assert "Small Inn" not in search(client)  # cached
    assert seen.aggregates == 0
    clock.advance(minutes=16)
    assert expire_due_holds() == 2
    end_transaction()
    with Statements(db.engine) as seen:
        assert "Small Inn" in search(client)
        assert "Wide Inn" in search(client, city="Widetown", check_in=CHECK_IN + 5)
    assert seen.aggregates == 2


def test_a_price_change_and_a_hotel_edit_show_on_the_next_search(client, one_room):
    assert search(client)["Small Inn"]["lowestPrice"]["amount"] == 80_000
    catalog.set_rates(one_room, future(CHECK_IN), future(CHECK_IN + NIGHTS), 95_000)
    end_transaction()
    assert search(client)["Small Inn"]["lowestPrice"]["amount"] == 95_000
    catalog.update_hotel(one_room.hotel, star_rating=2)
    end_transaction()
    assert search(client)["Small Inn"]["starRating"] == 2
    catalog.deactivate_hotel(one_room.hotel, reason="closed for works")
    end_transaction()
    assert search(client) == {}


def test_a_booking_elsewhere_or_on_other_nights_keeps_the_cached_result(client, one_room):
    other_city = make_room_type(make_hotel(name="Far Lodge", city="Othertown"), rooms=3)
    end_transaction()
    search(client)
    with Statements(db.engine) as seen:
        book(client, other_city)                                  # another city, the same nights
        book(client, one_room, check_in=CHECK_IN + NIGHTS)        # this city, other nights
        assert "Small Inn" in search(client)
    assert seen.aggregates == 0


def test_without_redis_search_still_answers_and_nothing_is_cached(app, one_room):
    search_cache._paused_until = 0.0
    broken = create_app({"TESTING": True, "REDIS_URL": "redis://127.0.0.1:1/0"})
    try:
        client = broken.test_client()
        started = time.monotonic()
        with broken.app_context(), Statements(db.engine) as seen:
            assert "Small Inn" in search(client)
            assert "Small Inn" in search(client)
            db.session.remove()
        assert seen.aggregates == 2
        assert time.monotonic() - started < 5  # one failed connect, then paused
        assert search_cache._paused_until > 0
    finally:
        search_cache._paused_until = 0.0
        with broken.app_context():
            for engine in db.engines.values():
                engine.dispose()


def test_the_cache_can_be_turned_off(app, one_room):
    off = create_app({"TESTING": True, "SEARCH_CACHE_SECONDS": 0})
    try:
        client = off.test_client()
        with off.app_context(), Statements(db.engine) as seen:
            search(client)
            search(client)
            db.session.remove()
        assert seen.aggregates == 2
    finally:
        with off.app_context():
            for engine in db.engines.values():
                engine.dispose()
