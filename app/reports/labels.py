"""The figures a report shows, as one table: section → rows (path into the figures, label, how to write
the value). The page, the CSV and the email all read it, so they always show the same numbers."""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from babel.numbers import format_decimal
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from app.core.money import format_money

COUNT, MONEY, RATE, PERCENT, MINUTES = "count", "money", "rate", "percent", "minutes"

KIND_LABELS = {"daily": _l("Daily report"), "weekly": _l("Weekly report"), "monthly": _l("Monthly report")}

#: (section key, title, [(figure path, label, format)]). Paths are dotted keys into the figures.
SECTIONS: list[tuple[str, Any, list[tuple[str, Any, str]]]] = [
    ("bookings", _l("Bookings"), [
        ("bookings.made", _l("Bookings made"), COUNT),
        ("bookings.rooms", _l("Rooms booked"), COUNT),
        ("bookings.bookedAmount", _l("Amount booked"), MONEY),
        ("bookings.paid", _l("Bookings paid"), COUNT),
        ("bookings.canceled", _l("Bookings canceled"), COUNT),
    ]),
    ("revenue", _l("Money in and out (from the ledger)"), [
        ("revenue.card", _l("Card payments"), MONEY),
        ("revenue.bank", _l("Bank transfers received"), MONEY),
        ("revenue.reversed", _l("Taken back by the bank"), MONEY),
        ("revenue.refunded", _l("Refunded to guests"), MONEY),
        ("revenue.net", _l("Net takings"), MONEY),
        ("revenue.bankFees", _l("Bank fees"), MONEY),
        ("revenue.partnerPayouts", _l("Paid to partners"), MONEY),
    ]),
    ("payments", _l("Payments"), [
        ("payments.paid", _l("Payments that went through"), COUNT),
        ("payments.failed", _l("Payments that failed"), COUNT),
        ("payments.paidThenCanceled", _l("Paid, then refunded or taken back"), COUNT),
        ("payments.pending", _l("Payments still waiting"), COUNT),
        ("payments.successRate", _l("Payment success rate (target 98 % or more)"), RATE),
    ]),
    ("payouts", _l("Payouts (money we send)"), [
        ("payouts.requested", _l("Payouts asked for"), COUNT),
        ("payouts.succeeded", _l("Payouts completed"), COUNT),
        ("payouts.failed", _l("Payouts that failed"), COUNT),
        ("payouts.abandoned", _l("Payouts that need a person"), COUNT),
        ("payouts.inProgress", _l("Payouts still on the way"), COUNT),
        ("payouts.late", _l("Payouts late (not done within an hour)"), COUNT),
        ("payouts.succeededAmount", _l("Amount paid out"), MONEY),
        ("payouts.successRate", _l("Payout success rate (target 99 % or more)"), RATE),
    ]),
    ("refunds", _l("Refunds"), [
        ("refunds.requested", _l("Refunds asked for"), COUNT),
        ("refunds.completed", _l("Refunds completed"), COUNT),
        ("refunds.completedAmount", _l("Amount of completed refunds"), MONEY),
        ("refunds.refused", _l("Refunds refused"), COUNT),
        ("refunds.failed", _l("Refunds that failed"), COUNT),
    ]),
    ("reconciliation", _l("Reconciliation"), [
        ("reconciliation.found", _l("Differences found"), COUNT),
        ("reconciliation.resolved", _l("Differences settled"), COUNT),
        ("reconciliation.open", _l("Differences still open"), COUNT),
        ("reconciliation.overdue", _l("Open differences past their time limit"), COUNT),
        ("reconciliation.runsFailed", _l("Comparisons that could not finish"), COUNT),
        ("reconciliation.matchRate", _l("Match rate (target 99.9 % or more)"), RATE),
    ]),
    ("fund", _l("Operating fund"), [
        ("fund.opening", _l("Balance at the start"), MONEY),
        ("fund.toppedUp", _l("Put in"), MONEY),
        ("fund.paidOut", _l("Used for payouts"), MONEY),
        ("fund.returned", _lp("amount returned", "Came back"), MONEY),
        ("fund.closing", _l("Balance at the end"), MONEY),
        ("fund.lowest", _l("Lowest balance"), MONEY),
    ]),
    ("conflicts", _l("Booking conflicts"), [
        ("conflicts.total", _l("Bookings that lost the last room"), COUNT),
    ]),
    ("messages", _l("Messages to guests"), [
        ("messages.total", _l("Messages written"), COUNT),
        ("messages.sent", _l("Messages sent"), COUNT),
        ("messages.failed", _l("Messages that could not be sent"), COUNT),
    ]),
    ("alerts", _l("Alerts"), [
        ("alerts.total", _l("Alerts raised"), COUNT),
    ]),
    ("errorRates", _l("Error rates"), [
        ("errorRates.payments", _l("Payments that failed (share)"), RATE),
        ("errorRates.payouts", _l("Payouts that failed (share)"), RATE),
        ("errorRates.api.errorRate", _l("Server errors among requests (share)"), RATE),
    ]),
    ("growth", _l("Compared with the month before"), [
        ("growth.previousBookings", _l("Bookings made the month before"), COUNT),
        ("growth.bookings", _l("Change in bookings"), PERCENT),
        ("growth.previousNet", _l("Net takings the month before"), MONEY),
        ("growth.net", _l("Change in net takings"), PERCENT),
    ]),
    ("fees", _l("Fees"), [
        ("fees.gateway", _l("Card gateway fees"), MONEY),
        ("fees.bank", _l("Bank fees"), MONEY),
    ]),
    ("chargebacks", _l("Chargebacks and reversals"), [
        ("chargebacks.count", _l("Payments taken back"), COUNT),
        ("chargebacks.amount", _l("Amount taken back"), MONEY),
    ]),
]

