"""Every documented error code, in the documented shape, with the request id.

`{"error": {"code", "message", "fields", "requestId"}}`, where requestId is
the response's X-Request-Id (the client's own when it sent a safe one), and
the message in the caller's language (Accept-Language: ko, ja, en; default en).
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.auth.models import Operator
from app.booking import policies
from app.booking.services import IDEMPOTENCY_SCOPE
from app.core import idempotency
from app.extensions import db
from tests.api.helpers import bearer, book, booking_body, pay_body
from tests.factories import make_hotel, make_room_type, mid_window

HANGUL = re.compile(r"[\uac00-\ud7a3]")
KANA = re.compile(r"[\u3040-\u30ff]")


def _validation_error(client, w, headers):
    return client.post("/v1/reservations", json={}, headers={**headers, "Idempotency-Key": "v"})


def _not_found(client, w, headers):
    return client.get("/v1/hotels/424242", headers=headers)


def _unauthorized(client, w, headers):
    return client.get("/v1/reservations", headers=headers)


def _forbidden(client, w, headers):
    return client.post("/v1/hotels", json={"name": "X", "city": "Seoul"}, headers={**headers, **w["staff"]})


def _sold_out(client, w, headers):
    book(client, w["single"])
    return client.post("/v1/reservations", json=booking_body(w["single"]),
                       headers={**headers, "Idempotency-Key": "late"})


def _idempotency_conflict(client, w, headers):
    book(client, w["rt"], key="same")
    return client.post("/v1/reservations", json=booking_body(w["rt"], rooms=2),
                       headers={**headers, "Idempotency-Key": "same"})


def _idempotency_in_progress(client, w, headers):
    """A first request that has claimed its key but not answered yet."""
    body = booking_body(w["rt"])
    fp = idempotency.fingerprint(policies.parse_booking_request(body).fingerprint_payload())
    idempotency.claim(IDEMPOTENCY_SCOPE, "busy", fp, ttl_hours=1)
    db.session.commit()
    return client.post("/v1/reservations", json=body, headers={**headers, "Idempotency-Key": "busy"})


def _invalid_transition(client, w, headers):
    booking = book(client, w["rt"]).get_json()
    auth = bearer(booking["accessToken"])
    client.post("/v1/payments", json=pay_body(booking), headers={**auth, "Idempotency-Key": "p1"})
    return client.post("/v1/payments", json=pay_body(booking), headers={**auth, **headers, "Idempotency-Key": "p2"})


def _rate_limited(client, w, headers):
    """Eleven anonymous requests in one minute. The limiter counts in fixed minute windows, so the
    clock is held in the middle of one: the eleven never straddle two windows."""
    from app.core import clock

    client.application.config["RATELIMIT_ENABLED"] = True
    try:
        with clock.pinned(mid_window(clock.now())):
            for _ in range(10):
                client.get("/v1/hotels/search")
            return client.get("/v1/hotels/search", headers=headers)
    finally:
        client.application.config["RATELIMIT_ENABLED"] = False


CODES = [
    ("validation_error", 422, _validation_error),
    ("not_found", 404, _not_found),
    ("unauthorized", 401, _unauthorized),
    ("forbidden", 403, _forbidden),
    ("sold_out", 409, _sold_out),
    ("idempotency_conflict", 422, _idempotency_conflict),
    ("idempotency_in_progress", 409, _idempotency_in_progress),
    ("invalid_transition", 409, _invalid_transition),
    ("rate_limited", 429, _rate_limited),
]


@pytest.fixture
def world(api_token):
    _op, staff_token = api_token("staff")
    hotel = make_hotel()
    return {"rt": make_room_type(hotel, rooms=3), "single": make_room_type(hotel, rooms=1),
            "staff": bearer(staff_token)}


@pytest.mark.parametrize("code,status,make", CODES, ids=[c[0] for c in CODES])
def test_documented_error_codes_echo_the_clients_request_id(client, world, code, status, make):
    response = make(client, world, {"X-Request-Id": f"client-{code}"})
    assert response.status_code == status
    body = response.get_json()
    assert body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message", "fields", "requestId"}
    assert isinstance(body["error"]["fields"], dict) and body["error"]["message"]
    assert body["error"]["requestId"] == response.headers["X-Request-Id"] == f"client-{code}"
    if code == "sold_out":
        assert body["error"]["fields"] == {} and isinstance(body["alternatives"], list)


@pytest.mark.parametrize("code,status,make", CODES, ids=[c[0] for c in CODES])
def test_error_messages_follow_accept_language(client, world, code, status, make):
    korean = make(client, world, {"Accept-Language": "ko-KR,ko;q=0.9"}).get_json()["error"]["message"]
    assert HANGUL.search(korean), korean


def test_japanese_and_english_messages(client):
    ja = client.get("/v1/hotels/424242", headers={"Accept-Language": "ja"}).get_json()["error"]["message"]
    en = client.get("/v1/hotels/424242", headers={"Accept-Language": "fr, en;q=0.5"}).get_json()["error"]["message"]
    default = client.get("/v1/hotels/424242").get_json()["error"]["message"]
    assert KANA.search(ja), ja
    assert en == default == "There is no hotel with this id."


def test_field_messages_are_translated_too(client, manager):
    response = client.post("/v1/hotels", json={"name": "", "city": "Seoul", "starRating": 9},
                           headers={**manager, "Accept-Language": "ja"})
    fields = response.get_json()["error"]["fields"]
    assert KANA.search(fields["name"]) and KANA.search(fields["starRating"])


def test_generated_request_id_when_none_or_an_unsafe_one_is_sent(client):
    plain = client.get("/v1/hotels/424242")
    assert plain.headers["X-Request-Id"].startswith("req_")
    assert plain.get_json()["error"]["requestId"] == plain.headers["X-Request-Id"]
    unsafe = client.get("/v1/hotels/424242", headers={"X-Request-Id": "<script>alert(1)</script>"})
    assert unsafe.headers["X-Request-Id"].startswith("req_")
    assert unsafe.get_json()["error"]["requestId"] == unsafe.headers["X-Request-Id"]


def test_disabled_operators_token_is_unauthorized(client, api_token):
    operator, token = api_token("manager")
    assert client.get("/v1/reservations", headers=bearer(token)).status_code == 200
    db.session.scalar(select(Operator).where(Operator.id == operator.id)).active = False
    db.session.commit()
    response = client.get("/v1/reservations", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_unknown_operator_token_is_unauthorized_even_on_public_endpoints(client, world):
    response = client.get(f"/v1/hotels/{world['rt'].hotel_id}", headers=bearer("fdt_made_up"))
    assert response.status_code == 401
