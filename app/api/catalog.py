"""Operator endpoints for the catalog: hotels, room types, rooms and rates.

Thin: check the token's role → parse and check the body (every bad field
reported at once, 422) → call one catalog service → serialize. Unknown
fields are refused rather than ignored, so a typo never silently does nothing.

Who may do what (app.auth.roles): managers shape the catalog (hotels, room
types, prices, adding and removing rooms); staff may read rooms and change a
room's status day to day (cleaning, maintenance).
"""
from __future__ import annotations

import functools
import re
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from zoneinfo import available_timezones

from flask import g, jsonify, request, url_for
from flask_babel import lazy_gettext as _l

from app.api import bp
from app.api.auth import require_operator
from app.api.common import (
    field_date,
    field_id,
    field_int,
    field_money,
    field_names,
    field_number,
    field_text,
    field_time,
    json_body,
    reject_unknown,
)
from app.api.hotels import hotel_body, load_hotel, load_room, load_room_type, room_body, room_type_body
from app.catalog import services as catalog
from app.catalog.models import Hotel, RoomType
from app.catalog.policies import ratio_to_percent
from app.catalog.states import HotelStatus, RoomStatus
from app.core import clock
from app.core.errors import IllegalTransition, NotFound, ValidationFailed
from app.extensions import db

#: Who may call each kind of catalog change (one table, read by the endpoints and the tests).
REQUIRED_ROLE = {
    "hotels.write": "manager",
    "room_types.write": "manager",
    "rates.write": "manager",
    "rooms.add_remove": "manager",
    "rooms.read_update": "staff",
}

# API field → service keyword, per resource.
HOTEL_FIELDS = {"name": "name", "address": "address", "city": "city", "country": "country",
                "latitude": "latitude", "longitude": "longitude", "starRating": "star_rating",
                "description": "description", "amenities": "amenities", "timezone": "timezone",
                "checkInTime": "check_in_time", "checkOutTime": "check_out_time", "currency": "currency"}
ROOM_TYPE_FIELDS = {"name": "name", "description": "description", "maxOccupancy": "max_occupancy",
                    "bedType": "bed_type", "sizeSqm": "size_sqm", "amenities": "amenities",
                    "basePrice": "base_price", "overbookingRatio": "overbooking_percent"}
ROOM_FIELDS = {"roomTypeID": "room_type_id", "roomNumber": "room_number", "floor": "floor", "status": "status"}
RATE_FIELDS = {"from", "to", "price", "weekdays"}


@functools.lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@contextmanager
def api_field_names(mapping: dict[str, str]):
    """Report a service's ValidationFailed under the API's field names."""
    try:
        yield
    except ValidationFailed as exc:
        reverse = {service: api for api, service in mapping.items()}
        exc.fields = {reverse.get(k, k): v for k, v in exc.fields.items()}
        raise


def _actor():
    return g.actor


# --- hotels -------------------------------------------------------------------------------

