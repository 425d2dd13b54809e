"""Pure rules of the alert engine: response times, repeats, escalation, thresholds.

The clock is a parameter everywhere; nothing here reads the database.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

CRITICAL, WARNING, INFO = "CRITICAL", "WARNING", "INFO"
SEVERITIES = (CRITICAL, WARNING, INFO)

#: Seed 001 §10.1's four rows.
AREAS = ("transactions", "system", "security", "money")

#: Seed 001 §7.2: first response (acknowledge) and resolution, per severity. INFO's
#: "within business hours" is taken as 8 hours (one working day of 09:00–18:00).
RESPONSE_SLA: dict[str, dict[str, timedelta]] = {
    CRITICAL: {"ack": timedelta(minutes=15), "resolve": timedelta(hours=1)},
    WARNING: {"ack": timedelta(minutes=30), "resolve": timedelta(hours=4)},
    INFO: {"ack": timedelta(hours=8), "resolve": timedelta(hours=24)},
}

#: How often an open, unacknowledged alert is sent again (Alertmanager's repeat_interval).
REPEAT_EVERY: dict[str, timedelta] = {
    CRITICAL: timedelta(minutes=15),
    WARNING: timedelta(hours=1),
    INFO: timedelta(hours=24),
}

#: On-call lists have three positions (seed 001 §10.1: 1st → 2nd → 3rd).
ONCALL_POSITIONS = (1, 2, 3)

# Thresholds of individual rules.
PAYOUT_FAILURE_WINDOW = timedelta(hours=1)
PAYOUT_FAILURE_MIN_TRIES = 5          # fewer answered tries in the hour: too few to call a rate
PAYOUT_FAILURE_RATE_PERCENT = 20      # at least this share refused → "payout failure rate rising"
SAME_ERROR_WINDOW = timedelta(hours=1)
SAME_ERROR_MIN = 3                    # seed 001 §6.3: the same error 3 times or more
BATCH_TOO_LONG = timedelta(minutes=30)
EVENT_LOOKBACK = timedelta(days=7)    # events (a failed batch, a chargeback) older than this are not raised

#: Silences: the longest one an operator may set, and a reason's minimum length.
SILENCE_MAX = timedelta(days=7)
SILENCE_REASON_MIN = 5


def payout_failure_rate_high(failed: int, total: int) -> bool:
    """Enough tries in the window and at least PAYOUT_FAILURE_RATE_PERCENT of them refused."""
    return total >= PAYOUT_FAILURE_MIN_TRIES and failed * 100 >= PAYOUT_FAILURE_RATE_PERCENT * total


@dataclass(frozen=True)
class Timing:
    """When the next things are due for one alert (None: never)."""

    repeat_at: datetime | None
    escalate_at: datetime | None


def compute_timing(*, status: str, opened_at: datetime, last_notified_at: datetime | None,
                   escalated_at: datetime | None, escalation_step: int, repeat_every: timedelta,
                   ack_within: timedelta, people: int) -> Timing:
    """An open (unacknowledged) alert repeats `repeat_every` after its last message and
    escalates `ack_within` after it opened (or after its last escalation) while a next
    person exists (`people` on the area's list). Acknowledged or resolved: nothing."""
    if status != "open":
        return Timing(None, None)
    repeat_at = (last_notified_at + repeat_every) if last_notified_at is not None else opened_at
    escalate_at = None
    if escalation_step + 1 < people:
        escalate_at = (escalated_at or opened_at) + ack_within
    return Timing(repeat_at, escalate_at)


def is_due(at: datetime | None, now: datetime) -> bool:
    return at is not None and at <= now


def channels_for(severity: str, config: dict) -> tuple[str, ...]:
    """ALERT_CHANNELS_<SEVERITY>: a comma list of email, sms, webhook (unknown words ignored)."""
    raw = config.get(f"ALERT_CHANNELS_{severity}") or ""
    return tuple(dict.fromkeys(c.strip().lower() for c in raw.split(",")
                               if c.strip().lower() in ("email", "sms", "webhook")))


def webhook_for(severity: str, config: dict) -> str | None:
    """#plic-ops for INFO (falling back to #plic-alerts), #plic-alerts otherwise."""
    if severity == INFO:
        return config.get("ALERT_OPS_WEBHOOK_URL") or config.get("ALERT_WEBHOOK_URL")
    return config.get("ALERT_WEBHOOK_URL")


@dataclass(frozen=True)
class Contact:
    """One person to tell: an operator's or a configured address."""

    email: str | None
    phone: str | None
    language: str = "ko"
    name: str = ""
    operator_id: int | None = None


def parse_oncall_setting(value: str | None) -> list[Contact]:
    """"a@x.kr|+82 10-1111-2222, b@x.kr" → ordered contacts (at most three)."""
    contacts = []
    for entry in (value or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        email, _, phone = entry.partition("|")
        contacts.append(Contact(email.strip() or None, phone.strip() or None))
    return contacts[:len(ONCALL_POSITIONS)]
