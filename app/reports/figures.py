"""Computing a report's figures: read-only aggregates over [since, as_of).

Every figure is one GROUP BY or one SUM over rows of its own domain, read by time (indexed
columns; bench/reports.py times a seed-scale day). Money comes from the ledger (app.ledger),
never from bookings' totals: "revenue" is what the card gateway and the bank moved. Amounts are
integer minor units of the report's currency (FUND_CURRENCY); ledger rows in other currencies
are counted in `otherCurrencyRows`, so nothing disappears silently.

The result is plain JSON (ints, strings, lists, dicts): rates are decimal strings (policies.
compute_rate), None where nothing was counted or the source is not there.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, select

from app.booking.models import Reservation
from app.core.replica import reading_session
from app.ledger.models import EntryKind, LedgerEntry
from app.notifications.models import OutboxMessage
from app.notifications.policies import OPERATOR_MESSAGE
from app.payments.models import Payment
from app.payments.states import PaymentStatus
from app.reconcile.models import ReconciliationItem, ReconciliationRun
from app.refunds.models import Refund
from app.refunds.states import RefundStatus
from app.remittance.models import FundEntry, FundEntryKind, OperatingFund, Payout
from app.remittance.states import PayoutStatus
from app.reports import policies
from app.reports.policies import MONTHLY, WEEKLY, Period

VERSION = 1

#: Payout outcomes (seed 001 appendix A: COMPLETED / (COMPLETED + TRANSFER_FAILED + ABANDONED)).
PAYOUT_SUCCEEDED = (PayoutStatus.COMPLETED, PayoutStatus.RETURNED)  # a returned payout did reach the bank
PAYOUT_FAILED = (PayoutStatus.TRANSFER_FAILED, PayoutStatus.ABANDONED, PayoutStatus.WAITING_FOR_ACCOUNT)
PAYOUT_IN_PROGRESS = (PayoutStatus.REQUESTED, PayoutStatus.PROCESSING, PayoutStatus.HELD_BY_BREAKER,
                      PayoutStatus.TRANSFERRING)


def _between(column, since: datetime, until: datetime):
    return and_(column >= since, column < until)


def currency() -> str:
    return current_app.config["FUND_CURRENCY"]


# --- one section each ---------------------------------------------------------------------------


def bookings(since: datetime, until: datetime) -> dict[str, Any]:
    """Bookings made in the window (any state now), the rooms and amount booked, and the window's
    payments-completed and cancellations."""
    made = reading_session().execute(
        select(func.count(Reservation.id), func.coalesce(func.sum(Reservation.number_of_rooms), 0),
               func.coalesce(func.sum(Reservation.total_amount).filter(Reservation.currency == currency()), 0))
        .where(_between(Reservation.created_at, since, until))).one()
    paid = reading_session().scalar(select(func.count(Reservation.id))
                                    .where(_between(Reservation.paid_at, since, until)))
    canceled = reading_session().scalar(select(func.count(Reservation.id))
                                 .where(_between(Reservation.canceled_at, since, until)))
    return {"made": made[0], "rooms": int(made[1]), "bookedAmount": int(made[2]), "paid": paid or 0,
            "canceled": canceled or 0}


def revenue(since: datetime, until: datetime) -> dict[str, Any]:
    """Money in and out of the window from the ledger, by kind (signed sums turned into plain amounts)."""
    rows = reading_session().execute(
        select(LedgerEntry.kind, LedgerEntry.currency, func.count(LedgerEntry.id), func.sum(LedgerEntry.amount))
        .where(_between(LedgerEntry.occurred_at, since, until))
        .group_by(LedgerEntry.kind, LedgerEntry.currency)).all()
    sums: dict[str, int] = {}
    counts: dict[str, int] = {}
    other = 0
    for kind, cur, n, total in rows:
        if cur != currency():
            other += n
            continue
        sums[kind] = int(total or 0)
        counts[kind] = n
    card, bank = sums.get(EntryKind.CARD_CHARGE, 0), sums.get(EntryKind.BANK_DEPOSIT, 0)
    reversed_ = -sums.get(EntryKind.DEPOSIT_REVERSAL, 0)
    refunded = -(sums.get(EntryKind.CARD_REFUND, 0) + sums.get(EntryKind.REFUND_PAYOUT, 0)
                 + sums.get(EntryKind.PAYOUT_RETURN, 0))
    return {
        "card": card, "bank": bank, "gross": card + bank, "reversed": reversed_, "refunded": refunded,
        "net": card + bank - reversed_ - refunded,
        "bankFees": -sums.get(EntryKind.BANK_FEE, 0),
        "partnerPayouts": -sums.get(EntryKind.SETTLEMENT_PAYOUT, 0),
        "charges": counts.get(EntryKind.CARD_CHARGE, 0) + counts.get(EntryKind.BANK_DEPOSIT, 0),
        "reversals": counts.get(EntryKind.DEPOSIT_REVERSAL, 0),
        "otherCurrencyRows": other,
    }


def payments(since: datetime, until: datetime) -> dict[str, Any]:
    """Payments asked for in the window by outcome; success rate per seed 001 appendix A:
    (PAID + PAID then canceled) / (PAID + FAILED). Paid then canceled: taken back by the bank, or
    (partly) refunded since."""
    rows = dict(reading_session().execute(
        select(Payment.status, func.count(Payment.id)).where(_between(Payment.created_at, since, until))
        .group_by(Payment.status)).all())
    refunded_after = reading_session().scalar(select(func.count(Payment.id)).where(
        _between(Payment.created_at, since, until), Payment.status == PaymentStatus.COMPLETED,
        Payment.refunded_amount > 0)) or 0
    completed, reversed_ = rows.get(PaymentStatus.COMPLETED, 0), rows.get(PaymentStatus.REVERSED, 0)
    failed = rows.get(PaymentStatus.FAILED, 0)
    paid = completed + reversed_
    return {"paid": paid, "paidThenCanceled": reversed_ + refunded_after, "failed": failed,
            "pending": rows.get(PaymentStatus.PENDING, 0), "canceledUnpaid": rows.get(PaymentStatus.CANCELED, 0),
            "successRate": policies.compute_rate(paid, paid + failed)}


def payouts(since: datetime, until: datetime, as_of: datetime) -> dict[str, Any]:
    """Payouts asked for in the window, by where they stand at `as_of`; late = not completed within
    an hour (seed 001 §6.3). Success rate per appendix A."""
    rows = reading_session().execute(
        select(Payout.status, func.count(Payout.id), func.coalesce(func.sum(Payout.amount), 0))
        .where(_between(Payout.requested_at, since, until)).group_by(Payout.status)).all()
    by_status = {s: (n, int(a)) for s, n, a in rows}

    def count(statuses) -> int:
        return sum(by_status.get(s, (0, 0))[0] for s in statuses)

    # Payouts are few (refunds by bank transfer, partners): judged one by one with the policy.
    late = sum(1 for requested_at, completed_at in reading_session().execute(
        select(Payout.requested_at, Payout.completed_at)
        .where(_between(Payout.requested_at, since, until), Payout.status != PayoutStatus.CANCELED))
        if policies.is_payout_late(requested_at, completed_at, as_of))
    succeeded, failed = count(PAYOUT_SUCCEEDED), count(PAYOUT_FAILED)
    return {"requested": sum(n for n, _a in by_status.values()), "succeeded": succeeded, "failed": failed,
            "abandoned": count((PayoutStatus.ABANDONED,)), "inProgress": count(PAYOUT_IN_PROGRESS),
            "canceled": count((PayoutStatus.CANCELED,)), "late": late,
            "succeededAmount": sum(by_status.get(s, (0, 0))[1] for s in PAYOUT_SUCCEEDED),
            "successRate": policies.compute_rate(succeeded, succeeded + failed)}


def refunds(since: datetime, until: datetime) -> dict[str, Any]:
    """Refund decisions: asked for in the window, and completed / refused / failed in it."""
    asked = reading_session().scalar(select(func.count(Refund.id))
                                     .where(_between(Refund.created_at, since, until))) or 0
    completed = reading_session().execute(
        select(func.count(Refund.id), func.coalesce(func.sum(Refund.amount), 0))
        .where(_between(Refund.completed_at, since, until), Refund.currency == currency())).one()
    decided = dict(reading_session().execute(
        select(Refund.status, func.count(Refund.id)).where(_between(Refund.decided_at, since, until),
                                                           Refund.status.in_((RefundStatus.REFUSED,
                                                                              RefundStatus.FAILED)))
        .group_by(Refund.status)).all())
    return {"requested": asked, "completed": completed[0], "completedAmount": int(completed[1]),
            "refused": decided.get(RefundStatus.REFUSED, 0), "failed": decided.get(RefundStatus.FAILED, 0)}


def reconciliation(since: datetime, until: datetime, as_of: datetime) -> dict[str, Any]:
    """Differences found and settled in the window, what is still open (and past due) at `as_of`, and the
    match rate of the comparisons finished in the window (MATCHED / TOTAL)."""
    found = dict(reading_session().execute(
        select(ReconciliationItem.type, func.count(ReconciliationItem.id))
        .where(_between(ReconciliationItem.first_seen_at, since, until)).group_by(ReconciliationItem.type)).all())
    resolved = dict(reading_session().execute(
        select(ReconciliationItem.resolution, func.count(ReconciliationItem.id))
        .where(_between(ReconciliationItem.resolved_at, since, until))
        .group_by(ReconciliationItem.resolution)).all())
    still_open = and_(ReconciliationItem.first_seen_at < as_of,
                      (ReconciliationItem.resolved_at.is_(None)) | (ReconciliationItem.resolved_at >= as_of))
    open_now, overdue = reading_session().execute(
        select(func.count(ReconciliationItem.id),
               func.count(ReconciliationItem.id).filter(ReconciliationItem.due_at <= as_of))
        .where(still_open)).one()
    runs = reading_session().execute(
        select(func.count(ReconciliationRun.id),
               func.count(ReconciliationRun.id).filter(ReconciliationRun.status == "failed"),
               func.coalesce(func.sum(ReconciliationRun.matched_count), 0),
               func.coalesce(func.sum(ReconciliationRun.total_count), 0))
        .where(_between(ReconciliationRun.finished_at, since, until))).one()
    return {"found": sum(found.values()), "foundByType": {k: found[k] for k in sorted(found)},
            "resolved": sum(resolved.values()), "resolvedBy": {str(k): resolved[k] for k in sorted(resolved, key=str)},
            "open": open_now or 0, "overdue": overdue or 0, "runs": runs[0], "runsFailed": runs[1],
            "matched": int(runs[2]), "compared": int(runs[3]),
            "matchRate": policies.compute_rate(int(runs[2]), int(runs[3]))}


def fund(since: datetime, until: datetime) -> dict[str, Any]:
    """The operating fund (app.remittance.fund): balance at the start and end of the window, its lowest,
    and what went in and out by kind."""
    cur = currency()
    fund_id = reading_session().scalar(select(OperatingFund.id).where(OperatingFund.currency == cur))
    empty = {"currency": cur, "opening": 0, "closing": 0, "lowest": 0, "toppedUp": 0, "paidOut": 0,
             "returned": 0, "payouts": 0}
    if fund_id is None:
        return empty

    def balance_before(moment: datetime) -> int:
        return int(reading_session().scalar(
            select(FundEntry.balance_after).where(FundEntry.fund_id == fund_id, FundEntry.created_at < moment)
            .order_by(FundEntry.created_at.desc(), FundEntry.id.desc()).limit(1)) or 0)

    in_window = and_(FundEntry.fund_id == fund_id, _between(FundEntry.created_at, since, until))
    sums = {k: (n, int(s or 0)) for k, n, s in reading_session().execute(
        select(FundEntry.kind, func.count(FundEntry.id), func.sum(FundEntry.amount)).where(in_window)
        .group_by(FundEntry.kind)).all()}
    opening = balance_before(since)
    lowest = reading_session().scalar(select(func.min(FundEntry.balance_after)).where(in_window))
    debits = sums.get(FundEntryKind.PAYOUT_DEBIT, (0, 0))
    return {"currency": cur, "opening": opening, "closing": balance_before(until),
            "lowest": min(opening, int(lowest)) if lowest is not None else opening,
            "toppedUp": sums.get(FundEntryKind.TOP_UP, (0, 0))[1],
            # Sent for payouts, less what the bank refused (the money never left).
            "paidOut": -(debits[1] + sums.get(FundEntryKind.PAYOUT_REVERSAL, (0, 0))[1]),
            "returned": sums.get(FundEntryKind.RETURN_CREDIT, (0, 0))[1],
            "payouts": debits[0] - sums.get(FundEntryKind.PAYOUT_REVERSAL, (0, 0))[0]}


def conflicts(since: datetime, until: datetime) -> dict[str, Any] | None:
    """Booking conflicts by hotel, room type, night and hour of day (app.ops.conflict_stats)."""
    try:
        from app.ops.conflict_stats import conflict_patterns
    except ImportError:  # pragma: no cover - the ops package always ships it
        return None
    p = conflict_patterns(since, until)
    return {"total": p.total,
            "byHotel": [{"hotelId": h.hotel_id, "name": h.name, "count": h.count} for h in p.by_hotel],
            "byRoomType": [{"roomTypeId": r.room_type_id, "name": r.name, "hotel": r.hotel_name, "count": r.count}
                           for r in p.by_room_type],
            "byNight": [{"night": n.night.isoformat(), "count": n.count} for n in p.by_night],
            "byHour": list(p.by_hour_of_day), "peakHours": p.peak_hours(),
            "byResolution": dict(p.by_resolution)}


def messages(since: datetime, until: datetime) -> dict[str, Any]:
    """Messages to guests written in the window, by how they ended (operators' messages are not counted)."""
    is_operator = OutboxMessage.context[OPERATOR_MESSAGE].as_boolean()
    guest = and_(_between(OutboxMessage.created_at, since, until),
                 OutboxMessage.reservation_id.is_not(None) | is_operator.is_(None)
                 | (is_operator == False))  # noqa: E712
    by_status = dict(reading_session().execute(select(OutboxMessage.status, func.count(OutboxMessage.id)).where(guest)
                                        .group_by(OutboxMessage.status)).all())
    failed_by_event = dict(reading_session().execute(
        select(OutboxMessage.event, func.count(OutboxMessage.id)).where(guest, OutboxMessage.status == "failed")
        .group_by(OutboxMessage.event)).all())
    return {"total": sum(by_status.values()), "sent": by_status.get("sent", 0),
            "failed": by_status.get("failed", 0), "waiting": by_status.get("pending", 0) + by_status.get("sending", 0),
            "failedByEvent": {k: failed_by_event[k] for k in sorted(failed_by_event)}}


def alerts(since: datetime, until: datetime, as_of: datetime) -> dict[str, Any] | None:
    """Alerts opened in the window, per severity: acknowledged, resolved, and the response times against
    seed 001 §7.2 (app.alerts). None while the alerts package has no model."""
    try:
        from app.alerts.models import Alert
    except ImportError:
        return None
    rows = reading_session().execute(
        select(Alert.severity, Alert.opened_at, Alert.acknowledged_at, Alert.resolved_at)
        .where(_between(Alert.opened_at, since, until))).all()
    out: dict[str, Any] = {"total": len(rows), "bySeverity": {}}
    for severity in policies.SEVERITY_ORDER:
        mine = [r for r in rows if str(r[0]).upper() == severity]
        ack_sla, resolve_sla = policies.ALERT_RESPONSE_SLA[severity]
        acked = [(r[2] - r[1]) for r in mine if r[2] is not None and r[2] <= as_of]
        resolved = [(r[3] - r[1]) for r in mine if r[3] is not None and r[3] <= as_of]
        out["bySeverity"][severity] = {
            "opened": len(mine), "acknowledged": len(acked), "resolved": len(resolved),
            "ackMedianMinutes": _median_minutes(acked), "resolveMedianMinutes": _median_minutes(resolved),
            "ackWithinTarget": sum(1 for d in acked if ack_sla is not None and d <= ack_sla),
            "resolvedWithinTarget": sum(1 for d in resolved if d <= resolve_sla),
        }
    return out


def _median_minutes(durations: list[timedelta]) -> int | None:
    if not durations:
        return None
    ordered = sorted(durations)
    middle = ordered[len(ordered) // 2] if len(ordered) % 2 else (ordered[len(ordered) // 2 - 1]
                                                                    + ordered[len(ordered) // 2]) / 2
    return int(middle.total_seconds() // 60)


def api_errors(since: datetime, until: datetime) -> dict[str, Any] | None:
    """Server errors (5xx) among all requests recorded in the window (app.observability)."""
    try:
        from app.observability.models import RequestMetric
    except ImportError:
        return None
    total, errors = reading_session().execute(
        select(func.coalesce(func.sum(RequestMetric.count), 0),
               func.coalesce(func.sum(RequestMetric.count).filter(RequestMetric.status_class == "5xx"), 0))
        .where(_between(RequestMetric.minute, since, until))).one()
    return {"requests": int(total), "errors": int(errors), "errorRate": policies.compute_rate(int(errors), int(total))}


def sla(since: datetime, until: datetime) -> list[dict[str, Any]] | None:
    """Each service level of seed 001 appendix A over the window (app.observability.slo)."""
    try:
        from app.observability import slo
    except ImportError:
        return None
    keys = getattr(slo, "SLO_KEYS", None) or [getattr(s, "key", None) for s in getattr(slo, "SLOS", ())]
    out = []
    for key in [k for k in keys if k]:
        m = slo.measure(key, since, until)
        out.append({"key": key, "good": m.good, "total": m.total,
                    "value": None if m.value is None else str(m.value),
                    "target": None if m.target is None else str(m.target), "met": m.met})
    return out


# --- whole reports ------------------------------------------------------------------------------


def compute_day_summary(day: date, as_of: datetime) -> dict[str, Any]:
    """One line of a trend: a Korean day's key figures."""
    since, until = policies.day_window(day)
    until = min(until, as_of)
    if until <= since:
        return {"day": day.isoformat(), "bookings": 0, "net": 0, "paymentSuccessRate": None,
                "payoutSuccessRate": None, "conflicts": 0, "paymentsFailed": 0, "payoutsFailed": 0}
    b, r, p, o = bookings(since, until), revenue(since, until), payments(since, until), payouts(since, until, as_of)
    c = conflicts(since, until)
    return {"day": day.isoformat(), "bookings": b["made"], "net": r["net"],
            "paymentSuccessRate": p["successRate"], "payoutSuccessRate": o["successRate"],
            "paymentsFailed": p["failed"], "payoutsFailed": o["failed"], "conflicts": c["total"] if c else 0}


def compute_figures(period: Period, as_of: datetime) -> dict[str, Any]:
    """Every figure of a report of `period`, counting what happened before `as_of`."""
    since, end = policies.window(period)
    until = min(end, as_of)
    figures: dict[str, Any] = {
        "version": VERSION, "kind": period.kind, "currency": currency(),
        "periodStart": period.start.isoformat(), "periodEnd": period.end.isoformat(),
        "since": since.isoformat(), "until": until.isoformat(),
        "bookings": bookings(since, until), "revenue": revenue(since, until), "payments": payments(since, until),
        "payouts": payouts(since, until, until), "refunds": refunds(since, until),
        "reconciliation": reconciliation(since, until, until), "fund": fund(since, until),
        "conflicts": conflicts(since, until), "messages": messages(since, until),
        "alerts": alerts(since, until, until),
    }
    if period.kind in (WEEKLY, MONTHLY):
        figures["trend"] = [compute_day_summary(day, until) for day in period.days]
        p, o = figures["payments"], figures["payouts"]
        figures["errorRates"] = {
            "payments": policies.compute_rate(p["failed"], p["paid"] + p["failed"]),
            "payouts": policies.compute_rate(o["failed"], o["succeeded"] + o["failed"]),
            "api": api_errors(since, until),
        }
    if period.kind == MONTHLY:
        before = policies.previous_period(period)
        b_since, b_until = policies.window(before)
        prev_bookings, prev_revenue = bookings(b_since, b_until), revenue(b_since, b_until)
        figures["growth"] = {
            "previousStart": before.start.isoformat(),
            "bookings": policies.compute_growth(figures["bookings"]["made"], prev_bookings["made"]),
            "net": policies.compute_growth(figures["revenue"]["net"], prev_revenue["net"]),
            "previousBookings": prev_bookings["made"], "previousNet": prev_revenue["net"],
        }
        figures["fees"] = {"bank": figures["revenue"]["bankFees"], "gateway": _gateway_fees(period)}
        figures["chargebacks"] = {"count": figures["revenue"]["reversals"], "amount": figures["revenue"]["reversed"]}
        figures["sla"] = sla(since, until)
    return figures


def _gateway_fees(period: Period) -> int:
    """The card gateway's fees of the period's days, as its settlement files said (reconciliation runs)."""
    total = 0
    for details in reading_session().scalars(select(ReconciliationRun.details).where(
            ReconciliationRun.source == "gateway", ReconciliationRun.status == "completed",
            ReconciliationRun.business_date.between(period.start, period.end),
            ReconciliationRun.currency == currency())):
        if isinstance(details, dict) and isinstance(details.get("fee"), int):
            total += details["fee"]
    return total
