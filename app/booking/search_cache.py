"""A short-lived cache of search results, invalidated by what changes them.

What is cached: for one search (city, stay, guests, room-type words, price range, amenities,
order, page), how many hotels have a room type free every night, and the page's hotels with
their lowest price and room types. Hotel and room-type objects of the page shown
are still loaded from the database (two lookups by id), and a booking never reads this cache: it
takes its rooms with the guarded UPDATE on the primary (DESIGN invariant 1).

How long it may be stale: a booking, a cancellation, an expired hold, a date change or a room
move changes the rooms left on some nights of one room type; after its commit the generation of
each (city, night) it touched is bumped in Redis, and every search covering one of those nights
in that city computes afresh. A change to the catalog (hotels, room types, rooms, rates,
inventory totals) bumps one catalog-wide generation. So the next search after a commit sees it.
If Redis cannot be reached for a bump, a cached result lives at most `SEARCH_CACHE_SECONDS`
(default 30; 0 turns the cache off). Redis being down never fails a search: it is computed.

The generations of a search's nights are read *before* its database query, and bumps happen
after commit, so a result computed from data older than a commit is stored only under a
generation that commit has already made obsolete.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import date, timedelta
from typing import Any, Iterable

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import redis_connection

log = logging.getLogger(__name__)

PREFIX = "search-cache"
CATALOG_KEY = f"{PREFIX}:gen:catalog"
#: session.info key: the (city, night) pairs and whether the catalog changed, until commit.
TOUCHED = "search_cache_touched"
#: A commit that touched more (city, night) pairs than this bumps the catalog generation instead.
MAX_NIGHT_BUMPS = 200
#: A generation key outlives every cached result that could depend on it.
GENERATION_TTL_SECONDS = 3 * 24 * 3600

#: After a Redis error the cache is left alone this long, so searches do not wait on a dead Redis.
PAUSE_AFTER_ERROR_SECONDS = 30.0
_paused_until = 0.0

def ttl_seconds() -> int:
    return int(current_app.config.get("SEARCH_CACHE_SECONDS", 30)) if has_app_context() else 0


def _usable() -> bool:
    return time.monotonic() >= _paused_until


def _failed(what: str, exc: Exception) -> None:
    global _paused_until
    # At least one lifetime of a cached result: nothing stored before the error is used after it.
    _paused_until = time.monotonic() + max(PAUSE_AFTER_ERROR_SECONDS, ttl_seconds())
    log.warning("search cache %s: %s: %s", what, type(exc).__name__, exc)


def night_key(city: str, night: date) -> str:
    return f"{PREFIX}:gen:{city.lower()}:{night.isoformat()}"


def _nights(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


# --- recording what a transaction changed (bumped after its commit) ------------------------

def touch_nights(session: Session, room_type_id: int, start: date, end: date) -> None:
    """Rooms left changed on [start, end) of this room type (call inside the transaction).

    The city comes from the room type's hotel, usually already in the session (no query)."""
    from app.catalog.models import RoomType

    room_type = session.get(RoomType, room_type_id)
    if room_type is None:
        return
    city = room_type.hotel.city.lower()
    touched = session.info.setdefault(TOUCHED, {"nights": set(), "catalog": False})
    touched["nights"].update((city, night) for night in _nights(start, end))


def touch_room_type_nights(session: Session, nights: Iterable[tuple[int, date]]) -> None:
    """touch_nights for many (room type id, night) pairs at once (a bulk job): one query for the
    cities of the room types whose hotel is not already in the session."""
    from sqlalchemy import select

    from app.catalog.models import Hotel, RoomType

    by_type: dict[int, set[date]] = {}
    for room_type_id, night in nights:
        by_type.setdefault(room_type_id, set()).add(night)
    if not by_type:
        return
    cities: dict[int, str] = {}
    missing = []
    for room_type_id in by_type:
        room_type = session.identity_map.get(session.identity_key(RoomType, room_type_id))
        if room_type is not None and "hotel" in room_type.__dict__:
            cities[room_type_id] = room_type.hotel.city
        else:
            missing.append(room_type_id)
    for start in range(0, len(missing), 5000):
        chunk = missing[start:start + 5000]
        cities.update(session.execute(select(RoomType.id, Hotel.city).join(Hotel, Hotel.id == RoomType.hotel_id)
                                      .where(RoomType.id.in_(chunk))).tuples().all())
    touched = session.info.setdefault(TOUCHED, {"nights": set(), "catalog": False})
    for room_type_id, type_nights in by_type.items():
        if room_type_id in cities:
            city = cities[room_type_id].lower()
            touched["nights"].update((city, night) for night in type_nights)


