"""Fixtures for notification tests: sample event contexts and message helpers."""
from __future__ import annotations

import pytest

from tests.workers.conftest import own_redis, thread_app  # noqa: F401  (shared fixtures)

#: A complete context for every event (keys from policies.EVENT_CONTEXT).
SAMPLE_CONTEXT: dict[str, dict] = {
    "booking_received": {},
    "payment_confirmed": {},
    "deposit_amount_mismatch": {"expected": 240000, "received": 200000, "difference": 40000, "currency": "KRW"},
    "payment_shortfall": {"expected": 89000, "received": 88999, "missing": 1, "currency": "KRW"},
    "payment_rest_requested": {"expected": 89000, "received": 88999, "missing": 1, "currency": "KRW",
                               "due": "2026-12-10T09:00:00+00:00"},
    "shortfall_canceled": {"received": 88999, "currency": "KRW"},
    "hold_expired": {},
    "booking_canceled": {},
    "booking_changed": {},
    "booking_conflict_apology": {
        "alternatives": [
            {"kind": "room_type", "hotelID": "1", "hotelName": "Hotel Han River", "roomTypeID": "2",
             "roomTypeName": "Deluxe Twin", "checkInDate": "2026-12-01", "checkOutDate": "2026-12-03",
             "totalPrice": {"amount": 260000, "currency": "KRW"}},
            {"kind": "dates", "hotelID": "1", "hotelName": "Hotel Han River", "roomTypeID": "1",
             "roomTypeName": "Standard Double", "checkInDate": "2026-12-02", "checkOutDate": "2026-12-04",
             "totalPrice": {"amount": 200000, "currency": "KRW"}},
            {"kind": "hotel", "hotelID": "3", "hotelName": "Seoul Garden Hotel", "roomTypeID": "7",
             "roomTypeName": "Superior", "checkInDate": "2026-12-01", "checkOutDate": "2026-12-03",
             "totalPrice": {"amount": 230000, "currency": "KRW"}},
        ],
        "compensation": {"kind": "time", "minutes": 30, "description": "System concurrency issue compensation"},
        "guest_name": "Minji Kim", "hotel_name": "Hotel Han River",
        "check_in": "2026-12-01", "check_out": "2026-12-03",
    },
    "refund_requested": {},
    "refund_approved": {"amount": 120000, "currency": "KRW", "method": "card"},
    "refund_refused": {"guest_text": "The stay has already started."},
    "refund_sent": {"amount": 120000, "currency": "KRW", "method": "bank_transfer",
                    "account": "KB Kookmin Bank ***-***-4567 (Minji Kim)"},
    "refund_account_needed": {"link": "https://frontdesk.example/refunds/rfd_123/account"},
    "payout_delayed": {"expected_by": "2026-12-05T09:00:00Z"},  # as app.remittance passes it
    "room_assigned": {"room_number": "1203"},
    "booking_codes": {
        "guest_name": "Minji Kim", "days": 7,
        "bookings": [
            {"code": "FD-7K3M9Q", "hotel_name": "Hotel Han River", "room_type_name": "Standard Double",
             "check_in": "2026-12-01", "check_out": "2026-12-03", "nights": 2, "status": "paid",
             "link": "https://frontdesk.example/booking/open/abc.def.ghi?lang=ko"},
            {"code": "FD-4M2Q9X", "hotel_name": "Seoul Garden Hotel", "room_type_name": "Superior",
             "check_in": "2027-01-10", "check_out": "2027-01-11", "nights": 1, "status": "pending",
             "link": "https://frontdesk.example/booking/open/jkl.mno.pqr?lang=ko"},
        ],
    },
}


@pytest.fixture
def sample_context():
    return SAMPLE_CONTEXT
