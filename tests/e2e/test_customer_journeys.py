"""A customer in a real browser: search, book, pay with the sandbox card, find the
booking again, cancel; in Korean (desktop) and Japanese (a 375 px phone); a
double-clicked Book button; and a booking that loses the last room.

Screenshots of each step go to docs/screenshots/customer-<step>-<lang>.png.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.booking.models import Reservation
from app.booking.states import ReservationStatus
from app.core.db import end_transaction
from app.extensions import db
from tests.factories import future, make_hotel, make_reservation, make_room_type
from tests.fixtures_browser import screenshot

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}


def make_city(city: str = "Seoul"):
    """Two hotels in the city (one with a nearly full room type) and one elsewhere."""
    hanok = make_hotel(name="Hanok Stay Bukchon", city=city, star_rating=4, address="37 Bukchon-ro 11-gil, Jongno-gu",
                       description="Quiet hanok rooms around a courtyard, ten minutes from Gyeongbokgung.",
                       amenities=["WiFi", "Breakfast", "Garden"])
    ondol = make_room_type(hanok, rooms=4, base_price=120_000, name="Ondol Double", max_occupancy=2,
                           bed_type="Floor mattress (yo)", size_sqm=18, description="A heated floor and a tea set.",
                           amenities=["Heated floor", "Tea set"])
    make_room_type(hanok, rooms=2, base_price=150_000, name="Courtyard Twin", max_occupancy=2, bed_type="Twin",
                   size_sqm=22, amenities=["Courtyard view"])
    make_room_type(hanok, rooms=0, base_price=260_000, name="Family Hanok Suite", max_occupancy=5,
                   bed_type="Queen + floor mattresses", size_sqm=40)  # shown greyed: fully booked
    tower = make_hotel(name="Han River Tower Hotel", city=city, star_rating=5, address="120 Yeouidong-ro",
                       description="High-rise rooms with river views, a gym and an indoor pool.",
                       amenities=["WiFi", "Pool", "Gym", "Parking"])
    make_room_type(tower, rooms=10, base_price=180_000, name="Standard Double", bed_type="Queen", size_sqm=24)
    make_room_type(make_hotel(name="Haeundae Ocean Breeze", city="Busan"), rooms=3)
    ids = (hanok.id, ondol.id)
    end_transaction()  # never hold SQLite's write lock while the browser books
    return ids


def reservations() -> list[tuple]:
    """(email, status, payment method, language, last name) of every reservation, read in a
    transaction that is closed at once (on SQLite an open one would block the live server)."""
    rows = [(r.guest_email, r.status, r.payment_method, r.language, r.guest_last_name)
            for r in db.session.scalars(select(Reservation).order_by(Reservation.id))]
    end_transaction()
    return rows


def assert_fits_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def book_and_pay(page, *, lang: str, names: tuple[str, str], email: str, check_in, phone: bool = False):
    """Search → hotel → booking form → booking page → card payment, with a screenshot of each step."""
    base = page.base_url
    check_out = check_in + timedelta(days=2)
    page.goto(f"{base}/?lang={lang}")
    screenshot(page, f"customer-search-{lang}")
    page.fill("#location", {"ko": "서울", "ja": "ソウル"}[lang])
    page.fill("#checkInDate", check_in.isoformat())
    page.fill("#checkOutDate", check_out.isoformat())
    page.select_option("#guests", "2")
    page.click("form.search-form button[type=submit]")
    page.wait_for_selector(".hotel-hit")
    assert page.locator(".hotel-hit").count() == 2
    phone and assert_fits_phone(page)
    screenshot(page, f"customer-results-{lang}")

    page.locator(".hotel-hit", has_text="Hanok Stay Bukchon").locator("a.button").click()
    page.wait_for_selector(".room-type")
    assert "sold-out" in page.locator(".room-type", has_text="Family Hanok Suite").get_attribute("class")
    phone and assert_fits_phone(page)
    screenshot(page, f"customer-hotel-{lang}")

    page.locator(".room-type", has_text="Ondol Double").locator("a.button").click()
    page.wait_for_selector("form.booking-form")
    assert page.input_value("#language") == lang  # preselected from the page language
    page.fill("#last_name", names[0])
    page.fill("#first_name", names[1])
    page.fill("#email", email)
    page.fill("#phone", "+82 10-1234-5678")
    page.fill("#special_requests", {"ko": "늦게 도착합니다 (밤 10시쯤).", "ja": "到着が遅くなります（22時ごろ）。"}[lang])
    phone and assert_fits_phone(page)
    screenshot(page, f"customer-form-{lang}")
    page.click("form.booking-form button[type=submit]")
    page.wait_for_url(re.compile(r"/booking/rsv_"))
    page.wait_for_selector(".booking-code")
    code = page.inner_text(".booking-code").strip()
    assert re.fullmatch(r"FD-[0-9A-Z]{6}", code)
    assert re.fullmatch(r"1[45]:\d\d", page.inner_text("[data-countdown-clock]").strip())
    phone and assert_fits_phone(page)
    screenshot(page, f"customer-booking-{lang}")

    page.fill("#number", "4242 4242 4242 4242")
    page.fill("#expiry", "12/34")
    page.fill("#cvc", "123")
    page.click("form.pay-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    phone and assert_fits_phone(page)
    screenshot(page, f"customer-paid-{lang}")
    return code


def find_again(browser, live_server, *, lang: str, code: str, email: str, viewport=None):
    """A fresh browser (no session): Find my booking with the code in lower case, without the dash."""
    context = browser.new_context(locale={"ko": "ko-KR", "ja": "ja-JP"}[lang], timezone_id="Asia/Seoul",
                                  viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/find?lang={lang}")
        page.fill("#code", code.replace("-", "").lower())
        page.fill("#email", email.upper())
        viewport and assert_fits_phone(page)
        screenshot(page, f"customer-find-{lang}")
        page.click("form button[type=submit]")
        page.wait_for_selector(".booking-code")
        assert page.inner_text(".booking-code").strip() == code
        viewport and assert_fits_phone(page)
        screenshot(page, f"customer-found-{lang}")
        return page.url, page.content()
    finally:
        context.close()


def test_a_customer_books_pays_and_finds_the_booking_in_korean(page, browser, live_server):
    make_city()
    email = "minji.kim@example.com"
    code = book_and_pay(page, lang="ko", names=("김", "민지"), email=email, check_in=future(12))
    assert "결제되었습니다. 한국어 확인 메일을 곧 보내 드립니다." in page.inner_text(".flash-success")
    assert "예약이 확정되었습니다" in page.content()
    assert reservations() == [(email, ReservationStatus.PAID, "card", "ko", "김")]

    _url, html = find_again(browser, live_server, lang="ko", code=code, email=email)
    assert "결제 완료 · 예약 확정" in html and "···· 4242" in html

    page.click("text=이 예약 취소하기")
    page.wait_for_selector(".confirm .effect")
    assert "₩240,000" in page.inner_text(".confirm .effect") and "100%" in page.inner_text(".confirm .effect")
    screenshot(page, "customer-cancel-ko")
    page.click(".confirm button.danger")
    page.wait_for_url(re.compile(r"/canceled$"))
    assert "₩240,000 환불 요청이 담당자에게 전달되었습니다." in page.content()
    screenshot(page, "customer-canceled-ko")


def test_a_customer_books_pays_and_finds_the_booking_in_japanese_on_a_phone(page, browser, live_server):
    make_city()
    page.set_viewport_size(PHONE)
    email = "aiko.sato@example.jp"
    code = book_and_pay(page, lang="ja", names=("佐藤", "愛子"), email=email, check_in=future(20), phone=True)
    assert "お支払いが完了しました。日本語の確認メールをまもなくお送りします。" in page.inner_text(".flash-success")
    assert reservations() == [(email, ReservationStatus.PAID, "card", "ja", "佐藤")]
    _url, html = find_again(browser, live_server, lang="ja", code=code, email=email, viewport=PHONE)
    assert "お支払い済み・予約確定" in html


def test_a_double_clicked_book_button_makes_one_booking(page, live_server):
    hotel_id, room_type_id = make_city()
    check_in = future(15)
    page.goto(f"{page.base_url}/hotels/{hotel_id}/rooms/{room_type_id}/book?lang=en&guests=2"
              f"&checkInDate={check_in}&checkOutDate={check_in + timedelta(days=1)}")
    page.fill("#first_name", "Jamie")
    page.fill("#last_name", "Lee")
    page.fill("#email", "jamie@example.com")
    assert page.inner_text("[data-total-for]").strip() == "₩120,000"
    page.select_option("#rooms", "2")  # static/js keeps the total in step
    assert page.inner_text("[data-total-for]").strip() == "₩240,000"
    page.dblclick("form.booking-form button[type=submit]")
    page.wait_for_url(re.compile(r"/booking/rsv_"))
    page.wait_for_selector(".booking-code")
    first_url = page.url
    assert len(reservations()) == 1

    page.go_back()  # … and the same form is sent once more
    page.wait_for_selector("form.booking-form")
    page.click("form.booking-form button[type=submit]")
    page.wait_for_url(re.compile(r"/booking/rsv_"))
    assert page.url == first_url
    assert len(reservations()) == 1


def test_a_customer_who_loses_the_last_room_books_an_alternative_by_bank_transfer(page, live_server):
    hotel = make_hotel(name="Jeju Stone Garden Resort", city="Jeju", star_rating=5,
                       amenities=["WiFi", "Pool", "Spa"])
    villa = make_room_type(hotel, rooms=1, base_price=650_000, name="Private Pool Villa", max_occupancy=4)
    make_room_type(hotel, rooms=3, base_price=220_000, name="Garden Double", max_occupancy=2)
    make_room_type(make_hotel(name="Seogwipo Sea Stay", city="Jeju", star_rating=3), rooms=2,
                   base_price=90_000, name="Sea View Twin")
    villa_id, hotel_id = villa.id, hotel.id
    end_transaction()
    check_in = future(30)
    page.goto(f"{page.base_url}/hotels/{hotel_id}/rooms/{villa_id}/book?lang=en&guests=2&checkInDate={check_in}"
              f"&checkOutDate={check_in + timedelta(days=2)}")
    page.fill("#first_name", "Alex")
    page.fill("#last_name", "Morgan")
    page.fill("#email", "alex@example.com")
    make_reservation(db.session.get(type(villa), villa_id), check_in=check_in, email="faster@example.com")
    end_transaction()  # someone else took the villa meanwhile
    page.click("form.booking-form button[type=submit]")
    page.wait_for_selector(".sold-out-page")
    assert "someone booked the last room just before you" in page.content()
    screenshot(page, "customer-soldout-en")

    page.locator("a.alternative", has_text="Garden Double").first.click()
    page.wait_for_selector("form.booking-form")
    assert page.input_value("#email") == "alex@example.com"  # prefilled
    page.check("input[value=bank_transfer]")
    page.click("form.booking-form button[type=submit]")
    page.wait_for_selector("section.bank")
    bank = page.inner_text("section.bank")
    assert "₩440,000" in bank and "110-123-456789" in bank
    screenshot(page, "customer-bank-en")
    rows = reservations()
    assert len(rows) == 2 and ("alex@example.com", ReservationStatus.PENDING, "bank_transfer", "en", "Morgan") in rows


def test_the_hold_countdown_ends_with_a_kind_message(page, live_server, clock):
    clock.freeze(clock.now())
    room_type = make_room_type(make_hotel(name="Gamcheon Guesthouse", city="Busan"), rooms=2)
    reservation = make_reservation(room_type, check_in=future(8), email="late@example.com")
    code = reservation.code
    end_transaction()
    clock.advance(minutes=14, seconds=54)  # six seconds of the hold left
    page.goto(f"{page.base_url}/find?lang=en")
    page.fill("#code", code)
    page.fill("#email", "late@example.com")
    page.click("form button[type=submit]")
    page.wait_for_selector("form.pay-form")
    assert page.is_hidden("[data-countdown-expired]")
    page.wait_for_selector("[data-countdown-expired]", state="visible", timeout=10_000)
    assert page.is_hidden("form.pay-form") and page.is_hidden("text=Cancel this booking")
    assert "The hold on your rooms has ended" in page.inner_text("[data-countdown-expired]")
    screenshot(page, "customer-expired-en")
