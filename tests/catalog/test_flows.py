"""The catalog's back-office procedures end to end through the client: a room into
maintenance (and back) with its exact effect on inventory, the over-cap case, the
rate calendar, the inventory calendar, and a hotel's deactivation and reactivation."""
from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from app.booking.models import Reservation
from app.catalog.models import Hotel, InventoryNight, Rate
from app.catalog.queries import cell_level, deactivation_preview
from app.core.audit import AuditEvent
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.refunds.models import Refund
from tests.api.helpers import book
from tests.catalog.conftest import audit_actions, last_audit_id
from tests.factories import make_paid_reservation, make_reservation

TODAY = date(2026, 11, 23)  # Monday, Seoul


def fresh(obj):
    return db.session.get(type(obj), obj.id, populate_existing=True)


def totals(room_type) -> dict[int, int]:
    """total → number of future nights with it."""
    rows = db.session.execute(select(InventoryNight.total, func.count()).where(
        InventoryNight.room_type_id == room_type.id, InventoryNight.night >= TODAY)
        .group_by(InventoryNight.total).execution_options(populate_existing=True)).all()
    return dict(rows)


def status_url(hotel, room) -> str:
    return f"/ops/catalog/hotels/{hotel.id}/rooms/{room.id}/status"


# --- maintenance -----------------------------------------------------------------------------


def test_maintenance_shows_its_effect_then_changes_every_future_night_exactly_and_back(app, as_role, hotel,
                                                                                      room_type):
    horizon = app.config["INVENTORY_HORIZON_DAYS"]
    assert totals(room_type) == {5: horizon}
    room = room_type.rooms[0]
    staff = as_role("staff")
    preview = staff.post(status_url(hotel, room), data={"status": "maintenance"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'class="inventory-effect"' in html
    effect = re.search(r'class="inventory-effect">([^<]*)<', html).group(1)
    assert "5 → 4" in effect and str(horizon) in effect
    assert "🛑" not in html
    assert fresh(room).status == "available" and totals(room_type) == {5: horizon}  # a preview changes nothing

    before = last_audit_id()
    done = staff.post(status_url(hotel, room), data={"status": "maintenance", "confirmed": "yes"})
    assert done.status_code == 302
    assert fresh(room).status == "maintenance" and totals(room_type) == {4: horizon}
    assert audit_actions(before) == ["inventory.total_changed", "room.updated"]
    again = staff.post(status_url(hotel, room), data={"status": "maintenance", "confirmed": "yes"})
    assert again.status_code == 302 and totals(room_type) == {4: horizon}
    assert audit_actions(before) == ["inventory.total_changed", "room.updated"]  # a double click is one change

    back = staff.post(status_url(hotel, room), data={"status": "available", "confirmed": "yes"})
    assert back.status_code == 302
    assert fresh(room).status == "available" and totals(room_type) == {5: horizon}


def test_cleaning_keeps_the_rooms_for_sale(as_role, hotel, room_type):
    room = room_type.rooms[0]
    assert as_role("staff").post(status_url(hotel, room), data={"status": "cleaning", "confirmed": "yes"}) \
        .status_code == 302
    assert fresh(room).status == "cleaning" and set(totals(room_type)) == {5}


def test_a_bad_status_changes_nothing(as_role, hotel, room_type):
    room = room_type.rooms[0]
    response = as_role("staff").post(status_url(hotel, room), data={"status": "broken", "confirmed": "yes"})
    assert response.status_code == 422 and fresh(room).status == "available"


def _fill(room_type, night: date, rooms: int):
    for _ in range(rooms):
        make_reservation(room_type, check_in=night, nights=1)


def test_taking_a_room_out_over_the_cap_lists_the_bookings_and_needs_a_manager_with_a_reason(as_role, hotel,
                                                                                            room_type):
    night = TODAY + timedelta(days=10)
    _fill(room_type, night, 5)                       # 5 rooms × 110 % → cap 5, all sold
    booked = list(db.session.scalars(select(Reservation.public_id).where(Reservation.room_type_id == room_type.id)))
    room = room_type.rooms[0]
    staff = as_role("staff")
    preview = staff.post(status_url(hotel, room), data={"status": "maintenance"})
    html = preview.get_data(as_text=True)
    assert "🛑" in html and 'class="compact over-cap"' in html
    assert all(f'data-booking="{pid}"' in html for pid in booked)
    assert 'class="room-status-confirm"' not in html  # staff get no confirm button

    before = last_audit_id()
    refused = staff.post(status_url(hotel, room), data={"status": "maintenance", "confirmed": "yes",
                                                        "reason": "leak"})
    assert refused.status_code == 403
    assert fresh(room).status == "available" and set(totals(room_type)) == {5}
    assert audit_actions(before) == ["operator.permission_refused"]

    manager = as_role("manager")
    no_reason = manager.post(status_url(hotel, room), data={"status": "maintenance", "confirmed": "yes"})
    assert no_reason.status_code == 422 and fresh(room).status == "available" and set(totals(room_type)) == {5}

    done = manager.post(status_url(hotel, room), data={"status": "maintenance", "confirmed": "yes",
                                                       "reason": "Water leak from the ceiling"})
    assert done.status_code == 302
    assert fresh(room).status == "maintenance" and set(totals(room_type)) == {4}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "room.taken_out_over_cap"))
    assert event.reason == "Water leak from the ceiling"
    assert event.data["nights_over_cap"] == [night.isoformat()] and sorted(event.data["reservations"]) == sorted(booked)
    assert db.session.scalar(select(func.count()).select_from(Reservation).where(
        Reservation.status == "pending")) == 5  # the bookings are kept


