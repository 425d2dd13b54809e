"""Pure rules of the status page (seed 002 D, E): when a notice may be published, whether
every language is complete, when an RCA is due, Korean business days. The clock is a parameter.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.status import states
from app.support.policies import CALENDARS

LANGUAGES = ("ko", "ja", "en")
SEVERITIES = ("S1", "S2", "S3", "S4")
#: The parts of an update every language must have before it is published.
UPDATE_FIELDS = ("title", "body", "impact")
#: The RCA template of seed 002 E, in order.
RCA_FIELDS = ("overview", "cause", "mitigation", "prevention", "evidence", "contact")

#: Seed 002 D: how long an incident of each severity must have lasted before it is published
#: (S1 at once, S2 after 10 minutes; S3/S4 when the editor decides).
PUBLISH_AFTER: dict[str, timedelta] = {"S1": timedelta(0), "S2": timedelta(minutes=10),
                                      "S3": timedelta(0), "S4": timedelta(0)}
#: Seed 002 D: planned maintenance is announced at least this many Korean business days ahead.
MAINTENANCE_NOTICE_BUSINESS_DAYS = 3
#: Seed 002 H: the RCA is published within this time of resolution.
RCA_DUE: dict[str, timedelta] = {"S1": timedelta(hours=48), "S2": timedelta(hours=72)}
#: Booking pages show upcoming maintenance this long before it starts.
BANNER_AHEAD = timedelta(hours=24)

KST = ZoneInfo("Asia/Seoul")
JST = ZoneInfo("Asia/Tokyo")
#: The local time shown beside UTC on each language's timeline (en: Korean time, where we operate).
LOCAL_ZONE = {"ko": ("KST", KST), "ja": ("JST", JST), "en": ("KST", KST)}


def is_business_day(day: date) -> bool:
    """A Korean business day: Monday–Friday and not a public holiday (incl. substitute holidays).
    The support desk's Korean calendar is the one definition (app.support.policies.CALENDARS)."""
    return CALENDARS["KR"].is_business_day(day)


def add_business_days(day: date, count: int) -> date:
    """The Korean business day `count` business days after `day`."""
    current = day
    while count > 0:
        current += timedelta(days=1)
        if is_business_day(current):
            count -= 1
    return current


@dataclass(frozen=True)
class PublishCheck:
    allowed: bool
    #: "ok" | "too_early" (S2 before 10 min) | "short_notice" (maintenance < 3 business days)
    reason: str
    #: When it may be published without an override (None: it may be now).
    earliest: datetime | None = None


def compute_publish_check(kind: str, severity: str, *, now: datetime, started_at: datetime | None,
                          scheduled_start: datetime | None) -> PublishCheck:
    """May this notice be published now without a manager's override?"""
    if kind == states.PLANNED:
        if scheduled_start is None:
            return PublishCheck(False, "short_notice")
        today = now.astimezone(KST).date()
        earliest_day = add_business_days(today, MAINTENANCE_NOTICE_BUSINESS_DAYS)
        if scheduled_start.astimezone(KST).date() >= earliest_day:
            return PublishCheck(True, "ok")
        return PublishCheck(False, "short_notice")
    wait = PUBLISH_AFTER.get(severity, timedelta(0))
    since = started_at or now
    if now - since >= wait:
        return PublishCheck(True, "ok")
    return PublishCheck(False, "too_early", since + wait)


def missing_languages(texts: dict, fields=UPDATE_FIELDS) -> dict[str, list[str]]:
    """{language: [missing field, …]} for every language with a blank field; empty when complete."""
    missing: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        part = (texts or {}).get(lang) or {}
        empty = [f for f in fields if not str(part.get(f) or "").strip()]
        if empty:
            missing[lang] = empty
    return missing


def rca_due_at(severity: str, resolved_at: datetime | None) -> datetime | None:
    """When the RCA must be published (S1 48 h, S2 72 h after resolution); None when none is required."""
    if resolved_at is None or severity not in RCA_DUE:
        return None
    return resolved_at + RCA_DUE[severity]


def timeline_times(at: datetime, lang: str) -> tuple[str, str]:
    """("2026-12-07 04:05 UTC", "13:05 KST") — the seed's UTC + local time, per language."""
    label, zone = LOCAL_ZONE.get(lang, LOCAL_ZONE["en"])
    utc = at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M UTC")
    local = at.astimezone(zone)
    return utc, f"{local:%Y-%m-%d %H:%M} {label}"


def worst_level(levels) -> str:
    levels = list(levels)
    return max(levels, key=lambda lv: states.LEVEL_RANK[lv]) if levels else states.OPERATIONAL
