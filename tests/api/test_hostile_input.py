"""Hostile input at every edge gets a clear 4xx and changes nothing (never a 500).

One row per cause seen in the wild: ids and amounts past the 32-bit columns,
NUL characters, a NUL inside a JSON list, a lone surrogate, absurd nesting, an
impossible calendar month, and a 405 that names the allowed methods.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.booking.models import Reservation
from app.extensions import db
from tests.api.helpers import booking_body
from tests.factories import future, make_operator, mid_window

NUL = "\x00"


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Reservation))


def test_an_id_past_the_32_bit_column_is_not_found(client, room_type):
    for path in ("/v1/hotels/2147483648", "/v1/hotels/99999999999", "/v1/hotels/2147483648/room-types"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/v1/hotels/{room_type.hotel_id}").status_code == 200


@pytest.mark.parametrize("amount", [2**31, 10**12])
def test_a_rate_past_the_32_bit_column_is_refused(client, room_type, manager, amount):
    body = {"from": future(5).isoformat(), "to": future(7).isoformat(),
            "price": {"amount": amount, "currency": "KRW"}}
    response = client.put(f"/v1/hotels/{room_type.hotel_id}/room-types/{room_type.id}/rates", json=body,
                          headers=manager)
    assert response.status_code == 422
    assert "price.amount" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("make_body", [
    lambda b: {**b, "guestInfo": {**b["guestInfo"], "firstName": "Min" + NUL + "ji"}},
    lambda b: {**b, "specialRequests": "late " + NUL},
    lambda b: {**b, "guestInfo": {**b["guestInfo"], "lastName": "\ud800"}},
    lambda b: {**b, NUL: "x"},
], ids=["nul-in-name", "nul-in-requests", "lone-surrogate", "nul-in-key"])
def test_bad_text_in_a_booking_is_refused_and_books_nothing(client, room_type, make_body):
    before = _count()
    payload = json.dumps(make_body(booking_body(room_type)), ensure_ascii=True)
    response = client.post("/v1/reservations", data=payload, content_type="application/json",
                           headers={"Idempotency-Key": "k-" + str(before) + "-bad"})
    assert response.status_code == 422
    assert "NUL" in response.get_json()["error"]["message"]
    assert _count() == before


def test_a_nul_inside_a_json_list_is_refused(client, room_type, manager):
    response = client.put(f"/v1/hotels/{room_type.hotel_id}", json={"amenities": ["wifi", "pool" + NUL]},
                            headers=manager)
    assert response.status_code == 422
    assert room_type.hotel.amenities != ["wifi", "pool" + NUL]


def test_deep_nesting_is_refused_before_parsing(client, room_type):
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post("/v1/reservations", data=deep, content_type="application/json",
                           headers={"Idempotency-Key": "deep-1"})
    assert response.status_code == 422
    assert "nests deeper" in response.get_json()["error"]["message"]
    # brackets inside a string do not count
    fine = json.dumps(booking_body(room_type, specialRequests="[" * 200))
    assert client.post("/v1/reservations", data=fine, content_type="application/json",
                       headers={"Idempotency-Key": "deep-2"}).status_code == 201


@pytest.mark.parametrize("query", [{"location": "Seoul" + NUL}, {"location" + NUL: "Seoul"}])
def test_a_nul_in_a_query_string_is_refused(client, query):
    response = client.get("/v1/hotels/search", query_string=query)
    assert response.status_code == 422


def test_a_nul_in_a_customer_form_gets_a_page_not_a_500(client):
    response = client.post("/find", data={"code": "FD" + NUL, "email": "a@example.com"})
    assert response.status_code == 422
    assert "<html" in response.get_data(as_text=True).lower()


def test_an_impossible_calendar_month_shows_this_month(client, login_as, room_type):
    login_as("manager")
    for month in ("0001-01", "9999-12", "2026-13", "abc"):
        response = client.get(f"/ops/catalog/hotels/{room_type.hotel_id}/inventory", query_string={"month": month})
        assert response.status_code == 200, month


def test_a_price_past_the_column_in_the_rate_form_is_a_field_error(client, login_as, room_type):
    login_as("manager")
    url = f"/ops/catalog/hotels/{room_type.hotel_id}/rates"
    response = client.post(url, data={"room_type_id": str(room_type.id), "first_night": future(5).isoformat(),
                                      "last_night": future(6).isoformat(), "weekdays": [str(i) for i in range(7)],
                                      "price": "2147483648"})
    assert response.status_code in (200, 422)
    assert "너무 큽니다" in response.get_data(as_text=True) or "too large" in response.get_data(as_text=True)


def test_405_names_the_allowed_methods(client, manager):
    response = client.post("/v1/openapi.json", headers=manager)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    page = client.put("/find")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def test_operator_form_with_nul_changes_nothing(client, login_as):
    login_as("admin")
    make_operator("staff", email="nul@example.com")
    response = client.post("/auth/login", data={"email": "x" + NUL + "@example.com", "password": "p"})
    assert response.status_code == 422


def test_find_my_booking_is_throttled_per_code_and_per_address(app, clock, client, monkeypatch, redis):
    from app.booking import views as booking_views

    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    clock.freeze(mid_window(clock.now()))  # the throttle's fixed 15-minute window
    monkeypatch.setattr(booking_views, "FIND_LIMITS", {"addr": 6, "code": 3})
    _forget_counters(redis)
    statuses = [client.post("/find", data={"code": "FD-AAAAAA", "email": f"g{i}@example.com"}).status_code
                for i in range(4)]
    assert statuses == [404, 404, 404, 429]             # the 4th guess at one code waits
    page = client.post("/find", data={"code": "FD-AAAAAA", "email": "g9@example.com"}).get_data(as_text=True)
    assert "다시 시도" in page or "try again" in page
    others = [client.post("/find", data={"code": f"FD-B{i}", "email": "x@example.com"}).status_code
              for i in range(3)]
    assert others[-1] == 429                            # the address has used its 6 tries (4 + 1 + 1 above)
    _forget_counters(redis)


def _forget_counters(redis) -> None:
    for key in redis.scan_iter("ratelimit:*"):
        redis.delete(key)


@pytest.mark.parametrize("value", [{}, [], ["card"], 1, None])
def test_an_enum_field_sent_as_an_object_or_list_is_refused(client, room_type, manager, value):
    """Found by schemathesis: `paymentMethod` / a room's `status` given as {} or [] was a 500."""
    rooms = client.post(f"/v1/hotels/{room_type.hotel_id}/rooms", headers=manager,
                        json={"roomNumber": "901", "roomTypeID": str(room_type.id), "status": value})
    assert rooms.status_code == 422 and "status" in rooms.get_json()["error"]["fields"]
    payment = client.post("/v1/payments", headers={**manager, "Idempotency-Key": f"enum-{value!r}"},
                          json={"reservationID": "FD-NOPE", "amount": 1000, "currency": "KRW",
                                "paymentMethod": value})
    assert payment.status_code == 422 and "paymentMethod" in payment.get_json()["error"]["fields"]


def test_a_form_part_whose_name_cannot_be_read_is_refused(client, manager):
    """Found by schemathesis: `name="x\\"` in a multipart upload came back as a None name (a 500)."""
    body = (b'--b\r\nContent-Disposition: form-data; name="x\\"\r\n\r\n{}\r\n'
            b'--b\r\nContent-Disposition: form-data; name="format"\r\n\r\ncamt053\r\n'
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="s.xml"\r\n\r\n)\r\n--b--\r\n')
    response = client.post("/v1/ops/statements", data=body, headers=manager,
                           content_type="multipart/form-data; boundary=b")
    assert response.status_code == 422
    assert "no readable name" in response.get_json()["error"]["message"]
