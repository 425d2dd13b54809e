"""Statuses of catalog objects (no transition rules beyond these sets)."""
from enum import StrEnum


class HotelStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class RoomStatus(StrEnum):
    AVAILABLE = "available"
    OCCUPIED = "occupied"
    MAINTENANCE = "maintenance"
    CLEANING = "cleaning"


#: Rooms in these statuses count towards a night's inventory total.
SELLABLE_ROOM_STATUSES = frozenset({RoomStatus.AVAILABLE, RoomStatus.OCCUPIED, RoomStatus.CLEANING})
