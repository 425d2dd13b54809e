"""Public hotel endpoints: search, hotel, room types, availability."""
from __future__ import annotations

from datetime import timedelta

from app.catalog import services as catalog
from tests.api.helpers import book
from tests.factories import future, make_hotel, make_room_type


def search(client, **args):
    params = {"location": "Seoul", "checkInDate": future(10).isoformat(),
              "checkOutDate": future(12).isoformat()}
    params.update(args)
    return client.get("/v1/hotels/search", query_string=params)


def test_search_returns_exactly_the_documented_fields(client, room_type):
    response = search(client)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"results", "page", "pageSize", "total"}
    assert (body["page"], body["pageSize"], body["total"]) == (1, 20, 1)
    [hit] = body["results"]
    assert hit == {"hotelID": str(room_type.hotel_id), "name": room_type.hotel.name, "city": "Seoul",
                   "starRating": 4, "amenities": ["WiFi"],
                   "lowestPrice": {"amount": 100_000, "currency": "KRW"}, "availableRoomTypes": 1}


def test_search_lowest_price_is_per_night_and_follows_rates(client, room_type):
    cheap = make_room_type(room_type.hotel, rooms=2, base_price=80_000)
    catalog.set_rates(cheap, future(10), future(11), 60_000)  # one of the two nights
    [hit] = search(client).get_json()["results"]
    assert hit["lowestPrice"] == {"amount": 70_000, "currency": "KRW"}
    assert hit["availableRoomTypes"] == 2


def test_search_leaves_out_hotels_sold_out_on_any_night(client, room_type):
    other = make_room_type(make_hotel(city="Seoul", name="Other"), rooms=1)
    assert book(client, other, check_in=future(11), nights=1).status_code == 201
    ids = [h["hotelID"] for h in search(client).get_json()["results"]]
    assert ids == [str(room_type.hotel_id)]


def test_search_pages_without_clamping(client, room_type):
    for _ in range(2):
        make_room_type(make_hotel(city="Seoul"), rooms=1)
    body = search(client, page=2, pageSize=2).get_json()
    assert (body["page"], body["pageSize"], body["total"], len(body["results"])) == (2, 2, 3, 1)
    assert search(client, pageSize=101).status_code == 422
    assert search(client, page=0).status_code == 422


def test_hotel_detail_has_the_documented_fields_and_string_id(client):
    hotel = make_hotel(latitude=37.5826, longitude=126.9836, description="By the palace")
    body = client.get(f"/v1/hotels/{hotel.id}").get_json()
    assert {"hotelID", "name", "address", "city", "country", "latitude", "longitude", "starRating",
            "description", "amenities", "timezone", "checkInTime", "checkOutTime"} <= set(body)
    assert body["hotelID"] == str(hotel.id)
    assert (body["latitude"], body["longitude"]) == (37.5826, 126.9836)
    assert (body["checkInTime"], body["checkOutTime"], body["timezone"]) == ("15:00", "11:00", "Asia/Seoul")


def test_unknown_or_malformed_hotel_ids_are_not_found(client):
    for hotel_id in ("999999", "abc", "0", "-1", "1.5", "9" * 30):
        response = client.get(f"/v1/hotels/{hotel_id}")
        assert response.status_code == 404, hotel_id
        assert response.get_json()["error"]["code"] == "not_found"


def test_room_types_list_active_ones_with_money_and_ratio(client, room_type, manager):
    closed = make_room_type(room_type.hotel, rooms=1, name="Closed")
    catalog.deactivate_room_type(closed)
    body = client.get(f"/v1/hotels/{room_type.hotel_id}/room-types").get_json()
    assert [rt["roomTypeID"] for rt in body] == [str(room_type.id)]
    assert body[0]["basePrice"] == {"amount": 100_000, "currency": "KRW"}
    assert body[0]["overbookingRatio"] == 1.1
    assert {"roomTypeID", "name", "description", "maxOccupancy", "bedType", "sizeSqm", "amenities",
            "basePrice"} <= set(body[0])
    as_operator = client.get(f"/v1/hotels/{room_type.hotel_id}/room-types", headers=manager).get_json()
    assert [rt["roomTypeID"] for rt in as_operator] == [str(room_type.id), str(closed.id)]


def test_availability_per_night_with_rates_and_bookings(client, room_type):
    start = future(10)
    catalog.set_rates(room_type, start + timedelta(days=1), start + timedelta(days=2), 150_000)
    assert book(client, room_type, check_in=start, nights=1, rooms=2).status_code == 201
    response = client.get(f"/v1/hotels/{room_type.hotel_id}/availability", query_string={
        "checkInDate": start.isoformat(), "checkOutDate": (start + timedelta(days=3)).isoformat()})
    assert response.status_code == 200
    [entry] = response.get_json()["roomTypes"]
    assert entry["roomTypeID"] == str(room_type.id)
    assert entry["available"] == 3
    assert entry["totalPrice"] == {"amount": 350_000, "currency": "KRW"}
    assert entry["nights"] == [
        {"date": start.isoformat(), "available": 3, "price": {"amount": 100_000, "currency": "KRW"}},
        {"date": (start + timedelta(days=1)).isoformat(), "available": 5,
         "price": {"amount": 150_000, "currency": "KRW"}},
        {"date": (start + timedelta(days=2)).isoformat(), "available": 5,
         "price": {"amount": 100_000, "currency": "KRW"}},
    ]


def test_availability_of_one_room_type_and_of_another_hotels_type(client, room_type):
    second = make_room_type(room_type.hotel, rooms=1)
    foreign = make_room_type(make_hotel(), rooms=1)
    url = f"/v1/hotels/{room_type.hotel_id}/availability"
    dates = {"checkInDate": future(10).isoformat(), "checkOutDate": future(11).isoformat()}
    only = client.get(url, query_string={**dates, "roomTypeID": str(second.id)}).get_json()
    assert [e["roomTypeID"] for e in only["roomTypes"]] == [str(second.id)]
    assert client.get(url, query_string={**dates, "roomTypeID": str(foreign.id)}).status_code == 404
    assert client.get(url, query_string={**dates, "roomTypeID": "x"}).status_code == 422


def test_availability_checks_the_dates(client, room_type):
    url = f"/v1/hotels/{room_type.hotel_id}/availability"
    cases = [({}, {"checkInDate", "checkOutDate"}),
             ({"checkInDate": future(5).isoformat(), "checkOutDate": future(5).isoformat()}, {"checkOutDate"}),
             ({"checkInDate": future(-2).isoformat(), "checkOutDate": future(1).isoformat()}, {"checkInDate"}),
             ({"checkInDate": future(1).isoformat(), "checkOutDate": future(32).isoformat()}, {"checkOutDate"}),
             ({"checkInDate": "2030-02-30", "checkOutDate": "soon"}, {"checkInDate", "checkOutDate"})]
    for args, fields in cases:
        response = client.get(url, query_string=args)
        assert response.status_code == 422, args
        assert set(response.get_json()["error"]["fields"]) == fields, args


def test_inactive_hotel_shows_nothing_available(client, room_type):
    catalog.deactivate_hotel(room_type.hotel, "closed")
    body = client.get(f"/v1/hotels/{room_type.hotel_id}/availability", query_string={
        "checkInDate": future(10).isoformat(), "checkOutDate": future(11).isoformat()}).get_json()
    assert body["roomTypes"][0]["available"] == 0
    assert client.get(f"/v1/hotels/{room_type.hotel_id}").get_json()["status"] == "inactive"
    assert search(client).get_json()["total"] == 0
