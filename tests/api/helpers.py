"""Helpers for the /v1 API tests: request bodies and headers."""
from __future__ import annotations

import uuid
from datetime import timedelta

from tests.factories import future

APPROVE = "4242424242424242"
DECLINE = "4000000000000002"
TIMEOUT_CHARGED = "4000000000003220"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def booking_body(room_type, *, check_in=None, nights: int = 2, rooms: int = 1, **overrides) -> dict:
    """A valid POST /v1/reservations body for `room_type`."""
    check_in = check_in or future(10)
    body = {
        "hotelID": str(room_type.hotel_id), "roomTypeID": str(room_type.id),
        "checkInDate": check_in.isoformat(), "checkOutDate": (check_in + timedelta(days=nights)).isoformat(),
        "numberOfRooms": rooms, "numberOfGuests": rooms,
        "guestInfo": {"firstName": "Minji", "lastName": "Kim", "email": "minji@example.com",
                      "phone": "+82 10-1234-5678", "language": "ko"},
        "specialRequests": "", "paymentMethod": "card",
    }
    body.update(overrides)
    return body


def book(client, room_type, key: str | None = None, **kwargs):
    """POST /v1/reservations; returns the response."""
    return client.post("/v1/reservations", json=booking_body(room_type, **kwargs),
                       headers={"Idempotency-Key": key or str(uuid.uuid4())})


def card_details(number: str = APPROVE, **overrides) -> dict:
    details = {"cardNumber": number, "expMonth": 12, "expYear": 2099, "cvc": "123", "holderName": "Minji Kim"}
    details.update(overrides)
    return details


def pay_body(reservation_body: dict, method: str = "card", number: str = APPROVE, **overrides) -> dict:
    body = {"reservationID": reservation_body["reservationID"], "paymentMethod": method,
            "amount": reservation_body["totalPrice"]["amount"],
            "currency": reservation_body["totalPrice"]["currency"]}
    if method == "card":
        body["paymentDetails"] = card_details(number)
    body.update(overrides)
    return body
