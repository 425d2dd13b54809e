"""Refund fixtures: paid bookings (card or bank transfer) cancelled by the customer,
waiting for a decision; booking conflicts of one customer."""
from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.booking.models import BookingConflict, Reservation
from app.booking.services import cancel_reservation
from app.core import clock
from app.core.actor import Actor
from app.extensions import db
from app.payments.services import record_completed_payment
from app.refunds.models import Refund
from tests.factories import future, make_paid_reservation, make_reservation, make_room_type, same_day_morning

TEST_ACTOR = Actor.system("test")


def fresh(obj):
    from sqlalchemy import inspect

    return db.session.get(type(obj), inspect(obj).identity[0], populate_existing=True)


def paid_booking(*, method: str = "card", days: int = 10, language: str = "ko", **kwargs) -> Reservation:
    # same-day bookings close at 15:00 hotel time: a stay for today is booked in the morning
    with same_day_morning() if days == 0 else nullcontext():
        if method == "card":
            reservation = make_paid_reservation(check_in=future(days), language=language, **kwargs)
        else:
            reservation = make_reservation(method="bank_transfer", check_in=future(days), language=language,
                                           **kwargs)
            record_completed_payment(reservation, method="bank_transfer", amount=reservation.total_amount,
                                     actor=TEST_ACTOR, payer_name="KIM MINJI", reference=reservation.code)
            from app.booking.services import mark_paid

            mark_paid(reservation.id, actor=TEST_ACTOR, notify=False)
        db.session.commit()
    return db.session.get(Reservation, reservation.id)


def cancelled_request(*, method: str = "card", days: int = 10, language: str = "ko", **kwargs) -> Refund:
    """A paid booking the customer cancelled: its refund request waits (REQUESTED)."""
    reservation = paid_booking(method=method, days=days, language=language, **kwargs)
    outcome = cancel_reservation(reservation.id, actor=Actor.guest(reservation.guest_email), reason="Plans changed.")
    assert outcome.refund is not None
    return outcome.refund


@pytest.fixture
def refund_request():
    return cancelled_request


@pytest.fixture
def conflicts():
    """conflicts(email, n) → n committed booking conflicts of one customer, oldest first."""

    def _make(email: str, n: int, language: str = "ko") -> list[BookingConflict]:
        room_type = make_room_type()
        made = []
        for i in range(n):
            conflict = BookingConflict(hotel_id=room_type.hotel_id, room_type_id=room_type.id,
                                       check_in=future(20 + i), check_out=future(22 + i), number_of_rooms=1,
                                       guest_name="Minji Kim", guest_email=email, language=language,
                                       full_nights=[future(20 + i).isoformat()], alternatives=[],
                                       created_at=clock.now() - timedelta(days=n - i))
            db.session.add(conflict)
            db.session.flush()
            made.append(conflict)
        db.session.commit()
        return made

    return _make


def outbox(event: str, reservation_id: int | None = None):
    from app.notifications.models import OutboxMessage

    q = select(OutboxMessage).where(OutboxMessage.event == event)
    if reservation_id is not None:
        q = q.where(OutboxMessage.reservation_id == reservation_id)
    return list(db.session.scalars(q.execution_options(populate_existing=True)))
