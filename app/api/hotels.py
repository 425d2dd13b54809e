"""Public hotel endpoints: search, a hotel, its room types, its availability.

Ids are strings in JSON ("3"); money is `{"amount": int, "currency": "KRW"}`.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, g, jsonify, request
from flask_babel import lazy_gettext as _l

from app.api import bp
from app.api.common import field_date, field_id, path_id
from app.booking.queries import availability_by_room_type, money, nightly_prices
from app.booking.search import parse_search_args, search_hotels
from app.catalog.models import Hotel, Room, RoomType
from app.catalog.policies import percent_to_ratio
from app.core import clock
from app.catalog.i18n import current_language, localized_description, localized_name
from app.core.errors import NotFound, ValidationFailed
from app.core.replica import reading_session, replica_reads
from app.extensions import db


# --- representations --------------------------------------------------------------

def hotel_body(hotel: Hotel, language: str | None = None) -> dict[str, Any]:
    """GET /v1/hotels/{hotelID}; with `language`, name and description in it (Accept-Language)."""
    return {
        "hotelID": str(hotel.id),
        "name": localized_name(hotel, language) if language else hotel.name,
        "address": hotel.address,
        "city": hotel.city,
        "country": hotel.country,
        "latitude": float(hotel.latitude) if hotel.latitude is not None else None,
        "longitude": float(hotel.longitude) if hotel.longitude is not None else None,
        "starRating": hotel.star_rating,
        "description": localized_description(hotel, language) if language else hotel.description,
        "amenities": list(hotel.amenities or []),
        "timezone": hotel.timezone,
        "checkInTime": hotel.check_in_time.strftime("%H:%M"),
        "checkOutTime": hotel.check_out_time.strftime("%H:%M"),
        "currency": hotel.currency,
        "status": hotel.status,
    }


def room_type_body(room_type: RoomType, language: str | None = None) -> dict[str, Any]:
    """One entry of GET /v1/hotels/{hotelID}/room-types (`language` as in hotel_body)."""
    return {
        "roomTypeID": str(room_type.id),
        "hotelID": str(room_type.hotel_id),
        "name": localized_name(room_type, language) if language else room_type.name,
        "description": localized_description(room_type, language) if language else room_type.description,
        "maxOccupancy": room_type.max_occupancy,
        "bedType": room_type.bed_type,
        "sizeSqm": room_type.size_sqm,
        "amenities": list(room_type.amenities or []),
        "basePrice": money(room_type.base_price, room_type.hotel.currency),
        "overbookingRatio": percent_to_ratio(room_type.overbooking_percent),
        "active": room_type.active,
    }


def room_body(room: Room) -> dict[str, Any]:
    return {
        "roomID": str(room.id),
        "hotelID": str(room.hotel_id),
        "roomTypeID": str(room.room_type_id),
        "roomNumber": room.room_number,
        "floor": room.floor,
        "status": room.status,
        "active": room.active,
    }


# --- loading by URL ids (unknown → 404) --------------------------------------------

def load_hotel(hotel_id: str) -> Hotel:
    hotel = reading_session().get(Hotel, path_id(hotel_id))
    if hotel is None:
        raise NotFound(_l("There is no hotel with this id."))
    return hotel


def load_room_type(hotel: Hotel, room_type_id: str) -> RoomType:
    """A room type of this hotel; another hotel's room type is not found here."""
    room_type = reading_session().get(RoomType, path_id(room_type_id))
    if room_type is None or room_type.hotel_id != hotel.id:
        raise NotFound(_l("This hotel has no room type with this id."))
    return room_type


def load_room(hotel: Hotel, room_id: str) -> Room:
    room = db.session.get(Room, path_id(room_id))
    if room is None or room.hotel_id != hotel.id:
        raise NotFound(_l("This hotel has no room with this id."))
    return room


# --- endpoints ------------------------------------------------------------------------

