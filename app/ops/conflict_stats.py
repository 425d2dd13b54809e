"""Booking-conflict patterns over a period (seed 000: peak hours, hot room types and nights,
weekly and monthly statistics). Read-only.

`conflict_patterns(since, until)` answers every dimension with one GROUP BY each, over
`booking_conflicts` created in [since, until). Hours and weekdays are local times of
PATTERN_TIMEZONE (Asia/Seoul, seed 000's operators). Used by the conflicts page, the Today
page's "expected peak hours", and the reports (app.reports).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, cast, exists, func, literal, select

from app.booking.models import BookingConflict, ConflictResolution, Reservation
from app.catalog.models import Hotel, RoomType
from app.extensions import db

#: The time zone hours of day and weekdays are counted in.
PATTERN_TIMEZONE = "Asia/Seoul"

#: A stay longer than this is counted for its first MAX_NIGHTS nights only (keeps the
#: night expansion bounded whatever a row holds).
MAX_NIGHTS = 31


class HotelCount(NamedTuple):
    hotel_id: int
    name: str
    count: int


class RoomTypeCount(NamedTuple):
    room_type_id: int
    name: str
    count: int
    hotel_name: str


class NightCount(NamedTuple):
    night: date
    count: int


@dataclass
class ConflictPatterns:
    """Conflicts created in [since, until), counted per dimension.

    by_hotel / by_room_type: most conflicts first. by_night: every stay night asked for
    (a 3-night request counts once on each of its nights), in date order. by_hour_of_day:
    24 counts, index = local hour. by_weekday: 7 counts, index 0 = Monday. by_resolution:
    every ConflictResolution value (0 when none). compensations_offered: conflicts of the
    period that got a compensation; compensations_accepted: of those, the guest later paid
    for a booking made after the compensation was given.
    """

    since: datetime
    until: datetime
    total: int = 0
    by_hotel: list[HotelCount] = field(default_factory=list)
    by_room_type: list[RoomTypeCount] = field(default_factory=list)
    by_night: list[NightCount] = field(default_factory=list)
    by_hour_of_day: list[int] = field(default_factory=lambda: [0] * 24)
    by_weekday: list[int] = field(default_factory=lambda: [0] * 7)
    by_resolution: dict[str, int] = field(default_factory=dict)
    compensations_offered: int = 0
    compensations_accepted: int = 0

    def peak_hours(self, n: int = 3) -> list[int]:
        """The `n` local hours with the most conflicts (ties: earlier hour first); no zero hours."""
        ranked = sorted((h for h in range(24) if self.by_hour_of_day[h]), key=lambda h: (-self.by_hour_of_day[h], h))
        return ranked[:n]

    def hot_nights(self, n: int = 5) -> list[NightCount]:
        """The `n` nights asked for most often (ties: earlier night first)."""
        return sorted(self.by_night, key=lambda x: (-x.count, x.night))[:n]


def conflict_patterns(since: datetime, until: datetime, *, tz: str = PATTERN_TIMEZONE) -> ConflictPatterns:
    """Every pattern dimension of the conflicts created in [since, until) (aware datetimes)."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware")
    result = ConflictPatterns(since=since, until=until)
    if until <= since:
        result.by_resolution = {r: 0 for r in _RESOLUTIONS}
        return result
    in_range = and_(BookingConflict.created_at >= since, BookingConflict.created_at < until)
    session = db.session

    result.total = session.scalar(select(func.count()).select_from(BookingConflict).where(in_range)) or 0

    n = func.count(BookingConflict.id).label("n")
    result.by_hotel = [HotelCount(hid, name, count) for hid, name, count in session.execute(
        select(BookingConflict.hotel_id, Hotel.name, n).join(Hotel, Hotel.id == BookingConflict.hotel_id)
        .where(in_range).group_by(BookingConflict.hotel_id, Hotel.name).order_by(n.desc(), Hotel.name))]

    result.by_room_type = [RoomTypeCount(rid, name, count, hotel) for rid, name, hotel, count in session.execute(
        select(BookingConflict.room_type_id, RoomType.name, Hotel.name, n)
        .join(RoomType, RoomType.id == BookingConflict.room_type_id)
        .join(Hotel, Hotel.id == BookingConflict.hotel_id)
        .where(in_range).group_by(BookingConflict.room_type_id, RoomType.name, Hotel.name)
        .order_by(n.desc(), Hotel.name, RoomType.name))]

    result.by_night = _by_night(in_range)

    hour, weekday = _local_hour_and_weekday(tz)
    for h, count in session.execute(select(hour, func.count()).where(in_range).group_by(hour)):
        result.by_hour_of_day[int(h)] = count
    for d, count in session.execute(select(weekday, func.count()).where(in_range).group_by(weekday)):
        result.by_weekday[int(d)] = count

    result.by_resolution = {r: 0 for r in _RESOLUTIONS}
    for resolution, count in session.execute(select(BookingConflict.resolution, func.count()).where(in_range)
                                             .group_by(BookingConflict.resolution)):
        result.by_resolution[resolution] = count

    result.compensations_offered, result.compensations_accepted = _compensations(in_range)
    return result


