"""Read helpers for the catalog's back-office pages: hotel lists, the inventory
calendar, and the previews that say what a change will do before it is made
(a room into maintenance, a rate change, a hotel deactivation).

Nothing here changes state; the management module acts on the same figures,
so a preview and its confirm step always agree.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from app.booking.models import Reservation
from app.booking.states import HOLDS_INVENTORY, ReservationStatus
from app.catalog.models import Hotel, InventoryNight, Rate, Room, RoomType
from app.catalog.policies import compute_cap
from app.catalog.states import SELLABLE_ROOM_STATUSES
from app.core import clock
from app.core.errors import NotFound
from app.extensions import db
from app.refunds.policies import OurFault, compute_refund

#: How full a night is before the calendar warns (sold ≥ 80 % of the cap).
NEARLY_FULL_PERCENT = 80


def get_hotel(hotel_id: int) -> Hotel:
    hotel = db.session.get(Hotel, hotel_id)
    if hotel is None:
        raise NotFound()
    return hotel


def get_room_type(hotel: Hotel, room_type_id: int) -> RoomType:
    room_type = db.session.get(RoomType, room_type_id)
    if room_type is None or room_type.hotel_id != hotel.id:
        raise NotFound()
    return room_type


def get_room(hotel: Hotel, room_id: int) -> Room:
    room = db.session.get(Room, room_id)
    if room is None or room.hotel_id != hotel.id:
        raise NotFound()
    return room


def list_hotels() -> list[tuple[Hotel, int, int]]:
    """Every hotel (active first, then by name) with its room-type and active-room counts."""
    types = (select(func.count(RoomType.id)).where(RoomType.hotel_id == Hotel.id).correlate(Hotel)
             .scalar_subquery())
    rooms = (select(func.count(Room.id)).where(Room.hotel_id == Hotel.id, Room.active.is_(True)).correlate(Hotel)
             .scalar_subquery())
    rows = db.session.execute(select(Hotel, types, rooms).order_by(Hotel.status, Hotel.name, Hotel.id)).all()
    return [(h, t or 0, r or 0) for h, t, r in rows]


def rooms_of(hotel: Hotel) -> list[Room]:
    return list(db.session.scalars(select(Room).where(Room.hotel_id == hotel.id)
                                   .order_by(Room.active.desc(), Room.room_number)))


# --- the inventory calendar -----------------------------------------------------------


def cell_level(reserved: int, cap: int) -> str:
    """"over" (sold beyond the cap), "full", "nearly" (≥ 80 %), or "ok"."""
    if reserved > cap:
        return "over"
    if cap == 0 or reserved >= cap:
        return "full" if reserved or cap == 0 else "ok"
    if reserved * 100 >= NEARLY_FULL_PERCENT * cap:
        return "nearly"
    return "ok"


@dataclass
class CalendarCell:
    total: int
    reserved: int
    cap: int

    @property
    def level(self) -> str:
        return cell_level(self.reserved, self.cap)


@dataclass
class InventoryMonth:
    hotel: Hotel
    first: date
    room_types: list[RoomType]
    nights: list[date]
    cells: dict[tuple[int, date], CalendarCell]
    today: date

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return self.first.replace(day=calendar.monthrange(self.first.year, self.first.month)[1]) + timedelta(days=1)


def inventory_month(hotel: Hotel, first: date) -> InventoryMonth:
    """Nights × room types of one month: rooms, sold and cap per cell (None: no inventory row)."""
    first = first.replace(day=1)
    days = calendar.monthrange(first.year, first.month)[1]
    nights = [first + timedelta(days=i) for i in range(days)]
    room_types = list(db.session.scalars(select(RoomType).where(RoomType.hotel_id == hotel.id).order_by(RoomType.id)))
    percent = {rt.id: rt.overbooking_percent for rt in room_types}
    rows = db.session.execute(
        select(InventoryNight.room_type_id, InventoryNight.night, InventoryNight.total, InventoryNight.reserved)
        .where(InventoryNight.hotel_id == hotel.id, InventoryNight.night >= nights[0],
               InventoryNight.night <= nights[-1])).all()
    cells = {(type_id, night): CalendarCell(total, reserved, compute_cap(total, percent.get(type_id, 100)))
             for type_id, night, total, reserved in rows}
    return InventoryMonth(hotel, first, room_types, nights, cells, clock.local_today(hotel.timezone))


# --- a room's status change and its effect on inventory ------------------------------------


@dataclass
class NightChange:
    night: date
    reserved: int
    total_before: int
    total_after: int
    cap_before: int
    cap_after: int

    @property
    def over_cap(self) -> bool:
        return self.reserved > self.cap_after


@dataclass
class RoomStatusEffect:
    room: Room
    target: str
    total_before: int
    total_after: int
    first_night: date | None = None
    last_night: date | None = None
    nights_changed: int = 0          # nights whose total changes
    nights_cap_changed: int = 0      # of those, nights whose cap changes
    over_cap: list[NightChange] = field(default_factory=list)
    affected: list[Reservation] = field(default_factory=list)

    @property
    def changes_inventory(self) -> bool:
        return self.total_before != self.total_after

    @property
    def needs_manager(self) -> bool:
        """Taking a room out when a night would be sold beyond its new cap."""
        return bool(self.over_cap)


def is_sellable(status: str) -> bool:
    return status in {s.value for s in SELLABLE_ROOM_STATUSES}


def room_status_effect(room: Room, target: str) -> RoomStatusEffect:
    """What changing `room` to `target` does to its type's nights from the hotel's today on.

    Lists the nights where sold > new cap and the bookings holding those nights.
    """
    from app.catalog.services import sellable_rooms

    room_type = room.room_type
    hotel = room_type.hotel
    total_before = sellable_rooms(room_type.id)
    delta = 0
    if room.active:
        delta = int(is_sellable(target)) - int(is_sellable(room.status))
    total_after = total_before + delta
    effect = RoomStatusEffect(room, target, total_before, total_after)
    if not delta:
        return effect
    today = clock.local_today(hotel.timezone)
    percent = room_type.overbooking_percent
    rows = db.session.execute(
        select(InventoryNight.night, InventoryNight.total, InventoryNight.reserved)
        .where(InventoryNight.room_type_id == room_type.id, InventoryNight.night >= today)
        .order_by(InventoryNight.night)).all()
    for night, total, reserved in rows:
        if total == total_after:
            continue
        change = NightChange(night, reserved, total, total_after, compute_cap(total, percent),
                             compute_cap(total_after, percent))
        effect.nights_changed += 1
        effect.first_night = effect.first_night or night
        effect.last_night = night
        if change.cap_before != change.cap_after:
            effect.nights_cap_changed += 1
        if change.over_cap:
            effect.over_cap.append(change)
    if effect.over_cap:
        nights = [c.night for c in effect.over_cap]
        effect.affected = list(db.session.scalars(
            select(Reservation).where(
                Reservation.room_type_id == room_type.id,
                Reservation.status.in_([s.value for s in HOLDS_INVENTORY]),
                Reservation.inventory_held.is_(True),
                Reservation.check_in <= max(nights), Reservation.check_out > min(nights))
            .order_by(Reservation.check_in, Reservation.id)))
        effect.affected = [r for r in effect.affected
                           if any(r.check_in <= n < r.check_out for n in nights)]
    return effect


# --- rate calendar preview ---------------------------------------------------------------------


@dataclass
class RatePreview:
    room_type: RoomType
    start: date
    end: date                   # exclusive
    price: int
    weekdays: list[int]
    nights: list[tuple[date, int]]  # (night, old price) of every night priced

    @property
    def last_night(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def count(self) -> int:
        return len(self.nights)

    @property
    def changing(self) -> int:
        return sum(1 for _, old in self.nights if old != self.price)

    @property
    def by_old_price(self) -> list[tuple[int, int]]:
        """(old price, nights) pairs, most nights first."""
        counts: dict[int, int] = {}
        for _, old in self.nights:
            counts[old] = counts.get(old, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def nights_in(start: date, end: date, weekdays: list[int]) -> list[date]:
    days = set(weekdays)
    return [start + timedelta(days=i) for i in range((end - start).days) if (start + timedelta(days=i)).weekday() in days]


def rate_preview(room_type: RoomType, start: date, end: date, price: int, weekdays: list[int]) -> RatePreview:
    """The nights [start, end) on `weekdays` (Monday = 0) and their price now (a rate or the base price)."""
    nights = nights_in(start, end, weekdays)
    current = dict(db.session.execute(select(Rate.night, Rate.price).where(
        Rate.room_type_id == room_type.id, Rate.night >= start, Rate.night < end)).all())
    return RatePreview(room_type, start, end, price, sorted(set(weekdays)),
                       [(n, current.get(n, room_type.base_price)) for n in nights])


# --- hotel deactivation preview -------------------------------------------------------------------


@dataclass
class AffectedReservation:
    reservation: Reservation
    refund_amount: int          # 0 when nothing was paid (a pending booking)


@dataclass
class DeactivationPreview:
    hotel: Hotel
    pending: list[AffectedReservation]
    paid: list[AffectedReservation]
    in_house: int               # guests checked in now: never canceled here

    @property
    def reservations(self) -> list[AffectedReservation]:
        return self.pending + self.paid

    @property
    def refunds(self) -> list[AffectedReservation]:
        return [a for a in self.paid if a.refund_amount > 0]

    @property
    def refund_total(self) -> int:
        return sum(a.refund_amount for a in self.refunds)

    @property
    def coupons(self) -> int:
        return len(self.refunds)

    @property
    def nights_freed(self) -> int:
        return sum((a.reservation.check_out - a.reservation.check_in).days * a.reservation.number_of_rooms
                   for a in self.reservations)

    def messages(self, cancel: bool) -> dict[str, int]:
        """Customer messages the confirm step sends, by event (none when bookings are kept)."""
        if not cancel:
            return {}
        result = {"booking_canceled": len(self.reservations)}
        if self.refunds:
            result["refund_requested"] = len(self.refunds)
        return result


def affected_reservation_ids(hotel: Hotel) -> list[int]:
    """Pending and paid bookings of the hotel with nights still to come (hotel-local today)."""
    today = clock.local_today(hotel.timezone)
    return list(db.session.scalars(
        select(Reservation.id).where(
            Reservation.hotel_id == hotel.id,
            Reservation.status.in_([ReservationStatus.PENDING.value, ReservationStatus.PAID.value]),
            Reservation.check_out > today)
        .order_by(Reservation.check_in, Reservation.id)))


def deactivation_preview(hotel: Hotel) -> DeactivationPreview:
    """The future bookings a deactivation touches and, if they are canceled, the
    refunds opened (case C: our fault, hotel closure → everything paid, with an apology coupon)."""
    from app.refunds.services import refundable_amount

    today = clock.local_today(hotel.timezone)
    ids = affected_reservation_ids(hotel)
    pending: list[AffectedReservation] = []
    paid: list[AffectedReservation] = []
    for reservation in db.session.scalars(select(Reservation).where(Reservation.id.in_(ids))
                                          .order_by(Reservation.check_in, Reservation.id)) if ids else []:
        if reservation.status == ReservationStatus.PAID:
            refundable = refundable_amount(reservation)
            amount = compute_refund(refundable=refundable, check_in=reservation.check_in, today=today,
                                    our_fault=OurFault.HOTEL_CLOSURE).amount if refundable > 0 else 0
            paid.append(AffectedReservation(reservation, amount))
        else:
            pending.append(AffectedReservation(reservation, 0))
    in_house = db.session.scalar(select(func.count(Reservation.id)).where(
        Reservation.hotel_id == hotel.id, Reservation.status == ReservationStatus.CHECKED_IN.value)) or 0
    return DeactivationPreview(hotel, pending, paid, in_house)
