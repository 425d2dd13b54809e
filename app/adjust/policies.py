"""Rules of the adjustment pages, free of the database.

* Which status moves an operator may make from the back office, and which
  need a manager. The moves are a subset of the ONE transition table
  (app.booking.states); a move not listed here is neither offered nor done.
* Reading a guest's special requests ("high floor", "quiet", …) and ranking
  free rooms by them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

from flask_babel import lazy_gettext as _l

from app.booking.states import ReservationStatus, can_transition

S = ReservationStatus


@dataclass(frozen=True)
class StatusMove:
    key: str
    source: ReservationStatus
    target: ReservationStatus
    label: Any
    effect: Any          # one sentence: what happens
    role: str = "staff"


#: Every status move the back office offers. Each must be allowed by the
#: transition table (checked at import). Marking a booking paid is the
#: payments pages' job (money is recorded there) and `refunded` follows a
#: refund's payout, so neither is offered here.
STATUS_MOVES: tuple[StatusMove, ...] = (
    StatusMove("check_in", S.PAID, S.CHECKED_IN, _l("Check in"),
               _l("The guest is in the hotel. The booking can then no longer be changed or canceled.")),
    StatusMove("check_out", S.CHECKED_IN, S.CHECKED_OUT, _l("Check out"),
               _l("The stay is over. Any room assigned to the booking is free again.")),
    StatusMove("no_show", S.PAID, S.CANCELED, _l("No-show: cancel"),
               _l("The guest did not come. The nights are freed, the guest is told by e-mail, and a refund "
                  "request sized by the refund policy waits for a decision.")),
    StatusMove("cancel_paid", S.PAID, S.CANCELED, _l("Cancel at the guest's request"),
               _l("The guest asked to cancel. The nights are freed, the guest is told by e-mail, and a refund "
                  "request sized by the refund policy waits for a decision.")),
    StatusMove("cancel_unpaid", S.PENDING, S.CANCELED, _l("Cancel (not paid)"),
               _l("The nights are freed at once and the guest is told by e-mail. Nothing was paid, so "
                  "nothing is refunded.")),
    StatusMove("reopen", S.CANCELED, S.PAID, _l("Reopen the canceled booking"),
               _l("The booking is valid again and its nights are taken again, if they are still free. "
                  "Only for a booking whose money we still hold."), role="manager"),
)

MOVES_BY_KEY = {m.key: m for m in STATUS_MOVES}

for _move in STATUS_MOVES:  # the back office never goes around the table
    assert can_transition(_move.source, _move.target), _move


def moves_from(status: str) -> list[StatusMove]:
    """The moves the back office offers from `status` (whatever the role)."""
    return [m for m in STATUS_MOVES if m.source == status]


def no_show_window(today: date, check_in: date) -> bool:
    """A guest is a no-show only from the arrival day on."""
    return today >= check_in


def check_in_window(today: date, check_in: date, check_out: date) -> str | None:
    """Why a check-in cannot happen today (None when it can): from the arrival day
    until the day before departure."""
    if today < check_in:
        return "early"
    if today >= check_out:
        return "late"
    return None


# --- special requests and room ranking ------------------------------------------------

#: Words in a guest's requests → the preference they express (lower-cased match).
REQUEST_WORDS: dict[str, tuple[str, ...]] = {
    "high_floor": ("high floor", "higher floor", "top floor", "고층", "높은 층", "高層", "上層階"),
    "low_floor": ("low floor", "lower floor", "ground floor", "저층", "낮은 층", "低層"),
    "quiet": ("quiet", "조용", "静か"),
}

#: Preferences that a room feature satisfies (app.adjust.models.RoomFeature).
FEATURE_PREFERENCES = ("quiet",)

#: Features an operator can mark on a room (the room-features page).
ROOM_FEATURES = {"quiet": _l("Quiet (away from the elevator and the street)")}

PREFERENCE_LABELS = {
    "high_floor": _l("high floor"),
    "low_floor": _l("low floor"),
    "quiet": _l("quiet room"),
}


def parse_requests(text: str | None) -> list[str]:
    """The preferences found in a guest's free-text requests, in a fixed order."""
    low = (text or "").lower()
    return [pref for pref, words in REQUEST_WORDS.items() if any(w in low for w in words)]


@dataclass(frozen=True)
class Candidate:
    room_id: int
    room_number: str
    floor: int
    features: frozenset[str]


def rank_rooms(candidates: Iterable[Candidate], preferences: list[str]) -> list[tuple[Candidate, list[str]]]:
    """Free rooms, best first, each with the preferences it meets.

    Feature preferences ("quiet") come first, then the floor wish (highest or
    lowest first), then the room number, so the same facts give the same order.
    """
    def met(c: Candidate) -> list[str]:
        return [p for p in preferences if p in FEATURE_PREFERENCES and p in c.features]

    def key(c: Candidate):
        floor = -c.floor if "high_floor" in preferences else c.floor if "low_floor" in preferences else 0
        return (-len(met(c)), floor, c.room_number)

    ranked = sorted(candidates, key=key)
    result = []
    if not ranked:
        return result
    top = max(c.floor for c in ranked)
    bottom = min(c.floor for c in ranked)
    for c in ranked:
        reasons = met(c)
        if "high_floor" in preferences and c.floor == top:
            reasons = ["high_floor", *reasons]
        if "low_floor" in preferences and c.floor == bottom:
            reasons = ["low_floor", *reasons]
        result.append((c, reasons))
    return result


def price_difference(old_total: int, new_total: int) -> int:
    """new − old: positive means the guest owes more, negative that money goes back."""
    return new_total - old_total


def nights_between(start: date, end: date) -> list[date]:
    from datetime import timedelta

    return [start + timedelta(days=i) for i in range((end - start).days)]


def nights_freed_and_taken(old: tuple[int, date, date, int], new: tuple[int, date, date, int]
                           ) -> tuple[int, int]:
    """Room-nights given back and newly taken by a change of (type, in, out, rooms).

    Counted per (room type, night): a night kept with the same rooms is neither.
    """
    def per_night(spec):
        type_id, start, end, rooms = spec
        return {(type_id, n): rooms for n in nights_between(start, end)}

    before, after = per_night(old), per_night(new)
    freed = sum(max(0, n - after.get(k, 0)) for k, n in before.items())
    taken = sum(max(0, n - before.get(k, 0)) for k, n in after.items())
    return freed, taken


def assignment_needs_reason(current_room_ids: Iterable[int], chosen_room_ids: Iterable[int]) -> bool:
    """Routine room assignment needs no reason; a written reason only when it overrides something.

    The one override a room assignment can make is moving the booking off rooms it already has
    (the guest may have been told the number, or be in the room). The rest cannot be overridden
    and are refused outright, with or without a reason: a room under maintenance or out of service,
    a room another live booking has on these nights, and a room of another room type (so no
    downgrade through this form; changing the room type is a booking change with its own reason).
    """
    current = set(current_room_ids)
    return bool(current) and current != set(chosen_room_ids)