def test_a_night_sold_up_to_the_new_cap_needs_no_manager(as_role, hotel, room_type):
    _fill(room_type, TODAY + timedelta(days=3), 4)   # after: 4 rooms → cap 4, 4 sold: full, not over
    room = room_type.rooms[0]
    html = as_role("staff").post(status_url(hotel, room), data={"status": "maintenance"}).get_data(as_text=True)
    assert "🛑" not in html
    assert as_role("staff").post(status_url(hotel, room), data={"status": "maintenance", "confirmed": "yes"}) \
        .status_code == 302


# --- rates ----------------------------------------------------------------------------------------


def rates_url(hotel) -> str:
    return f"/ops/catalog/hotels/{hotel.id}/rates"


def test_weekend_prices_for_a_month_are_previewed_then_set_on_those_nights_only(as_role, hotel, room_type):
    db.session.add(Rate(room_type_id=room_type.id, night=date(2026, 12, 5), price=120_000))  # a Saturday
    db.session.flush()
    manager = as_role("manager")
    form = {"room_type_id": str(room_type.id), "first_night": "2026-12-01", "last_night": "2026-12-31",
            "weekdays": ["5", "6"], "price": "150,000"}
    preview = manager.post(rates_url(hotel), data=form)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'class="card confirm rate-preview"' in html
    weekend = [date(2026, 12, d) for d in range(1, 32) if date(2026, 12, d).weekday() >= 5]
    assert len(weekend) == 8
    assert html.count("<li>") >= 8 and len(re.findall(r"<li>[^<]*→", html)) == 8
    assert db.session.scalar(select(func.count()).select_from(Rate)) == 1  # a preview changes nothing

    before = last_audit_id()
    assert manager.post(rates_url(hotel), data={**form, "confirmed": "yes"}).status_code == 302
    rates = dict(db.session.execute(select(Rate.night, Rate.price).where(Rate.room_type_id == room_type.id)).all())
    assert rates == {n: 150_000 for n in weekend}
    assert audit_actions(before) == ["rates.set"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rates.set"))
    assert event.data["weekdays"] == [5, 6] and event.data["nights"] == 8 and event.data["to"] == "2027-01-01"


def test_bad_rate_input_changes_nothing(as_role, hotel, room_type):
    manager = as_role("manager")
    good = {"room_type_id": str(room_type.id), "first_night": "2026-12-01", "last_night": "2026-12-31",
            "weekdays": ["5", "6"], "price": "150000", "confirmed": "yes"}
    for bad in ({"first_night": "2026-11-01"}, {"last_night": "2026-11-30"}, {"weekdays": []},
                {"price": "-1"}, {"price": "cheap"}, {"first_night": "tomorrow"}, {"room_type_id": "999999"},
                {"first_night": "2026-12-01", "last_night": "2026-12-04", "weekdays": ["5"]}):
        response = manager.post(rates_url(hotel), data={**good, **bad})
        assert response.status_code == 422, bad
        assert "field-error" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Rate)) == 0


# --- inventory calendar ------------------------------------------------------------------------


def test_cell_levels():
    assert [cell_level(r, 10) for r in (0, 7, 8, 10, 11)] == ["ok", "ok", "nearly", "full", "over"]
    assert cell_level(0, 0) == "full"


