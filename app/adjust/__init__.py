"""Reservation adjustments in the back office: status changes, date/room changes,
room assignment (one reservation per room per night) and private notes."""
