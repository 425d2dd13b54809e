"""The catalog pages in a real browser (Chromium), as a manager in Korean: edit a room type,
put a room into maintenance and see the effect on inventory, set weekend prices for a month,
look at the inventory calendar, then preview and confirm a hotel's deactivation.
Screenshots land in docs/screenshots/catalog-*.png."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.booking.models import Reservation
from app.catalog.models import Hotel, InventoryNight, Rate, Room, RoomType
from app.core import clock
from app.core.db import end_transaction
from app.extensions import db
from app.refunds.models import Refund
from tests.factories import make_hotel, make_paid_reservation, make_reservation, make_room_type
from tests.fixtures_browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def read(fn):
    """fn() on fresh rows, then the transaction is closed again (SQLite: the server needs the write lock)."""
    end_transaction()
    try:
        return fn()
    finally:
        end_transaction()


def fetch(model, row_id, *attrs):
    def load():
        row = db.session.get(model, row_id, populate_existing=True)
        return tuple(getattr(row, a) for a in attrs) if len(attrs) > 1 else getattr(row, attrs[0])

    return read(load)


def test_a_manager_runs_the_catalog_in_korean(page, app):
    hotel = make_hotel(name="한옥 스테이", city="서울")
    deluxe = make_room_type(hotel, rooms=5, base_price=100_000, name="디럭스 더블")
    make_room_type(hotel, rooms=3, base_price=150_000, name="스위트")
    today = clock.local_today("Asia/Seoul")
    pending = make_reservation(deluxe, check_in=today + timedelta(days=5), nights=2)
    paid = make_paid_reservation(deluxe, check_in=today + timedelta(days=9), nights=1, rooms=2)
    for _ in range(3):
        make_reservation(deluxe, check_in=today + timedelta(days=9), nights=1)   # 5 / 5 that night: full
    hotel_id, deluxe_id, paid_id, paid_total = hotel.id, deluxe.id, paid.id, paid.total_amount
    room_id = db.session.scalar(select(Room.id).where(Room.room_type_id == deluxe_id).order_by(Room.room_number))
    horizon = app.config["INVENTORY_HORIZON_DAYS"]
    end_transaction()

    sign_in(page, "manager")
    page.click("nav a[href='/ops/catalog/']")                       # the "Hotels" link
    page.wait_for_selector("table.hotel-list")
    assert "호텔" in page.inner_text("h1")
    screenshot(page, "catalog-hotels")
    page.click(f"tr[data-hotel='{hotel_id}'] a")
    page.wait_for_selector("table.rooms")
    screenshot(page, "catalog-hotel")

    # 1. edit a room type
    page.click(f"tr[data-room-type='{deluxe_id}'] a[href$='/edit']")
    page.fill("input[name=name]", "디럭스 킹")
    page.fill("input[name=base_price]", "abc")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".field-error")
    assert fetch(RoomType, deluxe_id, "base_price") == 100_000               # a bad submit changes nothing
    screenshot(page, "catalog-room-type-error")
    page.fill("input[name=base_price]", "120,000")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert fetch(RoomType, deluxe_id, "name", "base_price") == ("디럭스 킹", 120_000)

    # 2. a room into maintenance, with its effect on inventory
    page.click(f"a[href$='/rooms/{room_id}/status?to=maintenance']")
    page.click("main form.room-status button[type=submit]")
    page.wait_for_selector("p.inventory-effect")
    effect = page.inner_text("p.inventory-effect")
    assert "5 → 4" in effect and str(horizon) in effect
    assert page.locator("text=🛑").count() == 1                            # the full night would go over the cap
    assert page.locator("table.over-cap tbody tr").count() == 1
    page.fill("textarea[name=reason]", "욕실 누수로 수리가 필요합니다.")
    screenshot(page, "catalog-maintenance-effect")
    page.click("main form.room-status-confirm button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert fetch(Room, room_id, "status") == "maintenance"
    totals = read(lambda: set(db.session.scalars(select(InventoryNight.total).where(
        InventoryNight.room_type_id == deluxe_id, InventoryNight.night >= today))))
    assert totals == {4}
    screenshot(page, "catalog-maintenance-done")

    # 3. weekend prices for next month
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    page.goto(page.base_url + f"/ops/catalog/hotels/{hotel_id}/rates?room_type={deluxe_id}")
    page.fill("input[name=first_night]", first.isoformat())
    page.fill("input[name=last_night]", last.isoformat())
    for day in range(5):
        page.uncheck(f"input[name=weekdays][value='{day}']")
    page.fill("input[name=price]", "150000")
    page.click("main form.rate-form button[type=submit]")
    page.wait_for_selector("section.rate-preview")
    weekend = [first + timedelta(days=i) for i in range((last - first).days + 1)
               if (first + timedelta(days=i)).weekday() >= 5]
    assert f"{len(weekend)}박" in page.inner_text("p.effect")
    screenshot(page, "catalog-rates-preview")
    page.click("section.rate-preview button[type=submit]")
    page.wait_for_selector(".flash-success")
    priced = read(lambda: set(db.session.scalars(select(Rate.night).where(
        Rate.room_type_id == deluxe_id, Rate.price == 150_000))))
    assert priced == set(weekend)

    # 4. the inventory calendar, and the next month
    full_night = today + timedelta(days=9)
    page.goto(page.base_url + f"/ops/catalog/hotels/{hotel_id}/inventory")
    page.wait_for_selector("table.inventory")
    if full_night.month != today.month:
        page.click("a.next-month")
        page.wait_for_selector(f"tr[data-night='{full_night.replace(day=1).isoformat()}']")
    over = page.locator(f"tr[data-night='{full_night.isoformat()}'] td[data-room-type='{deluxe_id}']")
    assert "level-over" in over.get_attribute("class") and over.inner_text() == "5 / 4"  # sold beyond the new cap
    assert page.locator("td.level-over").count() == 1
    screenshot(page, "catalog-inventory")
    page.click("a.prev-month")
    page.wait_for_selector(f"tr[data-night='{(full_night.replace(day=1) - timedelta(days=1)).isoformat()}']")

    # 5. deactivate the hotel: preview, then confirm with cancel and refund
    page.goto(page.base_url + f"/ops/catalog/hotels/{hotel_id}")
    page.click(f"a[href$='/hotels/{hotel_id}/deactivate']")
    page.wait_for_selector("section.deactivate-preview")
    assert page.inner_text("dd.count-pending") == "4" and page.inner_text("dd.count-paid") == "1"
    screenshot(page, "catalog-deactivate-preview")
    page.check("input[name=bookings][value=cancel]")
    page.fill("textarea[name=reason]", "소방 점검 불합격으로 당분간 영업할 수 없습니다.")
    page.click("main form.deactivate-form button[type=submit]")
    page.wait_for_selector("section.deactivate-confirm p.effect")
    assert fetch(Hotel, hotel_id, "status") == "active"
    screenshot(page, "catalog-deactivate-confirm")
    page.click("section.deactivate-confirm button[type=submit]")
    page.wait_for_selector(".flash-success")
    screenshot(page, "catalog-deactivate-done")
    assert fetch(Hotel, hotel_id, "status") == "inactive"
    end_transaction()
    statuses = set(db.session.scalars(select(Reservation.status).where(Reservation.hotel_id == hotel_id)))
    assert statuses == {"canceled"}
    refund = db.session.scalar(select(Refund).where(Refund.reservation_id == paid_id))
    assert refund.policy_case == "C" and refund.apology_coupon and refund.amount == paid_total
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
    assert db.session.get(Reservation, pending.id).status == "canceled"