def touch_catalog(session: Session) -> None:
    """Hotels, room types, rooms, rates or inventory totals changed: every search computes afresh."""
    session.info.setdefault(TOUCHED, {"nights": set(), "catalog": False})["catalog"] = True


_CATALOG_MODELS: tuple[type, ...] | None = None


def _catalog_models() -> tuple[type, ...]:
    global _CATALOG_MODELS
    if _CATALOG_MODELS is None:
        from app.catalog.models import Hotel, InventoryNight, Rate, Room, RoomType

        _CATALOG_MODELS = (Hotel, RoomType, Room, Rate, InventoryNight)
    return _CATALOG_MODELS


@event.listens_for(Session, "before_flush")
def _catalog_objects_changed(session, _flush_context, _instances) -> None:
    models = _catalog_models()
    if any(isinstance(obj, models) for group in (session.new, session.dirty, session.deleted) for obj in group):
        touch_catalog(session)


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session) -> None:
    touched = session.info.pop(TOUCHED, None)
    if not touched or not has_app_context() or ttl_seconds() <= 0 or not _usable():
        return  # paused: the cache is not read either until every result stored before has expired
    try:
        pipe = redis_connection().pipeline(transaction=False)
        # A bulk change (an expiry batch over many cities and nights) bumps the one catalog-wide
        # generation instead of thousands: every search computes afresh, as after a rate change.
        bulk = len(touched["nights"]) > MAX_NIGHT_BUMPS
        if touched["catalog"] or bulk:
            pipe.incr(CATALOG_KEY)
            pipe.expire(CATALOG_KEY, GENERATION_TTL_SECONDS)
        for city, night in (() if bulk else touched["nights"]):
            key = night_key(city, night)
            pipe.incr(key)
            pipe.expire(key, GENERATION_TTL_SECONDS)
        pipe.execute()
    except Exception as exc:  # Redis down: cached results expire by themselves (SEARCH_CACHE_SECONDS)
        _failed("not invalidated", exc)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session) -> None:
    session.info.pop(TOUCHED, None)


# --- reading and writing cached results ------------------------------------------------------

def cache_key(query: Any) -> tuple[str, list[str]] | None:
    """(the result's key prefix, the generation keys it depends on); None when the cache is off."""
    if ttl_seconds() <= 0 or not _usable():
        return None
    spec = json.dumps([query.location.lower(), query.check_in.isoformat(), query.check_out.isoformat(),
                       query.guests, query.room_type.lower(), query.min_price, query.max_price,
                       sorted(a.lower() for a in query.amenities), query.sort_by, query.page, query.page_size],
                      ensure_ascii=False)
    digest = hashlib.sha1(spec.encode()).hexdigest()
    return f"{PREFIX}:result:{digest}", [CATALOG_KEY] + [night_key(query.location, n)
                                                          for n in _nights(query.check_in, query.check_out)]


def load(key: tuple[str, list[str]]) -> tuple[str | None, Any]:
    """(the full key under today's generations, the cached value or None). Redis errors: (None, None)."""
    prefix, generation_keys = key
    try:
        conn = redis_connection()
        generations = conn.mget(generation_keys)
        full = prefix + ":" + ".".join((g or b"0").decode() for g in generations)
        raw = conn.get(full)
    except Exception as exc:
        _failed("unavailable", exc)
        return None, None
    return full, (json.loads(raw) if raw else None)


def store(full_key: str | None, value: Any) -> None:
    if not full_key:
        return
    try:
        redis_connection().set(full_key, json.dumps(value, separators=(",", ":")), ex=ttl_seconds())
    except Exception as exc:
        _failed("not written", exc)
