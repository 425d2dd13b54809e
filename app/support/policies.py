"""Support rules as data: severities and their SLA clocks (seed 002 B), business calendars,
SLA compliance targets (seed 002 H), severity suggestion, queues. Pure functions; the clock
is a parameter.

Readings of the seed:
- "1 business day" (S4 first response), "3 days" (S3) and "5 days" (S4 resolution) are
  business days: one business day = one full business day of the queue's calendar
  (09:00–18:00, 9 business hours), so "1 business day" from Monday 10:00 is Tuesday 10:00.
- S1/S2 clocks run 24×7 (wall time); S3/S4 count business time only.
- Time waiting on the customer does not count: due = add_time(created, target + paused).
  Pauses are counted in the calendar's own time (business time for S3/S4).
- A severity change recomputes every clock from the ticket's creation with the new
  targets (the guest has waited since they wrote, not since we re-rated).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

S1, S2, S3, S4 = "S1", "S2", "S3", "S4"
SEVERITIES = (S1, S2, S3, S4)

FIRST_RESPONSE, RESOLUTION, UPDATE = "first_response", "resolution", "update"
CLOCKS = (FIRST_RESPONSE, RESOLUTION, UPDATE)

BUSINESS_DAY = "business_day"  # unit marker: a count of whole business days

#: Seed 002 B: first response / resolution / update cadence per severity.
#: A timedelta is wall time (S1/S2, 24×7) or business hours (S3/S4); ("bd", n) is n business days;
#: None means "as needed" (no clock).
SLA_TARGETS: dict[str, dict] = {
    S1: {FIRST_RESPONSE: timedelta(minutes=15), RESOLUTION: timedelta(hours=4), UPDATE: timedelta(minutes=30),
         "around_the_clock": True},
    S2: {FIRST_RESPONSE: timedelta(minutes=30), RESOLUTION: timedelta(hours=8), UPDATE: timedelta(minutes=60),
         "around_the_clock": True},
    S3: {FIRST_RESPONSE: timedelta(hours=4), RESOLUTION: (BUSINESS_DAY, 3), UPDATE: (BUSINESS_DAY, 1),
         "around_the_clock": False},
    S4: {FIRST_RESPONSE: (BUSINESS_DAY, 1), RESOLUTION: (BUSINESS_DAY, 5), UPDATE: None,
         "around_the_clock": False},
}

#: Seed 002 H: share of tickets whose clocks were all met, per severity (S4 has no target).
SLA_COMPLIANCE_TARGETS = {S1: 98, S2: 96, S3: 90}
CSAT_TARGET = 4.5

#: A warning this long before a clock is due (alert support_sla_warning).
WARN_BEFORE = timedelta(minutes=15)

CATEGORIES = ("billing", "incident", "howto", "booking", "other")
CHANNELS = ("web", "phone", "email")


class TicketStatus:
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"
    ALL = (NEW, OPEN, WAITING, RESOLVED, CLOSED)
    ACTIVE = (NEW, OPEN, WAITING)


#: The ticket's one transition table (a reopen goes back to open).
TRANSITIONS = {
    TicketStatus.NEW: {TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.OPEN: {TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.WAITING: {TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.RESOLVED: {TicketStatus.OPEN, TicketStatus.CLOSED},
    TicketStatus.CLOSED: {TicketStatus.OPEN},
}


class IllegalTicketTransition(Exception):
    pass


def next_status(current: str, target: str) -> str:
    """`target` if the table allows it, else IllegalTicketTransition."""
    if target not in TRANSITIONS.get(current, ()):
        raise IllegalTicketTransition(f"{current} → {target}")
    return target


@dataclass(frozen=True)
class Calendar:
    """Business hours of one queue: weekdays open..close in tz, minus the country's public holidays."""

    key: str
    tz: str
    country: str
    opens: time = time(9, 0)
    closes: time = time(18, 0)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def day_length(self) -> timedelta:
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _holidays(self.country, day.year)


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


CALENDARS = {
    "KR": Calendar("KR", "Asia/Seoul", "KR"),
    "JP": Calendar("JP", "Asia/Tokyo", "JP"),
}
QUEUES = tuple(CALENDARS)


