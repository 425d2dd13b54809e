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


# --- conflicts: dismissing, patterns (seed 000) ----------------------------------------

#: A dismissal needs a written internal reason of at least this many characters (Korean: "중복" is a reason).
DISMISS_REASON_MIN_LENGTH = 2
DISMISS_REASON_MAX_LENGTH = 1000

#: The patterns page accepts a range of at most this many days (one SQL GROUP BY per dimension).
PATTERN_RANGE_MAX_DAYS = 366
#: Its default range: the last 7 Korean days, today included.
PATTERN_DEFAULT_DAYS = 7
#: Weekly and monthly statistics shown on the conflicts page (complete periods, newest first).
STATS_WEEKS = 4
STATS_MONTHS = 3

#: Tomorrow's expected busy hours come from conflicts on the same weekday over this many weeks.
PEAK_LOOKBACK_WEEKS = 4
PEAK_HOURS_SHOWN = 3


# --- Today: afternoon and closing checks (seed 001 §2.2, §2.3) ------------------------

#: Error rate (server errors / requests) below this percent is normal (seed 001 §2.2: "< 1 %").
ERROR_RATE_NORMAL_BELOW_PERCENT = 1
#: Today's bookings so far below this percent of the same weekday last week (same hour) is flagged.
VOLUME_LOW_PERCENT = 50

HANDOVER_NOTE_MAX_LENGTH = 4000


def is_error_rate_normal(errors: int, total: int) -> bool:
    """errors / total < ERROR_RATE_NORMAL_BELOW_PERCENT %, in integers (no float rounding)."""
    return errors * 100 < ERROR_RATE_NORMAL_BELOW_PERCENT * total


def is_volume_low(today: int, last_week: int) -> bool:
    """Today's count so far is below VOLUME_LOW_PERCENT % of last week's at the same time."""
    return last_week > 0 and today * 100 < VOLUME_LOW_PERCENT * last_week

#: How a conflict's resolution is named on pages (never the code).
RESOLUTION_LABELS = {
    "PENDING_REVIEW": _l("Waiting for review"),
    "RESOLVED": _l("Contacted and compensated"),
    "DISMISSED": _l("Closed without contact"),
}
