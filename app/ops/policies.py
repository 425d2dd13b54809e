"""Pure back-office rules: the booking-conflict alert levels (seed 000) and the Today page's order.

CONFLICT_ALERT_LEVELS is seed 000's table, one literal, read by the Today
page, the conflicts page and the tests.
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

#: Seed 000 §1: booking conflicts (failed bookings) in the last hour → alert level.
#: Most severe first; `min`/`max` are inclusive counts (None: no upper bound).
CONFLICT_ALERT_LEVELS = (
    {"level": "CRITICAL", "min": 10, "max": None, "respond_within": timedelta(minutes=5),
     "who": _l("System admin and head of operations"), "severity": "bad"},
    {"level": "WARNING", "min": 5, "max": 9, "respond_within": timedelta(minutes=30),
     "who": _l("Operations team"), "severity": "warn"},
    {"level": "INFO", "min": 2, "max": 4, "respond_within": timedelta(hours=2),
     "who": _l("Customer service team"), "severity": "info"},
    {"level": "OK", "min": 0, "max": 1, "respond_within": None,
     "who": _l("Routine monitoring"), "severity": "ok"},
)

#: How far ahead "holds about to expire" looks (pending card holds).
HOLD_EXPIRING_WITHIN = timedelta(minutes=10)

#: A bank-transfer order closer than this to its automatic cancel is shown as urgent.
TRANSFER_URGENT_WITHIN = timedelta(hours=2)

#: Today items: most urgent first (lower first); "done" (count 0) last.
SEVERITY_ORDER = {"bad": 0, "warn": 1, "error": 2, "info": 3, "ok": 4, "done": 5}


def compute_conflict_alert_level(failures_last_hour: int) -> dict:
    """The row of CONFLICT_ALERT_LEVELS for this many conflicts in the last hour."""
    if failures_last_hour < 0:
        raise ValueError("a count cannot be negative")
    for row in CONFLICT_ALERT_LEVELS:
        if failures_last_hour >= row["min"] and (row["max"] is None or failures_last_hour <= row["max"]):
            return row
    raise AssertionError("CONFLICT_ALERT_LEVELS must cover every count")  # pragma: no cover


def compute_today_rank(*, count: int | None, severity: str, order: int) -> tuple[int, int]:
    """Sort key of a Today item: urgent ones first, done ones last; `order` breaks ties.

    `count` None means the item could not be counted (shown after warnings).
    """
    if count is None:
        return SEVERITY_ORDER["error"], order
    if count == 0:
        return SEVERITY_ORDER["done"], order
    return SEVERITY_ORDER.get(severity, SEVERITY_ORDER["info"]), order
