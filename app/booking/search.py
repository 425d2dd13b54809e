"""Hotel search (seed 003 "Search APIs"): used by GET /v1/hotels/search and the search page.

Only hotels with at least one room type available for every night are
returned. A room type's price per night is its stay price divided by the
nights, rounded up (so it never understates); a hotel's `lowest_price` is the
lowest of its available room types.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import load_only

from app.booking import policies
from app.booking.queries import among, availability_by_room_type
from app.catalog.models import Hotel, RoomType
from app.catalog.states import HotelStatus
from app.core import clock
from app.core.errors import ValidationFailed
from app.extensions import db

SORTS = ("price", "rating", "name")


@dataclass(frozen=True)
class SearchQuery:
    location: str
    check_in: date
    check_out: date
    guests: int = 1
    room_type: str = ""
    min_price: int | None = None
    max_price: int | None = None
    amenities: tuple[str, ...] = ()
    sort_by: str = "price"
    page: int = 1
    page_size: int = 20

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days


@dataclass
class RoomTypeHit:
    room_type: RoomType
    available: int
    total_price: int       # one room, whole stay
    price_per_night: int


@dataclass
class HotelHit:
    hotel: Hotel
    lowest_price: int
    room_types: list[RoomTypeHit] = field(default_factory=list)

    @property
    def available_room_types(self) -> int:
        return len(self.room_types)


@dataclass
class SearchResult:
    query: SearchQuery
    hits: list[HotelHit]
    total: int


def parse_search_args(args: Any) -> SearchQuery:
    """A SearchQuery from query-string arguments (API names); ValidationFailed on bad input."""
    errors: dict[str, Any] = {}
    location = (args.get("location") or "").strip()
    if not location:
        errors["location"] = _l("Required: a city.")
    elif len(location) > 100:
        errors["location"] = _l("At most %(n)s characters.", n=100)
    check_in = policies.parse_date(args.get("checkInDate"), "checkInDate", errors)
    check_out = policies.parse_date(args.get("checkOutDate"), "checkOutDate", errors)
    guests = policies.parse_int(args.get("guests") or None, "guests", errors, default=1, low=1, high=20)
    room_type = (args.get("roomType") or "").strip()
    if len(room_type) > 100:
        errors["roomType"] = _l("At most %(n)s characters.", n=100)
    prices = {}
    for name in ("minPrice", "maxPrice"):
        raw = args.get(name)
        if raw in (None, ""):
            prices[name] = None
        elif not str(raw).isdigit():
            errors[name] = _l("A whole, non-negative amount.")
        else:
            prices[name] = int(raw)
    if prices.get("minPrice") is not None and prices.get("maxPrice") is not None \
            and prices["minPrice"] > prices["maxPrice"]:
        errors["maxPrice"] = _l("Must not be below the minimum price.")
    amenities = tuple(a.strip() for a in (args.get("amenities") or "").split(",") if a.strip())
    sort_by = args.get("sortBy") or "price"
    if sort_by not in SORTS:
        errors["sortBy"] = _l("One of price, rating, name.")
    page = policies.parse_int(args.get("page") or None, "page", errors, default=1, low=1, high=10_000)
    page_size = policies.parse_int(args.get("pageSize") or None, "pageSize", errors, default=20, low=1, high=100)
    if check_in and check_out:
        if check_out <= check_in:
            errors["checkOutDate"] = _l("Check-out must be after check-in.")
        elif (check_out - check_in).days > 30:
            errors["checkOutDate"] = _l("A stay is at most %(n)s nights.", n=30)
        # A day of slack: hotels in time zones behind the default one may still be on "yesterday".
        if check_in < clock.local_today(current_app.config["FRONTDESK_TIMEZONE"]) - timedelta(days=1):
            errors["checkInDate"] = _l("Check-in cannot be in the past.")
    if errors:
        raise ValidationFailed(fields=errors)
    return SearchQuery(location, check_in, check_out, guests, room_type, prices["minPrice"], prices["maxPrice"],
                       amenities, sort_by, page, page_size)


def search_hotels(query: SearchQuery) -> SearchResult:
    """Hotels in the city with a room type free for every night (see module doc)."""
    hotels = db.session.scalars(
        select(Hotel).where(func.lower(Hotel.city) == query.location.lower(),
                            Hotel.status == HotelStatus.ACTIVE)
    ).all()
    wanted = {a.lower() for a in query.amenities}
    if wanted:
        hotels = [h for h in hotels if wanted <= {a.lower() for a in (h.amenities or [])}]
    if not hotels:
        return SearchResult(query, [], 0)
    by_id = {h.id: h for h in hotels}
    type_query = select(RoomType).where(among(RoomType.hotel_id, list(by_id)), RoomType.active.is_(True),
                                        RoomType.max_occupancy >= query.guests)
    if query.room_type:
        type_query = type_query.where(func.lower(RoomType.name).contains(query.room_type.lower()))
    # Only what a hit needs: not decoding the descriptions, amenities (JSON) and timestamps of
    # ~100 room types saves an eighth of a search's Python work. Others load on first access.
    room_types = db.session.scalars(type_query.options(load_only(
        RoomType.hotel_id, RoomType.name, RoomType.max_occupancy, RoomType.base_price,
        RoomType.overbooking_percent, RoomType.active))).all()
    availability = availability_by_room_type([rt.id for rt in room_types], query.check_in, query.check_out)
    hits: dict[int, HotelHit] = {}
    nights = query.nights
    for rt in room_types:
        av = availability[rt.id]
        if not av.bookable(1):
            continue
        per_night = -(-av.total_price // nights)
        if query.min_price is not None and per_night < query.min_price:
            continue
        if query.max_price is not None and per_night > query.max_price:
            continue
        hit = hits.get(rt.hotel_id)
        if hit is None:
            hit = hits[rt.hotel_id] = HotelHit(by_id[rt.hotel_id], per_night)
        hit.lowest_price = min(hit.lowest_price, per_night)
        hit.room_types.append(RoomTypeHit(rt, av.available, av.total_price, per_night))
    ordered = list(hits.values())
    if query.sort_by == "rating":
        ordered.sort(key=lambda h: (-h.hotel.star_rating, h.lowest_price, h.hotel.id))
    elif query.sort_by == "name":
        ordered.sort(key=lambda h: (h.hotel.name.lower(), h.hotel.id))
    else:
        ordered.sort(key=lambda h: (h.lowest_price, -h.hotel.star_rating, h.hotel.id))
    for hit in ordered:
        hit.room_types.sort(key=lambda r: r.price_per_night)
    start = (query.page - 1) * query.page_size
    return SearchResult(query, ordered[start:start + query.page_size], len(ordered))
