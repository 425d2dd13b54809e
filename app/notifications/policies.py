"""Which channels each customer event goes to. One table, read by the
service, the back office and the tests."""
from __future__ import annotations

EMAIL = "email"
SMS = "sms"

#: event → channels. SMS only goes out when the guest gave a phone number.
EVENT_CHANNELS: dict[str, tuple[str, ...]] = {
    "booking_received": (EMAIL,),
    "payment_confirmed": (EMAIL, SMS),
    "deposit_amount_mismatch": (EMAIL, SMS),
    "hold_expired": (EMAIL, SMS),
    "booking_canceled": (EMAIL,),
    "booking_changed": (EMAIL,),
    "booking_conflict_apology": (EMAIL,),
    "refund_requested": (EMAIL,),
    "refund_approved": (EMAIL,),
    "refund_refused": (EMAIL,),
    "refund_account_needed": (EMAIL, SMS),
    "payout_delayed": (EMAIL,),
    "room_assigned": (EMAIL,),
}
