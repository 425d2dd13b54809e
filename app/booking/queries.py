"""Read helpers: availability, prices, search, alternatives, receipts."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from app.booking.models import Reservation
from app.booking.policies import normalize_booking_code, normalize_guest_email, nfkc, same_phone
from app.booking.states import ReservationStatus
from app.catalog.models import Hotel, InventoryNight, Rate, RoomType
from app.catalog.policies import compute_available
from app.catalog.states import HotelStatus
from app.core import clock
from app.core.db import among
from app.core.replica import reading_session
from app.extensions import db


@dataclass
class NightInfo:
    night: date
    available: int
    price: int


@dataclass
class RoomTypeAvailability:
    room_type_id: int
    available: int          # min over the nights (0 when any night is missing)
    total_price: int        # one room, whole stay
    nights: list[NightInfo] = field(default_factory=list)

    def bookable(self, rooms: int = 1) -> bool:
        return self.available >= rooms


def nightly_prices(room_type: RoomType, check_in: date, check_out: date) -> list[int]:
    """The price of each night of the stay for one room (rate or base price)."""
    rates = dict(reading_session().execute(
        select(Rate.night, Rate.price).where(
            Rate.room_type_id == room_type.id, Rate.night >= check_in, Rate.night < check_out)
    ).all())
    nights = (check_out - check_in).days
    return [rates.get(check_in + timedelta(days=i), room_type.base_price) for i in range(nights)]


def availability_by_room_type(room_type_ids: list[int], check_in: date, check_out: date,
                              with_nights: bool = False) -> dict[int, RoomTypeAvailability]:
    """Availability and stay price per room type, in one query.

    A room type with a night missing from the inventory calendar (beyond the
    horizon) counts as unavailable.

    Each night's price is on its inventory row (the rate, or null: the base price).
    """
    if not room_type_ids:
        return {}
    n_nights = (check_out - check_in).days
    price = func.coalesce(InventoryNight.price, RoomType.base_price)
    rows = reading_session().execute(
        select(InventoryNight.room_type_id, InventoryNight.night, InventoryNight.total,
               InventoryNight.reserved, RoomType.overbooking_percent, price)
        .join(RoomType, RoomType.id == InventoryNight.room_type_id)
        .where(among(InventoryNight.room_type_id, room_type_ids),
               InventoryNight.night >= check_in, InventoryNight.night < check_out)
        .order_by(InventoryNight.room_type_id, InventoryNight.night)
    ).all()
    result: dict[int, RoomTypeAvailability] = {}
    counted: dict[int, int] = {}
    for rt_id, night, total, reserved, percent, night_price in rows:
        entry = result.get(rt_id)
        if entry is None:
            entry = result[rt_id] = RoomTypeAvailability(rt_id, 10**9, 0)
        avail = compute_available(total, reserved, percent)
        entry.available = min(entry.available, avail)
        entry.total_price += night_price
        counted[rt_id] = counted.get(rt_id, 0) + 1
        if with_nights:
            entry.nights.append(NightInfo(night, avail, night_price))
    for rt_id in room_type_ids:
        entry = result.setdefault(rt_id, RoomTypeAvailability(rt_id, 0, 0))
        if counted.get(rt_id, 0) != n_nights:
            entry.available = 0
    return result


def bookable_room_types(hotel: Hotel, check_in: date, check_out: date, *, rooms: int = 1, guests: int = 1,
                        exclude: int | None = None) -> list[tuple[RoomType, RoomTypeAvailability]]:
    """Active room types of an active hotel with `rooms` free every night, cheapest first."""
    if hotel.status != HotelStatus.ACTIVE:
        return []
    types = [rt for rt in hotel.room_types if rt.active and rt.id != exclude
             and rt.max_occupancy * rooms >= guests]
    avail = availability_by_room_type([rt.id for rt in types], check_in, check_out)
    found = [(rt, avail[rt.id]) for rt in types if avail[rt.id].bookable(rooms)]
    return sorted(found, key=lambda pair: pair[1].total_price)


def find_alternatives(hotel: Hotel, room_type: RoomType, check_in: date, check_out: date, *,
                      rooms: int, guests: int, today: date, per_kind: int = 3) -> list[dict[str, Any]]:
    """What to offer when the asked-for stay is sold out (seed 000, seed 003):
    other room types of the hotel, the same room type on nearby dates, and
    other hotels in the same city. Up to `per_kind` of each."""
    nights = (check_out - check_in).days
    offers: list[dict[str, Any]] = []

    def offer(kind: str, h: Hotel, rt: RoomType, a: date, b: date, price: int) -> dict[str, Any]:
        return {"kind": kind, "hotelID": str(h.id), "hotelName": h.name, "roomTypeID": str(rt.id),
                "roomTypeName": rt.name, "checkInDate": a.isoformat(), "checkOutDate": b.isoformat(),
                "totalPrice": {"amount": price * rooms, "currency": h.currency}}

    for rt, av in bookable_room_types(hotel, check_in, check_out, rooms=rooms, guests=guests,
                                      exclude=room_type.id)[:per_kind]:
        offers.append(offer("room_type", hotel, rt, check_in, check_out, av.total_price))

    nearby = []
    for shift in (1, -1, 2, -2, 3, -3, 7, -7):
        a = check_in + timedelta(days=shift)
        if a < today:
            continue
        b = a + timedelta(days=nights)
        av = availability_by_room_type([room_type.id], a, b)[room_type.id]
        if av.bookable(rooms):
            nearby.append(offer("dates", hotel, room_type, a, b, av.total_price))
        if len(nearby) == per_kind:
            break
    offers.extend(nearby)

    others = db.session.scalars(
        select(Hotel).where(func.lower(Hotel.city) == hotel.city.lower(), Hotel.id != hotel.id,
                            Hotel.status == HotelStatus.ACTIVE).order_by(Hotel.star_rating.desc(), Hotel.id)
    ).all()
    count = 0
    for other in others:
        found = bookable_room_types(other, check_in, check_out, rooms=rooms, guests=guests)
        if found:
            rt, av = found[0]
            offers.append(offer("hotel", other, rt, check_in, check_out, av.total_price))
            count += 1
            if count == per_kind:
                break
    return offers


def get_reservation_by_public_id(public_id: str) -> Reservation | None:
    if not isinstance(public_id, str) or len(public_id) > 40:
        return None
    return db.session.scalar(select(Reservation).where(Reservation.public_id == public_id))


def _reservation_by_code(code: Any) -> Reservation | None:
    """The booking with exactly this code, however it was typed (policies.normalize_booking_code)."""
    normalized = normalize_booking_code(code)
    if not normalized or len(normalized) > 16:
        return None
    return db.session.scalar(select(Reservation).where(Reservation.code == normalized))


def find_reservation_by_code_and_email(code: Any, email: Any) -> Reservation | None:
    """'find my booking': the whole code (any case, full-width or not, spaces and dashes anywhere)
    and the email it was booked with (any case, surrounding spaces)."""
    reservation = _reservation_by_code(code)
    wanted = normalize_guest_email(email)
    if reservation is None or not wanted or normalize_guest_email(reservation.guest_email) != wanted:
        return None
    return reservation


def find_reservation_by_code_and_contact(code: Any, contact: Any) -> Reservation | None:
    """'find my booking' with the second factor the guest remembers: the email they booked with, or
    the phone number they gave (any format: +82/+81 or a leading 0, hyphens, spaces, full-width
    digits). Never part of a code: the whole code must match, and then the email or the phone."""
    text = nfkc(contact)
    if "@" in text:
        return find_reservation_by_code_and_email(code, text)
    reservation = _reservation_by_code(code)
    if reservation is None or not same_phone(text, reservation.guest_phone):
        return None
    return reservation


#: The bookings "I lost my code" lists: those still to come.
UPCOMING = (ReservationStatus.PENDING, ReservationStatus.PAID, ReservationStatus.CHECKED_IN)
LOST_CODE_LIMIT = 20


def list_upcoming_reservations_for_email(email: str, *, today: date) -> list[Reservation]:
    """A guest's bookings still to come (not checked out, not canceled, a pending one still held),
    soonest first: what "I lost my code" sends them. `email` as normalize_guest_email gives it."""
    if not email:
        return []
    now = clock.now()
    return list(db.session.scalars(select(Reservation).where(
        Reservation.guest_email == email, Reservation.status.in_([s.value for s in UPCOMING]),
        Reservation.check_out > today,
        (Reservation.status != ReservationStatus.PENDING) | (Reservation.hold_expires_at > now)
        | (Reservation.payment_shortfall_at.is_not(None)))
        .order_by(Reservation.check_in, Reservation.id).limit(LOST_CODE_LIMIT)))


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def reservation_receipt(reservation: Reservation) -> dict[str, Any]:
    """The body of `201 Created` for POST /v1/reservations (API.md), minus the
    access token, which is added at response time and never stored."""
    return {
        "reservationID": reservation.public_id,
        "code": reservation.code,
        "status": reservation.status,
        "hotelID": str(reservation.hotel_id),
        "roomTypeID": str(reservation.room_type_id),
        "checkInDate": reservation.check_in.isoformat(),
        "checkOutDate": reservation.check_out.isoformat(),
        "numberOfRooms": reservation.number_of_rooms,
        "totalPrice": money(reservation.total_amount, reservation.currency),
        **({"discount": money(reservation.discount_amount, reservation.currency)}
           if reservation.discount_amount else {}),
        "holdExpiresAt": reservation.hold_expires_at.isoformat().replace("+00:00", "Z")
        if reservation.hold_expires_at else None,
    }


def list_city_amenities(city: str) -> tuple[int, list[str]]:
    """(how many active hotels the city has, the amenities they offer, sorted): the search
    page's amenity filter and its "no hotels here" message."""
    lists = reading_session().scalars(select(Hotel.amenities).where(
        func.lower(Hotel.city) == (city or "").strip().lower(), Hotel.status == HotelStatus.ACTIVE)).all()
    return len(lists), sorted({a for amenities in lists for a in (amenities or [])}, key=str.lower)
