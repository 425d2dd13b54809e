"""Catalog use cases: hotels, room types, rooms, rates, and the inventory
calendar kept in step with the rooms."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.booking import search_cache
from app.catalog.models import Hotel, InventoryNight, Rate, Room, RoomType
from app.catalog.policies import DEFAULT_OVERBOOKING_PERCENT
from app.catalog.states import SELLABLE_ROOM_STATUSES, HotelStatus, RoomStatus
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import insert_ignoring_duplicates, is_postgres, upsert
from app.core.errors import ValidationFailed
from app.extensions import db

HOTEL_FIELDS = ("name", "address", "city", "country", "latitude", "longitude", "star_rating",
                "description", "amenities", "timezone", "check_in_time", "check_out_time", "currency")
ROOM_TYPE_FIELDS = ("name", "description", "max_occupancy", "bed_type", "size_sqm", "amenities",
                    "base_price", "overbooking_percent")


def _check_hotel(values: dict[str, Any], *, creating: bool) -> None:
    errors: dict[str, Any] = {}
    for field in ("name", "city"):
        if creating or field in values:
            value = values.get(field)
            if not isinstance(value, str) or not value.strip():
                errors[field] = _l("Required.")
            elif len(value) > (200 if field == "name" else 100):
                errors[field] = _l("Too long.")
    if "star_rating" in values and (not isinstance(values["star_rating"], int)
                                    or isinstance(values["star_rating"], bool)
                                    or not 0 <= values["star_rating"] <= 5):
        errors["star_rating"] = _l("A whole number from 0 to 5.")
    if "timezone" in values:
        try:
            ZoneInfo(str(values["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = _l("Not a known time zone (e.g. Asia/Seoul).")
    if "amenities" in values and (not isinstance(values["amenities"], list)
                                  or not all(isinstance(a, str) and 0 < len(a) <= 50 for a in values["amenities"])):
        errors["amenities"] = _l("A list of short names.")
    for field in ("check_in_time", "check_out_time"):
        if field in values and not isinstance(values[field], time):
            errors[field] = _l("A time such as 15:00.")
    if "currency" in values and (not isinstance(values["currency"], str) or len(values["currency"]) != 3):
        errors["currency"] = _l("A 3-letter currency code.")
    if errors:
        raise ValidationFailed(fields=errors)


def create_hotel(actor: Actor | None = None, **values: Any) -> Hotel:
    """Add a hotel (active). Commits."""
    values = {k: v for k, v in values.items() if k in HOTEL_FIELDS}
    _check_hotel(values, creating=True)
    hotel = Hotel(**values)
    db.session.add(hotel)
    db.session.flush()
    audit.record("hotel.created", entity_type="hotel", entity_id=hotel.id, actor=actor, to_state=hotel.status)
    db.session.commit()
    return hotel


def _plain(value: Any) -> Any:
    """A value as it is kept in an audit row (dates as ISO text, exact decimals such as
    coordinates as their digits: JSON has no decimal type)."""
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def apply_changes(obj: Any, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set `values` on `obj`; the fields that really changed, each {"before", "after"} (for the audit row)."""
    changed = {}
    for key, value in values.items():
        before = getattr(obj, key)
        if before != value:
            changed[key] = {"before": _plain(before), "after": _plain(value)}
        setattr(obj, key, value)
    return changed


def update_hotel(hotel: Hotel, actor: Actor | None = None, **values: Any) -> Hotel:
    """Change a hotel's descriptive fields. Commits."""
    values = {k: v for k, v in values.items() if k in HOTEL_FIELDS}
    _check_hotel(values, creating=False)
    changed = apply_changes(hotel, values)
    audit.record("hotel.updated", entity_type="hotel", entity_id=hotel.id, actor=actor,
                 data={"fields": sorted(values), "changes": changed})
    db.session.commit()
    return hotel


def deactivate_hotel(hotel: Hotel, reason: str, actor: Actor | None = None) -> Hotel:
    """Soft-delete: no new bookings; existing ones are kept. Safe to run twice."""
    if hotel.status == HotelStatus.INACTIVE:
        return hotel
    hotel.status = HotelStatus.INACTIVE
    hotel.deactivation_reason = reason
    audit.record("hotel.deactivated", entity_type="hotel", entity_id=hotel.id, actor=actor,
                 from_state=HotelStatus.ACTIVE, to_state=HotelStatus.INACTIVE, reason=reason)
    db.session.commit()
    return hotel


def _check_room_type(values: dict[str, Any], *, creating: bool) -> None:
    errors: dict[str, Any] = {}
    if creating or "name" in values:
        name = values.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            errors["name"] = _l("Required, at most 100 characters.")
    ints = {"max_occupancy": (1, 20), "base_price": (0, 10**12), "overbooking_percent": (100, 200),
            "size_sqm": (1, 10000)}
    for field, (low, high) in ints.items():
        if field in values and values[field] is not None:
            v = values[field]
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                errors[field] = _l("A whole number from %(low)s to %(high)s.", low=low, high=high)
    if creating and values.get("base_price") is None:
        errors["base_price"] = _l("Required.")
    if "amenities" in values and (not isinstance(values["amenities"], list)
                                  or not all(isinstance(a, str) and 0 < len(a) <= 50 for a in values["amenities"])):
        errors["amenities"] = _l("A list of short names.")
    if errors:
        raise ValidationFailed(fields=errors)


