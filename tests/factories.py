"""Factories with sensible defaults, built through the real services."""
from __future__ import annotations

import itertools
import uuid
from datetime import date, time, timedelta

from app.auth.models import Operator
from app.booking.policies import BookingRequest, GuestInfo
from app.catalog import services as catalog
from app.catalog.models import Hotel, RoomType
from app.core import clock

DEFAULT_PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_hotel(**overrides) -> Hotel:
    n = next(_seq)
    values = dict(name=f"Test Hotel {n}", city="Seoul", address=f"{n} Test-ro", star_rating=4,
                  amenities=["WiFi"], timezone="Asia/Seoul", currency="KRW",
                  check_in_time=time(15, 0), check_out_time=time(11, 0))
    values.update(overrides)
    return catalog.create_hotel(**values)


def make_room_type(hotel: Hotel | None = None, *, rooms: int = 5, percent: int = 110, base_price: int = 100_000,
                   max_occupancy: int = 2, name: str | None = None, **overrides) -> RoomType:
    """A room type with `rooms` available rooms and its inventory calendar."""
    hotel = hotel or make_hotel()
    room_type = catalog.create_room_type(hotel, name=name or f"Room type {next(_seq)}", max_occupancy=max_occupancy,
                                         base_price=base_price, overbooking_percent=percent, **overrides)
    for i in range(rooms):
        catalog.create_room(hotel, room_type_id=room_type.id, room_number=f"{room_type.id}-{i + 1:02d}",
                            floor=i // 4 + 2)
    return room_type


def future(days: int = 10) -> date:
    """A hotel-local date `days` ahead (Asia/Seoul)."""
    return clock.local_today("Asia/Seoul") + timedelta(days=days)


def mid_window(now):
    """A moment 7 minutes into a 15-minute window (also mid-minute): a test's tries of a throttle
    that counts in fixed windows never straddle two of them."""
    return now.replace(minute=now.minute // 15 * 15 + 7, second=30, microsecond=0)


def same_day_morning():
    """Same-day bookings close at 15:00 hotel time: a fixture that needs one
    makes it inside this block, with the clock at 09:00 in Seoul today."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = future(0)
    return clock.pinned(datetime(today.year, today.month, today.day, 9, 0, tzinfo=ZoneInfo("Asia/Seoul")))


def booking_request(room_type: RoomType, *, check_in: date | None = None, nights: int = 2, rooms: int = 1,
                    guests: int | None = None, email: str | None = None, method: str = "card",
                    language: str = "ko", first_name: str = "Minji", last_name: str = "Kim",
                    phone: str = "+82 10-1234-5678", special_requests: str = "") -> BookingRequest:
    check_in = check_in or future()
    return BookingRequest(
        hotel_id=room_type.hotel_id, room_type_id=room_type.id, check_in=check_in,
        check_out=check_in + timedelta(days=nights), rooms=rooms, guests=guests or rooms,
        guest=GuestInfo(first_name, last_name, email or f"guest{next(_seq)}@example.com", phone, language),
        special_requests=special_requests, payment_method=method,
    )


def make_reservation(room_type: RoomType | None = None, **kwargs):
    """A pending reservation (through the booking service); returns the Reservation."""
    from app.booking.services import create_reservation

    room_type = room_type or make_room_type()
    outcome = create_reservation(booking_request(room_type, **kwargs), idempotency_key=str(uuid.uuid4()))
    return outcome.reservation


def make_paid_reservation(room_type: RoomType | None = None, **kwargs):
    """A reservation paid by card through the sandbox gateway."""
    from app.payments.gateway import CardDetails
    from app.payments.services import pay_by_card

    reservation = make_reservation(room_type, **kwargs)
    pay_by_card(reservation, amount=reservation.total_amount, currency=reservation.currency,
                card=CardDetails("4242424242424242", 12, clock.now().year + 2, "123", "Minji Kim"),
                idempotency_key=str(uuid.uuid4()))
    return reservation


def make_coupon(*, kind: str = "amount", value: int = 30_000, hotel: Hotel | None = None, days: int = 30,
                email: str = "minji@example.com", code: str | None = None):
    """A coupon as compensation gives it (committed): won or percent off, for one hotel or any."""
    from app.extensions import db
    from app.refunds.models import Coupon

    coupon = Coupon(code=code or ("FDC" + uuid.uuid4().hex[:8].upper()), kind=kind, value=value,
                    currency="KRW" if kind == "amount" else None, expires_at=clock.now() + timedelta(days=days),
                    guest_email=email, reason="test", hotel_id=hotel.id if hotel is not None else None)
    db.session.add(coupon)
    db.session.commit()
    return coupon


def make_coupon_reservation(room_type: RoomType | None = None, *, coupon=None, **kwargs):
    """A booking a coupon paid in full (₩0, paid at once); the coupon is worth the whole price
    unless one is given. Returns the Reservation."""
    from dataclasses import replace

    from app.booking.services import create_reservation

    room_type = room_type or make_room_type()
    coupon = coupon or make_coupon(kind="percent", value=100, hotel=room_type.hotel)
    req = replace(booking_request(room_type, **kwargs), coupon_code=coupon.code)
    return create_reservation(req, idempotency_key=str(uuid.uuid4())).reservation


def make_operator(role: str = "staff", *, email: str | None = None, language: str = "ko",
                  password: str = DEFAULT_PASSWORD) -> Operator:
    from app.auth.services import create_operator

    return create_operator(email or f"{role}{next(_seq)}@frontdesk.example", password, role=role,
                           name=f"{role.title()} {next(_seq)}", language=language)


def inventory(room_type: RoomType, night: date):
    """The inventory row of one night (fresh from the database)."""
    from sqlalchemy import select

    from app.catalog.models import InventoryNight
    from app.extensions import db

    return db.session.execute(select(InventoryNight).where(
        InventoryNight.room_type_id == room_type.id, InventoryNight.night == night)
        .execution_options(populate_existing=True)).scalar_one()
