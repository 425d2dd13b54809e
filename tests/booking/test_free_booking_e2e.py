"""In a real browser (Chromium), in Korean: a guest books with a coupon worth the whole price on the
booking form and lands on the confirmed ₩0 booking, with no card form and no bank transfer to make.
Screenshot: docs/screenshots/booking_free_coupon_ko.png."""
import pytest
from sqlalchemy import select

from app.booking.models import Reservation
from app.core.db import end_transaction
from app.extensions import db
from tests.factories import future, make_coupon, make_hotel, make_room_type
from tests.fixtures_browser import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def test_a_guest_books_with_a_coupon_worth_the_whole_price_in_korean(page):
    room_type = make_room_type(make_hotel(name="서촌 한옥스테이", city="Seoul"), base_price=120_000, name="온돌 더블룸")
    coupon = make_coupon(kind="amount", value=300_000, hotel=room_type.hotel)   # more than the price
    code = coupon.code
    url = (f"{page.base_url}/hotels/{room_type.hotel_id}/rooms/{room_type.id}/book?checkInDate={future(15).isoformat()}"
           f"&checkOutDate={future(17).isoformat()}&guests=2&lang=ko")
    end_transaction()
    page.goto(url)
    page.fill("input[name=first_name]", "지현")
    page.fill("input[name=last_name]", "오")
    page.fill("input[name=email]", "jihyun.free@example.com")
    page.fill("input[name=coupon_code]", code.lower())
    page.click("main form button[type=submit]")
    page.wait_for_url("**/booking/**")
    main = page.inner_text("main")
    assert "예약이 확정되었습니다" in main and "결제하실 금액이 없습니다" in main
    assert "쿠폰 적용 전 요금" in main and "₩240,000" in main and "−₩240,000" in main
    assert "결제하실 금액" in main and "₩0" in main and "쿠폰으로 결제됨" in main
    assert page.locator("input[name=number]").count() == 0          # no card form
    assert "계좌이체로 결제" not in main and "남은 시간" not in main    # no transfer, no hold clock
    screenshot(page, "booking_free_coupon_ko")
    end_transaction()
    r = db.session.scalar(select(Reservation).where(Reservation.guest_email == "jihyun.free@example.com"))
    assert (r.status, r.total_amount, r.discount_amount, r.payment_method) == ("paid", 0, 240_000, "coupon")
    end_transaction()
