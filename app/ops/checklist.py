"""The back office's shared registries: navigation links and Today items.

Each domain declares what it adds, so no page has to know every domain:

    from app.ops.checklist import nav_link, today_item, TodayCount

    nav_link("deposits", "payments.deposits", _l("Deposits"), role="staff", order=20)

    @today_item("morning", order=10)
    def waiting_deposits() -> TodayCount:
        return TodayCount(key="waiting_deposits", title=_l("Bank transfers waiting for a deposit"),
                          why=_l("Unpaid orders are canceled automatically 24 hours after booking."),
                          count=..., endpoint="payments.deposits", severity="warn")

Seed 001 §2's checklist sections: "morning" (09:00), "afternoon" (14:00), "closing" (18:00).

Optional `title=` and `endpoint=` on `today_item` name the item when its
function fails (the page then says "could not be counted" instead of breaking).
A function may return None to show nothing (e.g. a feature that is switched off).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

log = logging.getLogger(__name__)

SECTIONS = ("morning", "afternoon", "closing")
#: When each section's check is done, local time (seed 001 §2).
SECTION_TIMES = {"morning": "09:00", "afternoon": "14:00", "closing": "18:00"}


@dataclass(frozen=True)
class NavLink:
    key: str
    endpoint: str
    label: Any
    role: str = "staff"
    order: int = 100
    #: Optional: a count shown as a red badge beside the link (e.g. open alerts), to `badge_role` and up.
    badge: Callable[[], int] | None = None
    badge_role: str = "manager"

    def badge_for(self, operator) -> int:
        """The badge's count for this operator (0: none shown). Never raises: a badge must not break a page."""
        if self.badge is None or not operator.has_role(self.badge_role):
            return 0
        try:
            return int(self.badge() or 0)
        except Exception:
            log.exception("navigation badge failed", extra={"link": self.key})
            return 0


@dataclass
class TodayCount:
    key: str
    title: Any            # what it is, in plain words
    why: Any              # one sentence: why it matters
    count: int
    endpoint: str         # where the work is
    endpoint_args: dict[str, Any] = field(default_factory=dict)
    severity: str = "info"  # "ok" | "info" | "warn" | "bad"
    detail: Any = None      # e.g. "oldest: 3 h left before auto-cancel"
    # What this check still waits for (e.g. today's bank statement): while set, the item is
    # never shown as done, whatever its count (DESIGN: a check mark means the check was done).
    awaiting: Any = None
    # Figures shown whether or not the item is done (e.g. success rates, expected busy hours).
    facts: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class TodayItem:
    section: str
    order: int
    role: str
    compute: Callable[[], TodayCount | None]
    title: Any = None      # shown if compute() fails
    endpoint: str | None = None


@dataclass
class TodayEntry:
    """One line of the Today page: a count, or an item that could not be counted."""

    item: TodayItem
    count: TodayCount | None
    failed: bool = False

    @property
    def done(self) -> bool:
        return (not self.failed and self.count is not None and self.count.count == 0
                and not self.count.awaiting)

    @property
    def awaiting(self) -> bool:
        return not self.failed and self.count is not None and bool(self.count.awaiting)

    @property
    def rank(self) -> tuple[int, int]:
        from app.ops.policies import compute_today_rank

        if self.failed or self.count is None:
            return compute_today_rank(count=None, severity="error", order=self.item.order)
        if self.count.awaiting and self.count.count == 0:
            return compute_today_rank(count=None, severity="error", order=self.item.order)
        return compute_today_rank(count=self.count.count, severity=self.count.severity, order=self.item.order)


NAV_LINKS: dict[str, NavLink] = {}
TODAY_ITEMS: list[TodayItem] = []
#: Inputs some items wait for: (item keys, function → None when arrived, else what is awaited).
TODAY_GATES: list[tuple[frozenset[str], Callable[[], Any]]] = []


def today_gate(keys, awaiting: Callable[[], Any]) -> None:
    """Items with these keys are not done while `awaiting()` returns something (its text is
    shown instead of ✓): e.g. deposit matching before today's bank statement is imported."""
    entry = (frozenset(keys), awaiting)
    if not any(k == entry[0] and fn is awaiting for k, fn in TODAY_GATES):
        TODAY_GATES.append(entry)


def nav_link(key: str, endpoint: str, label: Any, *, role: str = "staff", order: int = 100,
             badge: Callable[[], int] | None = None, badge_role: str = "manager") -> None:
    """Add a link to the back office's navigation (idempotent per key); `badge` counts what
    waits there (shown in red to `badge_role` and up when not 0)."""
    NAV_LINKS[key] = NavLink(key, endpoint, label, role, order, badge, badge_role)