def parse_hotel(data: dict[str, Any], hotel: Hotel | None = None) -> dict[str, Any]:
    """Service keywords from a hotel body (all fields on create, some on update)."""
    creating = hotel is None
    errors: dict[str, Any] = {}
    reject_unknown(data, set(HOTEL_FIELDS), errors, read_only={"hotelID", "status"})
    values: dict[str, Any] = {}
    if creating or "name" in data:
        values["name"] = field_text(data.get("name"), "name", errors, limit=200, required=True)
    if creating or "city" in data:
        values["city"] = field_text(data.get("city"), "city", errors, limit=100, required=True)
    if "address" in data:
        values["address"] = field_text(data["address"], "address", errors, limit=300)
    if "description" in data:
        values["description"] = field_text(data["description"], "description", errors, limit=5000)
    if "country" in data:
        if isinstance(data["country"], str) and re.fullmatch(r"[A-Z]{2}", data["country"]):
            values["country"] = data["country"]
        else:
            errors["country"] = _l("A 2-letter country code such as KR.")
    for name, bound in (("latitude", 90), ("longitude", 180)):
        if name in data:
            number = field_number(data[name], name, errors, low=-bound, high=bound, nullable=True)
            values[name] = None if number is None else Decimal(str(number)).quantize(Decimal("0.000001"))
    if "starRating" in data:
        values["star_rating"] = field_int(data["starRating"], "starRating", errors, low=0, high=5)
    if "amenities" in data:
        values["amenities"] = field_names(data["amenities"], "amenities", errors)
    if "timezone" in data:
        if isinstance(data["timezone"], str) and data["timezone"] in _time_zones():
            values["timezone"] = data["timezone"]
        else:
            errors["timezone"] = _l("A time zone such as Asia/Seoul.")
    for api_name in ("checkInTime", "checkOutTime"):
        if api_name in data:
            values[HOTEL_FIELDS[api_name]] = field_time(data[api_name], api_name, errors)
    if "currency" in data:
        currency = data["currency"]
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            errors["currency"] = _l("A 3-letter currency code such as KRW.")
        elif not creating and currency != hotel.currency:
            errors["currency"] = _l("A hotel's currency cannot be changed once it exists.")
        else:
            values["currency"] = currency
    if errors:
        raise ValidationFailed(fields=errors)
    return values


@bp.post("/hotels")
def create_hotel_endpoint():
    require_operator(REQUIRED_ROLE["hotels.write"])
    values = parse_hotel(json_body())
    with api_field_names(HOTEL_FIELDS):
        hotel = catalog.create_hotel(actor=_actor(), **values)
    response = jsonify(hotel_body(hotel))
    response.headers["Location"] = url_for("api.get_hotel_endpoint", hotel_id=str(hotel.id))
    return response, 201


@bp.put("/hotels/<hotel_id>")
def update_hotel_endpoint(hotel_id: str):
    require_operator(REQUIRED_ROLE["hotels.write"])
    hotel = load_hotel(hotel_id)
    values = parse_hotel(json_body(), hotel)
    with api_field_names(HOTEL_FIELDS):
        hotel = catalog.update_hotel(hotel, actor=_actor(), **values)
    return jsonify(hotel_body(hotel))


def _optional_reason() -> str | None:
    """DELETE may carry `{"reason": "…"}`; an empty body is fine."""
    if not request.get_data(cache=True):
        return None
    data = json_body()
    errors: dict[str, Any] = {}
    reject_unknown(data, {"reason"}, errors)
    reason = field_text(data.get("reason"), "reason", errors, limit=500, nullable=True)
    if errors:
        raise ValidationFailed(fields=errors)
    return reason or None


@bp.delete("/hotels/<hotel_id>")
def deactivate_hotel_endpoint(hotel_id: str):
    """Soft delete: no new bookings, existing ones kept. Safe to repeat."""
    require_operator(REQUIRED_ROLE["hotels.write"])
    hotel = load_hotel(hotel_id)
    reason = _optional_reason() or "Deactivated through the API"
    if hotel.status != HotelStatus.INACTIVE:
        hotel = catalog.deactivate_hotel(hotel, reason, actor=_actor())
    return jsonify(hotel_body(hotel))


# --- room types -------------------------------------------------------------------------------

