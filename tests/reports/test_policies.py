"""The reports' pure rules: periods in Korean days, schedule, late payouts, rates, recipients."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from app.reports import policies
from app.reports.policies import Period
from tests.reports.conftest import kst


@pytest.mark.parametrize("kind, day, start, end", [
    ("daily", date(2026, 12, 3), date(2026, 12, 3), date(2026, 12, 3)),
    ("weekly", date(2026, 12, 3), date(2026, 11, 30), date(2026, 12, 6)),
    ("weekly", date(2026, 11, 30), date(2026, 11, 30), date(2026, 12, 6)),
    ("weekly", date(2026, 12, 6), date(2026, 11, 30), date(2026, 12, 6)),
    ("monthly", date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31)),
    ("monthly", date(2028, 2, 10), date(2028, 2, 1), date(2028, 2, 29)),
])
def test_period_for_a_day(kind, day, start, end):
    assert policies.period_for(kind, day) == Period(kind, start, end)


@pytest.mark.parametrize("now, kind, start", [
    (kst(12, 3, 18), "daily", date(2026, 12, 3)),
    (kst(12, 3, 0, 0, 0), "daily", date(2026, 12, 3)),
    (kst(12, 7, 9), "weekly", date(2026, 11, 30)),
    (kst(1, 1, 9, year=2027), "monthly", date(2026, 12, 1)),
    (kst(3, 1, 9, year=2027), "monthly", date(2027, 2, 1)),
])
def test_the_scheduled_period(now, kind, start):
    assert policies.default_period(kind, now).start == start


def test_the_window_is_korean_midnight_to_midnight_in_utc():
    since, until = policies.window(Period("daily", date(2026, 12, 3), date(2026, 12, 3)))
    assert since == datetime(2026, 12, 2, 15, tzinfo=timezone.utc)
    assert until == datetime(2026, 12, 3, 15, tzinfo=timezone.utc)
    assert policies.compute_as_of(Period("daily", date(2026, 12, 3), date(2026, 12, 3)), kst(12, 3, 18)) == \
        kst(12, 3, 18)
    assert policies.compute_as_of(Period("daily", date(2026, 12, 2), date(2026, 12, 2)), kst(12, 3, 18)) == \
        datetime(2026, 12, 2, 15, tzinfo=timezone.utc)


@pytest.mark.parametrize("now, kinds", [
    (kst(12, 7, 9), ("weekly",)),                      # a Monday
    (kst(12, 1, 9), ("monthly",)),                     # a Tuesday, the 1st
    (kst(2, 1, 9, year=2027), ("weekly", "monthly")),  # Monday the 1st
    (kst(12, 3, 9), ()),
    (datetime(2026, 12, 6, 23, 30, tzinfo=timezone.utc), ("weekly",)),  # Sunday in UTC, Monday in Korea
])
def test_the_morning_job_runs_weekly_on_monday_and_monthly_on_the_first_korean_day(now, kinds):
    assert policies.due_kinds(now) == kinds


@pytest.mark.parametrize("requested, completed, as_of, late", [
    (kst(12, 3, 9), kst(12, 3, 10), kst(12, 3, 18), False),              # exactly an hour
    (kst(12, 3, 9), kst(12, 3, 10, 0, 1), kst(12, 3, 18), True),
    (kst(12, 3, 17, 30), None, kst(12, 3, 18), False),
    (kst(12, 3, 16, 59), None, kst(12, 3, 18), True),
])
def test_a_payout_is_late_after_an_hour(requested, completed, as_of, late):
    assert policies.is_payout_late(requested, completed, as_of) is late


@pytest.mark.parametrize("good, total, rate", [(3, 4, "0.7500"), (0, 0, None), (99_999, 100_000, "0.9999"),
                                               (2, 3, "0.6666"), (5, 5, "1.0000")])
def test_rates_are_rounded_down_and_empty_is_none(good, total, rate):
    assert policies.compute_rate(good, total) == rate


@pytest.mark.parametrize("current, previous, growth", [(6, 1, "500.0"), (285_999, 100_000, "186.0"),
                                                       (90, 100, "-10.0"), (5, 0, None)])
def test_growth_in_percent(current, previous, growth):
    assert policies.compute_growth(current, previous) == growth


def test_recipients_with_their_language_korean_by_default():
    text = "ops@example.com:ko, cfo@example.com:en,  jp@example.com:JA, x@example.com, bad, y@example.com:fr, " \
           "OPS@example.com:en"
    assert policies.parse_recipients(text) == [("ops@example.com", "ko"), ("cfo@example.com", "en"),
                                               ("jp@example.com", "ja"), ("x@example.com", "ko"),
                                               ("y@example.com", "ko")]
    assert policies.invalid_recipients(text) == ["bad"]
    assert policies.parse_recipients("") == [] and policies.parse_recipients(None) == []


def test_periods_are_whole_days():
    assert len(policies.period_for("monthly", date(2026, 12, 3)).days) == 31
    assert policies.period_for("weekly", date(2026, 12, 3)).days[0].weekday() == 0
    assert policies.PAYOUT_LATE_AFTER == timedelta(hours=1)