def today_item(section: str, *, order: int = 100, role: str = "staff", title: Any = None,
               endpoint: str | None = None):
    """Register a function computing one Today count (see module doc)."""
    if section not in SECTIONS:
        raise ValueError(f"section must be one of {SECTIONS}")

    def decorator(fn: Callable[[], TodayCount | None]):
        if not any(item.compute is fn for item in TODAY_ITEMS):
            TODAY_ITEMS.append(TodayItem(section, order, role, fn, title, endpoint))
        return fn

    return decorator


def collect_today(operator) -> dict[str, list[TodayEntry]]:
    """Every registered Today item the operator's role may see, computed now,
    grouped by section and most urgent first. Read-only.

    Each item runs in its own savepoint: one that raises (or breaks the
    database transaction) becomes "could not be counted" and the rest still show.
    """
    from app.extensions import db

    sections: dict[str, list[TodayEntry]] = {name: [] for name in SECTIONS}
    for item in TODAY_ITEMS:
        if not operator.has_role(item.role):
            continue
        try:
            with db.session.begin_nested():
                count = item.compute()
        except Exception:
            log.exception("today item failed", extra={"item": getattr(item.compute, "__qualname__", "?")})
            sections[item.section].append(TodayEntry(item, None, failed=True))
            continue
        if count is not None:
            sections[item.section].append(TodayEntry(item, count))
    _apply_gates(sections)
    for entries in sections.values():
        entries.sort(key=lambda entry: entry.rank)
    return sections


def _apply_gates(sections: dict[str, list[TodayEntry]]) -> None:
    from app.extensions import db

    for keys, awaiting in TODAY_GATES:
        entries = [e for found in sections.values() for e in found
                   if e.count is not None and e.count.key in keys and not e.count.awaiting]
        if not entries:
            continue
        try:
            with db.session.begin_nested():
                waiting_for = awaiting()
        except Exception:
            from flask_babel import lazy_gettext as _l

            log.exception("today gate failed", extra={"keys": sorted(keys)})
            waiting_for = _l("Could not check whether what this needs has arrived.")
        if waiting_for:
            for entry in entries:
                entry.count.awaiting = waiting_for


def visible_nav(operator) -> list[NavLink]:
    return sorted((link for link in NAV_LINKS.values() if operator.has_role(link.role)), key=lambda l: l.order)


# --- actions offered on a reservation's back-office page ---------------------------
#
# The reservation page lists whatever domains register here, so refunds,
# adjustments, room assignment and compensation each add their own action:
#
#     reservation_action("change_dates", "adjust.change_dates", _l("Change dates or rooms"),
#                        role="staff", order=20, when=lambda r: r.status in ("pending", "paid"))
#
# The endpoint takes the reservation's public id as `reservation_id`.


@dataclass(frozen=True)
class ReservationAction:
    key: str
    endpoint: str
    label: Any
    role: str = "staff"
    order: int = 100
    when: Callable[[Any], bool] | None = None


RESERVATION_ACTIONS: dict[str, ReservationAction] = {}


def reservation_action(key: str, endpoint: str, label: Any, *, role: str = "staff", order: int = 100,
                       when: Callable[[Any], bool] | None = None) -> None:
    """Offer an action on the reservation page (idempotent per key)."""
    RESERVATION_ACTIONS[key] = ReservationAction(key, endpoint, label, role, order, when)


def actions_for(reservation, operator) -> list[ReservationAction]:
    """The actions this operator may take on this reservation now, in order."""
    return sorted((a for a in RESERVATION_ACTIONS.values()
                   if operator.has_role(a.role) and (a.when is None or a.when(reservation))),
                  key=lambda a: a.order)


# --- panels shown on a reservation's back-office page ------------------------------
#
# A domain that has something to show about a reservation (a refund's state, the
# assigned room, private notes, compensation given) registers a template:
#
#     reservation_panel("notes", "adjust/_notes_panel.html", order=50)
#
# The template is rendered with `r` (the reservation) in its context.


@dataclass(frozen=True)
class ReservationPanel:
    key: str
    template: str
    role: str = "staff"
    order: int = 100
    when: Callable[[Any], bool] | None = None


RESERVATION_PANELS: dict[str, ReservationPanel] = {}


def reservation_panel(key: str, template: str, *, role: str = "staff", order: int = 100,
                      when: Callable[[Any], bool] | None = None) -> None:
    """Show a panel on the reservation page (idempotent per key)."""
    RESERVATION_PANELS[key] = ReservationPanel(key, template, role, order, when)


def panels_for(reservation, operator) -> list[ReservationPanel]:
    return sorted((p for p in RESERVATION_PANELS.values()
                   if operator.has_role(p.role) and (p.when is None or p.when(reservation))),
                  key=lambda p: p.order)
