"""conflict_patterns(): every dimension counted from known conflicts (seed 000's patterns)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from app.booking.models import BookingConflict
from app.extensions import db
from app.ops.conflict_stats import conflict_patterns, percent_change, previous_period
from app.refunds.compensation import compensate_conflict
from app.core.actor import Actor
from tests.factories import make_hotel, make_operator, make_paid_reservation, make_room_type

UTC = timezone.utc
# Monday 2026-11-23 00:00 in Seoul = Sunday 2026-11-22 15:00 UTC.
WEEK_START = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def add_conflict(room_type, created_at: datetime, *, check_in: date = date(2026, 12, 24), nights: int = 2,
                 resolution: str = "PENDING_REVIEW", email: str = "guest@example.com") -> BookingConflict:
    conflict = BookingConflict(hotel_id=room_type.hotel_id, room_type_id=room_type.id, check_in=check_in,
                               check_out=check_in + timedelta(days=nights), number_of_rooms=1, guest_name="Guest",
                               guest_email=email, resolution=resolution, created_at=created_at,
                               updated_at=created_at)
    db.session.add(conflict)
    db.session.flush()
    return conflict


def seoul(day: int, hour: int, minute: int = 0) -> datetime:
    """2026-11-<day> <hour>:<minute> in Seoul, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=9)


def known_week():
    seaside = make_hotel(name="Seaside")
    city = make_hotel(name="City")
    deluxe = make_room_type(seaside, name="Deluxe")
    twin = make_room_type(seaside, name="Twin")
    single = make_room_type(city, name="Single")
    # Monday 23rd: three at 20:xx Seoul (11:xx UTC), one at 00:30 Seoul (Sunday 15:30 UTC).
    add_conflict(deluxe, seoul(23, 20, 5), check_in=date(2026, 12, 24), nights=2)
    add_conflict(deluxe, seoul(23, 20, 40), check_in=date(2026, 12, 24), nights=1)
    add_conflict(twin, seoul(23, 20, 59), check_in=date(2026, 12, 25), nights=1, resolution="RESOLVED")
    add_conflict(single, seoul(23, 0, 30), check_in=date(2026, 12, 31), nights=3, resolution="DISMISSED")
    # Wednesday 25th 09:15 Seoul
    add_conflict(deluxe, seoul(25, 9, 15), check_in=date(2026, 12, 24), nights=2)
    # Sunday 29th 23:59 Seoul: last minute of the week
    add_conflict(single, seoul(29, 23, 59), check_in=date(2027, 1, 1), nights=1)
    # outside: the minute after the week, and the minute before
    add_conflict(single, seoul(30, 0, 0))
    add_conflict(single, seoul(22, 23, 59))
    return seaside, city, deluxe, twin, single


def test_every_dimension_counts_the_known_conflicts():
    seaside, city, deluxe, twin, single = known_week()
    p = conflict_patterns(WEEK_START, WEEK_START + timedelta(days=7))

    assert p.total == 6
    assert [(h.hotel_id, h.name, h.count) for h in p.by_hotel] == [(seaside.id, "Seaside", 4), (city.id, "City", 2)]
    assert [(r.room_type_id, r.name, r.count, r.hotel_name) for r in p.by_room_type] == [
        (deluxe.id, "Deluxe", 3, "Seaside"), (single.id, "Single", 2, "City"), (twin.id, "Twin", 1, "Seaside")]
    # each night of each stay: 24th ×3 (2+1 nights from the 24th, the 2-night one again on Wed), 25th ×3, ...
    assert [(n.night, n.count) for n in p.by_night] == [
        (date(2026, 12, 24), 3), (date(2026, 12, 25), 3), (date(2026, 12, 31), 1),
        (date(2027, 1, 1), 2), (date(2027, 1, 2), 1)]
    hours = [0] * 24
    hours[20], hours[0], hours[9], hours[23] = 3, 1, 1, 1
    assert p.by_hour_of_day == hours
    assert p.by_weekday == [4, 0, 1, 0, 0, 0, 1]   # Monday, Wednesday, Sunday (Seoul)
    assert p.by_resolution == {"PENDING_REVIEW": 4, "RESOLVED": 1, "DISMISSED": 1}
    assert p.peak_hours() == [20, 0, 9]
    assert p.hot_nights(2) == [(date(2026, 12, 24), 3), (date(2026, 12, 25), 3)]


def test_an_empty_or_backwards_period_counts_nothing():
    known_week()
    p = conflict_patterns(WEEK_START - timedelta(days=30), WEEK_START - timedelta(days=7))
    assert p.total == 0 and p.by_hotel == [] and p.by_night == [] and sum(p.by_hour_of_day) == 0
    assert p.by_resolution == {"PENDING_REVIEW": 0, "RESOLVED": 0, "DISMISSED": 0}
    backwards = conflict_patterns(WEEK_START, WEEK_START - timedelta(days=1))
    assert backwards.total == 0 and backwards.peak_hours() == []


def test_compensations_offered_and_accepted_when_the_guest_books_again(clock):
    clock.freeze(seoul(24, 10))
    manager = make_operator("manager")
    room_type = make_room_type()
    first = add_conflict(room_type, seoul(23, 20), email="minji@example.com")
    second = add_conflict(room_type, seoul(23, 21), email="sora@example.com")
    add_conflict(room_type, seoul(23, 22), email="jun@example.com")   # never compensated
    db.session.commit()
    compensate_conflict(first.id, actor=Actor.operator(manager))
    compensate_conflict(second.id, actor=Actor.operator(manager))
    clock.advance(hours=1)
    make_paid_reservation(room_type, email="minji@example.com")   # Minji came back and paid

    p = conflict_patterns(WEEK_START, WEEK_START + timedelta(days=7))
    assert (p.compensations_offered, p.compensations_accepted) == (2, 1)
    assert p.by_resolution["RESOLVED"] == 2


def test_previous_period_and_percent_change():
    since, until = WEEK_START, WEEK_START + timedelta(days=7)
    assert previous_period(since, until) == (since - timedelta(days=7), since)
    assert percent_change(15, 10) == 50.0
    assert percent_change(5, 10) == -50.0
    assert percent_change(3, 0) is None
