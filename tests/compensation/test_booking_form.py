"""A coupon on the customer's booking form: the discount on the booking page, errors next to the field."""
from __future__ import annotations

from sqlalchemy import select

from app.booking.models import Reservation
from app.extensions import db
from tests.booking.conftest import book_url, form_data, reservation_count
from tests.compensation.test_coupons import coupon
from tests.factories import future, make_hotel, make_room_type


def test_the_booking_form_takes_a_coupon_and_the_booking_page_shows_the_discount(client):
    room_type = make_room_type(make_hotel(name="쿠폰 호텔", city="Seoul"), base_price=100_000, name="더블룸")
    check_in = future(12)
    c = coupon(value=30_000, hotel=room_type.hotel)
    form = client.get(book_url(room_type, check_in) + "&lang=ko").get_data(as_text=True)
    assert 'name="coupon_code"' in form
    response = client.post(book_url(room_type, check_in), data=form_data(check_in, coupon_code=f" {c.code.lower()} "))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    r = db.session.scalar(select(Reservation).where(
        Reservation.public_id == response.headers["Location"].rsplit("/", 1)[-1]))
    assert (r.total_amount, r.discount_amount) == (170_000, 30_000)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "₩200,000" in page and "−₩30,000" in page and "₩170,000" in page


def test_a_used_coupon_is_refused_next_to_the_field_and_books_nothing(client):
    room_type = make_room_type(base_price=100_000)
    check_in = future(12)
    c = coupon(used=True)
    before = reservation_count()
    response = client.post(book_url(room_type, check_in) + "&lang=en",
                           data=form_data(check_in, coupon_code=c.code, language="en"))
    assert response.status_code in (200, 422)
    html = response.get_data(as_text=True)
    assert "This coupon was already used." in html or "이미 사용한 쿠폰입니다" in html
    assert reservation_count() == before
