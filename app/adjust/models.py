"""RoomAssignment, RoomFeature and ReservationNote."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow_default
from app.extensions import db


class RoomAssignment(db.Model):
    """One room given to a reservation for the nights [check_in, check_out).

    A multi-room booking has one row per room. A row counts while
    `released_at` is NULL. On PostgreSQL an exclusion constraint (btree_gist,
    see migration 0007) refuses two counting rows of the same room whose
    stays overlap, whatever path writes them; on SQLite the service checks
    under the database write lock (BEGIN IMMEDIATE).
    """

    __tablename__ = "room_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id"), nullable=False)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), nullable=False)
    check_in: Mapped[date] = mapped_column(Date, nullable=False)
    check_out: Mapped[date] = mapped_column(Date, nullable=False)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    assigned_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_reason: Mapped[str | None] = mapped_column(String(200))

    room = relationship("Room")
    reservation = relationship("Reservation")

    __table_args__ = (
        CheckConstraint("check_out > check_in", name="assignment_stay_order"),
        Index("ix_room_assignments_reservation_id", "reservation_id"),
        Index("ix_room_assignments_room_stay", "room_id", "check_in", "check_out"),
    )


class RoomFeature(db.Model):
    """A fact about a room that guests ask for ("quiet", "view", …); floors are on Room."""

    __tablename__ = "room_features"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), nullable=False)
    feature: Mapped[str] = mapped_column(String(40), nullable=False)

    __table_args__ = (UniqueConstraint("room_id", "feature"),)


class ReservationNote(db.Model):
    """A private note operators keep on a reservation (never shown to the guest)."""

    __tablename__ = "reservation_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    author_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)

    __table_args__ = (Index("ix_reservation_notes_reservation_id", "reservation_id", "created_at"),)