def parse_room_type(data: dict[str, Any], hotel: Hotel, room_type: RoomType | None = None) -> dict[str, Any]:
    creating = room_type is None
    errors: dict[str, Any] = {}
    reject_unknown(data, set(ROOM_TYPE_FIELDS), errors, read_only={"roomTypeID", "hotelID", "active"})
    values: dict[str, Any] = {}
    if creating or "name" in data:
        values["name"] = field_text(data.get("name"), "name", errors, limit=100, required=True)
    if "description" in data:
        values["description"] = field_text(data["description"], "description", errors, limit=5000)
    if "maxOccupancy" in data:
        values["max_occupancy"] = field_int(data["maxOccupancy"], "maxOccupancy", errors, low=1, high=20)
    if "bedType" in data:
        values["bed_type"] = field_text(data["bedType"], "bedType", errors, limit=40)
    if "sizeSqm" in data:
        values["size_sqm"] = field_int(data["sizeSqm"], "sizeSqm", errors, low=1, high=10_000, nullable=True)
    if "amenities" in data:
        values["amenities"] = field_names(data["amenities"], "amenities", errors)
    if creating or "basePrice" in data:
        if "basePrice" not in data:
            errors["basePrice"] = _l("Required.")
        else:
            values["base_price"] = field_money(data["basePrice"], "basePrice", errors, currency=hotel.currency)
    if "overbookingRatio" in data:
        ratio = data["overbookingRatio"]
        try:
            if isinstance(ratio, bool) or not isinstance(ratio, (int, float)):
                raise ValueError("not a number")
            values["overbooking_percent"] = ratio_to_percent(ratio)
        except ValueError:
            errors["overbookingRatio"] = _l("A number from 1.00 to 2.00 with at most two decimals (1.10 = 110 %).")
    if errors:
        raise ValidationFailed(fields=errors)
    return values


@bp.post("/hotels/<hotel_id>/room-types")
def create_room_type_endpoint(hotel_id: str):
    require_operator(REQUIRED_ROLE["room_types.write"])
    hotel = load_hotel(hotel_id)
    values = parse_room_type(json_body(), hotel)
    with api_field_names(ROOM_TYPE_FIELDS):
        room_type = catalog.create_room_type(hotel, actor=_actor(), **values)
    response = jsonify(room_type_body(room_type))
    response.headers["Location"] = url_for("api.list_room_types_endpoint", hotel_id=str(hotel.id))
    return response, 201


@bp.put("/hotels/<hotel_id>/room-types/<room_type_id>")
def update_room_type_endpoint(hotel_id: str, room_type_id: str):
    require_operator(REQUIRED_ROLE["room_types.write"])
    hotel = load_hotel(hotel_id)
    room_type = load_room_type(hotel, room_type_id)
    values = parse_room_type(json_body(), hotel, room_type)
    with api_field_names(ROOM_TYPE_FIELDS):
        room_type = catalog.update_room_type(room_type, actor=_actor(), **values)
    return jsonify(room_type_body(room_type))


@bp.delete("/hotels/<hotel_id>/room-types/<room_type_id>")
def deactivate_room_type_endpoint(hotel_id: str, room_type_id: str):
    """No new bookings of this type; existing ones kept. Safe to repeat."""
    require_operator(REQUIRED_ROLE["room_types.write"])
    room_type = load_room_type(load_hotel(hotel_id), room_type_id)
    if room_type.active:
        room_type = catalog.deactivate_room_type(room_type, actor=_actor())
    return jsonify(room_type_body(room_type))


@bp.put("/hotels/<hotel_id>/room-types/<room_type_id>/rates")
def set_rates_endpoint(hotel_id: str, room_type_id: str):
    """Price the nights [from, to) (optionally only some weekdays, Monday = 0)."""
    require_operator(REQUIRED_ROLE["rates.write"])
    hotel = load_hotel(hotel_id)
    room_type = load_room_type(hotel, room_type_id)
    data = json_body()
    errors: dict[str, Any] = {}
    reject_unknown(data, RATE_FIELDS, errors)
    start = field_date(data.get("from"), "from", errors)
    end = field_date(data.get("to"), "to", errors)
    price = field_money(data.get("price"), "price", errors, currency=hotel.currency)
    weekdays = data.get("weekdays")
    if weekdays is not None and (not isinstance(weekdays, list) or not weekdays or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in weekdays)):
        errors["weekdays"] = _l("Days of the week as numbers from 0 (Monday) to 6 (Sunday).")
    if start and end:
        if end <= start:
            errors["to"] = _l("Must be after `from` (the last night priced is the day before `to`).")
        if start < clock.local_today(hotel.timezone):
            errors["from"] = _l("Past nights cannot be priced.")
    if errors:
        raise ValidationFailed(fields=errors)
    weekdays = sorted(set(weekdays)) if weekdays is not None else None
    with api_field_names({"from": "from", "to": "to", "price": "price", "weekdays": "weekdays"}):
        priced = catalog.set_rates(room_type, start, end, price, weekdays, actor=_actor())
    return jsonify({"roomTypeID": str(room_type.id), "from": start.isoformat(), "to": end.isoformat(),
                    "price": {"amount": price, "currency": hotel.currency},
                    "weekdays": weekdays if weekdays is not None else list(range(7)),
                    "nightsPriced": priced})


