"""Bookings a coupon paid in full (₩0) on a reconciled day: the coupon moves no cash, so the gateway,
the payouts and the settlement of that day reconcile with no difference, and the ledger's coupon rows
explain the price of each booking (list price = discount + what was paid; nothing to give back)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.booking.services import cancel_reservation
from app.core import clock as app_clock
from app.core.actor import Actor
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry
from app.ledger.services import money_summary
from app.reconcile import services
from app.refunds.models import Refund
from app.remittance.models import Payout
from tests.factories import make_coupon, make_coupon_reservation, make_room_type
from tests.reconcile.conftest import items, kst, ledger_sum, new_day, pay_by_card


def test_a_day_with_free_bookings_and_their_cancellation_reconciles_without_a_difference(app, sandbox):
    day = new_day()
    app_clock.freeze(kst(day, 8))   # the room type's inventory calendar starts that day
    room_type = make_room_type(base_price=100_000)
    paid = [pay_by_card(day, hour=h, room_type=room_type) for h in (9, 15)]
    app_clock.freeze(kst(day, 11))
    free = make_coupon_reservation(room_type, check_in=day + timedelta(days=20))
    app_clock.freeze(kst(day, 12))
    big_coupon = make_coupon(kind="amount", value=1_000_000, hotel=room_type.hotel)
    canceled = make_coupon_reservation(room_type, coupon=big_coupon, check_in=day + timedelta(days=20))
    app_clock.freeze(kst(day, 13))
    cancel_reservation(canceled.id, actor=Actor.guest(canceled.guest_email), reason="Plans changed.")

    app_clock.freeze(kst(day + timedelta(days=1), 6))
    services.fetch_settlement_file(day)
    runs = {source: services.reconcile_day(day, source, trigger="schedule")
            for source in ("gateway", "payouts", "settlement")}

    assert all(run.status == "completed" for run in runs.values())
    assert items() == []
    gateway = runs["gateway"]
    assert (gateway.matched_count, gateway.total_count, gateway.match_rate) == (2, 2, Decimal("1.000000"))
    assert (gateway.internal_count, gateway.internal_amount) == ledger_sum(day, ("card_charge", "card_refund")) \
        == (2, sum(p.amount for p in paid))
    # the coupons' trail: 0 cash each, the price explained, nothing refunded or paid out
    coupon_rows = db.session.execute(select(LedgerEntry.kind, func.count(), func.sum(LedgerEntry.amount)).where(
        LedgerEntry.business_date == day, LedgerEntry.kind.in_(
            (EntryKind.COUPON_REDEEMED, EntryKind.COUPON_RETURNED))).group_by(LedgerEntry.kind)).all()
    assert sorted(coupon_rows) == [(EntryKind.COUPON_REDEEMED, 2, 0), (EntryKind.COUPON_RETURNED, 1, 0)]
    for r in (free, canceled):
        redeemed = db.session.scalar(select(LedgerEntry).where(LedgerEntry.reservation_id == r.id,
                                                               LedgerEntry.kind == EntryKind.COUPON_REDEEMED))
        summary = money_summary(r)
        assert redeemed.details["listPrice"] == redeemed.details["discount"] + summary.paid == 200_000
        assert (summary.paid, summary.refunded, summary.outstanding) == (0, 0, 0)
        assert db.session.scalar(select(func.count()).select_from(Refund).where(Refund.reservation_id == r.id)) == 0
        assert db.session.scalar(select(func.count()).select_from(Payout).where(Payout.reservation_id == r.id)) == 0
    # running the day again changes nothing
    assert services.reconcile_day(day, "gateway", trigger="schedule").status == "completed" and items() == []
