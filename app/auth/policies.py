"""Pure sign-in rules: session liveness and sign-in throttling. The clock is a parameter.

THROTTLE is the one table of the throttling numbers, read by the sign-in
service, the sign-in page's message and the tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

#: Failed sign-ins allowed before a wait is imposed. Three rules, each a run of
#: failures (each within `window` of the one before); tries during a wait are
#: refused without being counted (hammering does not stretch the wait).
#:
#: - "pair" (one email from one address): from the 5th failure of a run on, the
#:   next try must wait 1 minute, doubling with each further failure (2, 4, 8 …)
#:   up to 15 minutes. This is what slows a guesser: it binds the guesser's own
#:   network, not the person whose email is being guessed.
#: - "account" (one email from anywhere): a short back-off only — 5 seconds from
#:   the 5th failure, doubling up to 30 seconds. Someone failing a colleague's
#:   password from elsewhere can never keep that colleague out for longer.
#: - "address" (one office, one network): 20 failures within 15 minutes → wait
#:   until the oldest of them is 15 minutes old.
#:
#: A run ends after 15 quiet minutes; a successful sign-in clears its own
#: address's failures for that email. The operator is told on their next
#: sign-in how often others failed their password (app.auth.sessions).
THROTTLE = {
    "pair": {"max_failures": 5, "window": timedelta(minutes=15),
             "first_wait": timedelta(minutes=1), "max_wait": timedelta(minutes=15),
             "lookback": timedelta(days=1)},
    "account": {"max_failures": 5, "window": timedelta(minutes=15),
                "first_wait": timedelta(seconds=5), "max_wait": timedelta(seconds=30),
                "lookback": timedelta(days=1)},
    "address": {"max_failures": 20, "window": timedelta(minutes=15)},
}

#: Why a session stopped counting (stored in operator_sessions.revoked_reason or derived).
SESSION_END_REASONS = ("signed_out", "password_changed", "disabled", "replaced", "idle", "expired")


@dataclass(frozen=True)
class SessionTimes:
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def compute_session_end(times: SessionTimes, *, now: datetime, idle: timedelta) -> str | None:
    """Why the session is no longer usable ("revoked", "expired", "idle"), or None while live."""
    if times.revoked_at is not None:
        return "revoked"
    if now >= times.expires_at:
        return "expired"
    if now - times.last_seen_at >= idle:
        return "idle"
    return None


def compute_account_wait(failures: Sequence[datetime], *, now: datetime,
                         rule: dict | None = None) -> datetime | None:
    """Until when an account (rule "account") or an email from one address (rule
    "pair") must wait before the next try, or None.

    `failures` are the failure times (any order, at most `lookback`
    old). The current run is the latest failures each within `window` of the
    next; with n ≥ max_failures in it, the wait after the latest is
    first_wait × 2^(n − max_failures), at most max_wait.
    """
    rule = rule or THROTTLE["account"]
    recent = sorted((t for t in failures if t <= now), reverse=True)
    if not recent or now - recent[0] > rule["window"]:
        return None
    run = 1
    while run < len(recent) and recent[run - 1] - recent[run] <= rule["window"]:
        run += 1
    if run < rule["max_failures"]:
        return None
    doublings = min(run - rule["max_failures"], 10)
    wait = min(rule["first_wait"] * (2 ** doublings), rule["max_wait"])
    until = recent[0] + wait
    return until if until > now else None


def compute_address_wait(failures: Sequence[datetime], *, now: datetime,
                         rule: dict | None = None) -> datetime | None:
    """Until when an address must wait (fewer than max_failures left in the window), or None."""
    rule = rule or THROTTLE["address"]
    recent = sorted((t for t in failures if now - t < rule["window"]), reverse=True)
    if len(recent) < rule["max_failures"]:
        return None
    # The wait ends when the max_failures-th most recent failure leaves the window.
    until = recent[rule["max_failures"] - 1] + rule["window"]
    return until if until > now else None


def seconds_to_wait(until: datetime, now: datetime) -> int:
    """Whole seconds to wait (at least 1): the Retry-After header."""
    return max(1, int(-(-max(0.0, (until - now).total_seconds()) // 1)))


def minutes_to_wait(until: datetime, now: datetime) -> int:
    """Whole minutes to tell a person (at least 1)."""
    seconds = max(0, (until - now).total_seconds())
    return max(1, int((seconds + 59) // 60))
