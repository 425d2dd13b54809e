"""Operator catalog endpoints: hotels, room types, rooms, rates."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.api.catalog import REQUIRED_ROLE
from app.catalog.models import Hotel, Rate, Room, RoomType
from app.core.audit import AuditEvent
from app.extensions import db
from tests.api.helpers import book
from tests.factories import future, inventory, make_hotel, make_room_type

HOTEL = {"name": "Hanok Stay", "city": "Seoul", "address": "1 Bukchon-ro", "country": "KR",
         "latitude": 37.58, "longitude": 126.98, "starRating": 4, "description": "Quiet",
         "amenities": ["WiFi", "Breakfast"], "timezone": "Asia/Seoul", "checkInTime": "15:00",
         "checkOutTime": "11:00"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def create_room_type(client, hotel_id, headers, **fields):
    body = {"name": "Twin", "maxOccupancy": 2, "basePrice": {"amount": 120_000, "currency": "KRW"}}
    body.update(fields)
    return client.post(f"/v1/hotels/{hotel_id}/room-types", json=body, headers=headers)


def add_rooms(client, room_type_id, hotel_id, headers, n):
    for i in range(n):
        response = client.post(f"/v1/hotels/{hotel_id}/rooms", headers=headers,
                               json={"roomTypeID": room_type_id, "roomNumber": f"{room_type_id}-{i}", "floor": 2})
        assert response.status_code == 201, response.get_json()


def test_manager_creates_updates_and_deactivates_a_hotel(client, manager):
    created = client.post("/v1/hotels", json=HOTEL, headers=manager)
    assert created.status_code == 201
    body = created.get_json()
    assert body["hotelID"].isdigit() and created.headers["Location"] == f"/v1/hotels/{body['hotelID']}"
    assert {k: body[k] for k in HOTEL} == HOTEL
    updated = client.put(f"/v1/hotels/{body['hotelID']}", json={"starRating": 5, "checkInTime": "14:00"},
                         headers=manager).get_json()
    assert (updated["starRating"], updated["checkInTime"], updated["name"]) == (5, "14:00", "Hanok Stay")
    gone = client.delete(f"/v1/hotels/{body['hotelID']}", json={"reason": "Renovation"}, headers=manager)
    assert gone.status_code == 200 and gone.get_json()["status"] == "inactive"
    again = client.delete(f"/v1/hotels/{body['hotelID']}", headers=manager)
    assert again.status_code == 200
    hotel = db.session.get(Hotel, int(body["hotelID"]))
    assert hotel.deactivation_reason == "Renovation"
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "hotel",
                                                                 AuditEvent.entity_id == body["hotelID"])).all()
    assert actions == ["hotel.created", "hotel.updated", "hotel.deactivated"]


def test_deactivated_hotel_keeps_bookings_but_takes_no_new_ones(client, manager, room_type):
    assert book(client, room_type).status_code == 201
    client.delete(f"/v1/hotels/{room_type.hotel_id}", headers=manager)
    refused = book(client, room_type)
    assert refused.status_code == 422 and "hotelID" in refused.get_json()["error"]["fields"]
    listed = client.get("/v1/reservations", headers=manager, query_string={"hotelID": room_type.hotel_id})
    assert listed.get_json()["total"] == 1


def test_hotel_body_is_checked_field_by_field(client, manager):
    bad = {"name": "", "city": 7, "starRating": 6, "latitude": "37.5", "timezone": "Mars/Base",
           "checkInTime": "3pm", "currency": "won", "amenities": "WiFi", "rooms": 3, "hotelID": "9"}
    response = client.post("/v1/hotels", json=bad, headers=manager)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {
        "name", "city", "starRating", "latitude", "timezone", "checkInTime", "currency", "amenities", "rooms",
        "hotelID"}
    assert count(Hotel) == 0


def test_hotel_currency_cannot_change(client, manager):
    hotel = make_hotel(currency="KRW")
    response = client.put(f"/v1/hotels/{hotel.id}", json={"currency": "JPY"}, headers=manager)
    assert response.status_code == 422 and "currency" in response.get_json()["error"]["fields"]


def test_room_type_default_ratio_caps_five_rooms_at_five(client, manager):
    hotel = make_hotel()
    created = create_room_type(client, hotel.id, manager)
    assert created.status_code == 201
    rt = created.get_json()
    assert rt["overbookingRatio"] == 1.1 and rt["basePrice"] == {"amount": 120_000, "currency": "KRW"}
    add_rooms(client, rt["roomTypeID"], hotel.id, manager, 5)
    room_type = db.session.get(RoomType, int(rt["roomTypeID"]))
    assert room_type.overbooking_percent == 110
    night = inventory(room_type, future(10))
    assert night.total == 5 and night.cap(room_type.overbooking_percent) == 5


def test_room_type_ratio_becomes_a_whole_percent(client, manager):
    hotel = make_hotel()
    rt = create_room_type(client, hotel.id, manager, overbookingRatio=1.2).get_json()
    add_rooms(client, rt["roomTypeID"], hotel.id, manager, 10)
    room_type = db.session.get(RoomType, int(rt["roomTypeID"]))
    assert room_type.overbooking_percent == 120
    assert inventory(room_type, future(3)).cap(120) == 12
    updated = client.put(f"/v1/hotels/{hotel.id}/room-types/{rt['roomTypeID']}", json={"overbookingRatio": 1},
                         headers=manager)
    assert updated.status_code == 200 and updated.get_json()["overbookingRatio"] == 1.0


@pytest.mark.parametrize("ratio", [0.9, 2.5, 1.105, "1.10", True, None])
def test_bad_overbooking_ratios_are_refused(client, manager, ratio):
    hotel = make_hotel()
    response = create_room_type(client, hotel.id, manager, overbookingRatio=ratio)
    assert response.status_code == 422
    assert "overbookingRatio" in response.get_json()["error"]["fields"]
    assert count(RoomType) == 0


@pytest.mark.parametrize("price,field", [
    ({"amount": 120000.0, "currency": "KRW"}, "basePrice.amount"),
    ({"amount": "120000", "currency": "KRW"}, "basePrice.amount"),
    ({"amount": 120000, "currency": "USD"}, "basePrice.currency"),
    ({"amount": -1, "currency": "KRW"}, "basePrice.amount"),
    (120000, "basePrice"),
    ("120000", "basePrice"),
    ({"amount": 120000}, "basePrice"),
])
def test_money_must_be_whole_minor_units_in_the_hotels_currency(client, manager, price, field):
    hotel = make_hotel()
    response = create_room_type(client, hotel.id, manager, basePrice=price)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert count(RoomType) == 0


def test_room_type_of_another_hotel_is_not_found(client, manager):
    mine, theirs = make_hotel(), make_room_type(rooms=1)
    url = f"/v1/hotels/{mine.id}/room-types/{theirs.id}"
    assert client.put(url, json={"name": "Mine now"}, headers=manager).status_code == 404
    assert client.delete(url, headers=manager).status_code == 404
    assert client.put(url + "/rates", headers=manager, json={
        "from": future(1).isoformat(), "to": future(2).isoformat(),
        "price": {"amount": 1, "currency": "KRW"}}).status_code == 404
    response = client.post(f"/v1/hotels/{mine.id}/rooms", headers=manager,
                           json={"roomTypeID": str(theirs.id), "roomNumber": "101"})
    assert response.status_code == 404 and "roomTypeID" in response.get_json()["error"]["fields"]
    db.session.refresh(theirs)
    assert theirs.name != "Mine now" and theirs.active


def test_deactivated_room_type_takes_no_bookings(client, manager, room_type):
    url = f"/v1/hotels/{room_type.hotel_id}/room-types/{room_type.id}"
    assert client.delete(url, headers=manager).get_json()["active"] is False
    assert client.delete(url, headers=manager).status_code == 200
    assert book(client, room_type).status_code == 422


def test_inventory_follows_rooms_added_changed_and_removed(client, manager, staff):
    hotel = make_hotel()
    rt = create_room_type(client, hotel.id, manager).get_json()
    add_rooms(client, rt["roomTypeID"], hotel.id, manager, 3)
    room_type = db.session.get(RoomType, int(rt["roomTypeID"]))
    night = future(4)
    assert inventory(room_type, night).total == 3
    room = db.session.scalars(select(Room).where(Room.room_type_id == room_type.id).order_by(Room.id)).first()
    url = f"/v1/hotels/{hotel.id}/rooms/{room.id}"
    fetched = client.get(url, headers=staff).get_json()
    assert fetched == {"roomID": str(room.id), "hotelID": str(hotel.id), "roomTypeID": rt["roomTypeID"],
                       "roomNumber": room.room_number, "floor": 2, "status": "available", "active": True}
    assert client.put(url, json={"status": "maintenance"}, headers=staff).get_json()["status"] == "maintenance"
    assert inventory(room_type, night).total == 2
    assert client.put(url, json={"status": "cleaning"}, headers=staff).status_code == 200
    assert inventory(room_type, night).total == 3
    removed = client.delete(url, headers=manager)
    assert removed.status_code == 200 and removed.get_json()["active"] is False
    assert inventory(room_type, night).total == 2
    assert client.delete(url, headers=manager).status_code == 200
    assert inventory(room_type, night).total == 2
    assert client.put(url, json={"floor": 3}, headers=staff).status_code == 409


def test_moving_a_room_to_another_type_moves_its_inventory(client, manager):
    a = make_room_type(rooms=2)
    b = make_room_type(a.hotel, rooms=1)
    room = a.rooms[0]
    response = client.put(f"/v1/hotels/{a.hotel_id}/rooms/{room.id}", json={"roomTypeID": str(b.id)},
                          headers=manager)
    assert response.status_code == 200
    assert (inventory(a, future(3)).total, inventory(b, future(3)).total) == (1, 2)


def test_room_body_errors_use_api_field_names(client, manager, room_type):
    url = f"/v1/hotels/{room_type.hotel_id}/rooms"
    taken = room_type.rooms[0].room_number
    response = client.post(url, json={"roomTypeID": str(room_type.id), "roomNumber": taken}, headers=manager)
    assert response.status_code == 422 and set(response.get_json()["error"]["fields"]) == {"roomNumber"}
    response = client.post(url, json={"roomTypeID": str(room_type.id), "roomNumber": "x", "floor": "2",
                                      "status": "dirty"}, headers=manager)
    assert set(response.get_json()["error"]["fields"]) == {"floor", "status"}
    response = client.post(url, json={}, headers=manager)
    assert set(response.get_json()["error"]["fields"]) == {"roomTypeID", "roomNumber"}


def test_rates_price_the_given_weekdays_of_the_range(client, manager, room_type):
    start = future(7)
    end = start + timedelta(days=14)
    response = client.put(f"/v1/hotels/{room_type.hotel_id}/room-types/{room_type.id}/rates", headers=manager,
                          json={"from": start.isoformat(), "to": end.isoformat(),
                                "price": {"amount": 180_000, "currency": "KRW"}, "weekdays": [4, 5]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["nightsPriced"] == 4 and body["weekdays"] == [4, 5]
    nights = db.session.scalars(select(Rate.night).where(Rate.room_type_id == room_type.id)).all()
    assert len(nights) == 4 and all(n.weekday() in (4, 5) and start <= n < end for n in nights)


@pytest.mark.parametrize("body,fields", [
    ({"from": "2030-01-05", "to": "2030-01-05", "price": {"amount": 1, "currency": "KRW"}}, {"to"}),
    ({"from": "yesterday", "to": "2030-01-05", "price": {"amount": 1, "currency": "KRW"}}, {"from"}),
    ({"from": "2030-01-01", "to": "2030-01-05", "price": {"amount": 1.5, "currency": "KRW"}}, {"price.amount"}),
    ({"from": "2030-01-01", "to": "2030-01-05", "price": {"amount": 1, "currency": "KRW"}, "weekdays": [7]},
     {"weekdays"}),
    ({"from": "2030-01-01", "to": "2030-01-05", "price": {"amount": 1, "currency": "KRW"}, "weekdays": "mon"},
     {"weekdays"}),
    ({"from": "2030-01-01", "to": "2030-01-05", "price": {"amount": 1, "currency": "KRW"}, "days": [1]},
     {"days"}),
    ({}, {"from", "to", "price"}),
])
def test_bad_rates_change_nothing(client, manager, room_type, body, fields):
    response = client.put(f"/v1/hotels/{room_type.hotel_id}/room-types/{room_type.id}/rates", json=body,
                          headers=manager)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields
    assert count(Rate) == 0


def test_catalog_changes_need_a_manager_token(client, staff, room_type):
    assert REQUIRED_ROLE["hotels.write"] == "manager"
    hotel_id = room_type.hotel_id
    calls = [("post", "/v1/hotels", HOTEL),
             ("put", f"/v1/hotels/{hotel_id}", {"name": "X"}),
             ("delete", f"/v1/hotels/{hotel_id}", None),
             ("post", f"/v1/hotels/{hotel_id}/room-types", {"name": "X"}),
             ("put", f"/v1/hotels/{hotel_id}/room-types/{room_type.id}", {"name": "X"}),
             ("delete", f"/v1/hotels/{hotel_id}/room-types/{room_type.id}", None),
             ("put", f"/v1/hotels/{hotel_id}/room-types/{room_type.id}/rates", {}),
             ("post", f"/v1/hotels/{hotel_id}/rooms", {"roomTypeID": str(room_type.id), "roomNumber": "9"}),
             ("delete", f"/v1/hotels/{hotel_id}/rooms/{room_type.rooms[0].id}", None)]
    for method, url, body in calls:
        forbidden = getattr(client, method)(url, json=body, headers=staff)
        assert forbidden.status_code == 403, (method, url)
        assert forbidden.get_json()["error"]["code"] == "forbidden"
        anonymous = getattr(client, method)(url, json=body)
        assert anonymous.status_code == 401, (method, url)
    assert count(Hotel) == 1 and count(RoomType) == 1 and count(Room) == 5
