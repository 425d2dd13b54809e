"""Paying on the booking page with the sandbox card gateway."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import func, select, text

from app.booking.states import ReservationStatus
from app.extensions import db
from app.payments.models import Payment
from app.payments.states import PaymentStatus
from tests.booking.conftest import hidden_value

APPROVE = "4242 4242 4242 4242"
DECLINE = "4000 0000 0000 0002"
NO_FUNDS = "4000000000009995"


def card(number=APPROVE, **extra):
    return {"number": number, "expiry": "12/40", "cvc": "123", "holder": "Minji Kim",
            "idempotency_key": str(uuid.uuid4()), **extra}


def payments_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


def test_paying_by_card_confirms_the_booking_and_promises_an_email_in_the_guests_language(client, booked):
    reservation, url = booked(language="ja")
    response = client.post(url + "/pay", data=card())
    assert response.status_code == 303 and response.headers["Location"] == url
    html = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Paid. A confirmation email in Japanese is on its way." in html
    assert "Your booking is confirmed" in html and "···· 4242" in html and 'name="number"' not in html
    db.session.refresh(reservation)
    assert reservation.status == ReservationStatus.PAID


def test_a_declined_card_is_explained_and_can_be_retried_while_the_hold_lasts(client, booked):
    reservation, url = booked()
    client.post(url + "/pay", data=card(DECLINE))
    html = client.get(url).get_data(as_text=True)
    assert "Your card was declined by the card company. Nothing was charged." in html
    assert 'name="number"' in html  # the card form is offered again, with a new key
    db.session.refresh(reservation)
    assert reservation.status == ReservationStatus.PENDING
    client.post(url + "/pay", data=card(APPROVE, idempotency_key=hidden_value(html, "idempotency_key")))
    db.session.refresh(reservation)
    assert reservation.status == ReservationStatus.PAID
    statuses = db.session.scalars(select(Payment.status).order_by(Payment.id)).all()
    assert statuses == [PaymentStatus.FAILED, PaymentStatus.COMPLETED]


def test_insufficient_funds_has_its_own_words(client, booked):
    _reservation, url = booked()
    client.post(url + "/pay", data=card(NO_FUNDS))
    assert "does not have enough funds" in client.get(url).get_data(as_text=True)


def test_a_mistyped_card_is_shown_next_to_the_field_and_never_echoed(client, booked):
    _reservation, url = booked()
    response = client.post(url + "/pay", data=card("4242 4242 4242 4241", expiry="13/30", cvc="12"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="number-error">This card number is not complete or has a typo.' in html
    assert 'id="expiry-error">The month must be from 01 to 12.' in html
    assert 'id="cvc-error">' in html
    assert "4241" not in html
    assert payments_count() == 0
    expired = client.post(url + "/pay", data=card(expiry="01/20")).get_data(as_text=True)
    assert "This card has expired." in expired
    switch = client.get(url + "/pay?lang=ja")  # the language links of the re-rendered page
    assert switch.status_code == 302 and switch.headers["Location"] == url + "?lang=ja"


def test_the_same_payment_form_sent_twice_charges_once(client, booked):
    reservation, url = booked()
    data = card()
    first = client.post(url + "/pay", data=data)
    second = client.post(url + "/pay", data=data)
    assert first.status_code == second.status_code == 303
    assert payments_count() == 1
    db.session.refresh(reservation)
    assert reservation.status == ReservationStatus.PAID


def test_paying_a_paid_booking_again_charges_nothing(client, booked):
    _reservation, url = booked()
    client.post(url + "/pay", data=card())
    client.post(url + "/pay", data=card())
    assert payments_count() == 1
    assert "This booking is already paid." in client.get(url).get_data(as_text=True)


def test_a_payment_post_without_csrf_is_refused(client, booked):
    _reservation, url = booked()
    assert client.post(url + "/pay", data=card(), csrf=False).status_code == 400
    assert payments_count() == 0


def test_the_card_number_never_reaches_the_logs_or_the_database(client, booked, caplog):
    _reservation, url = booked()
    caplog.set_level(logging.DEBUG)
    client.post(url + "/pay", data=card())
    client.post(url + "/pay", data=card("4000 0000 0000 0002"))
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "4242424242424242" not in logged and "4242 4242 4242 4242" not in logged
    assert "4000000000000002" not in logged
    for table in ("payments", "audit_events", "idempotency_keys", "outbox_messages", "reservations"):
        rows = db.session.execute(text(f"SELECT * FROM {table}")).all()
        dumped = " ".join(str(value) for row in rows for value in row)
        assert "4242424242424242" not in dumped and "4000000000000002" not in dumped, table
