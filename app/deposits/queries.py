"""Read-only lists of the deposit pages and Today."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from app.booking.models import Reservation
from app.booking.services import NO_DEPOSIT_REASON
from app.core import clock
from app.deposits.models import LineStatus, StatementLine
from app.extensions import db

LIST_LIMIT = 200


def list_lines(limit: int = LIST_LIMIT) -> list[StatementLine]:
    """Lines needing a decision first (oldest first), then the latest others."""
    needing = case((StatementLine.status == LineStatus.NEEDS_DECISION, 0), else_=1)
    return list(db.session.scalars(
        select(StatementLine).options(joinedload(StatementLine.reservation))
        .order_by(needing, case((StatementLine.status == LineStatus.NEEDS_DECISION, StatementLine.id), else_=None),
                  StatementLine.id.desc()).limit(limit)))


@dataclass
class WaitingLines:
    count: int
    oldest: datetime | None


def count_needing_decision() -> WaitingLines:
    count, oldest = db.session.execute(select(func.count(), func.min(StatementLine.created_at)).where(
        StatementLine.status == LineStatus.NEEDS_DECISION)).one()
    if oldest is not None and oldest.tzinfo is None:
        from datetime import timezone
        oldest = oldest.replace(tzinfo=timezone.utc)
    return WaitingLines(count, oldest)


def get_line(public_id: str) -> StatementLine | None:
    return db.session.scalar(select(StatementLine).where(StatementLine.public_id == public_id))


def reservations_by_ids(ids: list[int]) -> list[Reservation]:
    if not ids:
        return []
    return list(db.session.scalars(select(Reservation).where(Reservation.id.in_(ids)).order_by(Reservation.id)))


def day_start(tz: str = "Asia/Seoul") -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(clock.local_today(tz), time(0), tzinfo=ZoneInfo(tz))


def canceled_for_no_deposit_today(tz: str = "Asia/Seoul") -> list[Reservation]:
    """Bookings the automatic job canceled today (hotel-local day) because no deposit came."""
    since = day_start(tz)
    return list(db.session.scalars(
        select(Reservation).options(joinedload(Reservation.hotel))
        .where(Reservation.status == "canceled", Reservation.cancel_reason.like(NO_DEPOSIT_REASON + "%"),
               Reservation.canceled_at >= since, Reservation.canceled_at < since + timedelta(days=1))
        .order_by(Reservation.canceled_at.desc())))