# --- rooms --------------------------------------------------------------------------------------

def parse_room(data: dict[str, Any], hotel: Hotel, creating: bool) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    reject_unknown(data, set(ROOM_FIELDS), errors, read_only={"roomID", "hotelID", "active"})
    values: dict[str, Any] = {}
    if creating or "roomTypeID" in data:
        values["room_type_id"] = field_id(data.get("roomTypeID"), "roomTypeID", errors)
    if creating or "roomNumber" in data:
        values["room_number"] = field_text(data.get("roomNumber"), "roomNumber", errors, limit=20, required=True)
    if "floor" in data:
        values["floor"] = field_int(data["floor"], "floor", errors, low=-10, high=200)
    if "status" in data:
        if isinstance(data["status"], str) and data["status"] in set(RoomStatus):
            values["status"] = RoomStatus(data["status"]).value
        else:
            errors["status"] = _l("One of available, occupied, maintenance, cleaning.")
    if errors:
        raise ValidationFailed(fields=errors)
    if "room_type_id" in values:
        room_type = db.session.get(RoomType, values["room_type_id"])
        if room_type is None or room_type.hotel_id != hotel.id:
            raise NotFound(_l("This hotel has no room type with this id."),
                           fields={"roomTypeID": _l("Not a room type of this hotel.")})
    return values


@bp.post("/hotels/<hotel_id>/rooms")
def create_room_endpoint(hotel_id: str):
    """Add a room; its room type's inventory grows by one from today on."""
    require_operator(REQUIRED_ROLE["rooms.add_remove"])
    hotel = load_hotel(hotel_id)
    values = parse_room(json_body(), hotel, creating=True)
    with api_field_names(ROOM_FIELDS):
        room = catalog.create_room(hotel, actor=_actor(), **values)
    response = jsonify(room_body(room))
    response.headers["Location"] = url_for("api.get_room_endpoint", hotel_id=str(hotel.id), room_id=str(room.id))
    return response, 201


@bp.get("/hotels/<hotel_id>/rooms/<room_id>")
def get_room_endpoint(hotel_id: str, room_id: str):
    require_operator(REQUIRED_ROLE["rooms.read_update"])
    return jsonify(room_body(load_room(load_hotel(hotel_id), room_id)))


@bp.put("/hotels/<hotel_id>/rooms/<room_id>")
def update_room_endpoint(hotel_id: str, room_id: str):
    """Change number, floor, status or type; inventory totals follow."""
    require_operator(REQUIRED_ROLE["rooms.read_update"])
    hotel = load_hotel(hotel_id)
    room = load_room(hotel, room_id)
    values = parse_room(json_body(), hotel, creating=False)
    if "room_type_id" in values and values["room_type_id"] != room.room_type_id:
        require_operator(REQUIRED_ROLE["rooms.add_remove"])  # moves a room between inventories
    if not room.active:
        raise IllegalTransition(_l("This room was removed from the hotel and cannot be changed."))
    with api_field_names(ROOM_FIELDS):
        room = catalog.update_room(room, actor=_actor(), **values)
    return jsonify(room_body(room))


@bp.delete("/hotels/<hotel_id>/rooms/<room_id>")
def remove_room_endpoint(hotel_id: str, room_id: str):
    """Take a room out (kept for history); inventory shrinks. Safe to repeat."""
    require_operator(REQUIRED_ROLE["rooms.add_remove"])
    room = load_room(load_hotel(hotel_id), room_id)
    if room.active:
        catalog.remove_room(room, actor=_actor())
    return jsonify(room_body(room))
