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
from sqlalchemy import and_, func, select
from sqlalchemy.orm import load_only

from app.booking import policies, search_cache
from app.catalog.models import Hotel, InventoryNight, RoomType
from app.catalog.states import HotelStatus
from app.core import clock
from app.core.db import among
from app.core.errors import ValidationFailed
from app.core.replica import reading_session

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
    """Hotels in the city with a room type free for every night (see module doc).

    The page comes from the search cache (app/booking/search_cache.py) or from the database:
    the city's hotel ids, then one statement that aggregates room types × the stay's nights
    (rooms left, stay price), then per hotel (lowest price per night), sorts, counts and cuts
    the page — so only the page's hotels come back — and one more for the page's room types.
    Then the page's objects are loaded by id.
    """
    session = reading_session()
    key = search_cache.cache_key(query)
    full_key, cached = search_cache.load(key) if key else (None, None)
    if cached is None:
        cached = _page_of_hits(session, query)
        search_cache.store(full_key, cached)
    total, page = cached
    if not page:
        return SearchResult(query, [], total)
    hotels = {h.id: h for h in session.scalars(select(Hotel).where(among(Hotel.id, [p[0] for p in page])))}
    # Only what a hit needs: not decoding descriptions, amenities (JSON) and timestamps.
    type_ids = [entry[0] for _hotel_id, _lowest, entries in page for entry in entries]
    room_types = {rt.id: rt for rt in session.scalars(select(RoomType).where(among(RoomType.id, type_ids))
                                                      .options(load_only(
        RoomType.hotel_id, RoomType.name, RoomType.max_occupancy, RoomType.base_price,
        RoomType.overbooking_percent, RoomType.active)))}
    hits = [HotelHit(hotels[hotel_id], lowest, [RoomTypeHit(room_types[rt_id], rooms_left, total_price, per_night)
                                                for rt_id, rooms_left, total_price, per_night in entries])
            for hotel_id, lowest, entries in page if hotel_id in hotels]
    return SearchResult(query, hits, total)


def _room_types_free(query: SearchQuery, hotel_ids: list[int]):
    """Room types of `hotel_ids` with a room left every night of the stay: (hotel_id, rt_id,
    rooms_left, stay_price, per_night), the price range applied (a subquery)."""
    nights = query.nights
    left = (InventoryNight.total * RoomType.overbooking_percent) // 100 - InventoryNight.reserved
    stay_price = func.sum(func.coalesce(InventoryNight.price, RoomType.base_price))
    stmt = (
        select(RoomType.hotel_id.label("hotel_id"), RoomType.id.label("rt_id"),
               func.min(left).label("rooms_left"), stay_price.label("stay_price"),
               ((stay_price + (nights - 1)) // nights).label("per_night"))  # rounded up: never understates
        .join(InventoryNight, and_(InventoryNight.room_type_id == RoomType.id,
                                   InventoryNight.night >= query.check_in, InventoryNight.night < query.check_out))
        # The nights are found by hotel (index on hotel_id, night): one descent per hotel.
        .where(among(RoomType.hotel_id, hotel_ids), among(InventoryNight.hotel_id, hotel_ids),
               RoomType.active.is_(True), RoomType.max_occupancy >= query.guests)
        .group_by(RoomType.hotel_id, RoomType.id)
        # every night in the calendar (a night beyond the horizon is missing) and a room left on each
        .having(func.count() == nights, func.min(left) >= 1)
    )
    if query.room_type:
        stmt = stmt.where(func.lower(RoomType.name).contains(query.room_type.lower(), autoescape=True))
    if query.min_price is not None:
        stmt = stmt.having((stay_price + (nights - 1)) // nights >= query.min_price)
    if query.max_price is not None:
        stmt = stmt.having((stay_price + (nights - 1)) // nights <= query.max_price)
    return stmt.subquery("free")


def _page_of_hits(session, query: SearchQuery) -> list[Any]:
    """[how many hotels match, the page: [[hotel id, lowest price per night, [[room type id, rooms
    left, stay price, price per night], … cheapest first]], …]] (plain lists: the cache keeps JSON)."""
    city = select(Hotel.id, Hotel.amenities) if query.amenities else select(Hotel.id)
    hotel_rows = session.execute(city.where(func.lower(Hotel.city) == query.location.lower(),
                                            Hotel.status == HotelStatus.ACTIVE)).all()
    wanted = {a.lower() for a in query.amenities}
    if wanted:
        hotel_rows = [row for row in hotel_rows if wanted <= {a.lower() for a in (row.amenities or [])}]
    if not hotel_rows:
        return [0, []]
    free = _room_types_free(query, [row.id for row in hotel_rows])
    # Aggregated per hotel first, then joined to the hotels for the order: one hotel lookup per
    # matching hotel, not one per matching room type.
    agg = (select(free.c.hotel_id, func.min(free.c.per_night).label("lowest"))
           .group_by(free.c.hotel_id).subquery("per_hotel"))
    per_hotel = (select(agg.c.hotel_id, agg.c.lowest, func.count().over().label("matched"))
                 .join(Hotel, Hotel.id == agg.c.hotel_id))
    if query.sort_by == "rating":
        per_hotel = per_hotel.order_by(Hotel.star_rating.desc(), agg.c.lowest, agg.c.hotel_id)
    elif query.sort_by == "name":
        per_hotel = per_hotel.order_by(func.lower(Hotel.name), agg.c.hotel_id)
    else:
        per_hotel = per_hotel.order_by(agg.c.lowest, Hotel.star_rating.desc(), agg.c.hotel_id)
    page = session.execute(per_hotel.limit(query.page_size).offset((query.page - 1) * query.page_size)).all()
    if not page:  # past the last page: the count still says how many there are
        matched = session.scalar(select(func.count(func.distinct(free.c.hotel_id))))
        return [matched or 0, []]
    entries: dict[int, list[list[int]]] = {row.hotel_id: [] for row in page}
    details = _room_types_free(query, list(entries))
    for hotel_id, rt_id, rooms_left, total_price, per_night in session.execute(select(details)):
        entries[hotel_id].append([rt_id, rooms_left, total_price, per_night])
    return [page[0].matched, [[row.hotel_id, row.lowest, sorted(entries[row.hotel_id], key=lambda e: (e[3], e[0]))]
                              for row in page]]