def test_the_inventory_calendar_shows_sold_over_cap_with_colours_and_navigates_months(as_role, hotel, room_type):
    _fill(room_type, TODAY + timedelta(days=2), 4)      # 4 / 5 → nearly full
    _fill(room_type, TODAY + timedelta(days=3), 5)      # 5 / 5 → full
    staff = as_role("staff")
    html = staff.get(f"/ops/catalog/hotels/{hotel.id}/inventory").get_data(as_text=True)

    def cell(night: date) -> str:
        return re.search(rf'data-night="{night.isoformat()}">.*?<td class="cell ([^"]*)"[^>]*>([^<]*)<', html,
                         re.S).group(0)

    assert "level-nearly" in cell(TODAY + timedelta(days=2)) and "4 / 5" in cell(TODAY + timedelta(days=2))
    assert "level-full" in cell(TODAY + timedelta(days=3)) and "5 / 5" in cell(TODAY + timedelta(days=3))
    assert "level-ok" in cell(TODAY + timedelta(days=4)) and "0 / 5" in cell(TODAY + timedelta(days=4))
    assert html.count("data-night=") == 30                                  # November 2026
    assert "month=2026-12" in html and "month=2026-10" in html
    december = staff.get(f"/ops/catalog/hotels/{hotel.id}/inventory?month=2026-12").get_data(as_text=True)
    assert december.count("data-night=") == 31 and 'data-night="2026-12-31"' in december
    assert "month=2027-01" in december
    assert staff.get(f"/ops/catalog/hotels/{hotel.id}/inventory?month=garbage").status_code == 200


# --- deactivation ------------------------------------------------------------------------------------


def test_deactivation_preview_matches_what_cancel_and_refund_does(as_role, hotel, room_type):
    pending = make_reservation(room_type, check_in=TODAY + timedelta(days=5), nights=2)
    paid = make_paid_reservation(room_type, check_in=TODAY + timedelta(days=3), nights=1)   # policy: 50 %
    paid_later = make_paid_reservation(room_type, check_in=TODAY + timedelta(days=30), nights=3, rooms=2)
    past = make_paid_reservation(room_type, check_in=TODAY + timedelta(days=1), nights=1)
    db.session.execute(Reservation.__table__.update().where(Reservation.id == past.id).values(status="checked_out"))
    db.session.flush()

    staff = as_role("staff")
    page = staff.get(f"/ops/catalog/hotels/{hotel.id}/deactivate").get_data(as_text=True)
    assert 'class="count-pending">1<' in page and 'class="count-paid">2<' in page
    assert 'class="deactivate-form"' not in page  # staff see the effect, not the form

    preview = deactivation_preview(hotel)
    expected_refund = paid.total_amount + paid_later.total_amount       # case C: everything paid, not 50 %
    assert preview.refund_total == expected_refund and preview.coupons == 2
    assert preview.nights_freed == 2 + 1 + 3 * 2
    assert preview.messages(True) == {"booking_canceled": 3, "refund_requested": 2}
    assert preview.messages(False) == {}

    manager = as_role("manager")
    form = {"bookings": "cancel", "reason": "Fire inspection failed; the hotel is closed until further notice"}
    confirm = manager.post(f"/ops/catalog/hotels/{hotel.id}/deactivate", data=form)
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and 'class="effect"' in html
    assert fresh(hotel).status == "active"                              # the confirm step changes nothing

    messages_before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    before = last_audit_id()
    done = manager.post(f"/ops/catalog/hotels/{hotel.id}/deactivate", data={**form, "confirmed": "yes"})
    assert done.status_code == 302
    assert fresh(hotel).status == "inactive" and fresh(hotel).deactivation_reason == form["reason"]
    assert {fresh(r).status for r in (pending, paid, paid_later)} == {"canceled"}
    assert fresh(past).status == "checked_out"
    refunds = list(db.session.scalars(select(Refund)))
    assert len(refunds) == preview.coupons == 2
    assert sum(r.amount for r in refunds) == preview.refund_total
    assert all(r.policy_case == "C" and r.apology_coupon and r.source == "operator" for r in refunds)
    events = dict(db.session.execute(select(OutboxMessage.event, func.count()).where(
        OutboxMessage.id > 0).group_by(OutboxMessage.event)).all())
    assert events.get("booking_canceled") == 3 and events.get("refund_requested") == 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) - messages_before == 5
    actions = audit_actions(before)
    assert actions[0] == "hotel.deactivated" and actions[-1] == "hotel.closure_bookings_canceled"
    assert actions.count("refund.requested") == 2

    again = manager.post(f"/ops/catalog/hotels/{hotel.id}/deactivate", data={**form, "confirmed": "yes"})
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 2   # a double click is one effect


