"""Pure rules for customer messages: which channels an event uses, what
context it needs, when it is still true, when to try again, and the
Message-ID that makes a resend recognisable. One table each, read by the
services, the back office and the tests.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

EMAIL = "email"
SMS = "sms"
CHANNELS = (EMAIL, SMS)
WEBHOOK = "webhook"
#: Messages to operators (alerts, reports; app.notifications.services.queue_operator_message):
#: rendered by the caller, sent as stored, never tied to a guest. A webhook posts {"text": body}.
OPERATOR_CHANNELS = (EMAIL, SMS, WEBHOOK)
#: The context flag that marks an operator message.
OPERATOR_MESSAGE = "operator_message"
LANGUAGES = ("ko", "ja", "en")
FALLBACK_LANGUAGE = "en"

#: event → channels. SMS only goes out when the guest gave a phone number.
EVENT_CHANNELS: dict[str, tuple[str, ...]] = {
    "booking_received": (EMAIL,),
    "payment_confirmed": (EMAIL, SMS),
    "deposit_amount_mismatch": (EMAIL, SMS),
    "payment_shortfall": (EMAIL, SMS),
    "payment_rest_requested": (EMAIL, SMS),
    "shortfall_canceled": (EMAIL,),
    "hold_expired": (EMAIL, SMS),
    "booking_canceled": (EMAIL,),
    "booking_changed": (EMAIL,),
    "booking_conflict_apology": (EMAIL,),
    "refund_requested": (EMAIL,),
    "refund_approved": (EMAIL,),
    "refund_refused": (EMAIL,),
    "refund_sent": (EMAIL,),
    "refund_account_needed": (EMAIL, SMS),
    "payout_delayed": (EMAIL,),
    "room_assigned": (EMAIL,),
    "booking_codes": (EMAIL,),
}

#: event → the keys its `context` must carry (the caller passes them to
#: queue_notification). Everything about the booking itself (code, hotel,
#: dates, guest name, link) is read from the reservation at send time.
#: Amounts are integer minor units of `currency` (or of the booking's currency).
EVENT_CONTEXT: dict[str, tuple[str, ...]] = {
    "booking_received": (),
    "payment_confirmed": (),
    "deposit_amount_mismatch": ("expected", "received", "difference", "currency"),
    # A bank transfer's window ended with part paid (app.deposits.shortfall): the booking is held.
    "payment_shortfall": ("expected", "received", "missing", "currency"),
    # A person asked for the rest: `due` is the new deadline (ISO datetime).
    "payment_rest_requested": ("expected", "received", "missing", "currency", "due"),
    # Canceled because the rest never came: everything received goes back.
    "shortfall_canceled": ("received", "currency"),
    "hold_expired": (),
    "booking_canceled": (),
    "booking_changed": (),
    # alternatives: up to 3 of app.booking.queries.find_alternatives' dicts;
    # compensation: {"kind": "time"|"coupon"|"credit", "minutes" or "amount" (+ "currency"), "description"}
    "booking_conflict_apology": ("alternatives", "compensation"),
    "refund_requested": (),
    "refund_approved": ("amount", "currency", "method"),  # method: "card" | "bank_transfer"
    "refund_refused": ("guest_text",),  # the guest-facing text only, never the internal note
    # the money has left us; optional: "account" (bank, masked number) or "card_last4"
    "refund_sent": ("amount", "currency", "method"),
    "refund_account_needed": ("link",),
    "payout_delayed": ("expected_by",),  # an ISO date or datetime
    "room_assigned": ("room_number",),
    # "I lost my code" (app.booking.lost_code): a guest's bookings still to come, each
    # {"code", "hotel_name", "room_type_name", "check_in", "check_out", "nights", "status", "link"};
    # `days`: how long the links open the bookings.
    "booking_codes": ("guest_name", "bookings", "days"),
}

#: A message with no reservation (a booking conflict) says what it is about with these.
STANDALONE_CONTEXT: tuple[str, ...] = ("guest_name", "hotel_name", "check_in", "check_out")
#: Messages about no one booking, which carry no booking summary (their templates leave it out).
WITHOUT_SUMMARY: frozenset[str] = frozenset({"booking_codes"})

#: event → the reservation statuses in which the message is still true when it
#: is about to be sent; any other status → `skipped` (None: not tied to the status).
STILL_TRUE: dict[str, frozenset[str] | None] = {
    "booking_received": frozenset({"pending", "paid", "checked_in"}),
    "payment_confirmed": frozenset({"paid", "checked_in", "checked_out"}),
    "deposit_amount_mismatch": frozenset({"pending"}),
    "payment_shortfall": frozenset({"pending"}),
    "payment_rest_requested": frozenset({"pending"}),
    "shortfall_canceled": frozenset({"canceled", "refunded"}),
    "hold_expired": frozenset({"canceled"}),
    "booking_canceled": frozenset({"canceled", "refunded"}),
    "booking_changed": frozenset({"pending", "paid"}),
    "booking_conflict_apology": None,
    "refund_requested": None,
    "refund_approved": None,
    "refund_refused": None,
    "refund_sent": None,
    "refund_account_needed": None,
    "payout_delayed": None,
    "room_assigned": frozenset({"paid", "checked_in"}),
    "booking_codes": None,
}

#: Waits after the 1st, 2nd, 3rd and 4th failed try of a temporary failure
#: (SMTP 4xx, timeouts, connection refused). The 5th failed try → `failed`.
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=60),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1

#: A message left `sending` longer than this was being sent by a worker that
#: died (RQ kills a send job after 5 minutes): the relay takes it back.
SENDING_LEASE = timedelta(minutes=10)

#: The relay reads due messages in pages of this size, for at most this long per run.
RELAY_BATCH = 2000
RELAY_TIME_BUDGET_SECONDS = 45


def missing_context(event: str, context: dict[str, Any], *, has_reservation: bool) -> list[str]:
    """The context keys the event needs but `context` lacks (empty when complete)."""
    wanted = list(EVENT_CONTEXT[event])
    if not has_reservation and event not in WITHOUT_SUMMARY:
        wanted += [k for k in STANDALONE_CONTEXT if k not in wanted]
    return [key for key in wanted if key not in context]


def next_attempt_at(attempts_made: int, now: datetime) -> datetime | None:
    """When to try again after `attempts_made` failed tries; None when it is time to give up."""
    if attempts_made < 1:
        return now
    if attempts_made > len(RETRY_DELAYS):
        return None
    return now + RETRY_DELAYS[attempts_made - 1]


def is_operator_message(context: dict[str, Any] | None) -> bool:
    """An operator message (alert, report) is sent as stored, not rendered from a guest template."""
    return bool((context or {}).get(OPERATOR_MESSAGE))


def still_true(event: str, reservation_status: str | None, *, room_number: str | None = None,
               current_room_number: str | None = None) -> tuple[bool, str | None]:
    """Is the message still true? (True, None) or (False, why) — checked just before sending."""
    allowed = STILL_TRUE.get(event)
    if allowed is not None and reservation_status is not None and reservation_status not in allowed:
        return False, f"booking is now {reservation_status}"
    if event == "room_assigned" and room_number is not None and current_room_number != room_number:
        return False, "another room is assigned now"
    return True, None


def message_id_for(dedupe_key: str, domain: str) -> str:
    """The email's Message-ID, derived from the outbox dedupe key.

    Every try of the same message carries the same Message-ID, so a resend
    after a crash is recognisably the same message (mail stores such as Gmail
    keep one copy per Message-ID; people see it is a repeat).
    """
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:32]
    return f"<fd.{digest}@{domain or 'frontdesk.invalid'}>"


def mask_phone(phone: str) -> str:
    """'+82 10-1234-5678' → '+82 10-****-5678': enough to recognise, not to dial."""
    digits = [i for i, ch in enumerate(phone) if ch.isdigit()]
    if len(digits) <= 4:
        return "*" * len(phone)
    keep_head = set(digits[:min(4, len(digits) - 4)])
    keep_tail = set(digits[-4:])
    return "".join(ch if (not ch.isdigit() or i in keep_head or i in keep_tail) else "*"
                   for i, ch in enumerate(phone))


def mask_email(email: str) -> str:
    """'minji.kim@example.com' → 'm***@example.com'."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
