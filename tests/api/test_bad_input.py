"""Bad input never gives a 500, always answers the error shape, and creates nothing.

Table-driven: each case is one request built from a small world (a bookable
room type, another hotel's room type, a reservation and its token).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from tests.api.helpers import bearer, book, booking_body
from tests.factories import future, make_hotel, make_room_type

LONG = "x" * 2001


def table_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


@pytest.fixture
def world(client, room_type):
    foreign = make_room_type(make_hotel(city="Busan"), rooms=1)
    booking = book(client, room_type).get_json()
    return {"rt": room_type, "foreign": foreign, "booking": booking}


def reservation(w, **changes):
    """A booking body with some fields replaced (None values are sent as null)."""
    return {**booking_body(w["rt"]), **changes}


def guest(**changes):
    info = {"firstName": "Minji", "lastName": "Kim", "email": "minji@example.com", "language": "ko"}
    info.update(changes)
    return info


def past(days):
    return (future(0) - timedelta(days=days)).isoformat()


def ahead(days):
    return future(days).isoformat()


# (case id, expected status, request builder: world → (method, url, kwargs))
POST_RESERVATION = [
    ("unknown hotel", 404, lambda w: reservation(w, hotelID="999999")),
    ("unknown room type", 404, lambda w: reservation(w, roomTypeID="999999")),
    ("another hotel's room type", 404, lambda w: reservation(w, roomTypeID=str(w["foreign"].id))),
    ("hotel id is text", 422, lambda w: reservation(w, hotelID="abc")),
    ("hotel id is a list", 422, lambda w: reservation(w, hotelID=[1])),
    ("hotel id is null", 422, lambda w: reservation(w, hotelID=None)),
    ("hotel id is an object", 422, lambda w: reservation(w, hotelID={"id": 1})),
    ("hotel id is a float", 422, lambda w: reservation(w, hotelID=1.5)),
    ("hotel id is true", 422, lambda w: reservation(w, hotelID=True)),
    ("rooms is text", 422, lambda w: reservation(w, numberOfRooms="two")),
    ("rooms is a float", 422, lambda w: reservation(w, numberOfRooms=1.5)),
    ("zero rooms", 422, lambda w: reservation(w, numberOfRooms=0)),
    ("ten rooms", 422, lambda w: reservation(w, numberOfRooms=10)),
    ("rooms is a list", 422, lambda w: reservation(w, numberOfRooms=[1])),
    ("zero guests", 422, lambda w: reservation(w, numberOfGuests=0)),
    ("too many guests for the rooms", 422, lambda w: reservation(w, numberOfGuests=3)),
    ("check-in in the past", 422, lambda w: reservation(w, checkInDate=past(3), checkOutDate=past(1))),
    ("check-out before check-in", 422, lambda w: reservation(w, checkInDate=ahead(12), checkOutDate=ahead(10))),
    ("check-out equals check-in", 422, lambda w: reservation(w, checkInDate=ahead(12), checkOutDate=ahead(12))),
    ("31 nights", 422, lambda w: reservation(w, checkInDate=ahead(10), checkOutDate=ahead(41))),
    ("beyond the booking horizon", 422, lambda w: reservation(w, checkInDate=ahead(400), checkOutDate=ahead(401))),
    ("impossible date", 422, lambda w: reservation(w, checkInDate="2030-02-30")),
    ("date as a number", 422, lambda w: reservation(w, checkInDate=20300301)),
    ("date in another format", 422, lambda w: reservation(w, checkInDate="01/03/2030")),
    ("date is null", 422, lambda w: reservation(w, checkOutDate=None)),
    ("guest info is a list", 422, lambda w: reservation(w, guestInfo=["Minji"])),
    ("guest info is null", 422, lambda w: reservation(w, guestInfo=None)),
    ("first name is a number", 422, lambda w: reservation(w, guestInfo=guest(firstName=123))),
    ("first name over 100", 422, lambda w: reservation(w, guestInfo=guest(firstName="x" * 101))),
    ("last name over 100", 422, lambda w: reservation(w, guestInfo=guest(lastName="x" * 101))),
    ("empty last name", 422, lambda w: reservation(w, guestInfo=guest(lastName=" "))),
    ("bad email", 422, lambda w: reservation(w, guestInfo=guest(email="minji-at-example"))),
    ("email is a list", 422, lambda w: reservation(w, guestInfo=guest(email=["a@b.c"]))),
    ("bad phone", 422, lambda w: reservation(w, guestInfo=guest(phone="call me"))),
    ("unknown language", 422, lambda w: reservation(w, guestInfo=guest(language="fr"))),
    ("special requests over 2000", 422, lambda w: reservation(w, specialRequests=LONG)),
    ("special requests is a number", 422, lambda w: reservation(w, specialRequests=5)),
    ("unknown payment method", 422, lambda w: reservation(w, paymentMethod="cash")),
    ("payment method is a number", 422, lambda w: reservation(w, paymentMethod=1)),
    ("unknown field", 422, lambda w: reservation(w, roomID="1")),
]

CASES = [(f"POST /v1/reservations: {name}", status,
          (lambda b: lambda w: ("post", "/v1/reservations", {"json": b(w), "headers": {"Idempotency-Key": "bad"}}))(b))
         for name, status, b in POST_RESERVATION]

CASES += [
    ("reservation: idempotency key is a number", 422,
     lambda w: ("post", "/v1/reservations", {"json": {**booking_body(w["rt"]), "idempotencyKey": 7}})),
    ("reservation: idempotency key too long", 422,
     lambda w: ("post", "/v1/reservations", {"json": booking_body(w["rt"]),
                                             "headers": {"Idempotency-Key": "k" * 256}})),
    ("reservation: malformed JSON", 422,
     lambda w: ("post", "/v1/reservations", {"data": b'{"hotelID": ', "content_type": "application/json",
                                             "headers": {"Idempotency-Key": "bad"}})),
    ("reservation: JSON list", 422,
     lambda w: ("post", "/v1/reservations", {"json": [booking_body(w["rt"])], "headers": {"Idempotency-Key": "b"}})),
    ("reservation: JSON string", 422,
     lambda w: ("post", "/v1/reservations", {"json": "book", "headers": {"Idempotency-Key": "b"}})),
    ("reservation: JSON null", 422,
     lambda w: ("post", "/v1/reservations", {"data": b"null", "content_type": "application/json",
                                             "headers": {"Idempotency-Key": "b"}})),
    ("reservation: empty body", 422,
     lambda w: ("post", "/v1/reservations", {"headers": {"Idempotency-Key": "b"}})),
    ("reservation: form-encoded", 422,
     lambda w: ("post", "/v1/reservations", {"data": {"hotelID": "1"}, "headers": {"Idempotency-Key": "b"}})),
    ("reservation: JSON sent as text/plain", 422,
     lambda w: ("post", "/v1/reservations", {"data": b'{"hotelID": "1"}', "content_type": "text/plain",
                                             "headers": {"Idempotency-Key": "b"}})),
    ("reservation: invalid UTF-8", 422,
     lambda w: ("post", "/v1/reservations", {"data": b'{"hotelID": "\xff"}', "content_type": "application/json",
                                             "headers": {"Idempotency-Key": "b"}})),
]


def search_case(name, status, args):
    base = {"location": "Seoul", "checkInDate": ahead(10), "checkOutDate": ahead(12)}
    return (f"search: {name}", status,
            lambda w: ("get", "/v1/hotels/search", {"query_string": {**base, **args}}))


CASES += [
    search_case("no location", 422, {"location": ""}),
    search_case("location over 100", 422, {"location": "x" * 101}),
    search_case("no dates", 422, {"checkInDate": "", "checkOutDate": ""}),
    search_case("page 0", 422, {"page": 0}),
    search_case("page is text", 422, {"page": "first"}),
    search_case("pageSize 101", 422, {"pageSize": 101}),
    search_case("pageSize 0", 422, {"pageSize": 0}),
    search_case("negative page", 422, {"page": -1}),
    search_case("unknown sort", 422, {"sortBy": "distance"}),
    search_case("price is text", 422, {"minPrice": "cheap"}),
    search_case("negative price", 422, {"maxPrice": "-5"}),
    search_case("min above max", 422, {"minPrice": 5, "maxPrice": 1}),
    search_case("zero guests", 422, {"guests": 0}),
    search_case("guests is text", 422, {"guests": "two"}),
    search_case("check-in in the past", 422, {"checkInDate": past(5), "checkOutDate": past(3)}),
    search_case("check-out before check-in", 422, {"checkInDate": ahead(5), "checkOutDate": ahead(3)}),
    search_case("31 nights", 422, {"checkInDate": ahead(5), "checkOutDate": ahead(36)}),
    ("hotel: text id", 404, lambda w: ("get", "/v1/hotels/abc", {})),
    ("hotel: unknown id", 404, lambda w: ("get", "/v1/hotels/999999", {})),
    ("hotel: huge id", 404, lambda w: ("get", "/v1/hotels/" + "9" * 40, {})),
    ("room types: unknown hotel", 404, lambda w: ("get", "/v1/hotels/999999/room-types", {})),
    ("availability: unknown hotel", 404, lambda w: ("get", "/v1/hotels/999999/availability", {})),
    ("availability: bad room type id", 422, lambda w: ("get", f"/v1/hotels/{w['rt'].hotel_id}/availability", {
        "query_string": {"checkInDate": ahead(3), "checkOutDate": ahead(4), "roomTypeID": "[1]"}})),
    ("availability: another hotel's room type", 404, lambda w: (
        "get", f"/v1/hotels/{w['rt'].hotel_id}/availability",
        {"query_string": {"checkInDate": ahead(3), "checkOutDate": ahead(4), "roomTypeID": w["foreign"].id}})),
    ("change: dates are numbers", 422, lambda w: (
        "put", f"/v1/reservations/{w['booking']['reservationID']}",
        {"json": {"checkInDate": 1, "checkOutDate": 2}, "headers": bearer(w["booking"]["accessToken"])})),
    ("change: ten rooms", 422, lambda w: (
        "put", f"/v1/reservations/{w['booking']['reservationID']}",
        {"json": {"numberOfRooms": 10}, "headers": bearer(w["booking"]["accessToken"])})),
    ("change: another hotel's room type", 404, lambda w: (
        "put", f"/v1/reservations/{w['booking']['reservationID']}",
        {"json": {"roomTypeID": str(w["foreign"].id)}, "headers": bearer(w["booking"]["accessToken"])})),
    ("change: empty body", 422, lambda w: (
        "put", f"/v1/reservations/{w['booking']['reservationID']}",
        {"json": {}, "headers": bearer(w["booking"]["accessToken"])})),
    ("change: check-out before check-in", 422, lambda w: (
        "put", f"/v1/reservations/{w['booking']['reservationID']}",
        {"json": {"checkInDate": ahead(12), "checkOutDate": ahead(11)},
         "headers": bearer(w["booking"]["accessToken"])})),
    ("payment: amount is a float", 422, lambda w: (
        "post", "/v1/payments", {"json": {"reservationID": w["booking"]["reservationID"], "paymentMethod": "card",
                                          "amount": 1.5, "currency": "KRW", "paymentDetails": {}},
                                 "headers": {**bearer(w["booking"]["accessToken"]), "Idempotency-Key": "p"}})),
    ("payment: reservation id is a list", 422, lambda w: (
        "post", "/v1/payments", {"json": {"reservationID": [1], "paymentMethod": "bank_transfer",
                                          "amount": 1, "currency": "KRW"},
                                 "headers": {**bearer(w["booking"]["accessToken"]), "Idempotency-Key": "p"}})),
    ("payment: unknown reservation", 404, lambda w: (
        "post", "/v1/payments", {"json": {"reservationID": "rsv_nope", "paymentMethod": "bank_transfer",
                                          "amount": 1, "currency": "KRW"},
                                 "headers": {**bearer(w["booking"]["accessToken"]), "Idempotency-Key": "p"}})),
    ("payment: unknown id", 404, lambda w: ("get", "/v1/payments/" + "p" * 100,
                                            {"headers": bearer(w["booking"]["accessToken"])})),
    ("reservation: unknown id", 404, lambda w: ("get", "/v1/reservations/" + "r" * 100,
                                                {"headers": bearer(w["booking"]["accessToken"])})),
    ("unknown path", 404, lambda w: ("get", "/v1/nothing-here", {})),
    ("wrong method", 405, lambda w: ("patch", "/v1/reservations", {"json": {}})),
]


@pytest.mark.parametrize("name,status,build", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_4xx_and_creates_nothing(client, world, name, status, build):
    method, url, kwargs = build(world)
    before = table_counts()
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == status, (name, response.get_json())
    body = response.get_json()
    assert set(body["error"]) == {"code", "message", "fields", "requestId"}
    assert body["error"]["requestId"] == response.headers["X-Request-Id"]
    assert body["error"]["message"]
    assert table_counts() == before, name
