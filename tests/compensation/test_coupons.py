"""Coupons on a booking: validation, integer-won math, once-only use, the ledger and refunds."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.booking.models import Reservation
from app.booking.services import cancel_reservation, create_reservation
from app.core import clock
from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry
from app.ledger.services import money_summary
from app.payments.gateway import CardDetails
from app.payments.services import pay_by_card
from app.refunds.models import Coupon, CouponKind, Refund
from app.refunds.policies import coupon_discount, coupon_refusal
from tests.api.helpers import book
from tests.factories import booking_request, make_hotel, make_room_type


def coupon(*, kind=CouponKind.AMOUNT, value=30_000, hotel=None, days=30, used=False, code=None) -> Coupon:
    c = Coupon(code=code or ("FDC" + uuid.uuid4().hex[:8].upper()), kind=kind, value=value,
               currency="KRW" if kind == CouponKind.AMOUNT else None,
               expires_at=clock.now() + timedelta(days=days), guest_email="minji@example.com",
               reason="test", hotel_id=hotel.id if hotel is not None else None,
               used_at=clock.now() if used else None)
    db.session.add(c)
    db.session.commit()
    return c


def reserve(room_type, code: str, **kwargs):
    req = replace(booking_request(room_type, **kwargs), coupon_code=code)
    return create_reservation(req, idempotency_key=str(uuid.uuid4())).reservation


# --- pure math ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,value,price,expected", [
    ("percent", 10, 200_000, 20_000),
    ("percent", 15, 99_999, 14_999),       # rounds down to the won
    ("percent", 100, 123_457, 123_457),
    ("percent", 150, 10_000, 10_000),      # never more than the price
    ("amount", 30_000, 200_000, 30_000),
    ("amount", 300_000, 200_000, 200_000),  # capped at the price
    ("minutes", 30, 200_000, 0),            # stay-time minutes take no money off
    ("amount", 30_000, 0, 0),
])
def test_discount_is_integer_won_never_more_than_the_price(kind, value, price, expected):
    got = coupon_discount(kind, value, price)
    assert got == expected and isinstance(got, int)


def test_refusal_reasons():
    now = clock.now()
    base = dict(kind="amount", expires_at=now + timedelta(days=1), used_at=None, hotel_id=None, now=now,
                for_hotel_id=7, currency="KRW", for_currency="KRW")
    assert coupon_refusal(**base) is None
    assert coupon_refusal(**{**base, "used_at": now}) == "used"
    assert coupon_refusal(**{**base, "expires_at": now}) == "expired"
    assert coupon_refusal(**{**base, "hotel_id": 8}) == "other_hotel"
    assert coupon_refusal(**{**base, "hotel_id": 7}) is None
    assert coupon_refusal(**{**base, "kind": "minutes"}) == "not_bookable"
    assert coupon_refusal(**{**base, "currency": "JPY"}) == "other_currency"


# --- on a booking ---------------------------------------------------------------------------------

def test_percent_coupon_reduces_the_total_and_is_traced_in_the_ledger():
    room_type = make_room_type(base_price=100_000)
    c = coupon(kind=CouponKind.PERCENT, value=15, hotel=room_type.hotel)
    r = reserve(room_type, c.code.lower(), nights=2)   # codes are case-insensitive
    db.session.commit()
    r = db.session.get(Reservation, r.id)
    assert (r.total_amount, r.discount_amount) == (170_000, 30_000)
    used = db.session.get(Coupon, c.id, populate_existing=True)
    assert used.used_at is not None and used.reservation_id == r.id
    rows = list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.reservation_id == r.id)))
    assert [(e.kind, e.amount) for e in rows] == [(EntryKind.COUPON_REDEEMED, 0)]
    assert rows[0].details["listPrice"] == 200_000 and rows[0].details["discount"] == 30_000
    assert rows[0].details["coupon"] == c.code
    summary = money_summary(r)
    assert (summary.total, summary.paid, summary.outstanding) == (170_000, 0, 170_000)


def test_paying_a_couponed_booking_leaves_nothing_outstanding_and_refund_is_on_what_was_paid():
    room_type = make_room_type(base_price=100_000)
    c = coupon(value=50_000)
    r = reserve(room_type, c.code, nights=2, check_in=clock.local_today("Asia/Seoul") + timedelta(days=20))
    pay_by_card(r, amount=r.total_amount, currency=r.currency,
                card=CardDetails("4242424242424242", 12, clock.now().year + 2, "123", "Minji Kim"),
                idempotency_key=str(uuid.uuid4()))
    db.session.commit()
    r = db.session.get(Reservation, r.id)
    summary = money_summary(r)
    assert (summary.total, summary.paid, summary.outstanding) == (150_000, 150_000, 0)
    outcome = cancel_reservation(r.id, actor=Actor.guest(r.guest_email), reason="Plans changed.")
    refund = db.session.get(Refund, outcome.refund.id)
    assert refund is not None
    # the policy's percent of what was paid (₩150,000), never of the list price (₩200,000)
    assert refund.policy_amount == 150_000 * refund.policy_percent // 100
    assert refund.amount <= 150_000


@pytest.mark.parametrize("case,field_text", [
    ("unknown", "No coupon"), ("expired", "expired"), ("used", "already used"), ("other_hotel", "another hotel"),
])
def test_unusable_coupons_are_refused_and_change_nothing(case, field_text, app):
    room_type = make_room_type()
    other = make_hotel()
    made = {"unknown": None, "expired": coupon(days=-1), "used": coupon(used=True),
            "other_hotel": coupon(hotel=other)}[case]
    code = made.code if made else "FDCNOSUCH1"
    before = db.session.scalar(select(db.func.count()).select_from(Reservation))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(ValidationFailed) as caught:
            reserve(room_type, code)
        assert field_text in str(caught.value.fields["couponCode"])
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(Reservation)) == before


def test_a_coupon_is_used_once():
    room_type = make_room_type()
    c = coupon()
    reserve(room_type, c.code)
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        reserve(room_type, c.code)
    assert "couponCode" in caught.value.fields


def test_the_api_takes_an_optional_coupon_code(client):
    room_type = make_room_type(base_price=100_000)
    c = coupon(value=25_000)
    response = book(client, room_type, couponCode=c.code)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["totalPrice"] == {"amount": 175_000, "currency": "KRW"}
    assert body["discount"] == {"amount": 25_000, "currency": "KRW"}
    again = book(client, room_type, couponCode=c.code)
    assert again.status_code == 422
    assert "couponCode" in again.get_json()["error"]["fields"]
    plain = book(client, room_type)
    assert plain.status_code == 201 and "discount" not in plain.get_json()
    bad = book(client, room_type, couponCode=["x"])
    assert bad.status_code == 422 and "couponCode" in bad.get_json()["error"]["fields"]