#: The few figures the email leads with.
KEY_FIGURES = ("bookings.made", "revenue.net", "payments.successRate", "payouts.succeeded", "payouts.failed",
               "payouts.late", "reconciliation.open", "fund.closing", "conflicts.total", "messages.failed")

#: Where the email's short list needs more words than the page's section tables.
EMAIL_LABELS = {
    "fund.closing": _l("Operating fund balance at the end"),
    "reconciliation.open": _l("Reconciliation differences still open"),
    "conflicts.total": _l("Bookings that lost the last room (conflicts)"),
}

SEVERITY_LABELS = {"CRITICAL": _l("Critical"), "WARNING": _l("Warning"), "INFO": _l("Information")}
SLO_LABELS = {
    "payment_success": _l("Payment success"), "payout_success": _l("Payout success"),
    "api_p95": _l("Response time (95 % of requests)"), "reconciliation_match": _l("Reconciliation match"),
    "failed_jobs": _l("Failed background jobs"),
}


def lookup(figures: dict[str, Any], path: str) -> Any:
    value: Any = figures
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def present(figures: dict[str, Any], section: str) -> bool:
    return isinstance(figures.get(section), dict)


def format_value(value: Any, kind: str, currency: str, locale: str) -> str:
    """A figure in words for a page, a CSV cell or an email ("—" where nothing was counted)."""
    if value is None:
        return "—"
    if kind == MONEY:
        return format_money(int(value), currency, locale)
    if kind == RATE:
        percent = (Decimal(str(value)) * 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        return f"{percent} %"
    if kind == PERCENT:
        sign = "+" if Decimal(str(value)) > 0 else ""
        return f"{sign}{value} %"
    if kind == MINUTES:
        return f"{value}"
    return format_decimal(int(value), locale=locale)


def rows(figures: dict[str, Any], locale: str) -> list[dict[str, Any]]:
    """[{section, title, rows: [{path, label, value, text}]}] for the sections this report has."""
    out = []
    currency = figures.get("currency", "KRW")
    for key, title, entries in SECTIONS:
        if not present(figures, key):
            continue
        out.append({"section": key, "title": title, "rows": [
            {"path": path, "label": label, "value": lookup(figures, path),
             "text": format_value(lookup(figures, path), kind, currency, locale)}
            for path, label, kind in entries]})
    return out


def label_of(path: str) -> Any:
    for _key, _title, entries in SECTIONS:
        for p, label, kind in entries:
            if p == path:
                return label, kind
    raise KeyError(path)
