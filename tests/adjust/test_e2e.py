"""The adjustment pages in a real browser (Chromium, Korean): a staff operator moves a
booking's dates with a price difference and gives rooms to tomorrow's arrivals; a
manager checks a guest in. Screenshots land in docs/screenshots/adjust-*.png."""
from datetime import datetime, time, timedelta, timezone

import pytest

from app.booking.models import Reservation
from app.core import clock as app_clock
from app.core.db import end_transaction
from app.extensions import db
from tests.adjust.conftest import add_feature, rooms_of
from tests.factories import future, make_paid_reservation, make_reservation, make_room_type
from tests.fixtures_browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def fresh(public_id: str) -> Reservation:
    db.session.expire_all()
    from sqlalchemy import select

    return db.session.scalar(select(Reservation).where(Reservation.public_id == public_id))


def test_staff_moves_a_booking_s_dates_and_sees_the_difference(page):
    room_type = make_room_type(rooms=1, percent=100, base_price=120_000, name="디럭스 더블")
    r = make_paid_reservation(room_type, check_in=future(10), nights=2, first_name="민지", last_name="김")
    make_reservation(room_type, check_in=future(14), nights=1)      # night 14 is full
    public_id = r.public_id
    end_transaction()
    sign_in(page, "staff")
    page.goto(f"{page.base_url}/ops/reservations/{public_id}")
    page.click("a[data-action=change]")
    page.fill("input[name=check_out]", future(15).isoformat())
    page.fill("textarea[name=reason]", "고객이 전화로 일정 연장을 요청")
    page.click("main form button[type=submit]")
    page.wait_for_selector("section.sold-out")
    assert "만실" in page.inner_text("section.sold-out")
    screenshot(page, "adjust-change-sold-out")
    assert fresh(public_id).check_out == future(12)
    end_transaction()

    page.fill("input[name=check_out]", future(13).isoformat())
    page.click("main form button[type=submit]")
    page.wait_for_selector("p.effect")
    assert page.get_attribute("p.effect", "data-difference") == "120000"
    assert "120,000" in page.inner_text("section.decision")
    screenshot(page, "adjust-change-confirm")
    assert fresh(public_id).check_out == future(12)
    end_transaction()
    page.click("section.decision button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert page.locator("#due").count() == 1 and "120,000" in page.inner_text("#due")
    screenshot(page, "adjust-change-done")
    after = fresh(public_id)
    assert (after.check_out, after.total_amount) == (future(13), 360_000)


def test_staff_gives_rooms_to_tomorrow_s_arrivals(page):
    room_type = make_room_type(rooms=4, name="스탠다드 트윈")
    rooms = rooms_of(room_type)
    rooms[3].floor = 12
    db.session.commit()
    add_feature(rooms[1], "quiet")
    db.session.commit()
    high = make_paid_reservation(room_type, check_in=future(1), first_name="서준", last_name="이",
                                 special_requests="고층 객실 부탁드립니다")
    quiet = make_paid_reservation(room_type, check_in=future(1), first_name="하은", last_name="박",
                                  special_requests="조용한 방이면 좋겠어요")
    ids = high.public_id, quiet.public_id
    numbers = rooms[3].room_number, rooms[1].room_number
    end_transaction()
    sign_in(page, "staff")
    page.goto(page.base_url + "/ops/arrivals")
    page.click("a[data-action=assign-all]")
    page.wait_for_selector("table.plan")
    assert page.inner_text(f"tr[data-booking='{ids[0]}'] td.room") == numbers[0]
    assert page.inner_text(f"tr[data-booking='{ids[1]}'] td.room") == numbers[1]
    screenshot(page, "adjust-bulk-preview")
    assert fresh(ids[0]).room_id is None
    end_transaction()
    page.fill("textarea[name=reason]", "오전 점검: 내일 도착 고객 객실 배정")
    page.click("section.decision button[type=submit]")
    page.wait_for_selector(".flash-success")
    screenshot(page, "adjust-bulk-done")
    assert fresh(ids[0]).room_id == rooms[3].id and fresh(ids[1]).room_id == rooms[1].id


def test_a_manager_checks_a_guest_in(page):
    room_type = make_room_type(rooms=2, name="주니어 스위트")
    r = make_paid_reservation(room_type, check_in=future(1), nights=2, first_name="도윤", last_name="최")
    public_id = r.public_id
    end_transaction()
    arrival_day = datetime.combine(future(1), time(15, 30)).replace(tzinfo=timezone(timedelta(hours=9)))
    app_clock.freeze(arrival_day.astimezone(timezone.utc))
    try:
        sign_in(page, "manager")
        page.goto(f"{page.base_url}/ops/reservations/{public_id}")
        page.click("a[data-action=rooms]")
        page.wait_for_selector("table.rooms")
        screenshot(page, "adjust-rooms")
        page.fill("textarea[name=reason]", "체크인 전 배정")
        page.click("main form button[type=submit]")
        page.wait_for_selector("section.decision")
        screenshot(page, "adjust-rooms-confirm")
        page.click("section.decision button[type=submit]")
        page.wait_for_selector(".flash-success")

        given_number = fresh(public_id).room.room_number
        end_transaction()
        page.click("a[data-action=status]")
        page.check("input[value=check_in]")
        page.fill("textarea[name=reason]", "프런트에서 신분증 확인 후 체크인")
        screenshot(page, "adjust-status-form")
        page.click("main form button[type=submit]")
        page.wait_for_selector("section.decision")
        assert "체크인" in page.inner_text("section.decision")
        assert f"객실: {given_number}호" in page.inner_text("section.decision")
        screenshot(page, "adjust-status-confirm")
        assert fresh(public_id).status == "paid"
        end_transaction()
        page.click("section.decision button[type=submit]")
        page.wait_for_selector(".flash-success")
        assert page.get_attribute("h1 .badge", "data-status") == "checked_in"
        assert page.locator("#rooms li").count() == 1
        screenshot(page, "adjust-checked-in")
        assert fresh(public_id).status == "checked_in"
    finally:
        app_clock.reset()