def queue_for(language: str | None, hotel_country: str | None = None) -> str:
    """Japanese-speaking guests (or a hotel in Japan) → JP, everyone else → KR."""
    if (language or "") == "ja" or (hotel_country or "") == "JP":
        return "JP"
    return "KR"


def _open_interval(day: date, cal: Calendar) -> tuple[datetime, datetime]:
    z = cal.zone
    return datetime.combine(day, cal.opens, z), datetime.combine(day, cal.closes, z)


def add_business_time(start: datetime, duration: timedelta, cal: Calendar) -> datetime:
    """The moment `duration` of business time after `start` (aware) has elapsed; UTC."""
    if duration < timedelta(0):
        raise ValueError("negative duration")
    current = start.astimezone(cal.zone)
    remaining = duration
    day = current.date()
    for _ in range(3660):  # ten years of days: a bound, never reached for real targets
        if cal.is_business_day(day):
            opens, closes = _open_interval(day, cal)
            begin = max(current, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    # Exactly at closing time a remaining zero lands at closing, not at next opening.
                    return (begin + remaining).astimezone(ZoneInfo("UTC"))
                remaining -= available
        day += timedelta(days=1)
        current = datetime.combine(day, time(0, 0), cal.zone)
    raise ValueError("no business time in ten years")


def business_time_between(a: datetime, b: datetime, cal: Calendar) -> timedelta:
    """Business time from `a` to `b` (zero when b <= a)."""
    if b <= a:
        return timedelta(0)
    a_local, b_local = a.astimezone(cal.zone), b.astimezone(cal.zone)
    total = timedelta(0)
    day = a_local.date()
    while day <= b_local.date():
        if cal.is_business_day(day):
            opens, closes = _open_interval(day, cal)
            lo, hi = max(a_local, opens), min(b_local, closes)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def target_duration(severity: str, clock_name: str, cal: Calendar) -> timedelta | None:
    """The clock's target as a duration in its own time (wall for S1/S2, business for S3/S4)."""
    target = SLA_TARGETS[severity][clock_name]
    if target is None:
        return None
    if isinstance(target, tuple):
        return cal.day_length * target[1]
    return target


def add_time(start: datetime, duration: timedelta, severity: str, cal: Calendar) -> datetime:
    if SLA_TARGETS[severity]["around_the_clock"]:
        return start + duration
    return add_business_time(start, duration, cal)


def time_between(a: datetime, b: datetime, severity: str, cal: Calendar) -> timedelta:
    if SLA_TARGETS[severity]["around_the_clock"]:
        return max(b - a, timedelta(0))
    return business_time_between(a, b, cal)


def paused_time(pauses: list[tuple[datetime, datetime | None]], until: datetime, severity: str,
                cal: Calendar) -> timedelta:
    """Counted time spent waiting on the customer (an open pause runs until `until`)."""
    total = timedelta(0)
    for begin, end in pauses:
        total += time_between(begin, min(end or until, until), severity, cal)
    return total


def compute_due(start: datetime, severity: str, clock_name: str, cal: Calendar,
                pauses: list[tuple[datetime, datetime | None]] = (), now: datetime | None = None) -> datetime | None:
    """When the clock started at `start` falls due, extended by the time paused (an open pause
    extends it up to `now`). None when the severity has no such clock."""
    duration = target_duration(severity, clock_name, cal)
    if duration is None:
        return None
    pauses = list(pauses)
    until = now or max([end for _, end in pauses if end is not None], default=start)
    extra = paused_time(pauses, until, severity, cal) if pauses else timedelta(0)
    return add_time(start, duration + extra, severity, cal)


def suggest_severity(*, category: str, check_in: date | None = None, today: date | None = None,
                     payment_problem: bool = False) -> str:
    """Seed 002 B adapted to a hotel: arriving today/tomorrow → S2; a paid booking with a payment
    problem → S2; a how-to → S4; else S3. The operator may change it."""
    if check_in is not None and today is not None and 0 <= (check_in - today).days <= 1:
        return S2
    if payment_problem:
        return S2
    if category == "howto":
        return S4
    return S3


#: Minutes within which a second operator opening a ticket counts as "also looking".
COLLISION_WINDOW = timedelta(minutes=3)
