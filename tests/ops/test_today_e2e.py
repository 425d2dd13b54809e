"""A staff member signs in through the browser in Korean, sees Today, and signs out."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.booking.models import BookingConflict
from app.core import clock
from app.core.db import end_transaction
from app.extensions import db
from tests.factories import (DEFAULT_PASSWORD, make_hotel, make_operator, make_paid_reservation, make_reservation,
                             make_room_type)
from tests.fixtures_browser import screenshot


def _some_work_waiting() -> None:
    """A morning with a few things to do, so the screenshot shows counts as well as ✓."""
    hotel = make_hotel(name="서울 프런트 호텔")
    room_type = make_room_type(hotel, name="디럭스 더블")
    for name in ("Minji", "Jisoo"):
        make_reservation(room_type, method="bank_transfer", first_name=name)
    make_paid_reservation(room_type, check_in=clock.local_today("Asia/Seoul") + timedelta(days=1))
    now = clock.now()
    for minutes in (5, 20, 40):
        db.session.add(BookingConflict(hotel_id=hotel.id, room_type_id=room_type.id, check_in=now.date(),
                                       check_out=now.date() + timedelta(days=2), number_of_rooms=1,
                                       guest_name="Yuna Choi", guest_email="yuna@example.com",
                                       created_at=now - timedelta(minutes=minutes),
                                       updated_at=now - timedelta(minutes=minutes)))
    db.session.commit()


@pytest.mark.e2e
def test_staff_signs_in_in_korean_sees_today_and_signs_out(page, live_server):
    operator = make_operator("staff", email="staff.park@frontdesk.example", language="ko")
    operator.name = "박지수"
    db.session.commit()
    _some_work_waiting()
    email = "staff.park@frontdesk.example"
    end_transaction()  # on SQLite an open transaction here would hold the write lock the server needs
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)

    page.goto(live_server.url + "/ops/")
    assert "/auth/login" in page.url  # not signed in yet: sent to the sign-in page
    assert page.locator("h1").inner_text() == "백오피스 로그인"
    screenshot(page, "auth-login-ko")

    page.get_by_label("이메일").fill(email)
    page.get_by_label("비밀번호").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url(live_server.url + "/ops/")
    assert page.locator("h1").inner_text() == "오늘"
    assert page.locator('[data-key="waiting_transfers"] .today-count').inner_text() == "2"
    assert page.locator('[data-key="conflicts_to_review"] .today-count').inner_text() == "3"
    assert page.locator('[data-key="arrivals_without_room"] .today-count').inner_text() == "1"
    assert page.locator('[data-key="expiring_holds"] .today-count').inner_text() == "✓"
    assert "입금을 기다리는 계좌이체 주문" in page.content()
    screenshot(page, "ops-today-ko")

    page.get_by_role("button", name="로그아웃").click()
    page.wait_for_url(live_server.url + "/auth/login")
    assert "로그아웃되었습니다" in page.locator(".flash").inner_text()
    page.goto(live_server.url + "/ops/")
    assert "/auth/login" in page.url  # the session is gone
    assert blocked == []  # nothing on these pages was blocked by the Content-Security-Policy