@bp.get("/hotels/search")
@replica_reads
def search_hotels_endpoint():
    result = search_hotels(parse_search_args(request.args))
    return jsonify({
        "results": [{
            "hotelID": str(hit.hotel.id),
            "name": localized_name(hit.hotel),
            "city": hit.hotel.city,
            "starRating": hit.hotel.star_rating,
            "amenities": list(hit.hotel.amenities or []),
            "lowestPrice": money(hit.lowest_price, hit.hotel.currency),
            "availableRoomTypes": hit.available_room_types,
        } for hit in result.hits],
        "page": result.query.page,
        "pageSize": result.query.page_size,
        "total": result.total,
    })


@bp.get("/hotels/<hotel_id>")
@replica_reads
def get_hotel_endpoint(hotel_id: str):
    return jsonify(hotel_body(load_hotel(hotel_id), current_language()))


@bp.get("/hotels/<hotel_id>/room-types")
@replica_reads
def list_room_types_endpoint(hotel_id: str):
    """Room types open for booking; an operator also sees deactivated ones."""
    hotel = load_hotel(hotel_id)
    operator_view = g.get("api_operator") is not None
    return jsonify([room_type_body(rt, current_language()) for rt in hotel.room_types
                    if rt.active or operator_view])


@bp.get("/hotels/<hotel_id>/availability")
@replica_reads
def availability_endpoint(hotel_id: str):
    """Rooms left and prices per night for a stay; an inactive hotel has none left."""
    hotel = load_hotel(hotel_id)
    errors: dict[str, Any] = {}
    check_in = field_date(request.args.get("checkInDate"), "checkInDate", errors)
    check_out = field_date(request.args.get("checkOutDate"), "checkOutDate", errors)
    wanted = None
    if request.args.get("roomTypeID") not in (None, ""):
        wanted = field_id(request.args.get("roomTypeID"), "roomTypeID", errors)
    if check_in and check_out:
        max_nights = current_app.config["MAX_NIGHTS"]
        if check_out <= check_in:
            errors["checkOutDate"] = _l("Check-out must be after check-in.")
        elif (check_out - check_in).days > max_nights:
            errors["checkOutDate"] = _l("A stay is at most %(n)s nights.", n=max_nights)
        if check_in < clock.local_today(hotel.timezone):
            errors["checkInDate"] = _l("Check-in cannot be in the past.")
    if errors:
        raise ValidationFailed(fields=errors)
    if wanted is not None:
        room_types = [load_room_type(hotel, str(wanted))]
    else:
        room_types = [rt for rt in hotel.room_types if rt.active]
    info = availability_by_room_type([rt.id for rt in room_types], check_in, check_out, with_nights=True)
    by_night = {rt.id: {n.night: n for n in info[rt.id].nights} for rt in room_types}
    nights = [check_in + timedelta(days=i) for i in range((check_out - check_in).days)]
    bookable = hotel.is_active

    body = []
    for rt in room_types:
        known = by_night[rt.id]
        if len(known) == len(nights):  # every night in the calendar: its price came with it
            prices = [known[night].price for night in nights]
        else:  # beyond the inventory horizon: what booking would charge
            prices = nightly_prices(rt, check_in, check_out)
        per_night = []
        for night, price in zip(nights, prices):
            entry = by_night[rt.id].get(night)  # None beyond the inventory horizon
            available = entry.available if entry is not None and bookable and rt.active else 0
            per_night.append({"date": night.isoformat(), "available": available,
                              "price": money(price, hotel.currency)})
        body.append({
            "roomTypeID": str(rt.id),
            "name": localized_name(rt),
            "available": min(n["available"] for n in per_night),
            "totalPrice": money(sum(n["price"]["amount"] for n in per_night), hotel.currency),
            "nights": per_night,
        })
    return jsonify({"hotelID": str(hotel.id), "checkInDate": check_in.isoformat(),
                    "checkOutDate": check_out.isoformat(), "roomTypes": body})
