"""Find my booking (code + email) and cancelling from the booking page."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from app.booking.states import ReservationStatus
from app.extensions import db
from app.refunds.models import Refund
from app.refunds.states import RefundStatus
from tests.booking.conftest import english_client
from tests.factories import future, inventory, make_paid_reservation, make_reservation


def find(client, code, email):
    return client.post("/find", data={"code": code, "email": email})


def test_find_my_booking_takes_the_code_in_any_case_with_or_without_the_dash(app, room_type):
    reservation = make_reservation(room_type, email="minji@example.com")
    for code in (reservation.display_code, reservation.code.lower(), f" {reservation.code[:2]}-{reservation.code[2:].lower()} "):
        browser = english_client(app)
        response = find(browser, code, " Minji@Example.com ")
        assert response.status_code == 303, code
        assert response.headers["Location"] == f"/booking/{reservation.public_id}"
        assert browser.get(response.headers["Location"]).status_code == 200


def test_a_wrong_email_or_code_finds_nothing_and_says_what_to_check(client, room_type):
    reservation = make_reservation(room_type, email="minji@example.com")
    response = find(client, reservation.code, "someone@example.com")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "We could not find a booking with this code and this email or phone number" in html and "FD-7K3M9Q" in html
    assert 'value="someone@example.com"' in html
    assert client.get(f"/booking/{reservation.public_id}").headers["Location"] == "/find"
    assert find(client, "FD-000000", "minji@example.com").status_code == 404


def test_find_without_csrf_is_refused(client, room_type):
    reservation = make_reservation(room_type, email="minji@example.com")
    assert client.post("/find", data={"code": reservation.code, "email": "minji@example.com"},
                       csrf=False).status_code == 400


def test_the_found_booking_shows_its_status_payments_and_a_cancel_button(client, room_type):
    reservation = make_paid_reservation(room_type, email="minji@example.com")
    find(client, reservation.code, "minji@example.com")
    html = client.get(f"/booking/{reservation.public_id}").get_data(as_text=True)
    assert "Paid and confirmed" in html and "₩200,000" in html and "···· 4242" in html
    assert f"/booking/{reservation.public_id}/cancel" in html


def test_cancelling_an_unpaid_booking_says_nothing_will_be_charged(client, booked, room_type, check_in):
    reservation, url = booked()
    page = client.get(url + "/cancel").get_data(as_text=True)
    assert "Cancel your 2 nights at Hanok Test Stay" in page
    assert "You have not paid anything, so nothing will be charged." in page
    response = client.post(url + "/cancel", data={})
    assert response.status_code == 303 and response.headers["Location"] == url + "/canceled"
    done = client.get(url + "/canceled").get_data(as_text=True)
    assert "Your booking is canceled" in done and "Nothing was charged" in done
    db.session.refresh(reservation)
    assert reservation.status == ReservationStatus.CANCELED
    assert inventory(room_type, check_in).reserved == 0


def test_cancelling_a_paid_booking_three_days_ahead_previews_half_back(client, room_type):
    reservation = make_paid_reservation(room_type, check_in=future(3), email="minji@example.com")
    find(client, reservation.code, "minji@example.com")
    url = f"/booking/{reservation.public_id}"
    page = client.get(url + "/cancel").get_data(as_text=True)
    assert "You will get back ₩100,000 (50 %: check-in is in 3 days)." in page
    assert "card ending 4242" in page and "7 days or more before check-in: 100 % back" in page
    client.post(url + "/cancel", data={})
    refund = db.session.scalar(select(Refund).where(Refund.reservation_id == reservation.id))
    assert (refund.amount, refund.status, refund.source) == (100_000, RefundStatus.REQUESTED, "customer")
    done = client.get(url + "/canceled").get_data(as_text=True)
    assert "Your refund request of ₩100,000 has gone to our staff." in done
    assert "the money goes back to the card ending 4242" in done


def test_cancelling_a_week_ahead_gets_everything_back(client, room_type):
    reservation = make_paid_reservation(room_type, check_in=future(9), email="minji@example.com")
    find(client, reservation.code, "minji@example.com")
    page = client.get(f"/booking/{reservation.public_id}/cancel").get_data(as_text=True)
    assert "You will get back ₩200,000 (100 %: check-in is in 9 days)." in page


def test_cancelling_on_the_day_refunds_nothing_and_says_so(client, clock, room_type):
    from datetime import datetime, timezone

    today = future(0)
    clock.freeze(datetime(today.year, today.month, today.day, 0, 0, tzinfo=timezone.utc))  # 09:00 in Seoul
    reservation = make_paid_reservation(room_type, check_in=future(0), nights=1, email="minji@example.com")
    find(client, reservation.code, "minji@example.com")
    url = f"/booking/{reservation.public_id}"
    page = client.get(url + "/cancel").get_data(as_text=True)
    assert "Nothing will be refunded (check-in is today). You paid ₩100,000." in page
    client.post(url + "/cancel", data={})
    done = client.get(url + "/canceled").get_data(as_text=True)
    assert "nothing is paid back this close to check-in" in done


def test_cancelling_twice_changes_nothing_the_second_time(client, booked, room_type, check_in):
    reservation, url = booked()
    client.post(url + "/cancel", data={})
    again = client.post(url + "/cancel", data={})
    assert again.status_code == 303 and again.headers["Location"] == url
    assert "already canceled" in client.get(url).get_data(as_text=True)
    assert inventory(room_type, check_in).reserved == 0
    db.session.refresh(reservation)
    assert reservation.status == ReservationStatus.CANCELED


def test_a_paid_booking_cancelled_twice_asks_for_one_refund(client, room_type):
    reservation = make_paid_reservation(room_type, email="minji@example.com")
    find(client, reservation.code, "minji@example.com")
    url = f"/booking/{reservation.public_id}"
    client.post(url + "/cancel", data={})
    client.post(url + "/cancel", data={})
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1


def test_cancel_without_csrf_is_refused_and_keeps_the_booking(client, booked):
    reservation, url = booked()
    assert client.post(url + "/cancel", data={}, csrf=False).status_code == 400
    db.session.refresh(reservation)
    assert reservation.status == ReservationStatus.PENDING


def test_a_checked_in_stay_cannot_be_cancelled_online(client, booked):
    from app.booking.services import change_status

    reservation, url = booked()
    client.post(url + "/pay", data={"number": "4242424242424242", "expiry": "12/40", "cvc": "123",
                                    "idempotency_key": str(uuid.uuid4())})
    change_status(reservation.id, ReservationStatus.CHECKED_IN)
    response = client.post(url + "/cancel", data={})
    assert response.status_code == 303
    assert "cannot be canceled online" in client.get(url).get_data(as_text=True)
    db.session.refresh(reservation)
    assert reservation.status == ReservationStatus.CHECKED_IN


def test_the_canceled_page_of_a_live_booking_goes_back_to_it(client, booked):
    _reservation, url = booked()
    assert client.get(url + "/canceled").headers["Location"] == url
