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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

SECTIONS = ("morning", "afternoon", "closing")


@dataclass(frozen=True)
class NavLink:
    key: str
    endpoint: str
    label: Any
    role: str = "staff"
    order: int = 100


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


@dataclass(frozen=True)
class TodayItem:
    section: str
    order: int
    role: str
    compute: Callable[[], TodayCount | None]


NAV_LINKS: dict[str, NavLink] = {}
TODAY_ITEMS: list[TodayItem] = []


def nav_link(key: str, endpoint: str, label: Any, *, role: str = "staff", order: int = 100) -> None:
    """Add a link to the back office's navigation (idempotent per key)."""
    NAV_LINKS[key] = NavLink(key, endpoint, label, role, order)


def today_item(section: str, *, order: int = 100, role: str = "staff"):
    """Register a function computing one Today count (see module doc)."""
    if section not in SECTIONS:
        raise ValueError(f"section must be one of {SECTIONS}")

    def decorator(fn: Callable[[], TodayCount | None]):
        if not any(item.compute is fn for item in TODAY_ITEMS):
            TODAY_ITEMS.append(TodayItem(section, order, role, fn))
        return fn

    return decorator


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
