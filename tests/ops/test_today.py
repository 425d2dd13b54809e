"""The Today page: live counts from seed 001's checklists, most urgent first, broken items contained."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from app.booking.models import BookingConflict
from app.booking.services import cancel_reservation
from app.core import clock as app_clock
from app.core.errors import SoldOut
from app.extensions import db
from app.ops import checklist
from app.ops.checklist import TODAY_ITEMS, TodayCount, collect_today, today_item
from app.ops.policies import CONFLICT_ALERT_LEVELS, compute_conflict_alert_level
from tests.factories import make_hotel, make_operator, make_paid_reservation, make_reservation, make_room_type

# 10:00 in Seoul on a Monday (01:00 UTC).
MORNING = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


def entries_by_key(operator) -> dict[str, checklist.TodayEntry]:
    return {e.count.key: e for entries in collect_today(operator).values() for e in entries if e.count}


def count_of(operator, key: str) -> int:
    return entries_by_key(operator)[key].count.count


def shown_count(page: str, key: str) -> str:
    """What the page shows for an item: its number, or ✓ when done."""
    match = re.search(rf'data-key="{key}">\s*(?:<a class="today-count"[^>]*>(\d+)</a>'
                      r'|<span class="today-count done"[^>]*>(✓)</span>)', page)
    assert match, f"{key} not on the page"
    return match.group(1) or match.group(2)


@pytest.fixture
def staff(clock):
    clock.freeze(MORNING)
    return make_operator("staff")


@pytest.mark.parametrize("failures, level", [
    (0, "OK"), (1, "OK"), (2, "INFO"), (4, "INFO"), (5, "WARNING"), (9, "WARNING"), (10, "CRITICAL"), (250, "CRITICAL"),
])
def test_conflict_alert_levels_follow_seed_000(failures, level):
    assert compute_conflict_alert_level(failures)["level"] == level


def test_conflict_alert_levels_cover_every_count_once_and_refuse_negatives():
    for n in range(0, 30):
        assert sum(1 for row in CONFLICT_ALERT_LEVELS
                   if n >= row["min"] and (row["max"] is None or n <= row["max"])) == 1
    with pytest.raises(ValueError):
        compute_conflict_alert_level(-1)


def test_today_is_where_sign_in_lands_and_every_section_is_shown(client, login_as):
    login_as("staff")
    page = client.get("/ops/", query_string={"lang": "en"}).get_data(as_text=True)
    for heading in ("Morning check", "Afternoon check", "Closing check"):
        assert heading in page
    # An empty day is not "all done": today's statement, the day's report and the handover are still to come.
    assert "Everything is done" not in page
    assert "Today&#39;s bank statement has not been uploaded yet" in page


def test_waiting_bank_transfers_are_counted_with_the_soonest_cancel(staff, client, login_as, clock):
    assert count_of(staff, "waiting_transfers") == 0
    first = make_reservation(method="bank_transfer")
    clock.advance(hours=3)
    make_reservation(method="bank_transfer")
    make_reservation(method="card")  # not a transfer
    entry = entries_by_key(staff)["waiting_transfers"]
    assert entry.count.count == 2
    assert "21 h" in str(entry.count.detail)  # the first order has 21 hours left of its 24
    assert entry.count.severity == "info"
    clock.advance(hours=20)  # now less than 2 hours left for the first
    assert entries_by_key(staff)["waiting_transfers"].count.severity == "warn"
    cancel_reservation(first.id, reason="guest changed plans")
    assert count_of(staff, "waiting_transfers") == 1


def test_orders_page_lists_waiting_transfers_first_to_be_canceled_first(staff, client, login_as, clock):
    older = make_reservation(method="bank_transfer", first_name="Older")
    clock.advance(hours=1)
    newer = make_reservation(method="bank_transfer", first_name="Newer")
    login_as(operator=staff)
    page = client.get("/ops/orders", query_string={"lang": "en"}).get_data(as_text=True)
    assert page.index(older.display_code) < page.index(newer.display_code)
    assert "23 h" in page and "24 h" in page


def test_card_holds_count_only_in_their_last_ten_minutes(staff, clock):
    reservation = make_reservation(method="card")  # 15-minute hold
    assert count_of(staff, "expiring_holds") == 0
    clock.advance(minutes=6)
    assert count_of(staff, "expiring_holds") == 1
    clock.advance(minutes=10)  # past the hold: the sweep's business now
    assert count_of(staff, "expiring_holds") == 0
    assert reservation.payment_method == "card"


def test_tomorrows_arrivals_without_a_room_use_each_hotels_own_date(clock):
    # 16:00 UTC: already the 24th in Seoul (01:00), still the 23rd in Los Angeles (08:00).
    clock.freeze(datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc))
    operator = make_operator("staff")
    seoul = make_room_type(make_hotel(timezone="Asia/Seoul"))
    los_angeles = make_room_type(make_hotel(timezone="America/Los_Angeles", currency="USD"))
    make_paid_reservation(seoul, check_in=date(2026, 11, 25))        # tomorrow in Seoul → counted
    make_paid_reservation(los_angeles, check_in=date(2026, 11, 24))  # tomorrow in LA → counted
    make_paid_reservation(seoul, check_in=date(2026, 11, 24))        # today in Seoul → not
    make_reservation(seoul, check_in=date(2026, 11, 25))             # not paid → not
    assert count_of(operator, "arrivals_without_room") == 2


def test_an_arrival_with_a_room_is_no_longer_counted(staff, client, login_as):
    room_type = make_room_type()
    tomorrow = app_clock.local_today("Asia/Seoul") + timedelta(days=1)
    reservation = make_paid_reservation(room_type, check_in=tomorrow)
    login_as(operator=staff)
    assert shown_count(client.get("/ops/").get_data(as_text=True), "arrivals_without_room") == "1"
    assert reservation.guest_name in client.get("/ops/arrivals").get_data(as_text=True)
    reservation.room_id = room_type.rooms[0].id
    db.session.commit()
    assert shown_count(client.get("/ops/").get_data(as_text=True), "arrivals_without_room") == "✓"


def add_conflict(room_type, created_at: datetime, resolution: str = "PENDING_REVIEW", name: str = "Guest"):
    conflict = BookingConflict(hotel_id=room_type.hotel_id, room_type_id=room_type.id,
                               check_in=date(2026, 12, 1), check_out=date(2026, 12, 3), number_of_rooms=1,
                               guest_name=name, guest_email=f"{name.lower()}@example.com", resolution=resolution,
                               created_at=created_at, updated_at=created_at)
    db.session.add(conflict)
    db.session.commit()
    return conflict


def test_a_lost_booking_race_shows_up_as_a_conflict_to_review(staff, client, login_as):
    room_type = make_room_type(rooms=1, percent=100)
    make_reservation(room_type)
    with pytest.raises(SoldOut):
        make_reservation(room_type, first_name="Late")
    assert count_of(staff, "conflicts_to_review") == 1
    login_as(operator=staff)
    page = client.get("/ops/conflicts").get_data(as_text=True)
    assert "Late" in page
    conflict = db.session.query(BookingConflict).one()
    assert f"/ops/compensation/conflict/{conflict.id}" in page   # the way to the apology and compensation


def test_conflicts_show_the_alert_level_of_the_last_hour(staff, clock):
    room_type = make_room_type()
    now = clock.now()
    add_conflict(room_type, now - timedelta(hours=3))  # old: waiting, but not in the last hour
    for i in range(4):
        add_conflict(room_type, now - timedelta(minutes=5 * i))
    add_conflict(room_type, now - timedelta(minutes=30), resolution="RESOLVED")  # counts for the level
    entry = entries_by_key(staff)["conflicts_to_review"]
    assert entry.count.count == 5
    assert "level WARNING" in str(entry.count.detail) and entry.count.severity == "warn"
    for i in range(5):
        add_conflict(room_type, now - timedelta(minutes=1))
    entry = entries_by_key(staff)["conflicts_to_review"]
    assert "level CRITICAL" in str(entry.count.detail) and entry.count.severity == "bad"


def test_conflicts_page_lists_the_oldest_first(staff, client, login_as, clock):
    room_type = make_room_type()
    add_conflict(room_type, clock.now() - timedelta(minutes=5), name="Newer")
    add_conflict(room_type, clock.now() - timedelta(hours=2), name="Older")
    add_conflict(room_type, clock.now() - timedelta(hours=3), name="Settled", resolution="RESOLVED")
    login_as(operator=staff)
    page = client.get("/ops/conflicts", query_string={"lang": "en"}).get_data(as_text=True)
    assert page.index("Older") < page.index("Newer") and "Settled" not in page
    assert "Last hour: 1 conflicts — level OK" in page


@pytest.fixture
def registered():
    """register(fn, **options) → a temporary Today item (removed after the test)."""
    added = []

    def register(fn, section="morning", **options):
        today_item(section, **options)(fn)
        added.append(fn)
        return fn

    yield register
    TODAY_ITEMS[:] = [item for item in TODAY_ITEMS if item.compute not in added]


def test_items_registered_by_other_domains_are_shown_by_role(staff, client, login_as, registered):
    registered(lambda: TodayCount(key="refunds_waiting", title="Refund requests waiting", why="Guests wait.",
                                  count=3, endpoint="ops.today", severity="warn"), section="afternoon")
    registered(lambda: TodayCount(key="managers_only", title="Manager thing", why="Because.", count=1,
                                  endpoint="ops.today"), role="manager")
    login_as(operator=staff)
    page = client.get("/ops/").get_data(as_text=True)
    assert shown_count(page, "refunds_waiting") == "3" and "Refund requests waiting" in page
    assert "Manager thing" not in page


def test_a_broken_item_says_it_could_not_be_counted_and_the_rest_still_show(staff, client, login_as, registered):
    def broken():
        raise RuntimeError("boom")

    def broken_sql():
        db.session.execute(text("SELECT count(*) FROM no_such_table"))

    registered(broken, title="Failed notifications", endpoint="ops.today")
    registered(broken_sql, section="closing", title="Failed jobs")
    make_reservation(method="bank_transfer")
    login_as(operator=staff)
    response = client.get("/ops/", query_string={"lang": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("Could not be counted right now.") == 2
    assert "Failed notifications" in page and "Failed jobs" in page
    assert shown_count(page, "waiting_transfers") == "1"  # the database is still usable after the bad SQL
    assert shown_count(page, "arrivals_without_room") == "✓"


def test_most_urgent_first_and_done_items_last(staff, registered):
    registered(lambda: TodayCount(key="a_done", title="A", why="-", count=0, endpoint="ops.today",
                                  severity="bad"), order=1)
    registered(lambda: TodayCount(key="b_info", title="B", why="-", count=2, endpoint="ops.today",
                                  severity="info"), order=2)
    registered(lambda: TodayCount(key="c_bad", title="C", why="-", count=1, endpoint="ops.today",
                                  severity="bad"), order=3)
    registered(lambda: TodayCount(key="d_warn", title="D", why="-", count=7, endpoint="ops.today",
                                  severity="warn"), order=4)
    keys = [e.count.key for e in collect_today(staff)["morning"] if e.count.key in {"a_done", "b_info", "c_bad",
                                                                                     "d_warn"}]
    assert keys == ["c_bad", "d_warn", "b_info", "a_done"]


def test_a_link_to_a_missing_page_does_not_break_today(staff, client, login_as, registered):
    registered(lambda: TodayCount(key="orphan", title="Orphan", why="-", count=1, endpoint="nowhere.page"))
    login_as(operator=staff)
    response = client.get("/ops/")
    assert response.status_code == 200 and "Orphan" in response.get_data(as_text=True)


def test_the_current_check_is_marked_by_the_operators_local_time(staff, client, login_as, clock):
    login_as(operator=staff)
    page = client.get("/ops/").get_data(as_text=True)
    assert 'today-section current" aria-labelledby="section-morning"' in page
    clock.freeze(datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc))  # 18:30 in Seoul
    login_as(operator=staff)
    page = client.get("/ops/").get_data(as_text=True)
    assert 'today-section current" aria-labelledby="section-closing"' in page
