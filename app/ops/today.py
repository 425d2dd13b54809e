"""The Today items this package owns (seed 001 §2 checklists; seed 000 conflicts).

Other domains register theirs the same way (app.ops.checklist.today_item).
Each function only reads.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.ops import policies, queries
from app.ops.checklist import TodayCount, today_gate, today_item
from app.ops.formatting import (format_hour_range, format_local_time, format_percent_change, format_rate,
                                format_target, format_time_left)


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


# --- morning: today's bank statement (seed 001 §2.1; seed 004 deposit matching) ------------

def _statement_awaited():
    """What deposit matching waits for, or None once today's statement is imported."""
    if queries.statement_uploaded_at(clock.now()) is None:
        return _("Today's bank statement has not been uploaded yet, so deposits that arrived today are not "
                 "matched. This is not finished until it is.")
    return None


# Deposit matching is not done while today's statement is missing (DESIGN: a ✓ means the check was done).
today_gate({"waiting_transfers", "deposit_lines"}, _statement_awaited)


@today_item("morning", order=8, title=_l("Today's bank statement"), endpoint="deposits.index")
def todays_statement() -> TodayCount:
    uploaded = queries.statement_uploaded_at(clock.now())
    if uploaded is None:
        return TodayCount(
            key="statement_today", title=_("Today's bank statement has not been uploaded yet"),
            why=_("Download today's statement from the bank's website and upload it: until then deposits that "
                  "arrived today are not seen and those bookings stay unconfirmed."),
            count=1, endpoint="deposits.index", severity="warn")
    return TodayCount(
        key="statement_today", title=_("Today's bank statement is uploaded"),
        why=_("Deposits on it were matched to bookings when it was imported."),
        count=0, endpoint="deposits.index", severity="ok",
        facts=[_("Uploaded at %(time)s.", time=format_local_time(uploaded))])


# --- morning: the fund against today's payouts (seed 001 §2.1 "운영 자금") -----------------------

@today_item("morning", order=32, title=_l("Operating fund against today's payouts"), endpoint="remittance.fund")
def fund_against_payouts() -> TodayCount:
    from app.core.money import format_money
    from app.remittance import fund as fund_service
    from app.remittance.states import BreakerState

    fund = fund_service.get_fund()
    due = queries.payouts_due_today(clock.now(), fund.currency)
    locale = str(get_locale() or "ko")
    balance, needed = format_money(fund.balance, fund.currency, locale), format_money(due.amount, fund.currency, locale)
    facts = [_("Fund balance: %(balance)s", balance=balance),
             _("Payouts expected today: %(n)s, together %(amount)s", n=due.count, amount=needed)]
    problems = []
    if fund.balance <= 0:
        problems.append(_("The fund is empty: no payout can go out. Top it up."))
    elif fund.balance < due.amount:
        problems.append(_("The fund does not cover today's payouts: %(short)s is missing.",
                          short=format_money(due.amount - fund.balance, fund.currency, locale)))
    if fund.breaker_state != BreakerState.CLOSED:
        problems.append(_("Payouts are stopped or limited until the fund is topped up."))
    return TodayCount(
        key="fund_vs_payouts", title=_("Operating fund against today's payouts"),
        why=_("Every payout due today is paid from the operating fund; check that it covers them all."),
        count=1 if problems else 0, endpoint="remittance.fund", severity="bad" if problems else "ok",
        detail=" ".join(str(p) for p in problems) or None, facts=facts)


# --- morning: the note from the previous shift ----------------------------------------------------

@today_item("morning", order=1, title=_l("Note from the previous shift"), endpoint="ops.handover")
def handover_to_read() -> TodayCount | None:
    note = queries.latest_handover_note()
    if note is None:
        return None
    if note.acknowledged_at is not None:
        return TodayCount(
            key="handover_to_read", title=_("Note from the previous shift"),
            why=_("Read by %(who)s at %(time)s.", who=note.acknowledged_by_name,
                  time=format_local_time(note.acknowledged_at)),
            count=0, endpoint="ops.handover", severity="ok")
    return TodayCount(
        key="handover_to_read", title=_("Note from the previous shift: please read"),
        why=_("%(who)s left this note at %(time)s. Read it and confirm, so they know it reached you.",
              who=note.written_by_name, time=format_local_time(note.created_at)),
        count=1, endpoint="ops.handover", severity="warn")


# --- afternoon (seed 001 §2.2): volume, success rates, error rate ---------------------------------

def _today_so_far():
    """[start of today, now] as a half-open range (now included: it ends a microsecond later)."""
    now = clock.now()
    start, _end = queries.day_bounds(queries.local_today(now))
    return start, now + timedelta(microseconds=1)


@today_item("afternoon", order=1, title=_l("Bookings so far today"), endpoint="ops.reservations")
def volume_so_far() -> TodayCount:
    start, now = _today_so_far()
    today = queries.count_bookings_between(start, now)
    week_ago = queries.count_bookings_between(start - timedelta(days=7), now - timedelta(days=7))
    low = policies.is_volume_low(today, week_ago)
    facts = [_("Today until now: %(n)s", n=today),
             _("Same weekday last week, until the same time: %(n)s", n=week_ago)]
    if week_ago:
        facts.append(_("Change: %(change)s", change=format_percent_change(today, week_ago)))
    return TodayCount(
        key="volume_today", title=_("Bookings so far today"),
        why=_("Far fewer bookings than usual can mean a problem with the booking pages or payments."),
        count=1 if low else 0, endpoint="ops.reservations", severity="warn" if low else "ok", facts=facts,
        detail=_("Less than half of last week's: open a booking page and try it yourself.") if low else None)


