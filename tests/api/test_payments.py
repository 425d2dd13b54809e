"""POST /v1/payments and GET /v1/payments/{paymentID}."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select, text

from app.booking.models import Reservation
from app.extensions import db
from app.payments.gateway import get_gateway
from app.payments.models import Payment
from tests.api.helpers import APPROVE, DECLINE, TIMEOUT_CHARGED, bearer, book, card_details, pay_body


@pytest.fixture
def booking(client, room_type):
    """A pending reservation's 201 body (with its accessToken)."""
    response = book(client, room_type)
    assert response.status_code == 201
    return response.get_json()


def pay(client, booking, key="pay-1", token=None, **kwargs):
    return client.post("/v1/payments", json=pay_body(booking, **kwargs),
                       headers={**bearer(token or booking["accessToken"]), "Idempotency-Key": key})


def payments() -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


def status_of(booking) -> str:
    return db.session.scalar(select(Reservation.status).where(Reservation.public_id == booking["reservationID"]))


def test_card_payment_with_the_reservation_token_completes_the_booking(client, booking):
    response = pay(client, booking)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "completed" and body["card"] == {"last4": "4242", "brand": "visa"}
    assert body["reservationID"] == booking["reservationID"]
    assert status_of(booking) == "paid"
    fetched = client.get(f"/v1/payments/{body['paymentID']}", headers=bearer(booking["accessToken"]))
    assert fetched.status_code == 200 and fetched.get_json() == body


def test_same_key_replays_the_first_answer_and_charges_once(client, booking):
    first = pay(client, booking, key="k-1")
    second = pay(client, booking, key="k-1")
    assert second.status_code == 201 and second.get_json() == first.get_json()
    assert get_gateway().charges_for(first.get_json()["paymentID"]) == 1
    body_key = client.post("/v1/payments", json={**pay_body(booking), "idempotencyKey": "k-1"},
                           headers=bearer(booking["accessToken"]))
    assert body_key.get_json() == first.get_json()
    other = pay(client, booking, key="k-1", paymentDetails=card_details("5555555555554444"))
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_conflict"
    assert payments() == 1


def test_declined_card_is_a_failed_payment_and_the_booking_stays_pending(client, booking):
    response = pay(client, booking, number=DECLINE)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "failed" and body["failure"]["code"] == "card_declined"
    assert status_of(booking) == "pending"
    assert pay(client, booking, key="retry").get_json()["status"] == "completed"


def test_gateway_timeout_answers_pending(client, booking):
    body = pay(client, booking, number=TIMEOUT_CHARGED).get_json()
    assert body["status"] == "pending"
    assert status_of(booking) == "pending"


def test_bank_transfer_gives_deposit_instructions(client, booking):
    response = pay(client, booking, method="bank_transfer")
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending"
    instructions = body["depositInstructions"]
    assert instructions["reference"] == booking["code"]
    assert instructions["amount"] == booking["totalPrice"]
    assert {"bankName", "accountNumber", "accountHolder", "payBy"} <= set(instructions)


def test_operator_can_pay_and_read_any_payment(client, booking, staff):
    response = pay(client, booking, key="op", token=staff["Authorization"].split()[1])
    assert response.status_code == 201
    assert client.get(f"/v1/payments/{response.get_json()['paymentID']}", headers=staff).status_code == 200


@pytest.mark.parametrize("details,field", [
    (card_details("4242424242424241"), "cardNumber"),
    (card_details("4242"), "cardNumber"),
    (card_details(4242424242424242), "cardNumber"),
    (card_details(expMonth=13), "expMonth"),
    (card_details(expMonth="12"), "expMonth"),
    (card_details(expYear=2001), "expYear"),
    (card_details(expMonth=1, expYear=2025), "expYear"),
    (card_details(cvc="12"), "cvc"),
    (card_details(cvc=123), "cvc"),
    (card_details(cvc="12345"), "cvc"),
    (card_details(holderName="x" * 101), "holderName"),
    (card_details(pin="0000"), "pin"),
])
def test_bad_card_details_are_refused_before_anything_is_recorded(client, booking, details, field):
    response = client.post("/v1/payments", json=pay_body(booking, paymentDetails=details),
                           headers={**bearer(booking["accessToken"]), "Idempotency-Key": "bad-card"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert f"paymentDetails.{field}" in fields
    assert APPROVE not in response.get_data(as_text=True)
    assert payments() == 0
    assert db.session.execute(text("SELECT COUNT(*) FROM idempotency_keys WHERE scope = 'payments'")).scalar() == 0


@pytest.mark.parametrize("overrides,field", [
    ({"amount": 1}, "amount"),
    ({"amount": 200000.0}, "amount"),
    ({"amount": "200000"}, "amount"),
    ({"currency": "USD"}, "currency"),
    ({"paymentMethod": "paypal"}, "paymentMethod"),
    ({"paymentDetails": None}, "paymentDetails"),
    ({"reservationID": None}, "reservationID"),
    ({"tip": 1000}, "tip"),
])
def test_bad_payment_bodies_are_refused(client, booking, overrides, field):
    response = pay(client, booking, **overrides)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert payments() == 0 and status_of(booking) == "pending"


def test_idempotency_key_is_required(client, booking):
    response = client.post("/v1/payments", json=pay_body(booking), headers=bearer(booking["accessToken"]))
    assert response.status_code == 422 and "idempotencyKey" in response.get_json()["error"]["fields"]
    assert payments() == 0


def test_another_bookings_token_cannot_pay_or_read(client, booking, room_type):
    other = book(client, room_type).get_json()
    response = pay(client, booking, token=other["accessToken"])
    assert response.status_code == 404 and payments() == 0
    anonymous = client.post("/v1/payments", json=pay_body(booking), headers={"Idempotency-Key": "x"})
    assert anonymous.status_code == 401
    paid = pay(client, booking).get_json()
    url = f"/v1/payments/{paid['paymentID']}"
    assert client.get(url, headers=bearer(other["accessToken"])).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get("/v1/payments/pay_nope", headers=bearer(booking["accessToken"])).status_code == 404


def test_paid_booking_cannot_be_paid_again(client, booking):
    pay(client, booking)
    again = pay(client, booking, key="again")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invalid_transition"


def _all_rows_text() -> str:
    """Every value of every table, as text."""
    chunks = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()).all():
            chunks.append(" ".join(str(value) for value in row))
    return "\n".join(chunks)


def test_card_number_never_reaches_logs_or_stored_data(client, booking, caplog, app):
    from pathlib import Path

    number = "5555555555554444"
    with caplog.at_level(logging.DEBUG):
        ok = pay(client, booking, key="logged", number=number)
        bad = client.post("/v1/payments", headers={**bearer(booking["accessToken"]), "Idempotency-Key": "b"},
                          json=pay_body(booking, paymentDetails=card_details(number, expMonth=13)))
    assert ok.status_code == 201 and bad.status_code == 422
    assert ok.get_json()["card"]["last4"] == "4444"
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records, "the payment should have logged something"
    assert number not in logged and "5555 5555" not in logged
    assert number not in _all_rows_text()
    assert number not in ok.get_data(as_text=True) + bad.get_data(as_text=True)
    sandbox_files = list(Path(app.config["SANDBOX_STATE_DIR"]).glob("*"))
    assert sandbox_files
    assert all(number.encode() not in path.read_bytes() for path in sandbox_files if path.is_file())
