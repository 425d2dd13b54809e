"""POST /v1/webhooks/gateway and the sandbox's webhook delivery job."""
from __future__ import annotations

import http.client
import json
import uuid
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.booking.models import Reservation
from app.core.audit import AuditEvent
from app.core.db import end_transaction
from app.extensions import db, get_queue
from app.payments.gateway import get_gateway
from app.payments.models import Payment
from app.payments.sandbox import SandboxGateway
from tests.api.helpers import TIMEOUT_CHARGED, bearer, book, booking_body, pay_body

URL = "/v1/webhooks/gateway"


def event_for(payment_id: str, event: str = "charge.succeeded") -> bytes:
    return json.dumps({"event": event, "data": {"idempotencyKey": payment_id, "chargeId": "ch_x"}}).encode()


def post_signed(client, body: bytes, signature: str | None = "sign"):
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = get_gateway().sign(body)
    if signature is not None:
        headers["X-Sandbox-Signature"] = signature
    return client.post(URL, data=body, headers=headers)


@pytest.fixture
def pending_payment(client, room_type):
    """A card payment left pending by a gateway timeout (the charge did go through)."""
    booking = book(client, room_type).get_json()
    response = client.post("/v1/payments", json=pay_body(booking, number=TIMEOUT_CHARGED),
                           headers={**bearer(booking["accessToken"]), "Idempotency-Key": str(uuid.uuid4())})
    assert response.get_json()["status"] == "pending"
    return response.get_json()


def payment_row(public_id: str) -> Payment:
    return db.session.execute(select(Payment).where(Payment.public_id == public_id)
                              .execution_options(populate_existing=True)).scalar_one()


def test_signed_webhook_settles_the_charge_by_asking_the_gateway(client, pending_payment):
    # The body claims a failure; the gateway's own record (a success) decides.
    response = post_signed(client, event_for(pending_payment["paymentID"], "charge.failed"))
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "paymentID": pending_payment["paymentID"],
                                   "status": "completed", "changed": True}
    payment = payment_row(pending_payment["paymentID"])
    assert payment.status == "completed" and payment.gateway_charge_id.startswith("ch_")
    assert payment.reservation.status == "paid"


def test_the_same_webhook_twice_changes_nothing_the_second_time(client, pending_payment):
    body = event_for(pending_payment["paymentID"])
    assert post_signed(client, body).get_json()["changed"] is True
    events_before = db.session.query(AuditEvent).count()
    second = post_signed(client, body)
    assert second.status_code == 200 and second.get_json()["changed"] is False
    assert db.session.query(AuditEvent).count() == events_before


@pytest.mark.parametrize("signature", [None, "", "0" * 64, "not-hex"])
def test_bad_or_missing_signature_is_refused_and_changes_nothing(client, pending_payment, signature):
    response = post_signed(client, event_for(pending_payment["paymentID"]), signature)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert payment_row(pending_payment["paymentID"]).status == "pending"


def test_signature_of_another_body_is_refused(client, pending_payment):
    body = event_for(pending_payment["paymentID"])
    response = post_signed(client, body, get_gateway().sign(body + b" "))
    assert response.status_code == 401
    assert payment_row(pending_payment["paymentID"]).status == "pending"


def test_webhook_for_an_unknown_charge_is_acknowledged_and_ignored(client):
    response = post_signed(client, event_for("pay_unknown"))
    assert response.status_code == 200 and response.get_json()["changed"] is False


@pytest.mark.parametrize("body", [b"{}", b"[]", b"not json", json.dumps({"data": {"idempotencyKey": 5}}).encode()])
def test_signed_webhook_without_a_charge_reference_is_422(client, body):
    response = post_signed(client, body)
    assert response.status_code == 422


def test_periodic_job_is_declared_every_minute():
    from workers.cron import PERIODIC_JOBS

    assert PERIODIC_JOBS["payments-sandbox-webhooks"] == (
        "workers.jobs.payments.deliver_sandbox_webhooks", "high", {"interval": 60})


def _http(base_url: str, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


@pytest.mark.committing
def test_timed_out_charge_is_settled_by_the_delivered_webhook(live_server, run_worker, app):
    """End to end over HTTP: book, pay with the timeout-but-charged card (201
    pending), then the periodic job delivers the gateway's webhook to the
    live server, which settles the payment; a second run delivers nothing."""
    from tests.factories import make_hotel, make_room_type

    body = booking_body(make_room_type(make_hotel(), rooms=2))
    end_transaction()  # SQLite: the test's own transaction would hold the write lock
    status, booking = _http(live_server.url, "POST", "/v1/reservations", body,
                            {"Idempotency-Key": str(uuid.uuid4())})
    assert status == 201
    status, payment = _http(live_server.url, "POST", "/v1/payments", pay_body(booking, number=TIMEOUT_CHARGED),
                            {**bearer(booking["accessToken"]), "Idempotency-Key": str(uuid.uuid4())})
    assert status == 201 and payment["status"] == "pending"

    gateway = SandboxGateway.from_config(app.config)
    assert any(json.loads(body)["data"]["idempotencyKey"] == payment["paymentID"]
               for _id, body in gateway.undelivered_webhooks(limit=10_000))
    get_queue("high").enqueue("workers.jobs.payments.deliver_sandbox_webhooks")
    run_worker(queues=("high",))

    db.session.expire_all()
    settled = db.session.scalar(select(Payment).where(Payment.public_id == payment["paymentID"]))
    assert settled.status == "completed"
    assert db.session.scalar(select(Reservation.status).where(
        Reservation.public_id == booking["reservationID"])) == "paid"
    assert gateway.undelivered_webhooks() == []
    end_transaction()

    from workers.jobs.payments import deliver_sandbox_webhooks

    assert deliver_sandbox_webhooks() == 0
    status, fetched = _http(live_server.url, "GET", f"/v1/payments/{payment['paymentID']}",
                            headers=bearer(booking["accessToken"]))
    assert status == 200 and fetched["status"] == "completed"