def _rate_fact(label, measurement) -> str:
    if measurement.total == 0:
        return _("%(label)s: nothing yet today", label=label)
    return _("%(label)s: %(rate)s (%(good)s of %(total)s; target %(target)s)", label=label,
             rate=format_rate(measurement.good, measurement.total), good=measurement.good,
             total=measurement.total, target=format_target(measurement.target))


@today_item("afternoon", order=2, title=_l("Payment and payout success rates"), endpoint="ops.today")
def success_rates() -> TodayCount:
    from app.observability.slo import measure

    start, now = _today_so_far()
    payments = measure("payment_success", start, now)
    payouts = measure("payout_success", start, now)
    below = [m for m in (payments, payouts) if m.met is False]
    awaiting = None
    if payments.total == 0 and payouts.total == 0:
        awaiting = _("No payment or payout has been made today yet.")
    detail = None
    if below:
        detail = _("Below target: look at the failed payments or payouts of today.")
    return TodayCount(
        key="success_rates", title=_("Payment and payout success rates"),
        why=_("Targets: payments at least %(payments)s, payouts at least %(payouts)s.",
              payments=format_target(payments.target), payouts=format_target(payouts.target)),
        count=len(below), endpoint="ops.today", severity="bad" if below else "ok", awaiting=awaiting,
        detail=detail, facts=[_rate_fact(_("Payments"), payments), _rate_fact(_("Payouts"), payouts)])


@today_item("afternoon", order=3, title=_l("Error rate"), endpoint="ops.today")
def error_rate_today() -> TodayCount:
    from app.observability.requests import error_rate

    start, now = _today_so_far()
    errors, total = error_rate(start, now)
    normal = policies.is_error_rate_normal(errors, total)
    facts = [_("Errors today: %(errors)s of %(total)s requests (%(rate)s)", errors=errors, total=total,
               rate=format_rate(errors, total))] if total else []
    return TodayCount(
        key="error_rate", title=_("Error rate"),
        why=_("Normal is fewer than %(n)s failed requests in 100. Above that, tell the developer on duty.",
              n=policies.ERROR_RATE_NORMAL_BELOW_PERCENT),
        count=0 if normal else 1, endpoint="ops.today", severity="ok" if normal else "bad",
        awaiting=None if total else _("No request has been recorded today yet."), facts=facts)


# --- closing (seed 001 §2.3): the daily report, the handover, tomorrow's expected issues -----------

@today_item("closing", order=1, title=_l("Today's report sent"), endpoint="ops.today")
def daily_report_sent() -> TodayCount:
    from app.reports.queries import report_sent_at

    sent = report_sent_at("daily", queries.local_today(clock.now()))
    if sent is None:
        return TodayCount(
            key="daily_report_sent", title=_("Today's report has not been sent yet"),
            why=_("It is made and e-mailed by itself at 18:00. If it has not gone out by 18:30, tell the "
                  "developer on duty."),
            count=1, endpoint="ops.today", severity="info")
    return TodayCount(key="daily_report_sent", title=_("Today's report was sent"),
                      why=_("Sent at %(time)s.", time=format_local_time(sent)), count=0, endpoint="ops.today",
                      severity="ok")


@today_item("closing", order=2, title=_l("Hand over to the next shift"), endpoint="ops.handover")
def handover_written() -> TodayCount:
    note = queries.latest_handover_note()
    start, _end = queries.day_bounds(queries.local_today(clock.now()))
    if note is not None and note.created_at >= start:
        return TodayCount(
            key="handover_written", title=_("Handed over to the next shift"),
            why=_("%(who)s wrote the note at %(time)s.", who=note.written_by_name,
                  time=format_local_time(note.created_at)),
            count=0, endpoint="ops.handover", severity="ok")
    return TodayCount(
        key="handover_written", title=_("Hand over to the next shift"),
        why=_("Write what is still open and what the next person must know; the open items are counted and "
              "saved with your note."),
        count=1, endpoint="ops.handover", severity="warn")


@today_item("closing", order=20, title=_l("Tomorrow's expected busy hours"), endpoint="ops.conflict_patterns")
def tomorrow_peak_hours() -> TodayCount:
    from app.ops.conflict_stats import PATTERN_TIMEZONE, conflicts_by_hour

    tomorrow = queries.local_today(clock.now()) + timedelta(days=1)
    hours = conflicts_by_hour([queries.day_bounds(tomorrow - timedelta(days=7 * weeks), PATTERN_TIMEZONE)
                               for weeks in range(1, policies.PEAK_LOOKBACK_WEEKS + 1)])
    peak = sorted((h for h in range(24) if hours[h]), key=lambda h: (-hours[h], h))[:policies.PEAK_HOURS_SHOWN]
    if peak:
        facts = [_("%(hour)s (%(n)s conflicts on the same weekday in the last %(weeks)s weeks)",
                   hour=format_hour_range(h), n=hours[h], weeks=policies.PEAK_LOOKBACK_WEEKS) for h in sorted(peak)]
    else:
        facts = [_("No conflicts on this weekday in the last %(weeks)s weeks.", weeks=policies.PEAK_LOOKBACK_WEEKS)]
    return TodayCount(
        key="tomorrow_peak_hours", title=_("Tomorrow's expected busy hours"),
        why=_("Bookings were lost to full rooms most often at these hours; be ready to answer guests then."),
        count=0, endpoint="ops.conflict_patterns", severity="info", facts=facts)
