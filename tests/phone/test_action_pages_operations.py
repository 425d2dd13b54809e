"""The operations pages reached only by sending a form, and the guest's pages after an action, at
390 px and 1280 px in a real browser, in Korean.

An operator (or a guest) fills and sends each form on a 390 px phone; the page that comes back is
measured at 390 and 1280 px (tests/phone/action_pages.py): no sideways scrolling, the main button
inside the window. Screenshots at 390 px: docs/screenshots/phone_action_<name>.png.

Pages covered:
  adjustments  adjust_change_sold_out (🛑 the nights are full), adjust_change_confirm (new dates),
               adjust_room_move_confirm, adjust_cancel_confirm
  conflicts    conflict_compensation_confirm (the seed's tier), conflict_coupon_confirm,
               conflict_alternative_confirm (booking an offered room for the guest),
               conflict_dismiss_confirm (closing without contact)
  status page  status_draft_preview (the three languages as guests read them, 🛑 publish),
               status_publish_confirm, status_update_confirm
  support      support_reply_preview (the guest's email before it is sent), support_change_confirm,
               support_new_confirm (a phone call written down)
  others       handover_confirm, emergency_contact_confirm, emergency_contact_delete,
               alert_resolve_confirm, alert_silence_confirm, admin_operator_new_confirm
  catalog      catalog_room_status_confirm (🛑 nights sold beyond the new limit), catalog_rates_confirm,
               catalog_deactivate_confirm, catalog_reactivate_confirm
  guests       customer_booking (the booking confirmation, card), customer_booking_transfer (the bank
               transfer instructions), customer_paid, customer_cancel_confirm, customer_canceled,
               customer_contact_sent
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core import clock as app_clock
from app.core.actor import Actor
from app.core.db import end_transaction
from app.extensions import db
from tests.factories import future, make_hotel, make_paid_reservation, make_reservation, make_room_type
from tests.phone.action_pages import PASTED, ActionPages, phone_page, submit

pytestmark = [pytest.mark.e2e, pytest.mark.committing, pytest.mark.slow]

TEST_ACTOR = Actor.system("test")


@pytest.fixture(autouse=True)
def _own_dirs(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_STATE_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setitem(app.config, "STATUS_STATIC_DIR", str(tmp_path / "status-site"))


def test_adjustment_and_conflict_confirm_steps_fit_a_phone(browser, live_server):
    from app.adjust import services as adjust
    from tests.compensation.test_lodging import conflicts_of

    room_type = make_room_type(rooms=1, percent=100, base_price=120_000, name="디럭스 더블")
    moved = make_paid_reservation(room_type, check_in=future(10), nights=2, first_name="민지", last_name="김")
    make_reservation(room_type, check_in=future(14), nights=1)                 # night 14 is full
    twin = make_room_type(moved.hotel, rooms=3, name="스탠다드 트윈")
    staying = make_paid_reservation(twin, check_in=future(3), nights=2, first_name="서준", last_name="이")
    rooms = [s.room for s in adjust.free_rooms(staying)]
    adjust.assign_rooms(staying.id, [rooms[0].id], actor=TEST_ACTOR)
    first, second = conflicts_of("jihyun.oh.family.trip.december@example-travel-company.co.kr", 2)
    ids = {"moved": moved.public_id, "staying": staying.public_id, "other_room": rooms[1].id,
           "first": first.id, "second": second.id}
    end_transaction()

    pages = ActionPages()
    page = phone_page(browser, live_server, "manager")
    try:
        base = page.base_url
        page.goto(f"{base}/ops/reservations/{ids['moved']}")
        page.click("a[data-action=change]")
        page.fill("input[name=check_out]", future(15).isoformat())
        page.fill("textarea[name=reason]", "고객이 전화로 일정 연장을 요청했습니다." + PASTED)
        submit(page)
        pages.check(page, "adjust_change_sold_out", expect="section.sold-out")
        page.fill("input[name=check_out]", future(13).isoformat())
        submit(page)
        pages.check(page, "adjust_change_confirm", expect="p.effect")

        page.goto(f"{base}/ops/reservations/{ids['staying']}/rooms")
        page.uncheck("input[name=rooms]:checked")
        page.check(f"input[name=rooms][value='{ids['other_room']}']")
        page.fill("textarea[name=reason]", "에어컨 고장으로 다른 객실로 옮깁니다." + PASTED)
        submit(page)
        pages.check(page, "adjust_room_move_confirm", expect="section.decision")

        page.goto(f"{base}/ops/reservations/{ids['moved']}")
        page.click("a[data-action=status]")
        page.check("input[value=cancel_paid]")
        page.fill("textarea[name=reason]", "고객이 전화로 취소를 요청했습니다." + PASTED)
        submit(page)
        pages.check(page, "adjust_cancel_confirm", expect="section.decision")

        page.goto(f"{base}/ops/compensation/conflict/{ids['first']}")
        page.fill("textarea[name=reason]", "고객에게 전화로 사과드렸습니다." + PASTED)
        submit(page, "main section.decision form button[type=submit]")
        pages.check(page, "conflict_compensation_confirm", expect="p.effect")

        page.goto(f"{base}/ops/compensation/conflict/{ids['second']}/lodging")
        page.select_option("select[name=option]", "coupon_percent")
        page.fill("input[name=value]", "10")
        submit(page, "main section.decision form button[type=submit]")
        pages.check(page, "conflict_coupon_confirm", expect="p.effect")
        page.goto(f"{base}/ops/compensation/conflict/{ids['second']}/lodging")
        page.select_option("select[name=option]", "book:0")
        submit(page, "main section.decision form button[type=submit]")
        pages.check(page, "conflict_alternative_confirm", expect="p.effect")

        page.goto(f"{base}/ops/conflicts/{ids['first']}/dismiss")
        page.fill("textarea[name=reason]", "같은 고객이 바로 다른 날짜로 예약했습니다." + PASTED)
        submit(page)
        pages.check(page, "conflict_dismiss_confirm", expect="p.effect")
    finally:
        page.context.close()
    pages.assert_all(["adjust_change_sold_out", "adjust_change_confirm", "adjust_room_move_confirm",
                      "adjust_cancel_confirm", "conflict_compensation_confirm", "conflict_coupon_confirm",
                      "conflict_alternative_confirm", "conflict_dismiss_confirm"])


STATUS_TEXTS = {
    "ko": {"title": "카드 결제 장애", "body": "오후 1시부터 카드 결제가 되지 않습니다. 원인을 조사하고 있습니다.",
           "impact": "카드 결제 전부 실패"},
    "ja": {"title": "カード決済の障害", "body": "13時からカード決済ができません。原因を調査しています。",
           "impact": "カード決済がすべて失敗"},
    "en": {"title": "Card payments down", "body": "Card payments fail since 1 pm KST. We are investigating.",
           "impact": "All card payments fail"},
}


def _fill_texts(page, texts: dict) -> None:
    for lang, part in texts.items():
        for field, value in part.items():
            page.fill(f"[name={field}_{lang}]", value)


def test_status_support_emergency_alert_and_admin_confirm_steps_fit_a_phone(browser, live_server):
    from app.alerts.services import raise_alert
    from app.alerts.models import Alert
    from app.support import services as support
    from tests.emergency.conftest import add_contact
    from tests.refunds.conftest import paid_booking

    booked = paid_booking(method="card", first_name="민지", last_name="김")
    ticket = support.create_ticket(channel="web", category="booking", purpose="체크인 시간 문의",
                                   body="조금 일찍 체크인할 수 있을까요? 오전 11시쯤 도착합니다.",
                                   actor=Actor.guest("guest@example.com"), reservation=booked, guest_name="김민지",
                                   guest_email="guest@example.com", language="ko", severity=None)
    contact = add_contact("manager", "박지훈", "010-3456-7890", note="야간 연락 가능")
    raise_alert("same_error", "payouts:BANK_ERROR", {"count": 3})
    db.session.commit()
    alert = db.session.scalars(select(Alert.public_id)).one()
    ids = {"ticket": ticket.public_id, "contact": contact.id, "alert": alert, "booking": booked.code}
    end_transaction()

    pages = ActionPages()
    staff = phone_page(browser, live_server, "staff")
    manager = phone_page(browser, live_server, "manager")
    admin = phone_page(browser, live_server, "admin")
    try:
        base = staff.base_url
        staff.goto(base + "/ops/status/new")
        staff.select_option("select[name=severity]", "S1")
        staff.select_option("select[name=component_payments]", "major_outage")
        _fill_texts(staff, STATUS_TEXTS)
        submit(staff, "form.status-editor button[type=submit]")
        pages.check(staff, "status_draft_preview", expect="section#publish")
        submit(staff, "section#publish button[type=submit]")
        pages.check(staff, "status_publish_confirm", expect="p.confirm")
        submit(staff, "section#publish button[type=submit]")
        staff.wait_for_selector(".flash-success")
        staff.select_option("select[name=status]", "identified")
        _fill_texts(staff, {lang: {**part, "body": part["body"] + " +"} for lang, part in STATUS_TEXTS.items()})
        submit(staff, "section#update button[type=submit]")
        pages.check(staff, "status_update_confirm", expect="p.confirm")

        staff.goto(f"{base}/ops/support/{ids['ticket']}")
        staff.select_option("select[name=macro]", "received")
        submit(staff, "form.reply-form button[type=submit]")
        pages.check(staff, "support_reply_preview", expect=".guest-preview")
        staff.goto(f"{base}/ops/support/{ids['ticket']}")
        staff.select_option("select[name=severity]", "S1")
        staff.fill("form[action$='/change/severity'] input[name=reason]", "고객이 오늘 도착합니다.")
        submit(staff, "form[action$='/change/severity'] button[type=submit]")
        pages.check(staff, "support_change_confirm", expect="p.effect")
        staff.goto(f"{base}/ops/support/new?q={ids['booking']}")
        staff.click("main ul li a")
        staff.fill("input[name=purpose]", "주차 가능 여부 문의")
        staff.fill("textarea[name=message]", "차를 가지고 가는데 호텔에 주차할 수 있는지 물어보셨습니다.")
        submit(staff, "main form[method=post] button[type=submit]")
        pages.check(staff, "support_new_confirm", expect="p.effect")

        staff.goto(base + "/ops/handover")
        staff.fill("textarea[name=note]", "FD-7K3M9Q 고객이 내일 오전에 다시 전화하기로 했습니다. 환불 1건 결정 대기 중." + PASTED)
        submit(staff)
        pages.check(staff, "handover_confirm", expect="p.effect")

        admin.goto(base + "/ops/emergency/contacts/new")
        admin.select_option("select[name=role]", "developer")
        admin.fill("input[name=name]", "김개발 (OO개발)")
        admin.fill("input[name=phone]", "010-3333-4444")
        admin.fill("textarea[name=note]", "재시작 후에도 안 열릴 때" + PASTED)
        submit(admin)
        pages.check(admin, "emergency_contact_confirm", expect="[data-confirm-effect]")
        admin.goto(f"{base}/ops/emergency/contacts/{ids['contact']}/delete")
        pages.check(admin, "emergency_contact_delete", expect="main form")
        admin.goto(base + "/auth/admin/operators/new")
        admin.fill("input[name=email]", "jisoo.han@frontdesk.example")
        admin.fill("input[name=name]", "한지수")
        admin.fill("input[name=password]", "first-password-2026")
        submit(admin)
        pages.check(admin, "admin_operator_new_confirm", expect="main form textarea[name=reason]")

        manager.goto(f"{base}/ops/alerts/{ids['alert']}/resolve")
        manager.fill("textarea[name=note]", "은행 전산이 복구되어 송금이 다시 나갑니다." + PASTED)
        submit(manager)
        pages.check(manager, "alert_resolve_confirm", expect="p.effect")
        manager.goto(base + "/ops/alerts/silences?rule=same_error")
        ends = (app_clock.to_local(app_clock.now(), "Asia/Seoul") + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
        manager.fill("input[name=ends_at]", ends)
        manager.fill("textarea[name=reason]", "은행 정기 점검 시간입니다." + PASTED)
        submit(manager)
        pages.check(manager, "alert_silence_confirm", expect="section.decision p.effect")
    finally:
        for p in (staff, manager, admin):
            p.context.close()
    pages.assert_all(["status_draft_preview", "status_publish_confirm", "status_update_confirm",
                      "support_reply_preview", "support_change_confirm", "support_new_confirm", "handover_confirm",
                      "emergency_contact_confirm", "emergency_contact_delete", "admin_operator_new_confirm",
                      "alert_resolve_confirm", "alert_silence_confirm"])


def test_catalog_confirm_steps_fit_a_phone(browser, live_server):
    from app.catalog.models import Room

    hotel = make_hotel(name="북촌 한옥스테이 본관", city="서울")
    deluxe = make_room_type(hotel, rooms=2, base_price=100_000, name="디럭스 더블")
    make_paid_reservation(deluxe, check_in=future(9), nights=1, rooms=2, first_name="민지", last_name="김")
    make_reservation(deluxe, check_in=future(5), nights=2)
    room_id = db.session.scalar(select(Room.id).where(Room.room_type_id == deluxe.id).order_by(Room.room_number))
    ids = {"hotel": hotel.id, "deluxe": deluxe.id, "room": room_id}
    today = app_clock.local_today("Asia/Seoul")
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    end_transaction()

    pages = ActionPages()
    page = phone_page(browser, live_server, "manager")
    try:
        base = page.base_url
        page.goto(f"{base}/ops/catalog/hotels/{ids['hotel']}/rooms/{ids['room']}/status?to=maintenance")
        submit(page, "main form.room-status button[type=submit]")
        pages.check(page, "catalog_room_status_confirm", expect="p.inventory-effect")

        page.goto(f"{base}/ops/catalog/hotels/{ids['hotel']}/rates?room_type={ids['deluxe']}")
        page.fill("input[name=first_night]", first.isoformat())
        page.fill("input[name=last_night]", last.isoformat())
        for day in range(5):
            page.uncheck(f"input[name=weekdays][value='{day}']")
        page.fill("input[name=price]", "150000")
        submit(page, "main form.rate-form button[type=submit]")
        pages.check(page, "catalog_rates_confirm", expect="section.rate-preview p.effect")

        page.goto(f"{base}/ops/catalog/hotels/{ids['hotel']}/deactivate")
        page.check("input[name=bookings][value=keep]")
        page.fill("textarea[name=reason]", "소방 점검으로 당분간 새 예약을 받지 않습니다." + PASTED)
        submit(page, "main form.deactivate-form button[type=submit]")
        pages.check(page, "catalog_deactivate_confirm", expect="section.deactivate-confirm p.effect")
        submit(page, "section.deactivate-confirm button[type=submit]")
        page.wait_for_selector(".flash-success")

        page.goto(f"{base}/ops/catalog/hotels/{ids['hotel']}/reactivate")
        page.fill("textarea[name=reason]", "소방 점검을 통과했습니다." + PASTED)
        submit(page)
        pages.check(page, "catalog_reactivate_confirm", expect="p.effect")
    finally:
        page.context.close()
    pages.assert_all(["catalog_room_status_confirm", "catalog_rates_confirm", "catalog_deactivate_confirm",
                      "catalog_reactivate_confirm"])


def test_the_guest_s_pages_after_each_step_fit_a_phone(browser, live_server):
    hotel = make_hotel(name="북촌 한옥스테이", city="서울")
    room_type = make_room_type(hotel, rooms=4, base_price=120_000, name="온돌 더블룸")
    stay = f"checkInDate={future(30)}&checkOutDate={future(32)}&guests=2"
    book_url = f"/hotels/{hotel.id}/rooms/{room_type.id}/book?{stay}&lang=ko"
    end_transaction()

    pages = ActionPages()
    guest = phone_page(browser, live_server)
    try:
        base, booked = guest.base_url, ""
        for method, name in (("card", "customer_booking"), ("bank_transfer", "customer_booking_transfer")):
            guest.goto(base + book_url)
            guest.fill("#last_name", "오")
            guest.fill("#first_name", "지현")
            guest.fill("#email", "jihyun.oh.family.trip.december@example-travel-company.co.kr")
            guest.fill("#phone", "010-3456-7890")
            guest.check(f"input[name=payment_method][value={method}]")
            submit(guest, "form.booking-form button[type=submit]")
            pages.check(guest, name, expect=".booking-code", button=method == "card")
            booked = booked if method != "card" else guest.url
        guest.goto(booked)                                 # the card booking: pay, then cancel
        guest.fill("#number", "4242 4242 4242 4242")
        guest.fill("#expiry", "12/34")
        guest.fill("#cvc", "123")
        submit(guest, "form.pay-form button[type=submit]")
        pages.check(guest, "customer_paid", expect=".flash-success", button=False)
        guest.click("a[href$='/cancel']")
        pages.check(guest, "customer_cancel_confirm", expect="main form")
        submit(guest)
        pages.check(guest, "customer_canceled", expect="main", button=False)
        guest.goto(base + "/contact?lang=ko")
        guest.fill("input[name=name]", "오지현")
        guest.fill("input[name=email]", "jihyun.oh.family.trip.december@example-travel-company.co.kr")
        guest.fill("textarea[name=message]", "객실에 아기 침대를 놓아 주실 수 있나요?")
        submit(guest)
        pages.check(guest, "customer_contact_sent", expect="main", button=False)
    finally:
        guest.context.close()
    pages.assert_all(["customer_booking", "customer_booking_transfer", "customer_paid", "customer_cancel_confirm",
                      "customer_canceled", "customer_contact_sent"])
