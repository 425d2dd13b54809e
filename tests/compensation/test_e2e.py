"""In a real browser (Chromium), in Korean: staff open a second-time guest's booking conflict,
choose the upgrade within the tier, see the confirm step in plain words, and book the offered
room for the guest at the original price; then a guest uses a coupon on the booking form.
Screenshots: docs/screenshots/compensation_choice_ko.png, compensation_confirm_ko.png,
compensation_booked_ko.png, compensation_coupon_booking_ko.png."""
import pytest
from sqlalchemy import select

from app.booking.models import Reservation
from app.core.db import end_transaction
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests.compensation.test_coupons import coupon
from tests.compensation.test_lodging import conflicts_of
from tests.factories import future, make_hotel, make_room_type
from tests.fixtures_browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def test_staff_books_the_offered_room_as_an_upgrade_in_korean(page):
    conflict = conflicts_of("ji@example.com", 2, language="ja")[-1]
    conflict_id = conflict.id
    end_transaction()
    sign_in(page, "staff")
    page.goto(page.base_url + "/ops/conflicts")
    page.click(f"a[href$='/ops/compensation/conflict/{conflict_id}/lodging']")
    page.wait_for_selector("section.decision")
    assert "🛑" in page.inner_text("section.decision")
    assert "2번째 예약 충돌" in page.inner_text("main")
    screenshot(page, "compensation_choice_ko")
    page.select_option("select[name=option]", "upgrade:0")
    page.click("main section.decision form button[type=submit]")
    page.wait_for_selector("p.effect")
    effect = page.inner_text("p.effect")
    assert "₩240,000" in effect and "대신 예약합니다" in effect
    screenshot(page, "compensation_confirm_ko")
    page.click("main section.decision form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "고객님 대신 예약했습니다" in page.inner_text(".flash-success")
    screenshot(page, "compensation_booked_ko")
    end_transaction()
    r = db.session.scalar(select(Reservation).where(Reservation.guest_email == "ji@example.com"))
    assert (r.total_amount, r.discount_amount, r.language) == (240_000, 120_000, "ja")
    assert db.session.scalar(select(OutboxMessage.language).where(OutboxMessage.reservation_id == r.id)) == "ja"
    end_transaction()


def test_a_guest_uses_a_coupon_on_the_booking_form_in_korean(page):
    room_type = make_room_type(make_hotel(name="북촌 한옥스테이", city="Seoul"), base_price=120_000, name="온돌 더블룸")
    c = coupon(kind="percent", value=10, hotel=room_type.hotel)
    start = future(15)
    url = (f"{page.base_url}/hotels/{room_type.hotel_id}/rooms/{room_type.id}/book?checkInDate={start.isoformat()}"
           f"&checkOutDate={future(17).isoformat()}&guests=2&lang=ko")
    code = c.code
    end_transaction()
    page.goto(url)
    page.fill("input[name=first_name]", "지현")
    page.fill("input[name=last_name]", "오")
    page.fill("input[name=email]", "jihyun@example.com")
    page.fill("input[name=coupon_code]", code)
    page.check("input[name=payment_method][value=bank_transfer]")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/booking/**")
    main = page.inner_text("main")
    assert "쿠폰 할인" in main and "₩24,000" in main and "₩216,000" in main
    screenshot(page, "compensation_coupon_booking_ko")
    end_transaction()
