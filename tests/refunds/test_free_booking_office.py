"""A booking a coupon paid in full (₩0) in the back office: its reservation page shows the list price,
the discount and nothing to pay, offers no refund, and the refund pages never open a refund of money
that was never paid. A partly couponed booking's refund page shows the coupon beside what was paid."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.booking.models import Reservation
from app.booking.services import cancel_reservation
from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.extensions import db
from app.refunds.decisions import open_refund
from app.refunds.models import Refund
from tests.factories import future, make_coupon, make_coupon_reservation, make_room_type
from tests.refunds.conftest import fresh


def _free_booking(days: int = 10):
    room_type = make_room_type(base_price=100_000)
    coupon = make_coupon(kind="percent", value=100, hotel=room_type.hotel)
    return make_coupon_reservation(room_type, coupon=coupon, check_in=future(days)), coupon


def test_the_reservation_page_shows_list_price_discount_nothing_to_pay_and_no_refund(client, login_as):
    login_as("staff")
    r, coupon = _free_booking()
    page = client.get(f"/ops/reservations/{r.public_id}").get_data(as_text=True)
    assert 'data-status="paid"' in page
    assert "쿠폰 (결제할 금액 없음)" in page                    # how it was paid
    assert "정가 ₩200,000, 쿠폰 할인 ₩200,000" in page and coupon.code in page
    assert "결제할 금액 없음: 쿠폰이 요금 전액을 덮음" in page
    assert 'data-paid="0"' in page and 'data-refunded="0"' in page and "data-outstanding" not in page
    assert 'data-kind="coupon_redeemed"' in page
    assert 'data-action="refund"' not in page and 'data-action="status"' in page
    # the guest cancels a week ahead: the coupon comes back, and the page says so
    cancel_reservation(r.id, actor=Actor.guest(r.guest_email), reason="Plans changed.")
    page = client.get(f"/ops/reservations/{r.public_id}").get_data(as_text=True)
    assert 'data-status="canceled"' in page and 'data-kind="coupon_returned"' in page
    assert "쿠폰을 고객에게 돌려줌 (돈은 오가지 않음)" in page and "예약 취소 때 고객에게 돌려줌" in page
    assert 'data-action="refund"' not in page


def test_the_refund_page_of_a_free_booking_opens_nothing_and_cancels_nothing(client, login_as):
    login_as("manager")
    r, _coupon = _free_booking()
    url = f"/ops/reservations/{r.public_id}/refund"
    page = client.get(url).get_data(as_text=True)
    assert 'id="nothing-to-refund"' in page and "쿠폰이 요금 전액을 덮어 받은 돈이 없습니다." in page
    assert 'name="note"' not in page
    for our_fault in ("", "hotel_closure"):
        response = client.post(url, data={"our_fault": our_fault, "note": "손님 요청", "confirmed": "yes"})
        assert response.status_code == 422
    assert fresh(r).status == "paid"
    assert db.session.scalar(select(func.count()).select_from(Refund).where(Refund.reservation_id == r.id)) == 0
    assert r.public_id not in client.get("/ops/refunds/").get_data(as_text=True)


def test_the_refund_service_refuses_a_free_booking_before_canceling_it():
    r, _coupon = _free_booking()
    with pytest.raises(ValidationFailed):
        open_refund(r.id, our_fault=None, note="test", actor=Actor.system("test"))
    assert db.session.get(Reservation, r.id, populate_existing=True).status == "paid"


def test_a_partly_couponed_booking_s_refund_page_shows_the_coupon_beside_what_was_paid(client, login_as):
    import uuid

    from app.core import clock
    from app.payments.gateway import CardDetails
    from app.payments.services import pay_by_card

    login_as("staff")
    room_type = make_room_type(base_price=100_000)
    coupon = make_coupon(value=50_000, hotel=room_type.hotel)
    r = make_coupon_reservation(room_type, coupon=coupon, check_in=future(10))
    pay_by_card(r, amount=r.total_amount, currency=r.currency,
                card=CardDetails("4242424242424242", 12, clock.now().year + 2, "123", "Minji Kim"),
                idempotency_key=str(uuid.uuid4()))
    refund = cancel_reservation(r.id, actor=Actor.guest(r.guest_email), reason="Plans changed.").refund
    page = client.get(f"/ops/refunds/{refund.public_id}").get_data(as_text=True)
    assert "₩150,000" in page and "정가 ₩200,000, 쿠폰 할인 ₩50,000" in page
    assert "실제로 받은 금액만 환불할 수 있습니다" in page
    assert refund.policy_amount == 150_000