def create_room_type(hotel: Hotel, actor: Actor | None = None, **values: Any) -> RoomType:
    """Add a room type with its inventory calendar (empty until rooms are added). Commits."""
    values = {k: v for k, v in values.items() if k in ROOM_TYPE_FIELDS}
    values.setdefault("overbooking_percent", DEFAULT_OVERBOOKING_PERCENT)
    _check_room_type(values, creating=True)
    room_type = RoomType(hotel_id=hotel.id, **values)
    db.session.add(room_type)
    db.session.flush()
    audit.record("room_type.created", entity_type="room_type", entity_id=room_type.id, actor=actor)
    sync_inventory(room_type)
    db.session.commit()
    return room_type


def update_room_type(room_type: RoomType, actor: Actor | None = None, **values: Any) -> RoomType:
    values = {k: v for k, v in values.items() if k in ROOM_TYPE_FIELDS}
    _check_room_type(values, creating=False)
    changed = apply_changes(room_type, values)
    audit.record("room_type.updated", entity_type="room_type", entity_id=room_type.id, actor=actor,
                 data={"fields": sorted(values), "changes": changed})
    db.session.commit()
    return room_type


def deactivate_room_type(room_type: RoomType, actor: Actor | None = None) -> RoomType:
    """No new bookings of this type; existing bookings are kept."""
    room_type.active = False
    audit.record("room_type.deactivated", entity_type="room_type", entity_id=room_type.id, actor=actor)
    db.session.commit()
    return room_type


def _check_room(hotel: Hotel, values: dict[str, Any], room: Room | None = None) -> None:
    errors: dict[str, Any] = {}
    if "room_type_id" in values:
        rt = db.session.get(RoomType, values["room_type_id"]) if isinstance(values["room_type_id"], int) else None
        if rt is None or rt.hotel_id != hotel.id:
            errors["room_type_id"] = _l("Not a room type of this hotel.")
    if "room_number" in values:
        number = values["room_number"]
        if not isinstance(number, str) or not number.strip() or len(number) > 20:
            errors["room_number"] = _l("Required, at most 20 characters.")
        else:
            clash = db.session.scalar(select(Room.id).where(Room.hotel_id == hotel.id, Room.room_number == number))
            if clash and (room is None or clash != room.id):
                errors["room_number"] = _l("This hotel already has a room with this number.")
    if "floor" in values and (isinstance(values["floor"], bool) or not isinstance(values["floor"], int)
                              or not -10 <= values["floor"] <= 200):
        errors["floor"] = _l("A whole number from -10 to 200.")
    if "status" in values and values["status"] not in set(RoomStatus):
        errors["status"] = _l("One of available, occupied, maintenance, cleaning.")
    if errors:
        raise ValidationFailed(fields=errors)


def create_room(hotel: Hotel, actor: Actor | None = None, **values: Any) -> Room:
    """Add a room; the inventory totals of its type follow. Commits."""
    values = {k: v for k, v in values.items() if k in ("room_type_id", "room_number", "floor", "status")}
    if "room_type_id" not in values or "room_number" not in values:
        raise ValidationFailed(fields={k: _l("Required.") for k in ("room_type_id", "room_number") if k not in values})
    _check_room(hotel, values)
    room = Room(hotel_id=hotel.id, **values)
    db.session.add(room)
    db.session.flush()
    audit.record("room.created", entity_type="room", entity_id=room.id, actor=actor, to_state=room.status)
    sync_inventory(db.session.get(RoomType, room.room_type_id))
    db.session.commit()
    return room


def update_room(room: Room, actor: Actor | None = None, **values: Any) -> Room:
    """Change a room (number, floor, status, type); inventory follows. Commits."""
    values = {k: v for k, v in values.items() if k in ("room_type_id", "room_number", "floor", "status")}
    _check_room(room.room_type.hotel, values, room)
    old_type, old_status = room.room_type_id, room.status
    changed = apply_changes(room, values)
    db.session.flush()
    audit.record("room.updated", entity_type="room", entity_id=room.id, actor=actor,
                 from_state=old_status, to_state=room.status, data={"fields": sorted(values), "changes": changed})
    for type_id in {old_type, room.room_type_id}:
        sync_inventory(db.session.get(RoomType, type_id))
    db.session.commit()
    return room


def remove_room(room: Room, actor: Actor | None = None) -> None:
    """Take a room out of the hotel (kept for history); inventory follows. Commits."""
    room.active = False
    audit.record("room.removed", entity_type="room", entity_id=room.id, actor=actor)
    db.session.flush()
    sync_inventory(room.room_type)
    db.session.commit()


