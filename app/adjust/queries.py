"""Read-only lists of the adjustment pages."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.booking.models import Reservation
from app.booking.states import ReservationStatus
from app.extensions import db
from app.payments.models import Payment
from app.payments.states import PaymentStatus

LIST_LIMIT = 200


def _paid_so_far():
    return (select(Payment.reservation_id, func.sum(Payment.amount).label("paid"))
            .where(Payment.status == PaymentStatus.COMPLETED).group_by(Payment.reservation_id).subquery())


def _owing():
    paid = _paid_so_far()
    due = Reservation.total_amount - func.coalesce(paid.c.paid, 0)
    return paid, due


def count_owing_a_difference() -> int:
    """Paid bookings whose total rose after a change and the difference is not paid yet."""
    paid, due = _owing()
    return db.session.scalar(select(func.count()).select_from(Reservation)
                             .outerjoin(paid, paid.c.reservation_id == Reservation.id)
                             .where(Reservation.status == ReservationStatus.PAID, due > 0))


def list_owing_a_difference(limit: int = LIST_LIMIT) -> list[tuple[Reservation, int]]:
    """(booking, amount still to pay), the soonest arrival first."""
    paid, due = _owing()
    rows = db.session.execute(
        select(Reservation, due.label("due")).outerjoin(paid, paid.c.reservation_id == Reservation.id)
        .options(joinedload(Reservation.hotel), joinedload(Reservation.room_type))
        .where(Reservation.status == ReservationStatus.PAID, due > 0)
        .order_by(Reservation.check_in, Reservation.id).limit(limit)).all()
    return [(r, int(d)) for r, d in rows]
