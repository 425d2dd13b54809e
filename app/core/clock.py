"""The one source of "now" for the whole application.

Tests move time instead of sleeping: `freeze(at)` pins it, `advance(delta)`
moves it, `reset()` returns to the wall clock. A worker started as a separate
process reads FRONTDESK_CLOCK_OFFSET_SECONDS so tests can shift its clock too.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc

_lock = threading.Lock()
_frozen: datetime | None = None
_offset = timedelta(seconds=float(os.environ.get("FRONTDESK_CLOCK_OFFSET_SECONDS", "0") or 0))


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    frozen = _frozen
    if frozen is not None:
        return frozen
    return datetime.now(UTC) + _offset


def freeze(at: datetime) -> None:
    """Pin the clock at `at` (must be timezone-aware)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs a timezone-aware datetime")
    with _lock:
        _frozen = at.astimezone(UTC)


def advance(delta: timedelta) -> datetime:
    """Move the clock forward (frozen or not) and return the new now()."""
    global _frozen, _offset
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
        else:
            _offset = _offset + delta
    return now()


def reset() -> None:
    """Back to the wall clock."""
    global _frozen, _offset
    with _lock:
        _frozen = None
        _offset = timedelta(0)


@contextmanager
def pinned(at: datetime):
    """Freeze the clock at `at` for the block, then put it back as it was."""
    global _frozen, _offset
    with _lock:
        saved = (_frozen, _offset)
    freeze(at)
    try:
        yield at
    finally:
        with _lock:
            _frozen, _offset = saved


def offset_seconds() -> float:
    """How far now() is from the wall clock (for handing to a child process)."""
    return (now() - datetime.now(UTC)).total_seconds()


def local_today(tz_name: str) -> date:
    """Today's date in the given timezone (a hotel's night is a local date)."""
    return now().astimezone(ZoneInfo(tz_name)).date()


def to_local(value: datetime, tz_name: str) -> datetime:
    return value.astimezone(ZoneInfo(tz_name))
