"""Adjustment fixtures: paid bookings, rooms with floors and features, outbox lookups."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.adjust.models import RoomAssignment, RoomFeature
from app.booking.models import Reservation
from app.catalog.models import Room
from app.core.actor import Actor
from app.extensions import db
from app.notifications.models import OutboxMessage

ACTOR = Actor.system("test")


def fresh(reservation: Reservation) -> Reservation:
    return db.session.get(Reservation, reservation.id, populate_existing=True)


def rooms_of(room_type) -> list[Room]:
    return list(db.session.scalars(select(Room).where(Room.room_type_id == room_type.id).order_by(Room.room_number)))


def live_assignments(reservation) -> list[RoomAssignment]:
    return list(db.session.scalars(select(RoomAssignment).where(
        RoomAssignment.reservation_id == reservation.id, RoomAssignment.released_at.is_(None))
        .execution_options(populate_existing=True)))


def messages(reservation, event: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.reservation_id == reservation.id, OutboxMessage.event == event)))


def add_feature(room: Room, feature: str) -> None:
    db.session.add(RoomFeature(room_id=room.id, feature=feature))
    db.session.flush()


@pytest.fixture
def paid(app):
    """paid(room_type=None, **booking kwargs) → a reservation paid by card."""
    from tests.factories import make_paid_reservation

    def _make(room_type=None, **kwargs):
        r = make_paid_reservation(room_type, **kwargs)
        return fresh(r)

    return _make