def set_rates(room_type: RoomType, start: date, end: date, price: int, weekdays: list[int] | None = None,
              actor: Actor | None = None) -> int:
    """Price each night in [start, end) (only the given weekdays, Monday=0). Commits.

    Returns how many nights were priced.
    """
    errors: dict[str, Any] = {}
    if end <= start:
        errors["to"] = _l("Must be after the start date.")
    elif (end - start).days > 731:
        errors["to"] = _l("At most two years at once.")
    if isinstance(price, bool) or not isinstance(price, int) or price < 0:
        errors["price"] = _l("A whole, non-negative amount in minor units.")
    if weekdays is not None and (not isinstance(weekdays, list)
                                 or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6
                                            for d in weekdays)):
        errors["weekdays"] = _l("Days of the week as numbers 0 (Monday) to 6 (Sunday).")
    if errors:
        raise ValidationFailed(fields=errors)
    days = set(weekdays) if weekdays is not None else set(range(7))
    rows = []
    night = start
    while night < end:
        if night.weekday() in days:
            rows.append({"room_type_id": room_type.id, "night": night, "price": price})
        night += timedelta(days=1)
    nights = [row["night"] for row in rows]
    before = {night.isoformat(): old for night, old in db.session.execute(
        select(Rate.night, Rate.price).where(Rate.room_type_id == room_type.id, Rate.night.in_(nights)))} \
        if nights else {}
    upsert(Rate, rows, ["room_type_id", "night"], ["price"])
    copy_rates_to_inventory(room_type.id, start, end)
    search_cache.touch_catalog(db.session)
    audit.record("rates.set", entity_type="room_type", entity_id=room_type.id, actor=actor,
                 data={"from": start.isoformat(), "to": end.isoformat(), "price": price,
                       "weekdays": sorted(days), "nights": len(rows),
                       # each night's price before (absent: it had the room type's base price)
                       "before": {night.isoformat(): before.get(night.isoformat()) for night in nights
                                  if before.get(night.isoformat()) != price},
                       "base_price": room_type.base_price})
    db.session.commit()
    return len(rows)


def sellable_rooms(room_type_id: int) -> int:
    return db.session.scalar(
        select(func.count(Room.id)).where(
            Room.room_type_id == room_type_id, Room.active.is_(True),
            Room.status.in_([s.value for s in SELLABLE_ROOM_STATUSES]),
        )
    ) or 0


def copy_rates_to_inventory(room_type_id: int, start: date, end: date) -> None:
    """Each inventory night of [start, end) takes its rate's price (null: no rate, the base price
    applies), after the rates were written in this transaction (no commit). PostgreSQL: the
    nights are locked in date order first, as bookings lock them."""
    where = (InventoryNight.room_type_id == room_type_id, InventoryNight.night >= start, InventoryNight.night < end)
    if is_postgres():
        db.session.execute(select(InventoryNight.id).where(*where).order_by(InventoryNight.night).with_for_update())
    rate = (select(Rate.price).where(Rate.room_type_id == InventoryNight.room_type_id,
                                     Rate.night == InventoryNight.night).scalar_subquery())
    db.session.execute(update(InventoryNight).where(*where).values(price=rate)
                       .execution_options(synchronize_session=False))


def sync_inventory(room_type: RoomType, start: date | None = None) -> None:
    """Keep the inventory calendar in step with the rooms (no commit).

    Every night from the hotel's today to the horizon exists, and its `total`
    is the number of rooms of the type not under maintenance. Nights are
    locked in date order first, like bookings, so the two never deadlock.
    Safe to run twice.
    """
    hotel = room_type.hotel
    today = start or clock.local_today(hotel.timezone)
    horizon = current_app.config["INVENTORY_HORIZON_DAYS"]
    total = sellable_rooms(room_type.id)
    rates = dict(db.session.execute(select(Rate.night, Rate.price).where(
        Rate.room_type_id == room_type.id, Rate.night >= today)).tuples().all())
    rows = [{"hotel_id": hotel.id, "room_type_id": room_type.id, "night": night, "total": total, "reserved": 0,
             "price": rates.get(night)} for night in (today + timedelta(days=i) for i in range(horizon))]
    insert_ignoring_duplicates(InventoryNight, rows, ["room_type_id", "night"])
    search_cache.touch_catalog(db.session)
    where = (InventoryNight.room_type_id == room_type.id, InventoryNight.night >= today,
             InventoryNight.total != total)
    if is_postgres():
        db.session.execute(select(InventoryNight.id).where(*where)
                           .order_by(InventoryNight.night).with_for_update())
    db.session.execute(update(InventoryNight).where(*where).values(total=total)
                       .execution_options(synchronize_session=False))


def extend_inventory_horizon() -> int:
    """Daily: make sure every active room type has nights up to the horizon. Commits."""
    count = 0
    for room_type in db.session.scalars(select(RoomType).where(RoomType.active.is_(True))):
        sync_inventory(room_type)
        count += 1
    db.session.commit()
    return count
