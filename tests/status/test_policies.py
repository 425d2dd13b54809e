"""The status page's pure rules, table-driven: publishing timing (S1 now, S2 after 10 minutes,
maintenance 3 Korean business days ahead incl. holidays), completeness per language,
the transition tables, RCA due times, UTC + local times."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from app.core.errors import IllegalTransition
from app.status import policies, states
from tests.status.conftest import TEXTS, texts

UTC = timezone.utc
KST = policies.KST
NOW = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)          # Monday 13:00 KST


def kst(y, m, d, h=2):
    return datetime(y, m, d, h, 0, tzinfo=KST)


@pytest.mark.parametrize("severity, lasted, allowed, reason", [
    ("S1", timedelta(0), True, "ok"),
    ("S1", timedelta(seconds=30), True, "ok"),
    ("S2", timedelta(minutes=0), False, "too_early"),
    ("S2", timedelta(minutes=9, seconds=59), False, "too_early"),
    ("S2", timedelta(minutes=10), True, "ok"),
    ("S2", timedelta(hours=2), True, "ok"),
    ("S3", timedelta(0), True, "ok"),
    ("S4", timedelta(0), True, "ok"),
])
def test_incident_publish_timing(severity, lasted, allowed, reason):
    check = policies.compute_publish_check("incident", severity, now=NOW, started_at=NOW - lasted,
                                           scheduled_start=None)
    assert (check.allowed, check.reason) == (allowed, reason)
    if reason == "too_early":
        assert check.earliest == NOW - lasted + timedelta(minutes=10)


@pytest.mark.parametrize("now_kst, start, allowed", [
    # Monday → Thursday is 3 business days ahead; Wednesday is not.
    (kst(2026, 12, 7, 13), kst(2026, 12, 10), True),
    (kst(2026, 12, 7, 13), kst(2026, 12, 9, 23), False),
    # Friday → the next Wednesday (the weekend does not count); Tuesday is too soon.
    (kst(2026, 12, 11, 10), kst(2026, 12, 16), True),
    (kst(2026, 12, 11, 10), kst(2026, 12, 15), False),
    # Christmas (Friday 25 Dec 2026) is a Korean holiday: from Wed 23 Dec, Mon 28 is only 2 business days on.
    (kst(2026, 12, 23, 10), kst(2026, 12, 28), False),
    (kst(2026, 12, 23, 10), kst(2026, 12, 29), True),
    # Seollal 2027 (6–9 Feb incl. the substitute holiday): from Fri 5 Feb the third business day is Fri 12 Feb.
    (kst(2027, 2, 5, 10), kst(2027, 2, 11), False),
    (kst(2027, 2, 5, 10), kst(2027, 2, 12), True),
    # Late evening KST counts as the Korean day, not the UTC one.
    (kst(2026, 12, 7, 23), kst(2026, 12, 10), True),
])
def test_maintenance_needs_three_korean_business_days(now_kst, start, allowed):
    check = policies.compute_publish_check("maintenance", "S4", now=now_kst.astimezone(UTC), started_at=None,
                                           scheduled_start=start.astimezone(UTC))
    assert check.allowed is allowed
    assert check.reason == ("ok" if allowed else "short_notice")


@pytest.mark.parametrize("day, business", [
    (date(2026, 12, 7), True), (date(2026, 12, 12), False), (date(2026, 12, 25), False),
    (date(2027, 2, 8), False), (date(2027, 2, 9), False), (date(2027, 2, 10), True),
])
def test_korean_business_days(day, business):
    assert policies.is_business_day(day) is business


@pytest.mark.parametrize("drop, missing", [
    ({}, {}),
    ({"ja": ["title"]}, {"ja": ["title"]}),
    ({"en": ["body", "impact"]}, {"en": ["body", "impact"]}),
    ({"ko": ["impact"], "ja": ["body"]}, {"ko": ["impact"], "ja": ["body"]}),
])
def test_completeness_names_each_missing_language(drop, missing):
    assert policies.missing_languages(texts(**drop)) == missing


def test_whitespace_and_absent_languages_are_missing():
    assert policies.missing_languages({"ko": TEXTS["ko"], "ja": {"title": "  ", "body": "x", "impact": "y"}}) == {
        "ja": ["title"], "en": ["title", "body", "impact"]}


@pytest.mark.parametrize("kind, current, wanted, ok", [
    ("incident", "investigating", "identified", True),
    ("incident", "identified", "monitoring", True),
    ("incident", "monitoring", "resolved", True),
    ("incident", "investigating", "resolved", True),
    ("incident", "monitoring", "investigating", True),
    ("incident", "investigating", "investigating", True),
    ("incident", "resolved", "investigating", False),
    ("incident", "resolved", "resolved", False),
    ("incident", "investigating", "completed", False),
    ("maintenance", "scheduled", "in_progress", True),
    ("maintenance", "in_progress", "completed", True),
    ("maintenance", "in_progress", "scheduled", False),
    ("maintenance", "completed", "in_progress", False),
    ("maintenance", "scheduled", "resolved", False),
])
def test_transition_tables(kind, current, wanted, ok):
    if ok:
        assert states.next_state(kind, current, wanted) == wanted
    else:
        with pytest.raises(IllegalTransition):
            states.next_state(kind, current, wanted)


@pytest.mark.parametrize("severity, hours", [("S1", 48), ("S2", 72), ("S3", None), ("S4", None)])
def test_rca_due(severity, hours):
    due = policies.rca_due_at(severity, NOW)
    assert due == (NOW + timedelta(hours=hours) if hours else None)


@pytest.mark.parametrize("lang, local", [("ko", "2026-12-07 13:00 KST"), ("ja", "2026-12-07 13:00 JST"),
                                         ("en", "2026-12-07 13:00 KST")])
def test_timeline_shows_utc_and_local(lang, local):
    assert policies.timeline_times(NOW, lang) == ("2026-12-07 04:00 UTC", local)


def test_worst_level():
    assert policies.worst_level(["degraded", "maintenance", "major_outage"]) == "major_outage"
    assert policies.worst_level(["maintenance"]) == "maintenance"
    assert policies.worst_level([]) == "operational"
