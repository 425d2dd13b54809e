"""The SLA clocks as tables (seed 002 B): business hours KR/JP, weekends, Korean and Japanese public
holidays, S1/S2 around the clock, pauses while waiting on the customer, business days."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.support import policies
from app.support.policies import CALENDARS, S1, S2, S3, S4

KST, JST, UTC = ZoneInfo("Asia/Seoul"), ZoneInfo("Asia/Tokyo"), ZoneInfo("UTC")
KR, JP = CALENDARS["KR"], CALENDARS["JP"]


def k(*a):
    return datetime(*a, tzinfo=KST)


def j(*a):
    return datetime(*a, tzinfo=JST)


H = timedelta(hours=1)


@pytest.mark.parametrize("cal, start, duration, expected", [
    (KR, k(2026, 12, 7, 10), 4 * H, k(2026, 12, 7, 14)),             # Monday, inside hours
    (KR, k(2026, 12, 7, 16), 4 * H, k(2026, 12, 8, 11)),             # over the evening
    (KR, k(2026, 12, 11, 17), 4 * H, k(2026, 12, 14, 12)),           # Friday → Monday (weekend skipped)
    (KR, k(2026, 12, 12, 10), 4 * H, k(2026, 12, 14, 13)),           # written on Saturday
    (KR, k(2026, 12, 7, 7), 4 * H, k(2026, 12, 7, 13)),              # before opening
    (KR, k(2026, 12, 7, 19), 4 * H, k(2026, 12, 8, 13)),             # after closing
    (KR, k(2026, 12, 7, 14), 4 * H, k(2026, 12, 7, 18)),             # ends exactly at closing time
    (KR, k(2026, 9, 23, 17), 4 * H, k(2026, 9, 28, 12)),             # Chuseok 9/24–26, then Sunday
    (KR, k(2026, 5, 4, 17), 4 * H, k(2026, 5, 6, 12)),               # Children's Day 5/5
    (JP, j(2026, 4, 28, 17), 4 * H, j(2026, 4, 30, 12)),             # Shōwa Day 4/29
    (JP, j(2026, 5, 1, 17), 4 * H, j(2026, 5, 7, 12)),               # Golden Week 5/3–5/6 + weekend
    (KR, k(2026, 5, 1, 17), 4 * H, k(2026, 5, 4, 12)),               # the same moment in Korea: only the weekend
    (KR, k(2026, 12, 7, 10), 9 * H, k(2026, 12, 8, 10)),             # one business day
    (KR, k(2026, 12, 11, 10), 27 * H, k(2026, 12, 16, 10)),          # three business days over a weekend
    (KR, k(2026, 12, 7, 10), timedelta(0), k(2026, 12, 7, 10)),
])
def test_add_business_time(cal, start, duration, expected):
    assert policies.add_business_time(start, duration, cal) == expected
    assert policies.business_time_between(start, expected, cal) == duration   # the inverse


@pytest.mark.parametrize("cal, a, b, expected", [
    (KR, k(2026, 12, 11, 17), k(2026, 12, 14, 10), 2 * H),
    (KR, k(2026, 9, 23, 17), k(2026, 9, 28, 10), 2 * H),
    (JP, j(2026, 5, 1, 9), j(2026, 5, 8, 18), 27 * H),               # Fri 5/1, Thu 5/7, Fri 5/8 only
    (KR, k(2026, 12, 7, 20), k(2026, 12, 8, 8), timedelta(0)),
    (KR, k(2026, 12, 8, 10), k(2026, 12, 7, 10), timedelta(0)),      # reversed: zero
])
def test_business_time_between(cal, a, b, expected):
    assert policies.business_time_between(a, b, cal) == expected


def test_holidays_come_from_the_holidays_package():
    assert not KR.is_business_day(date(2026, 9, 25)) and not KR.is_business_day(date(2026, 5, 5))
    assert not JP.is_business_day(date(2026, 4, 29)) and not JP.is_business_day(date(2026, 5, 6))
    assert KR.is_business_day(date(2026, 5, 6)) and JP.is_business_day(date(2026, 9, 25))


@pytest.mark.parametrize("severity, clock, created, expected", [
    (S1, "first_response", k(2026, 12, 12, 3), k(2026, 12, 12, 3, 15)),     # Saturday night: 24×7
    (S1, "resolution", k(2026, 12, 12, 3), k(2026, 12, 12, 7)),
    (S1, "update", k(2026, 12, 12, 3), k(2026, 12, 12, 3, 30)),
    (S2, "first_response", k(2026, 9, 25, 23), k(2026, 9, 25, 23, 30)),      # Chuseok night: 24×7
    (S2, "resolution", k(2026, 9, 25, 23), k(2026, 9, 26, 7)),
    (S2, "update", k(2026, 9, 25, 23), k(2026, 9, 26, 0)),
    (S3, "first_response", k(2026, 12, 11, 17), k(2026, 12, 14, 12)),        # business hours
    (S3, "resolution", k(2026, 12, 11, 17), k(2026, 12, 16, 17)),            # 3 business days
    (S3, "update", k(2026, 12, 11, 17), k(2026, 12, 14, 17)),                # 1 business day
    (S4, "first_response", k(2026, 9, 23, 10), k(2026, 9, 28, 10)),          # 1 business day over Chuseok
    (S4, "resolution", k(2026, 12, 7, 10), k(2026, 12, 14, 10)),             # 5 business days
    (S4, "update", k(2026, 12, 7, 10), None),                                # "as needed": no clock
])
def test_due_times_per_severity(severity, clock, created, expected):
    assert policies.compute_due(created, severity, clock, KR) == expected


@pytest.mark.parametrize("severity, created, pauses, now, expected", [
    # S1, paused 30 minutes: due 30 minutes later
    (S1, k(2026, 12, 7, 10), [(k(2026, 12, 7, 10, 5), k(2026, 12, 7, 10, 35))], None, k(2026, 12, 7, 10, 45)),
    # S1, still paused at 10:20: due moves with the pause
    (S1, k(2026, 12, 7, 10), [(k(2026, 12, 7, 10, 5), None)], k(2026, 12, 7, 10, 20), k(2026, 12, 7, 10, 30)),
    # S3: a pause in business hours counts in full
    (S3, k(2026, 12, 7, 10), [(k(2026, 12, 7, 11), k(2026, 12, 7, 13))], None, k(2026, 12, 7, 16)),
    # S3: a pause over the night counts only its business hours (17–18 and 9–10)
    (S3, k(2026, 12, 7, 15), [(k(2026, 12, 7, 17), k(2026, 12, 8, 10))], None, k(2026, 12, 8, 12)),
    # S3: a pause over a weekend costs nothing extra outside business hours
    (S3, k(2026, 12, 11, 17), [(k(2026, 12, 11, 18), k(2026, 12, 14, 9))], None, k(2026, 12, 14, 12)),
])
def test_pauses_do_not_count(severity, created, pauses, now, expected):
    assert policies.compute_due(created, severity, "first_response", KR, pauses, now) == expected


def test_severity_change_recomputes_from_creation():
    created = k(2026, 12, 7, 10)
    assert policies.compute_due(created, S3, "first_response", KR) == k(2026, 12, 7, 14)
    assert policies.compute_due(created, S1, "first_response", KR) == k(2026, 12, 7, 10, 15)


@pytest.mark.parametrize("category, check_in, payment_problem, expected", [
    ("booking", date(2026, 12, 7), False, S2),     # arrives today
    ("booking", date(2026, 12, 8), False, S2),     # arrives tomorrow
    ("booking", date(2026, 12, 9), False, S3),
    ("billing", date(2026, 12, 20), True, S2),     # a paid booking with a payment problem
    ("howto", None, False, S4),
    ("other", None, False, S3),
])
def test_suggested_severity(category, check_in, payment_problem, expected):
    assert policies.suggest_severity(category=category, check_in=check_in, today=date(2026, 12, 7),
                                     payment_problem=payment_problem) == expected


@pytest.mark.parametrize("language, country, queue", [("ja", None, "JP"), ("ko", "JP", "JP"), ("ko", "KR", "KR"),
                                                      ("en", None, "KR")])
def test_queue_by_language_or_hotel_country(language, country, queue):
    assert policies.queue_for(language, country) == queue


def test_transition_table():
    assert policies.next_status("new", "open") == "open"
    assert policies.next_status("closed", "open") == "open"                   # reopen
    with pytest.raises(policies.IllegalTicketTransition):
        policies.next_status("closed", "waiting_on_customer")
    with pytest.raises(policies.IllegalTicketTransition):
        policies.next_status("resolved", "new")
