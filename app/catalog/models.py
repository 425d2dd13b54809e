"""Catalog models: Hotel, RoomType, Room, Rate, InventoryNight."""
from __future__ import annotations

from datetime import date, time
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.policies import DEFAULT_OVERBOOKING_PERCENT, compute_available, compute_cap
from app.catalog.states import HotelStatus, RoomStatus
from app.core.db import JSONType
from app.core.models import TimestampMixin
from app.extensions import db


class Hotel(TimestampMixin, db.Model):
    __tablename__ = "hotels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    country: Mapped[str] = mapped_column(String(2), default="KR", nullable=False)
    latitude: Mapped[float | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[float | None] = mapped_column(Numeric(9, 6))
    star_rating: Mapped[int] = mapped_column(default=3, nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # {"ko": …, "ja": …, "en": …}: shown in the reader's language, `name` when missing.
    name_i18n: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    description_i18n: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    amenities: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul", nullable=False)
    check_in_time: Mapped[time] = mapped_column(Time, default=time(15, 0), nullable=False)
    check_out_time: Mapped[time] = mapped_column(Time, default=time(11, 0), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), default="KRW", nullable=False)
    status: Mapped[str] = mapped_column(String(20), default=HotelStatus.ACTIVE, nullable=False)
    deactivation_reason: Mapped[str | None] = mapped_column(Text)

    room_types: Mapped[list["RoomType"]] = relationship(back_populates="hotel", order_by="RoomType.id")

    __table_args__ = (
        CheckConstraint("star_rating BETWEEN 0 AND 5", name="star_rating_range"),
    )

    @property
    def is_active(self) -> bool:
        return self.status == HotelStatus.ACTIVE


class RoomType(TimestampMixin, db.Model):
    __tablename__ = "room_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    hotel_id: Mapped[int] = mapped_column(ForeignKey("hotels.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    name_i18n: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    description_i18n: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    max_occupancy: Mapped[int] = mapped_column(default=2, nullable=False)
    bed_type: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    size_sqm: Mapped[int | None] = mapped_column()
    amenities: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    base_price: Mapped[int] = mapped_column(nullable=False)
    overbooking_percent: Mapped[int] = mapped_column(default=DEFAULT_OVERBOOKING_PERCENT, nullable=False)
    active: Mapped[bool] = mapped_column(default=True, nullable=False)

    hotel: Mapped[Hotel] = relationship(back_populates="room_types")
    rooms: Mapped[list["Room"]] = relationship(back_populates="room_type", order_by="Room.room_number")

    __table_args__ = (
        CheckConstraint("base_price >= 0", name="base_price_non_negative"),
        CheckConstraint("max_occupancy BETWEEN 1 AND 20", name="max_occupancy_range"),
        CheckConstraint("overbooking_percent BETWEEN 100 AND 200", name="overbooking_percent_range"),
    )


class Room(TimestampMixin, db.Model):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    hotel_id: Mapped[int] = mapped_column(ForeignKey("hotels.id"), nullable=False, index=True)
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id"), nullable=False, index=True)
    room_number: Mapped[str] = mapped_column(String(20), nullable=False)
    floor: Mapped[int] = mapped_column(default=1, nullable=False)
    status: Mapped[str] = mapped_column(String(20), default=RoomStatus.AVAILABLE, nullable=False)
    active: Mapped[bool] = mapped_column(default=True, nullable=False)

    room_type: Mapped[RoomType] = relationship(back_populates="rooms")

    __table_args__ = (UniqueConstraint("hotel_id", "room_number"),)


class Rate(db.Model):
    """The price of one night of a room type; nights without a row use base_price."""

    __tablename__ = "rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id"), nullable=False)
    night: Mapped[date] = mapped_column(Date, nullable=False)
    price: Mapped[int] = mapped_column(nullable=False)

    __table_args__ = (
        UniqueConstraint("room_type_id", "night"),
        CheckConstraint("price >= 0", name="price_non_negative"),
    )


class InventoryNight(db.Model):
    """Rooms of one type for one night: `total` sellable rooms, `reserved` held.

    `reserved` only ever changes through the booking service's guarded
    statements (DESIGN invariant 1). `price` is the night's rate, kept equal to
    the `rates` row by the only writers of rates (catalog.set_rates, the demo
    data) and by sync_inventory for new nights; null: the room type's base
    price. Search and the hotel pages read it instead of probing `rates`.
    """

    __tablename__ = "inventory_nights"

    id: Mapped[int] = mapped_column(primary_key=True)
    hotel_id: Mapped[int] = mapped_column(ForeignKey("hotels.id"), nullable=False)
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id"), nullable=False)
    night: Mapped[date] = mapped_column(Date, nullable=False)
    total: Mapped[int] = mapped_column(default=0, nullable=False)
    reserved: Mapped[int] = mapped_column(default=0, nullable=False)
    price: Mapped[int | None] = mapped_column(nullable=True)

    __table_args__ = (
        UniqueConstraint("room_type_id", "night"),
        CheckConstraint("reserved >= 0", name="reserved_non_negative"),
        CheckConstraint("price IS NULL OR price >= 0", name="price_non_negative"),
        # A search reads a city's nights hotel by hotel (migration 0025).
        Index("ix_inventory_nights_hotel_id_night", "hotel_id", "night"),
        CheckConstraint("total >= 0", name="total_non_negative"),
    )

    def cap(self, overbooking_percent: int) -> int:
        return compute_cap(self.total, overbooking_percent)

    def available(self, overbooking_percent: int) -> int:
        return compute_available(self.total, self.reserved, overbooking_percent)


# Search matches the city case-insensitively.
Index("ix_hotels_city_lower", func.lower(Hotel.city))
