"""Two bookings racing for one coupon, for real (own connections, released together): one wins."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.booking.models import Reservation
from app.booking.services import create_reservation
from app.core import clock
from app.core.errors import ValidationFailed
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry
from app.refunds.models import Coupon, CouponKind
from tests.concurrency import at_once, second_app
from tests.factories import booking_request, make_room_type

pytestmark = pytest.mark.committing


@pytest.fixture(scope="module")
def race_app(app):
    with second_app(app, pool_size=6, max_overflow=0, pool_timeout=60) as other:
        yield other


@pytest.mark.parametrize("count", [2, 4])
def test_one_coupon_two_bookings_at_once_only_one_gets_the_discount(race_app, count):
    room_type = make_room_type(rooms=10, base_price=100_000)
    c = Coupon(code="FDC" + uuid.uuid4().hex[:8].upper(), kind=CouponKind.PERCENT, value=20, currency=None,
               expires_at=clock.now() + timedelta(days=5), guest_email="minji@example.com", reason="test")
    db.session.add(c)
    db.session.commit()
    requests = [replace(booking_request(room_type), coupon_code=c.code) for _ in range(count)]
    coupon_id = c.id

    def action(i):
        return create_reservation(requests[i], idempotency_key=str(uuid.uuid4())).reservation.id

    results = at_once(race_app, count, action)
    won = [r for r in results if isinstance(r, int)]
    lost = [r for r in results if isinstance(r, ValidationFailed)]
    assert len(won) == 1 and len(lost) == count - 1, results
    assert all("couponCode" in e.fields for e in lost)
    used = db.session.get(Coupon, coupon_id, populate_existing=True)
    assert used.reservation_id == won[0]
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.kind == EntryKind.COUPON_REDEEMED, LedgerEntry.details["coupon"].as_string() == c.code)) == 1
    # the losers booked nothing (all or nothing): one discounted reservation of this room type
    assert db.session.scalar(select(func.count()).select_from(Reservation).where(
        Reservation.room_type_id == room_type.id)) == 1
    assert db.session.get(Reservation, won[0]).discount_amount == 40_000
