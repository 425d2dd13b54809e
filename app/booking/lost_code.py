""""I lost my code": a guest gives an email address and gets, at that address, their bookings still
to come with a link that opens each one.

The page answers the same whether or not the address has bookings, and sends nothing when it has
none, so it tells nobody which addresses book with us. The email goes through the outbox in the
language the guest chose on their latest booking; at most one per address per window
(LOST_CODE_WINDOW_SECONDS), however often the form is sent.
"""
from __future__ import annotations

import hashlib
import logging

from flask import current_app

from app.booking.links import OPEN_LINK_DAYS, open_link
from app.booking.policies import normalize_guest_email
from app.booking.queries import list_upcoming_reservations_for_email
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import run_in_transaction
from app.notifications.policies import mask_email
from app.notifications.rendering import guest_name
from app.notifications.services import queue_notification

log = logging.getLogger(__name__)

#: One email per address per window (the find page's throttle window).
LOST_CODE_WINDOW_SECONDS = 15 * 60


def booking_codes_context(reservations, language: str) -> dict:
    """The `booking_codes` message's context: each booking with its code and a link that opens it."""
    newest = max(reservations, key=lambda r: (r.created_at, r.id))
    return {
        "guest_name": guest_name(newest.guest_first_name, newest.guest_last_name, language),
        "days": OPEN_LINK_DAYS,
        "bookings": [{"code": r.display_code, "hotel_name": r.hotel.name, "room_type_name": r.room_type.name,
                      "check_in": r.check_in, "check_out": r.check_out, "nights": r.nights, "status": r.status,
                      "link": open_link(r, language)} for r in reservations],
    }


def send_booking_codes(typed_email: str, *, actor: Actor | None = None) -> int:
    """Queue the list of the address's bookings still to come (commits when there are some);
    returns how many were listed (0: nothing is sent). Sending the form again within the window
    queues nothing more (the outbox key), so running it twice is safe."""
    email = normalize_guest_email(typed_email)
    if not email:
        return 0
    today = clock.local_today(current_app.config["FRONTDESK_TIMEZONE"])
    now = clock.now()
    window = int(now.timestamp()) // LOST_CODE_WINDOW_SECONDS
    address_key = hashlib.sha256(email.encode()).hexdigest()[:32]

    def work() -> int:
        reservations = list_upcoming_reservations_for_email(email, today=today)
        if not reservations:
            return 0
        language = max(reservations, key=lambda r: (r.created_at, r.id)).language
        queued = queue_notification("booking_codes", key=f"{address_key}:{window}", recipient_email=email,
                                    language=language, context=booking_codes_context(reservations, language))
        if queued:
            audit.record("booking.codes_sent", entity_type="guest", entity_id=mask_email(email),
                         actor=actor or Actor.guest(email),
                         data={"bookings": [r.public_id for r in reservations]})
        return len(reservations)

    count = run_in_transaction(work)
    log.info("lost code: %s", "sent" if count else "no bookings")
    return count
