"""/v1/reservations through HTTP: create, replay, read, list, change, cancel."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.booking.models import BookingConflict, Reservation
from app.booking.services import change_status
from app.extensions import db
from tests.api.helpers import bearer, book, booking_body, pay_body
from tests.factories import future, inventory, make_hotel, make_room_type


def reservations() -> int:
    return db.session.scalar(select(func.count()).select_from(Reservation))


def test_booking_answers_the_documented_201_body(client, room_type):
    response = book(client, room_type, key="k-1", rooms=2)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) >= {"reservationID", "code", "status", "hotelID", "roomTypeID", "checkInDate",
                         "checkOutDate", "numberOfRooms", "totalPrice", "holdExpiresAt", "accessToken"}
    assert body["status"] == "pending" and body["hotelID"] == str(room_type.hotel_id)
    assert body["totalPrice"] == {"amount": 400_000, "currency": "KRW"}
    assert body["holdExpiresAt"].endswith("Z") and body["accessToken"].startswith("rat_")
    assert inventory(room_type, future(10)).reserved == 2


def test_same_key_and_body_replays_and_another_body_conflicts(client, room_type):
    first = book(client, room_type, key="same")
    again = book(client, room_type, key="same")
    assert again.status_code == 201 and again.get_json() == first.get_json()
    in_body = client.post("/v1/reservations", json={**booking_body(room_type), "idempotencyKey": "same"})
    assert in_body.get_json() == first.get_json()
    other = book(client, room_type, key="same", rooms=3)
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_conflict"
    assert reservations() == 1 and inventory(room_type, future(10)).reserved == 1


def test_idempotency_key_is_required(client, room_type):
    response = client.post("/v1/reservations", json=booking_body(room_type))
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"idempotencyKey"}
    assert reservations() == 0


def test_sold_out_offers_alternatives_at_top_level(client):
    hotel = make_hotel(city="Busan")
    full = make_room_type(hotel, rooms=1, name="Ocean")
    make_room_type(hotel, rooms=2, name="Garden")
    make_room_type(make_hotel(city="Busan"), rooms=1)
    assert book(client, full).status_code == 201
    response = book(client, full, key="too-late")
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"]["code"] == "sold_out" and body["error"]["fields"] == {}
    kinds = {a["kind"] for a in body["alternatives"]}
    assert {"room_type", "dates", "hotel"} <= kinds
    assert all(isinstance(a["hotelID"], str) and a["totalPrice"]["currency"] == "KRW" for a in body["alternatives"])
    assert reservations() == 1
    assert db.session.scalar(select(func.count()).select_from(BookingConflict)) == 1


def test_reservation_is_read_with_its_token_or_an_operator(client, room_type, staff):
    booking = book(client, room_type).get_json()
    url = f"/v1/reservations/{booking['reservationID']}"
    mine = client.get(url, headers=bearer(booking["accessToken"]))
    assert mine.status_code == 200
    body = mine.get_json()
    assert body["roomID"] is None and body["payments"] == [] and body["refunds"] == []
    assert body["guestInfo"]["email"] == "minji@example.com"
    assert client.get(url, headers=staff).status_code == 200
    other = book(client, room_type).get_json()
    assert client.get(url, headers=bearer(other["accessToken"])).status_code == 404
    assert client.get(url, headers=bearer("rat_forged")).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get("/v1/reservations/rsv_unknown", headers=staff).status_code == 404


def test_list_is_for_operators_with_filters_and_strict_paging(client, room_type, staff):
    book(client, room_type)
    book(client, room_type, guestInfo={"firstName": "Aiko", "lastName": "Sato", "email": "aiko@example.jp",
                                       "language": "ja"})
    assert client.get("/v1/reservations").status_code == 401
    everything = client.get("/v1/reservations", headers=staff).get_json()
    assert everything["total"] == 2 and everything["page"] == 1 and everything["pageSize"] == 20
    aiko = client.get("/v1/reservations", headers=staff, query_string={"guestEmail": "AIKO@example.jp"})
    assert [r["guestInfo"]["firstName"] for r in aiko.get_json()["results"]] == ["Aiko"]
    for args in ({"page": 0}, {"pageSize": 101}, {"pageSize": "ten"}, {"status": "lost"}, {"hotelID": "x"}):
        response = client.get("/v1/reservations", headers=staff, query_string=args)
        assert response.status_code == 422, args


def test_change_dates_moves_the_inventory(client, room_type):
    booking = book(client, room_type).get_json()
    new_in = future(20)
    response = client.put(f"/v1/reservations/{booking['reservationID']}", headers=bearer(booking["accessToken"]),
                          json={"checkInDate": new_in.isoformat(),
                                "checkOutDate": (new_in + timedelta(days=1)).isoformat()})
    assert response.status_code == 200
    assert response.get_json()["totalPrice"] == {"amount": 100_000, "currency": "KRW"}
    assert inventory(room_type, future(10)).reserved == 0 and inventory(room_type, new_in).reserved == 1


def test_change_into_full_nights_is_sold_out_and_leaves_the_booking(client, room_type):
    booking = book(client, room_type).get_json()
    for _ in range(5):
        assert book(client, room_type, check_in=future(20), nights=1).status_code == 201
    response = client.put(f"/v1/reservations/{booking['reservationID']}", headers=bearer(booking["accessToken"]),
                          json={"checkInDate": future(20).isoformat(), "checkOutDate": future(21).isoformat()})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "sold_out"
    row = db.session.scalar(select(Reservation).where(Reservation.public_id == booking["reservationID"]))
    assert row.check_in == future(10) and inventory(room_type, future(10)).reserved == 1


def test_change_refuses_unknown_fields(client, room_type):
    booking = book(client, room_type).get_json()
    response = client.put(f"/v1/reservations/{booking['reservationID']}", headers=bearer(booking["accessToken"]),
                          json={"status": "paid"})
    assert response.status_code == 422 and "status" in response.get_json()["error"]["fields"]


def test_cancel_frees_the_rooms_once(client, room_type):
    booking = book(client, room_type, rooms=2).get_json()
    url, auth = f"/v1/reservations/{booking['reservationID']}", bearer(booking["accessToken"])
    first = client.delete(url, headers=auth)
    assert first.status_code == 200 and first.get_json()["status"] == "canceled"
    assert first.get_json()["refund"] is None
    assert client.delete(url, headers=auth).status_code == 200
    assert inventory(room_type, future(10)).reserved == 0


def test_cancel_of_a_paid_booking_opens_a_refund(client, room_type):
    booking = book(client, room_type).get_json()
    auth = bearer(booking["accessToken"])
    assert client.post("/v1/payments", json=pay_body(booking), headers={**auth, "Idempotency-Key": "p"}) \
        .get_json()["status"] == "completed"
    body = client.delete(f"/v1/reservations/{booking['reservationID']}", headers=auth).get_json()
    assert body["status"] == "canceled"
    assert body["refund"]["amount"]["currency"] == "KRW" and body["refund"]["status"]


def test_checked_in_stay_cannot_be_canceled(client, room_type, staff):
    booking = book(client, room_type).get_json()
    auth = bearer(booking["accessToken"])
    client.post("/v1/payments", json=pay_body(booking), headers={**auth, "Idempotency-Key": "p"})
    reservation = db.session.scalar(select(Reservation).where(Reservation.public_id == booking["reservationID"]))
    change_status(reservation.id, "checked_in", reason="arrived")
    response = client.delete(f"/v1/reservations/{booking['reservationID']}", headers=staff)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "invalid_transition"
    assert inventory(room_type, future(10)).reserved == 1
