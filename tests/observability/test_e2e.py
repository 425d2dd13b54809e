"""The trace and the service levels in a real browser (Chromium), in Korean, on a 390 px phone.
Screenshots: docs/screenshots/trace_ko.png, docs/screenshots/service_levels_ko.png."""
from __future__ import annotations

import pytest

from app.core.db import end_transaction
from tests.factories import make_paid_reservation, make_room_type
from tests.fixtures_browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def _fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 392


def test_staff_traces_a_paid_booking_on_a_phone(page, run_worker, smtp_server):
    reservation = make_paid_reservation(make_room_type())
    code = reservation.code
    end_transaction()
    run_worker()
    end_transaction()
    sign_in(page, "staff")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + "/ops/trace")
    page.fill("input[name=q]", f"{code[:2]}-{code[2:]}")
    page.click("form.trace-search button[type=submit]")
    page.wait_for_selector("ol.timeline")
    text = page.inner_text("ol.timeline")
    assert "예약이 만들어졌습니다" in text
    assert "카드 결제를 받았습니다" in text
    assert "메시지 보내기: 완료" in text
    assert "이메일: 보냄" in text
    assert page.locator("details.codes[open]").count() == 0      # codes stay folded
    assert _fits_the_phone(page)
    screenshot(page, "trace_ko")
    # the footer's request id opens the trace of that request
    page.click("footer a")
    page.wait_for_selector("form.trace-search")
    assert "/ops/trace?q=req_" in page.url


def test_a_manager_reads_the_service_levels_on_a_phone(page):
    sign_in(page, "manager")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + "/ops/service-levels")
    page.wait_for_selector("section.slo")
    assert page.locator("section.slo").count() == 5
    assert "결제 성공률" in page.inner_text("main")
    assert _fits_the_phone(page)
    screenshot(page, "service_levels_ko")
