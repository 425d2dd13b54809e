"""What deposits add to the back office: navigation links, Today counts (seed 001 §2.1,
seed 004 §2.1) and the manager's "mark as paid" on a booking's page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core import clock
from app.deposits import continuity, queries
from app.ops.checklist import TodayCount, nav_link, reservation_action, today_item
from app.ops.formatting import format_time_ago

nav_link("deposits", "deposits.index", _l("Bank statements"), role="staff", order=11)
reservation_action("mark_paid", "deposits.mark_paid", _l("Mark as paid (deposit seen elsewhere)"), role="staff",
                   order=15, when=lambda r: r.status == "pending" and r.payment_method == "bank_transfer")


@today_item("morning", order=11, title=_l("Statement lines needing a decision"), endpoint="deposits.index")
def lines_needing_a_decision() -> TodayCount:
    found = queries.count_needing_decision()
    detail = None
    if found.oldest is not None:
        detail = _l("The oldest one was imported %(ago)s.", ago=format_time_ago(found.oldest, clock.now()))
    return TodayCount(key="deposit_lines", title=_l("Statement lines needing a decision"),
                      why=_l("Money arrived that we could not match to a booking on our own; until someone "
                             "decides, the guest's booking is not confirmed."),
                      count=found.count, endpoint="deposits.index", severity="warn" if found.count else "ok",
                      detail=detail)


reservation_action("shortfall", "deposits.shortfall", _l("Decide: part of the money is missing"), role="staff",
                   order=14, when=lambda r: r.status == "pending" and r.payment_shortfall_at is not None)


@today_item("morning", order=9, title=_l("Bookings short of money: decide"), endpoint="deposits.shortfalls")
def bookings_short_of_money() -> TodayCount:
    from flask_babel import format_datetime, get_locale

    from app.core.money import format_money
    from app.deposits.shortfall import count_shortfalls

    found = count_shortfalls()
    detail = None
    if found.oldest is not None:
        o = found.oldest
        detail = _l("The oldest: %(code)s, %(missing)s missing; decide by %(due)s.",
                    code=o.reservation.display_code, missing=format_money(o.missing, o.currency, str(get_locale() or "ko")),
                    due=format_datetime(o.due, "short"))
    title = _l("Bookings short of money: decide")
    return TodayCount(key="shortfalls", title=f"🛑 {title}" if found.count else title,
                      why=_l("Their time to pay ran out with only part of the money paid. They were not canceled: "
                             "ask for the rest, accept the smaller amount, or cancel and refund what was paid."),
                      count=found.count, endpoint="deposits.shortfalls", severity="bad" if found.count else "ok",
                      detail=detail)


@today_item("morning", order=12, title=_l("Missing bank statements"), endpoint="deposits.index")
def missing_statements() -> TodayCount:
    count = continuity.count_open()
    return TodayCount(key="statement_gaps", title=_l("Missing bank statements"),
                      why=_l("A statement between two imported ones is missing: deposits on it are not seen, so "
                             "the bookings they pay are not confirmed. Import it from the bank's website."),
                      count=count, endpoint="deposits.index", severity="bad" if count else "ok")


@today_item("closing", order=11, title=_l("Orders canceled today for no deposit"), endpoint="deposits.canceled_today")
def canceled_today() -> TodayCount:
    count = len(queries.canceled_for_no_deposit_today())
    return TodayCount(key="canceled_no_deposit", title=_l("Orders canceled today for no deposit"),
                      why=_l("Nothing to do unless a late deposit for one of them shows up on a statement."),
                      count=count, endpoint="deposits.canceled_today", severity="info")
