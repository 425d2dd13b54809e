"""Availability, reservations, their state machine, and the customer pages."""
