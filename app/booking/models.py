"""Reservation and BookingConflict."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.booking.states import HOLDS_INVENTORY, ReservationStatus
from app.core.db import JSONType, UTCDateTime
from app.core.ids import display_code
from app.core.models import TimestampMixin
from app.extensions import db


class Reservation(TimestampMixin, db.Model):
    __tablename__ = "reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    hotel_id: Mapped[int] = mapped_column(ForeignKey("hotels.id"), nullable=False)
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id"), nullable=False)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    check_in: Mapped[date] = mapped_column(Date, nullable=False)
    check_out: Mapped[date] = mapped_column(Date, nullable=False)
    number_of_rooms: Mapped[int] = mapped_column(nullable=False)
    number_of_guests: Mapped[int] = mapped_column(nullable=False)
    guest_first_name: Mapped[str] = mapped_column(String(100), nullable=False)
    guest_last_name: Mapped[str] = mapped_column(String(100), nullable=False)
    guest_email: Mapped[str] = mapped_column(String(254), nullable=False)
    guest_phone: Mapped[str] = mapped_column(String(30), default="", nullable=False)
    language: Mapped[str] = mapped_column(String(2), default="ko", nullable=False)
    special_requests: Mapped[str] = mapped_column(Text, default="", nullable=False)
    payment_method: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), default=ReservationStatus.PENDING, nullable=False)
    total_amount: Mapped[int] = mapped_column(nullable=False)
    # A coupon's discount already taken off total_amount (list price = total + discount);
    # the coupon is the one whose reservation_id is this booking.
    discount_amount: Mapped[int] = mapped_column(default=0, server_default="0", nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # True while this reservation's nights are counted in inventory_nights.reserved.
    # Flipped only by guarded UPDATEs, so the rooms are released exactly once.
    inventory_held: Mapped[bool] = mapped_column(default=True, nullable=False)
    access_salt: Mapped[str] = mapped_column(String(32), nullable=False)
    channel: Mapped[str] = mapped_column(String(20), default="api", nullable=False)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(100))
    # Set when a bank transfer's window ended with only part of the money paid: the booking
    # waits for a person's decision instead of being canceled (app.deposits.shortfall).
    payment_shortfall_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    hotel = relationship("Hotel")
    room_type = relationship("RoomType")
    room = relationship("Room")

    __table_args__ = (
        CheckConstraint("check_out > check_in", name="stay_order"),
        CheckConstraint("number_of_rooms BETWEEN 1 AND 9", name="rooms_range"),
        CheckConstraint("number_of_guests >= 1", name="guests_positive"),
        CheckConstraint("total_amount >= 0", name="total_non_negative"),
        Index("ix_reservations_status_hold", "status", "hold_expires_at"),
        Index("ix_reservations_hotel_check_in", "hotel_id", "check_in"),
        Index("ix_reservations_guest_email", "guest_email"),
        Index("ix_reservations_status_shortfall", "status", "payment_shortfall_at"),
        # Deposit matching reads the bank transfers of the last 60 days.
        Index("ix_reservations_method_created", "payment_method", "created_at"),
    )

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    @property
    def display_code(self) -> str:
        return display_code(self.code)

    @property
    def guest_name(self) -> str:
        """The guest's name in the reader's language order: "오지현" / "山田 花子" / "Minji Kim"."""
        from app.core.language import display_name

        return display_name(self.guest_first_name, self.guest_last_name, honorific=False)

    @property
    def holds_inventory(self) -> bool:
        return ReservationStatus(self.status) in HOLDS_INVENTORY


class ConflictResolution:
    PENDING_REVIEW = "PENDING_REVIEW"
    RESOLVED = "RESOLVED"
    DISMISSED = "DISMISSED"


class BookingConflict(TimestampMixin, db.Model):
    """A booking that lost the race for the last rooms (seed 000's failures)."""

    __tablename__ = "booking_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    hotel_id: Mapped[int] = mapped_column(ForeignKey("hotels.id"), nullable=False)
    room_type_id: Mapped[int] = mapped_column(ForeignKey("room_types.id"), nullable=False)
    check_in: Mapped[date] = mapped_column(Date, nullable=False)
    check_out: Mapped[date] = mapped_column(Date, nullable=False)
    number_of_rooms: Mapped[int] = mapped_column(nullable=False)
    guest_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    guest_email: Mapped[str] = mapped_column(String(254), default="", nullable=False)
    guest_phone: Mapped[str] = mapped_column(String(30), default="", nullable=False)
    language: Mapped[str] = mapped_column(String(2), default="ko", nullable=False)
    channel: Mapped[str] = mapped_column(String(20), default="api", nullable=False)
    full_nights: Mapped[list[str]] = mapped_column(JSONType, default=list, nullable=False)
    alternatives: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(100))
    # One conflict per idempotency key: a retried request is not a new failure.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    resolution: Mapped[str] = mapped_column(String(20), default=ConflictResolution.PENDING_REVIEW, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    hotel = relationship("Hotel")
    room_type = relationship("RoomType")

    __table_args__ = (
        Index("ix_booking_conflicts_created_at", "created_at"),
        Index("ix_booking_conflicts_resolution", "resolution"),
        Index("ix_booking_conflicts_guest_email", "guest_email"),
    )
