"""Pure rules of the reports (seed 001 §9, §6.3, §7.2, appendix A): which period a report covers,
when it runs, what counts as late, how rates and growth are written, who gets it.

Periods are Korean calendar days (Asia/Seoul); the database keeps UTC. Nothing here reads the
clock or the database: the moment is a parameter.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

KOREA = ZoneInfo("Asia/Seoul")

DAILY = "daily"
WEEKLY = "weekly"
MONTHLY = "monthly"
KINDS = (DAILY, WEEKLY, MONTHLY)

#: Seed 001 §9 / §2.3: the daily report at the closing check, 18:00 Korean time, for that day;
#: the weekly one on Monday and the monthly one on the 1st, in the morning (09:00, the morning check).
DAILY_AT = time(18, 0)
PERIODIC_AT = time(9, 0)

#: Seed 001 §6.3: a payout not completed within an hour is late (escalated to the operations team).
PAYOUT_LATE_AFTER = timedelta(hours=1)

#: Seed 001 §7.2: first response and resolution targets per alert severity (None: "within working hours").
ALERT_RESPONSE_SLA: dict[str, tuple[timedelta | None, timedelta]] = {
    "CRITICAL": (timedelta(minutes=15), timedelta(hours=1)),
    "WARNING": (timedelta(minutes=30), timedelta(hours=4)),
    "INFO": (None, timedelta(hours=24)),
}
SEVERITY_ORDER = ("CRITICAL", "WARNING", "INFO")

REPORT_LANGUAGES = ("ko", "ja", "en")
DEFAULT_LANGUAGE = "ko"
_EMAIL = re.compile(r"^[^@\s,:]+@[^@\s,:]+\.[^@\s,:]+$")


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def period_for(kind: str, day: date) -> Period:
    """The period of `kind` that contains `day`: that day, its Monday–Sunday week, or its month."""
    if kind == DAILY:
        return Period(kind, day, day)
    if kind == WEEKLY:
        start = day - timedelta(days=day.weekday())
        return Period(kind, start, start + timedelta(days=6))
    if kind == MONTHLY:
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return Period(kind, start, following - timedelta(days=1))
    raise ValueError(f"unknown report kind {kind!r}")


def korean_today(now: datetime) -> date:
    return now.astimezone(KOREA).date()


def default_period(kind: str, now: datetime) -> Period:
    """What a scheduled run covers: today (daily, at 18:00), the previous Monday–Sunday (weekly),
    the previous month (monthly)."""
    today = korean_today(now)
    if kind == DAILY:
        return period_for(DAILY, today)
    if kind == WEEKLY:
        return period_for(WEEKLY, today - timedelta(days=7))
    if kind == MONTHLY:
        return period_for(MONTHLY, today.replace(day=1) - timedelta(days=1))
    raise ValueError(f"unknown report kind {kind!r}")


def previous_period(period: Period) -> Period:
    """The period of the same kind just before (growth compares a month with the one before)."""
    return period_for(period.kind, period.start - timedelta(days=1))


def window(period: Period) -> tuple[datetime, datetime]:
    """[since, until) in UTC: from 00:00 Korean time of the first day to 00:00 after the last."""
    since = datetime.combine(period.start, time(0), tzinfo=KOREA).astimezone(timezone.utc)
    until = datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=KOREA).astimezone(timezone.utc)
    return since, until


def day_window(day: date) -> tuple[datetime, datetime]:
    return window(Period(DAILY, day, day))


def compute_as_of(period: Period, now: datetime) -> datetime:
    """The moment the figures stop: the end of the period, or now while the period is still running."""
    return min(window(period)[1], now)


def is_valid_period_start(kind: str, day: date) -> bool:
    return period_for(kind, day).start == day


def due_kinds(now: datetime) -> tuple[str, ...]:
    """The morning job's reports for this Korean day: weekly on Monday, monthly on the 1st."""
    today = korean_today(now)
    kinds = []
    if today.weekday() == 0:
        kinds.append(WEEKLY)
    if today.day == 1:
        kinds.append(MONTHLY)
    return tuple(kinds)


def compute_rate(good: int, total: int) -> str | None:
    """good / total to four places, rounded down (99.995 % never shows as 100 %), as a string for JSON;
    None when there was nothing to count."""
    if total <= 0:
        return None
    return str((Decimal(good) / Decimal(total)).quantize(Decimal("0.0001"), rounding=ROUND_DOWN))


def compute_growth(current: int, previous: int) -> str | None:
    """Change from `previous` to `current` in percent, one decimal ("12.5", "-3.0"); None from zero."""
    if previous == 0:
        return None
    change = (Decimal(current) - Decimal(previous)) * 100 / Decimal(abs(previous))
    return str(change.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def is_payout_late(requested_at: datetime, completed_at: datetime | None, as_of: datetime) -> bool:
    """Late: completed more than an hour after it was asked for, or still not completed after an hour."""
    end = completed_at if completed_at is not None else as_of
    return end - requested_at > PAYOUT_LATE_AFTER


def parse_recipients(text: str | None) -> list[tuple[str, str]]:
    """"ops@example.com:ko, cfo@example.com:en" → [(email, language)], in order, each address once.

    A missing or unknown language is Korean; an entry that is not an email address is skipped
    (and reported by `invalid_recipients`)."""
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for entry in (text or "").split(","):
        address, _, language = entry.strip().partition(":")
        address, language = address.strip(), language.strip().lower()
        if not _EMAIL.match(address) or address.lower() in seen:
            continue
        seen.add(address.lower())
        found.append((address, language if language in REPORT_LANGUAGES else DEFAULT_LANGUAGE))
    return found


def invalid_recipients(text: str | None) -> list[str]:
    return [e.strip() for e in (text or "").split(",")
            if e.strip() and not _EMAIL.match(e.strip().partition(":")[0].strip())]
