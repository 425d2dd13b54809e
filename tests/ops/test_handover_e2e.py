"""In a Korean browser on a 390 px phone: the closing shift hands over with a note, the next shift
reads and acknowledges it on Today; a conflict is closed without contact; the patterns page reads."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.booking.models import BookingConflict
from app.core import clock
from app.core.db import end_transaction
from app.extensions import db
from app.ops.models import HandoverNote
from tests.factories import make_hotel, make_room_type
from tests.fixtures_browser import screenshot, sign_in

NOTE = "302호 김민지 님께 내일 오전 10시에 전화 드리기로 했습니다."


def _conflict() -> int:
    hotel = make_hotel(name="서울 프런트 호텔")
    room_type = make_room_type(hotel, name="디럭스 더블")
    now = clock.now()
    conflict = BookingConflict(hotel_id=hotel.id, room_type_id=room_type.id, check_in=now.date() + timedelta(days=20),
                               check_out=now.date() + timedelta(days=22), number_of_rooms=1, guest_name="최유나",
                               guest_email="yuna@example.com", created_at=now - timedelta(minutes=10),
                               updated_at=now - timedelta(minutes=10))
    db.session.add(conflict)
    db.session.commit()
    return conflict.id


@pytest.mark.e2e
def test_handover_note_is_written_read_and_acknowledged_on_a_phone(page, browser, live_server):
    conflict_id = _conflict()
    end_transaction()
    page.set_viewport_size({"width": 390, "height": 844})
    blocked = []
    page.on("console", lambda msg: blocked.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)

    # the closing shift writes the note, sees what is saved with it, and confirms
    sign_in(page, "staff")
    page.goto(live_server.url + "/ops/handover")
    page.fill("textarea[name=note]", NOTE)
    page.click("main form button[type=submit]")
    page.wait_for_selector("section.decision")
    assert "확인이 필요한 예약 충돌: 1" in page.locator("section.decision").inner_text()   # saved with the note
    page.get_by_role("button", name="네, 메모를 남깁니다").click()
    page.wait_for_selector(".flash-success")
    screenshot(page, "ops-handover-written-ko")

    # the conflict: closed without contact, with an internal reason
    page.goto(live_server.url + f"/ops/conflicts/{conflict_id}/dismiss")
    assert "🛑" in page.content()
    page.fill("textarea[name=reason]", "같은 손님이 바로 다른 날짜로 예약했습니다")
    page.click("main form button[type=submit]")
    page.get_by_role("button", name="네, 연락 없이 종료합니다").click()
    page.wait_for_selector(".flash-success")
    page.goto(live_server.url + "/ops/conflicts/patterns")
    assert "충돌 1건" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1   # nothing wider than the phone
    screenshot(page, "ops-conflict-patterns-ko")

    # the next shift, on another phone, reads the note at the top of the morning check
    context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 390, "height": 844})
    other = context.new_page()
    other.base_url = live_server.url
    sign_in(other, "staff")
    other.goto(live_server.url + "/ops/")
    item = other.locator('[data-key="handover_to_read"]')
    assert NOTE in item.inner_text()
    assert other.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    screenshot(other, "ops-today-handover-ko")
    item.get_by_role("button", name="읽었습니다").click()
    other.wait_for_selector(".flash-success")
    assert other.locator('[data-key="handover_to_read"] .today-count').inner_text() == "✓"
    context.close()

    db.session.expire_all()
    note = db.session.scalar(select(HandoverNote))
    assert note.note == NOTE and note.acknowledged_at is not None and note.acknowledged_by_id != note.written_by_id
    assert note.open_items          # the open items at handover time were saved with it
    assert db.session.get(BookingConflict, conflict_id).resolution == "DISMISSED"
    end_transaction()
    assert blocked == []
