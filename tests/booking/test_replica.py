"""DATABASE_REPLICA_URL: search, the hotel pages and the public hotel API read the replica;
bookings and the back office read and write the primary.

The "replica" here is a second database (PostgreSQL: `<test db>_replica`; SQLite: a second file)
holding a different hotel under the same id and city as the primary's, so every answer shows
which database it came from.
"""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from app import create_app
from app.booking.models import Reservation
from app.catalog.models import Hotel, InventoryNight
from app.core.db import end_transaction
from app.core.replica import reading_session, replica_reads
from app.extensions import db
from tests.api.helpers import booking_body
from tests.conftest import CSRFClient, _create_pg_database, _reset_schema, empty_tables
from tests.factories import DEFAULT_PASSWORD, future, make_hotel, make_operator, make_room_type

pytestmark = [pytest.mark.committing]

CITY = "Mirrortown"


@contextmanager
def other_app(**overrides):
    """An app of its own (its engines disposed at the end, so no connection is left open)."""
    application = create_app({"TESTING": True, **overrides})
    application.test_client_class = CSRFClient
    try:
        yield application
    finally:
        with application.app_context():
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture(scope="module")
def replica_url(app, tmp_path_factory):
    primary = app.config["SQLALCHEMY_DATABASE_URI"]
    if primary.startswith("postgresql"):
        base, _, name = primary.rpartition("/")
        url = f"{base}/{name}_replica"
        _create_pg_database(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('replica') / 'replica.sqlite3'}"
    with other_app(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_BINDS={}) as replica_only:
        _reset_schema(replica_only)
    return url


@pytest.fixture
def two_databases(app, replica_url):
    """The same hotel id in both databases, with different names; returns (hotel id, room type)."""
    with other_app(SQLALCHEMY_DATABASE_URI=replica_url, SQLALCHEMY_BINDS={}) as replica_only:
        with replica_only.app_context():
            empty_tables()
            replica_type = make_room_type(make_hotel(name="Replica Hotel", city=CITY), rooms=3)
            replica_ids = (replica_type.hotel_id, replica_type.id)
            db.session.remove()
        empty_tables()  # PostgreSQL: sequences restart, so both databases give the same ids
        primary_type = make_room_type(make_hotel(name="Primary Hotel", city=CITY), rooms=3)
        room_type = SimpleNamespace(hotel_id=primary_type.hotel_id, id=primary_type.id)
        end_transaction()  # SQLite: an open transaction would hold the write lock the booking needs
        assert (room_type.hotel_id, room_type.id) == replica_ids  # both fresh: the same ids
        yield room_type.hotel_id, room_type, replica_only


@pytest.fixture
def both(replica_url):
    """An app with DATABASE_URL (the test database) and DATABASE_REPLICA_URL."""
    with other_app(DATABASE_REPLICA_URL=replica_url) as application:
        yield application


def _search(client):
    check_in = future(10)
    return client.get(f"/v1/hotels/search?location={CITY}&checkInDate={check_in.isoformat()}"
                      f"&checkOutDate={future(12).isoformat()}")


