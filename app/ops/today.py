"""The Today items this package owns (seed 001 §2 checklists; seed 000 conflicts).

Other domains register theirs the same way (app.ops.checklist.today_item).
Each function only reads.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.ops import policies, queries
from app.ops.checklist import TodayCount, today_item
from app.ops.formatting import format_time_left


@today_item("morning", order=10, title=_l("Bank transfers waiting for a deposit"), endpoint="ops.orders")
def waiting_transfers() -> TodayCount:
    now = clock.now()
    found = queries.count_waiting_transfers()
    hours = current_app.config["HOLD_HOURS_BANK_TRANSFER"]
    severity, detail = "info", None
    if found.count and found.soonest is not None:
        detail = _("The first one is canceled automatically in %(left)s.", left=format_time_left(found.soonest, now)) \
            if found.soonest > now else _("One is past its time and will be canceled at the next automatic check.")
        if found.soonest - now <= policies.TRANSFER_URGENT_WITHIN:
            severity = "warn"
    return TodayCount(
        key="waiting_transfers", title=_("Bank transfers waiting for a deposit"),
        why=_("Match each deposit to its order: an order with no deposit is canceled automatically %(hours)s hours "
              "after booking and its rooms go back on sale.", hours=hours),
        count=found.count, endpoint="ops.orders", severity=severity, detail=detail)


@today_item("morning", order=20, title=_l("Booking conflicts to review"), endpoint="ops.conflicts")
def conflicts_to_review() -> TodayCount:
    now = clock.now()
    found = queries.count_conflicts_to_review()
    last_hour, level = queries.conflict_alert(now)
    detail = _("Last hour: %(n)s — level %(level)s.", n=last_hour, level=level["level"])
    if level["respond_within"] is not None:
        detail += " " + _("Respond within %(within)s (%(who)s).",
                          within=format_time_left(now + level["respond_within"], now), who=level["who"])
    return TodayCount(
        key="conflicts_to_review", title=_("Booking conflicts to review"),
        why=_("These guests could not book because the last rooms went to someone else; contact them with "
              "other dates or rooms before they book elsewhere."),
        count=found.count, endpoint="ops.conflicts",
        severity=level["severity"] if level["severity"] != "ok" else "info", detail=detail)


@today_item("afternoon", order=10, title=_l("Card payments about to time out"), endpoint="ops.holds")
def expiring_holds() -> TodayCount:
    now = clock.now()
    within = policies.HOLD_EXPIRING_WITHIN
    found = queries.count_expiring_holds(now, within)
    detail = _("The first one ends in %(left)s.", left=format_time_left(found.soonest, now)) \
        if found.count and found.soonest else None
    return TodayCount(
        key="expiring_holds", title=_("Card payments about to time out"),
        why=_("If the guest does not finish paying within %(minutes)s minutes, the booking is canceled and the "
              "rooms go back on sale. Nothing to do unless the guest calls for help.",
              minutes=int(within.total_seconds() // 60)),
        count=found.count, endpoint="ops.holds", severity="info", detail=detail)


@today_item("closing", order=10, title=_l("Tomorrow's arrivals without a room"), endpoint="ops.arrivals")
def arrivals_without_room() -> TodayCount:
    count = queries.count_arrivals_without_room(clock.now())
    return TodayCount(
        key="arrivals_without_room", title=_("Tomorrow's arrivals without a room"),
        why=_("These guests have paid and arrive tomorrow; give each booking a room today so check-in is quick."),
        count=count, endpoint="ops.arrivals", severity="warn")