def test_a_deactivated_hotel_keeps_its_bookings_and_refuses_new_ones_on_pages_and_api(client, as_role, hotel,
                                                                                     room_type):
    pending = make_reservation(room_type, check_in=TODAY + timedelta(days=5))
    paid = make_paid_reservation(room_type, check_in=TODAY + timedelta(days=8))
    manager = as_role("manager")
    assert manager.post(f"/ops/catalog/hotels/{hotel.id}/deactivate",
                        data={"bookings": "keep", "reason": "Renovation", "confirmed": "yes"}).status_code == 302
    assert fresh(hotel).status == "inactive"
    assert (fresh(pending).status, fresh(paid).status) == ("pending", "paid")
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.event == "booking_canceled")) == 0

    refused = book(client, room_type, check_in=TODAY + timedelta(days=12))
    assert refused.status_code == 422 and "hotelID" in refused.get_json()["error"]["fields"]
    check_in = (TODAY + timedelta(days=12)).isoformat()
    check_out = (TODAY + timedelta(days=13)).isoformat()
    page = client.get(f"/hotels/{hotel.id}/rooms/{room_type.id}/book?checkInDate={check_in}&checkOutDate={check_out}")
    assert page.status_code == 404
    posted = client.post(f"/hotels/{hotel.id}/rooms/{room_type.id}/book", data={"idempotency_key": str(uuid.uuid4())})
    assert posted.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Reservation)) == 2

    assert manager.post(f"/ops/catalog/hotels/{hotel.id}/reactivate", data={"reason": ""}).status_code == 422
    assert fresh(hotel).status == "inactive"
    confirm = manager.post(f"/ops/catalog/hotels/{hotel.id}/reactivate", data={"reason": "Works finished"})
    assert confirm.status_code == 200 and fresh(hotel).status == "inactive"
    before = last_audit_id()
    assert manager.post(f"/ops/catalog/hotels/{hotel.id}/reactivate",
                        data={"reason": "Works finished", "confirmed": "yes"}).status_code == 302
    assert fresh(hotel).status == "active" and audit_actions(before) == ["hotel.reactivated"]
    assert book(client, room_type, check_in=TODAY + timedelta(days=12)).status_code == 201


def test_deactivation_needs_a_reason(as_role, hotel):
    response = as_role("manager").post(f"/ops/catalog/hotels/{hotel.id}/deactivate",
                                       data={"bookings": "keep", "reason": "  ", "confirmed": "yes"})
    assert response.status_code == 422 and fresh(hotel).status == "active"
    assert db.session.scalar(select(func.count()).select_from(Hotel).where(Hotel.status == "inactive")) == 0


def test_bookings_kept_at_a_deactivated_hotel_can_be_canceled_and_refunded_later(as_role, hotel, room_type):
    pending = make_reservation(room_type, check_in=TODAY + timedelta(days=5))
    paid = make_paid_reservation(room_type, check_in=TODAY + timedelta(days=20))
    manager = as_role("manager")
    url = f"/ops/catalog/hotels/{hotel.id}/deactivate"
    assert manager.post(url, data={"bookings": "keep", "reason": "Renovation", "confirmed": "yes"}).status_code == 302
    assert f'href="{url}"' in manager.get(f"/ops/catalog/hotels/{hotel.id}").get_data(as_text=True)
    page = manager.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="bookings" value="cancel"' in html
    preview = deactivation_preview(hotel)
    confirm = manager.post(url, data={"bookings": "cancel", "reason": "The works take longer"})
    assert confirm.status_code == 200 and "class=\"refund-effect\"" in confirm.get_data(as_text=True)
    assert manager.post(url, data={"bookings": "cancel", "reason": "The works take longer",
                                   "confirmed": "yes"}).status_code == 302
    assert (fresh(pending).status, fresh(paid).status) == ("canceled", "canceled")
    refunds = list(db.session.scalars(select(Refund)))
    assert [(r.amount, r.policy_case) for r in refunds] == [(preview.refund_total, "C")]
    assert manager.get(url).status_code == 302                      # nothing left to cancel
