"""The reservation service on the test database (PostgreSQL in CI, SQLite locally)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.booking.models import BookingConflict, Reservation
from app.booking.services import (
    cancel_reservation,
    change_status,
    create_reservation,
    modify_reservation,
)
from app.booking.states import ReservationStatus
from app.core.audit import AuditEvent
from app.core.errors import IdempotencyConflict, IllegalTransition, NotFound, SoldOut, ValidationFailed
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests.factories import booking_request, future, inventory, make_hotel, make_reservation, make_room_type


def reserved_total(room_type, start, nights):
    return [inventory(room_type, start + timedelta(days=i)).reserved for i in range(nights)]


def test_booking_takes_every_night_and_prices_the_stay():
    room_type = make_room_type(rooms=3, base_price=100_000)
    start = future(5)
    outcome = create_reservation(booking_request(room_type, check_in=start, nights=3, rooms=2), idempotency_key="a1")
    r = outcome.reservation
    assert r.status == ReservationStatus.PENDING
    assert r.total_amount == 100_000 * 3 * 2
    assert reserved_total(room_type, start, 3) == [2, 2, 2]
    assert inventory(room_type, start + timedelta(days=3)).reserved == 0  # check-out night is free
    assert r.hold_expires_at - r.created_at == timedelta(minutes=15)
    assert r.code.startswith("FD") and len(r.code) == 8


def test_bank_transfer_holds_for_24_hours():
    r = make_reservation(method="bank_transfer")
    assert r.hold_expires_at - r.created_at == timedelta(hours=24)


def test_nightly_rates_override_the_base_price():
    from app.catalog.services import set_rates

    room_type = make_room_type(base_price=100_000)
    start = future(3)
    set_rates(room_type, start + timedelta(days=1), start + timedelta(days=2), 180_000)
    r = create_reservation(booking_request(room_type, check_in=start, nights=3), idempotency_key="r1").reservation
    assert r.total_amount == 100_000 + 180_000 + 100_000


def test_cap_is_floor_of_rooms_times_ratio():
    room_type = make_room_type(rooms=5, percent=110)
    start = future()
    for i in range(5):
        create_reservation(booking_request(room_type, check_in=start), idempotency_key=f"k{i}")
    with pytest.raises(SoldOut):
        create_reservation(booking_request(room_type, check_in=start), idempotency_key="k-sixth")
    assert reserved_total(room_type, start, 2) == [5, 5]


def test_stay_with_one_full_night_takes_nothing_and_records_a_conflict():
    room_type = make_room_type(rooms=1, percent=100)
    start = future()
    create_reservation(booking_request(room_type, check_in=start + timedelta(days=2), nights=1),
                       idempotency_key="blocker")
    with pytest.raises(SoldOut) as exc:
        create_reservation(booking_request(room_type, check_in=start, nights=4, email="late@example.com"),
                           idempotency_key="loser")
    assert reserved_total(room_type, start, 4) == [0, 0, 1, 0]
    conflict = db.session.scalar(select(BookingConflict).where(BookingConflict.idempotency_key == "loser"))
    assert conflict.resolution == "PENDING_REVIEW"
    assert conflict.guest_email == "late@example.com"
    assert conflict.full_nights == [(start + timedelta(days=2)).isoformat()]
    assert "alternatives" in exc.value.extra


def test_retried_sold_out_request_records_one_conflict():
    room_type = make_room_type(rooms=1, percent=100)
    start = future()
    create_reservation(booking_request(room_type, check_in=start), idempotency_key="first")
    req = booking_request(room_type, check_in=start, email="again@example.com")
    for _ in range(3):
        with pytest.raises(SoldOut):
            create_reservation(req, idempotency_key="same-key")
    assert db.session.scalar(select(func.count(BookingConflict.id))) == 1


def test_alternatives_offer_other_types_dates_and_hotels():
    hotel = make_hotel(city="Busan")
    full = make_room_type(hotel, rooms=1, percent=100, name="Full")
    make_room_type(hotel, rooms=2, name="Other type")
    other_hotel = make_hotel(city="busan")
    make_room_type(other_hotel, rooms=2)
    start = future()
    create_reservation(booking_request(full, check_in=start, nights=1), idempotency_key="x")
    with pytest.raises(SoldOut) as exc:
        create_reservation(booking_request(full, check_in=start, nights=1), idempotency_key="y")
    kinds = [a["kind"] for a in exc.value.extra["alternatives"]]
    assert "room_type" in kinds and "dates" in kinds and "hotel" in kinds


def test_same_key_same_body_replays_the_first_response():
    room_type = make_room_type()
    req = booking_request(room_type)
    first = create_reservation(req, idempotency_key="dup")
    second = create_reservation(req, idempotency_key="dup")
    assert second.replayed and second.body == first.body
    assert second.access_token == first.access_token
    assert db.session.scalar(select(func.count(Reservation.id))) == 1


def test_same_key_other_body_is_refused():
    room_type = make_room_type()
    create_reservation(booking_request(room_type, rooms=1), idempotency_key="dup")
    with pytest.raises(IdempotencyConflict):
        create_reservation(booking_request(room_type, rooms=2), idempotency_key="dup")


@pytest.mark.parametrize("change,field", [
    (dict(check_in_days=-1), "checkInDate"),
    (dict(nights=0), "checkOutDate"),
    (dict(nights=31), "checkOutDate"),
    (dict(guests=5, rooms=1), "numberOfGuests"),
])
def test_invalid_stays_are_refused_and_take_nothing(change, field):
    room_type = make_room_type(max_occupancy=2)
    days = change.pop("check_in_days", 5)
    req = booking_request(room_type, check_in=future(days), nights=change.pop("nights", 2), **change)
    with pytest.raises(ValidationFailed) as exc:
        create_reservation(req, idempotency_key="bad")
    assert field in exc.value.fields
    assert db.session.scalar(select(func.count(Reservation.id))) == 0


def test_unknown_hotel_or_room_type_is_not_found():
    room_type = make_room_type()
    other = make_room_type()
    from dataclasses import replace

    with pytest.raises(NotFound) as exc:
        create_reservation(replace(booking_request(room_type), hotel_id=999_999), idempotency_key="u1")
    assert list(exc.value.fields) == ["hotelID"]
    with pytest.raises(NotFound) as exc:
        create_reservation(replace(booking_request(room_type), room_type_id=other.id), idempotency_key="u2")
    assert list(exc.value.fields) == ["roomTypeID"]
    with pytest.raises(NotFound) as exc:
        create_reservation(replace(booking_request(room_type), room_type_id=999_999), idempotency_key="u3")
    assert list(exc.value.fields) == ["roomTypeID"]
    with pytest.raises(NotFound) as exc:  # beyond INTEGER: not found, not a database error
        create_reservation(replace(booking_request(room_type), room_type_id=626_003_174_845), idempotency_key="u4")
    assert list(exc.value.fields) == ["roomTypeID"]
    with pytest.raises(NotFound) as exc:
        create_reservation(replace(booking_request(room_type), hotel_id=999_999_999_999), idempotency_key="u5")
    assert list(exc.value.fields) == ["hotelID"]


def test_inactive_hotel_takes_no_new_bookings_but_keeps_old_ones():
    from app.catalog.services import deactivate_hotel

    room_type = make_room_type()
    kept = make_reservation(room_type)
    deactivate_hotel(room_type.hotel, "renovation")
    with pytest.raises(ValidationFailed):
        create_reservation(booking_request(room_type), idempotency_key="after")
    assert db.session.get(Reservation, kept.id).status == ReservationStatus.PENDING


def test_cancel_twice_releases_once():
    room_type = make_room_type(rooms=2)
    start = future()
    r = make_reservation(room_type, check_in=start, rooms=2)
    assert reserved_total(room_type, start, 2) == [2, 2]
    first = cancel_reservation(r.id, reason="guest asked")
    second = cancel_reservation(r.id, reason="clicked again")
    assert first.changed and not second.changed
    assert reserved_total(room_type, start, 2) == [0, 0]
    assert first.reservation.status == ReservationStatus.CANCELED
    assert not first.reservation.inventory_held


def test_every_transition_writes_an_audit_event():
    r = make_reservation()
    cancel_reservation(r.id, reason="changed plans")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.reservation_id == r.id)
                                .order_by(AuditEvent.id)).all()
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("reservation.created", None, "pending"),
        ("reservation.status", "pending", "canceled"),
    ]
    assert events[1].reason == "changed plans"


def test_checked_in_stay_cannot_be_canceled():
    r = make_reservation()
    change_status(r.id, "paid")
    change_status(r.id, "checked_in")
    with pytest.raises(IllegalTransition):
        cancel_reservation(r.id)


def test_checkout_releases_the_rooms():
    room_type = make_room_type(rooms=1)
    start = future()
    r = make_reservation(room_type, check_in=start)
    for status in ("paid", "checked_in", "checked_out"):
        change_status(r.id, status)
    assert reserved_total(room_type, start, 2) == [0, 0]


def test_booking_received_message_is_queued_in_the_same_transaction():
    r = make_reservation(language="ja")
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.reservation_id == r.id)).all()
    assert [(m.event, m.channel, m.language) for m in messages] == [("booking_received", "email", "ja")]


def test_modify_moves_the_nights_and_reprices():
    room_type = make_room_type(rooms=2, base_price=100_000)
    start = future(5)
    r = make_reservation(room_type, check_in=start, nights=2)
    outcome = modify_reservation(r.id, check_in=start + timedelta(days=1), check_out=start + timedelta(days=4))
    assert outcome.new_total == 300_000
    assert reserved_total(room_type, start, 4) == [0, 1, 1, 1]


def test_modify_to_sold_out_nights_changes_nothing():
    room_type = make_room_type(rooms=1, percent=100)
    start = future(5)
    r = make_reservation(room_type, check_in=start, nights=2)
    make_reservation(room_type, check_in=start + timedelta(days=3), nights=1)
    with pytest.raises(SoldOut):
        modify_reservation(r.id, check_in=start + timedelta(days=2), check_out=start + timedelta(days=4))
    fresh = db.session.get(Reservation, r.id)
    db.session.refresh(fresh)
    assert (fresh.check_in, fresh.check_out) == (start, start + timedelta(days=2))
    assert reserved_total(room_type, start, 4) == [1, 1, 0, 1]


def test_a_price_drop_refunds_only_what_was_paid_beyond_the_new_price():
    from tests.factories import make_paid_reservation

    room_type = make_room_type(rooms=3, base_price=100_000)
    start = future(20)
    r = make_paid_reservation(room_type, check_in=start, nights=2)            # paid 200,000
    rise = modify_reservation(r.id, check_out=start + timedelta(days=4))      # 400,000: 200,000 owed, unpaid
    assert rise.refund is None
    back = modify_reservation(r.id, check_out=start + timedelta(days=2))      # back to 200,000: nothing to give back
    assert back.refund is None
    drop = modify_reservation(r.id, check_out=start + timedelta(days=1))      # 100,000: 100,000 paid beyond it
    assert drop.refund is not None and drop.refund.amount == 100_000


def test_modify_to_another_room_type():
    hotel = make_hotel()
    a = make_room_type(hotel, rooms=2, base_price=100_000)
    b = make_room_type(hotel, rooms=2, base_price=150_000)
    start = future()
    r = make_reservation(a, check_in=start)
    outcome = modify_reservation(r.id, room_type_id=b.id, rooms=2)
    assert outcome.new_total == 150_000 * 2 * 2
    assert reserved_total(a, start, 2) == [0, 0] and reserved_total(b, start, 2) == [2, 2]


def test_search_finds_hotels_with_a_room_free_every_night():
    from app.booking.search import SearchQuery, search_hotels

    cheap = make_hotel(city="Jeju", star_rating=2, amenities=["WiFi"])
    make_room_type(cheap, rooms=1, percent=100, base_price=50_000)
    fancy = make_hotel(city="jeju", star_rating=5, amenities=["WiFi", "Pool"])
    make_room_type(fancy, rooms=2, base_price=300_000)
    start = future(15)
    full_type = cheap.room_types[0]
    make_reservation(full_type, check_in=start + timedelta(days=1), nights=1)
    query = SearchQuery("JEJU", start, start + timedelta(days=2))
    assert [h.hotel.id for h in search_hotels(query).hits] == [fancy.id]   # cheap is full on night 2
    later = SearchQuery("Jeju", start + timedelta(days=5), start + timedelta(days=7))
    assert [h.hotel.id for h in search_hotels(later).hits] == [cheap.id, fancy.id]
    assert [h.hotel.id for h in search_hotels(SearchQuery("Jeju", later.check_in, later.check_out,
                                                          sort_by="rating")).hits] == [fancy.id, cheap.id]
    assert [h.hotel.id for h in search_hotels(SearchQuery("Jeju", later.check_in, later.check_out,
                                                          amenities=("pool",))).hits] == [fancy.id]
    priced = search_hotels(SearchQuery("Jeju", later.check_in, later.check_out, max_price=100_000))
    assert [(h.hotel.id, h.lowest_price) for h in priced.hits] == [(cheap.id, 50_000)]


def test_revival_takes_the_nights_again_when_free():
    from app.booking.services import revive_reservation

    room_type = make_room_type(rooms=1, percent=100)
    start = future()
    r = make_reservation(room_type, check_in=start, method="bank_transfer")
    cancel_reservation(r.id, reason="hold expired")
    revived = revive_reservation(r.id, reason="deposit arrived late")
    db.session.commit()
    assert revived.status == ReservationStatus.PAID and revived.inventory_held
    assert reserved_total(room_type, start, 2) == [1, 1]


def test_revival_refuses_when_the_rooms_were_sold_meanwhile():
    from app.booking.services import revive_reservation

    room_type = make_room_type(rooms=1, percent=100)
    start = future()
    r = make_reservation(room_type, check_in=start, method="bank_transfer")
    cancel_reservation(r.id, reason="hold expired")
    make_reservation(room_type, check_in=start + timedelta(days=1), nights=1)
    with pytest.raises(SoldOut):
        revive_reservation(r.id)
    db.session.rollback()
    assert db.session.get(Reservation, r.id).status == ReservationStatus.CANCELED
    assert reserved_total(room_type, start, 2) == [0, 1]


def test_each_inventory_night_carries_its_rate_so_search_and_booking_price_a_stay_alike(app):
    """Search and the hotel pages read the night's price from its inventory row; a booking prices
    the stay from the rates. set_rates, the horizon's new nights and a base price change keep the
    two equal."""
    from sqlalchemy import select

    from app.booking.queries import availability_by_room_type
    from app.catalog.models import InventoryNight, Rate
    from app.catalog.services import set_rates, sync_inventory
    from app.extensions import db

    room_type = make_room_type(base_price=100_000)
    start = future(3)
    # Fridays and Saturdays of five weeks, and one night beyond today's horizon.
    horizon_end = future(0) + timedelta(days=app.config["INVENTORY_HORIZON_DAYS"])
    set_rates(room_type, start, start + timedelta(days=35), 150_000, weekdays=[4, 5])
    set_rates(room_type, horizon_end, horizon_end + timedelta(days=1), 210_000)
    set_rates(room_type, start + timedelta(days=1), start + timedelta(days=2), 120_000)  # overwrites one night

    def mismatches():
        rates = dict(db.session.execute(select(Rate.night, Rate.price).where(
            Rate.room_type_id == room_type.id)).tuples().all())
        nights = db.session.execute(select(InventoryNight.night, InventoryNight.price).where(
            InventoryNight.room_type_id == room_type.id)).tuples().all()
        return [(night, price, rates.get(night)) for night, price in nights if price != rates.get(night)]

    assert mismatches() == []
    assert db.session.scalar(select(InventoryNight.price).where(
        InventoryNight.room_type_id == room_type.id, InventoryNight.night == start + timedelta(days=1))) == 120_000
    # The next day's horizon brings the night whose rate was set in advance.
    sync_inventory(room_type, start=future(1))
    db.session.commit()
    assert db.session.scalar(select(InventoryNight.price).where(
        InventoryNight.room_type_id == room_type.id, InventoryNight.night == horizon_end)) == 210_000
    assert mismatches() == []
    # A stay over rated and unrated nights costs the same in search and in the booking.
    check_in, check_out = start, start + timedelta(days=9)
    shown = availability_by_room_type([room_type.id], check_in, check_out)[room_type.id].total_price
    booked = create_reservation(booking_request(room_type, check_in=check_in, nights=9),
                                idempotency_key="price-1").reservation
    assert shown == booked.total_amount
    assert booked.total_amount != 9 * 100_000  # some nights had rates