def test_reads_that_may_be_stale_come_from_the_replica_and_bookings_go_to_the_primary(app, two_databases,
                                                                                      replica_url, both):
    hotel_id, room_type, replica_only = two_databases
    # Without a replica everything reads the primary.
    plain = app.test_client()
    assert [h["name"] for h in _search(plain).get_json()["results"]] == ["Primary Hotel"]
    assert plain.get(f"/v1/hotels/{hotel_id}").get_json()["name"] == "Primary Hotel"
    end_transaction()  # those requests ran in the test's app context: let go of SQLite's write lock

    assert both.config["SQLALCHEMY_BINDS"]["replica"]["url"].endswith(replica_url.rpartition("/")[2])
    client = both.test_client()
    assert [h["name"] for h in _search(client).get_json()["results"]] == ["Replica Hotel"]
    assert client.get(f"/v1/hotels/{hotel_id}").get_json()["name"] == "Replica Hotel"
    assert client.get(f"/v1/hotels/{hotel_id}/room-types").status_code == 200
    availability = client.get(f"/v1/hotels/{hotel_id}/availability?checkInDate={future(10).isoformat()}"
                              f"&checkOutDate={future(12).isoformat()}").get_json()
    assert availability["roomTypes"][0]["available"] == 3
    page = client.get(f"/hotels/{hotel_id}?lang=en").get_data(as_text=True)
    assert "Replica Hotel" in page and "Primary Hotel" not in page
    search_page = client.get(f"/?location={CITY}&checkInDate={future(10).isoformat()}"
                             f"&checkOutDate={future(12).isoformat()}&lang=en").get_data(as_text=True)
    assert "Replica Hotel" in search_page and "Primary Hotel" not in search_page

    # A booking reads and writes the primary: its hotel, its inventory, its row.
    answer = client.post("/v1/reservations", json=booking_body(room_type, check_in=future(10)),
                         headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code == 201, answer.get_json()
    with both.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reservation)) == 1
        reserved = db.session.scalars(select(InventoryNight.reserved).where(
            InventoryNight.room_type_id == room_type.id, InventoryNight.night == future(10))).one()
        assert reserved == 1
    with replica_only.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reservation)) == 0
        assert db.session.scalars(select(InventoryNight.reserved).where(
            InventoryNight.night == future(10))).all() == [0]
        db.session.remove()
    # The back office reads the primary, even for a page about a hotel.
    with both.app_context():
        email = make_operator(role="admin").email
        db.session.remove()
    signed_in = client.post("/auth/login", data={"email": email, "password": DEFAULT_PASSWORD})
    assert signed_in.status_code in (302, 303)
    ops = client.get(f"/ops/catalog/hotels/{hotel_id}?lang=en")
    body = ops.get_data(as_text=True)
    assert ops.status_code == 200 and "Primary Hotel" in body and "Replica Hotel" not in body


def test_the_replica_session_refuses_to_write(app, two_databases, replica_url, both):
    with both.test_request_context("/"):
        session = replica_reads(reading_session)()
        assert session is not db.session
        assert reading_session() is db.session  # outside a replica view: the primary
        hotel = session.get(Hotel, two_databases[0])
        assert hotel.name == "Replica Hotel"
        hotel.name = "Changed"
        with pytest.raises(RuntimeError, match="read-only"):
            session.flush()
        session.rollback()
        if both.config["DATABASE_REPLICA_URL"].startswith("postgresql"):
            # Even a statement that bypasses the ORM is refused by the database.
            with pytest.raises(Exception, match="read-only"):
                session.execute(text("UPDATE hotels SET name = 'x'"))
            session.rollback()
    with other_app(SQLALCHEMY_DATABASE_URI=replica_url, SQLALCHEMY_BINDS={}) as replica_only, \
            replica_only.app_context():
        assert db.session.scalar(select(Hotel.name).where(Hotel.city == CITY)) == "Replica Hotel"


def test_the_scheduled_report_reads_its_figures_from_the_replica_and_stores_the_run_on_the_primary(
        app, two_databases, both):
    from app.reports import services as reports
    from app.reports.models import ReportRun
    from app.reports.policies import korean_today
    from app.core import clock
    from tests.factories import make_reservation

    _hotel_id, _room_type, replica_only = two_databases
    with replica_only.app_context():
        replica_type = db.session.scalars(select(Hotel)).one().room_types[0]
        for _ in range(3):
            make_reservation(replica_type)
        db.session.remove()
    with both.app_context():
        make_reservation(db.session.get(type(replica_type), _room_type.id))
        today = korean_today(clock.now())
        scheduled = reports.run_report("daily", today, send=False, from_replica=True)
        assert scheduled.figures["bookings"]["made"] == 3      # the replica's bookings
        by_hand = reports.run_report("daily", today, send=False)
        assert by_hand.figures["bookings"]["made"] == 1        # the primary's
        assert db.session.scalar(select(func.count()).select_from(ReportRun)) == 1
        db.session.remove()
    with replica_only.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReportRun)) == 0
        db.session.remove()