_RESOLUTIONS = (ConflictResolution.PENDING_REVIEW, ConflictResolution.RESOLVED, ConflictResolution.DISMISSED)


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _local_hour_and_weekday(tz: str):
    """SQL expressions: the local hour (0–23) and weekday (0 = Monday) of created_at."""
    col = BookingConflict.created_at
    if _is_postgres():
        local = func.timezone(tz, col)
        return (cast(func.extract("hour", local), Integer).label("h"),
                (cast(func.extract("isodow", local), Integer) - 1).label("d"))
    # SQLite stores naive UTC; shift by the zone's offset (exact for fixed-offset zones such as
    # Asia/Seoul, which has had no daylight saving since 1988).
    offset = int(datetime.now(ZoneInfo(tz)).utcoffset().total_seconds() // 60)
    modifier = f"{offset:+d} minutes"
    return (cast(func.strftime("%H", col, modifier), Integer).label("h"),
            # %w: 0 = Sunday … 6 = Saturday → 0 = Monday
            ((cast(func.strftime("%w", col, modifier), Integer) + 6) % 7).label("d"))


def _by_night(in_range) -> list[NightCount]:
    """Each night of each stay asked for, counted (one recursive CTE, one GROUP BY)."""
    base = (select(BookingConflict.id.label("cid"), BookingConflict.check_in.label("night"),
                   BookingConflict.check_out.label("check_out"), literal(1, Integer).label("depth"))
            .where(in_range).cte("conflict_nights", recursive=True))
    if _is_postgres():
        following = base.c.night + literal(1, Integer)
    else:
        following = func.date(base.c.night, "+1 day")
    step = select(base.c.cid, following, base.c.check_out, base.c.depth + 1).where(
        following < base.c.check_out, base.c.depth < MAX_NIGHTS)
    nights = base.union_all(step)
    rows = db.session.execute(select(nights.c.night, func.count()).group_by(nights.c.night).order_by(nights.c.night))
    return [NightCount(night if isinstance(night, date) else date.fromisoformat(str(night)[:10]), count)
            for night, count in rows]


def _compensations(in_range) -> tuple[int, int]:
    """(conflicts of the period that got a compensation, of those: the guest paid for a later booking)."""
    from app.refunds.models import Compensation

    rebooked = exists().where(Reservation.guest_email == Compensation.guest_email,
                              Reservation.created_at >= Compensation.created_at,
                              Reservation.paid_at.is_not(None))
    offered, accepted = db.session.execute(
        select(func.count(Compensation.id), func.count(Compensation.id).filter(rebooked))
        .join(BookingConflict, BookingConflict.id == Compensation.conflict_id).where(in_range)).one()
    return offered or 0, accepted or 0


def previous_period(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """The period of the same length just before [since, until)."""
    length = until - since
    return since - length, since


def percent_change(current: int, previous: int) -> float | None:
    """Change from `previous` to `current` in percent; None when there was nothing before."""
    if previous == 0:
        return None
    return (current - previous) * 100.0 / previous




# --- weekly and monthly statistics (seed 000 "주간 보고서" / "월간 보고서") -------------------

@dataclass
class PeriodStats:
    """One complete week or month of conflicts, against the period before it."""

    kind: str                 # "week" | "month"
    first_day: date           # local calendar days, inclusive
    last_day: date
    patterns: ConflictPatterns
    previous_total: int

    @property
    def change_percent(self) -> float | None:
        return percent_change(self.patterns.total, self.previous_total)


def _local_midnight(day: date, tz: str) -> datetime:
    from datetime import timezone

    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def _count(since: datetime, until: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(BookingConflict).where(
        BookingConflict.created_at >= since, BookingConflict.created_at < until)) or 0


def weekly_stats(today: date, weeks: int = 4, *, tz: str = PATTERN_TIMEZONE) -> list[PeriodStats]:
    """The last `weeks` complete Monday–Sunday weeks before `today` (local), newest first."""
    from datetime import timedelta

    monday = today - timedelta(days=today.weekday())
    rows = []
    for i in range(1, weeks + 1):
        first = monday - timedelta(days=7 * i)
        since, until = _local_midnight(first, tz), _local_midnight(first + timedelta(days=7), tz)
        rows.append(PeriodStats("week", first, first + timedelta(days=6), conflict_patterns(since, until, tz=tz),
                                _count(_local_midnight(first - timedelta(days=7), tz), since)))
    return rows


def _month_start(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def monthly_stats(today: date, months: int = 3, *, tz: str = PATTERN_TIMEZONE) -> list[PeriodStats]:
    """The last `months` complete calendar months before `today` (local), newest first."""
    from datetime import timedelta

    rows = []
    for i in range(1, months + 1):
        first, following, before = _month_start(today, i), _month_start(today, i - 1), _month_start(today, i + 1)
        since, until = _local_midnight(first, tz), _local_midnight(following, tz)
        rows.append(PeriodStats("month", first, following - timedelta(days=1), conflict_patterns(since, until, tz=tz),
                                _count(_local_midnight(before, tz), since)))
    return rows


def conflicts_by_hour(ranges: list[tuple[datetime, datetime]], *, tz: str = PATTERN_TIMEZONE) -> list[int]:
    """24 counts (local hour) of the conflicts created in any of `ranges` — one GROUP BY (Today's
    "tomorrow's expected busy hours" asks for the same weekday of several past weeks)."""
    from sqlalchemy import or_

    hours = [0] * 24
    if not ranges:
        return hours
    hour, _weekday = _local_hour_and_weekday(tz)
    condition = or_(*(and_(BookingConflict.created_at >= a, BookingConflict.created_at < b) for a, b in ranges))
    for h, count in db.session.execute(select(hour, func.count()).where(condition).group_by(hour)):
        hours[int(h)] = count
    return hours
