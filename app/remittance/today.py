"""What remittance adds to the back office: navigation links and Today counts
(seed 001 §2.1 morning check: failed/ABANDONED payouts; the operating fund and its breaker)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core import clock
from app.core.money import format_money
from app.ops.checklist import TodayCount, nav_link, today_item
from app.ops.formatting import format_time_ago
from app.remittance import queries
from app.remittance.policies import BREAKER_LABELS, LEVEL_LABELS
from app.remittance.states import PayoutStatus

nav_link("payouts", "remittance.attention", _l("Payouts"), role="staff", order=40)
nav_link("operating_fund", "remittance.fund", _l("Operating fund"), role="staff", order=41)

SEVERITY_BY_LEVEL = {"ok": "ok", "warning": "warn", "critical": "bad", "breaker_open": "bad"}


@today_item("morning", order=30, title=_l("Payouts that need a person"), endpoint="remittance.attention")
def payouts_needing_a_person() -> TodayCount:
    """One per payout a person decides on (app.remittance.queries.attention_summary says which)."""
    summary = queries.attention_summary()
    urgent = summary.by_status.get(PayoutStatus.ABANDONED, 0) + summary.by_status.get(PayoutStatus.RETURNED, 0)
    count = summary.count + summary.in_doubt
    severity = "bad" if urgent or summary.in_doubt else "warn" if count else "ok"
    detail = None
    if summary.oldest_since is not None:
        detail = _l("The oldest one started waiting %(ago)s.", ago=format_time_ago(summary.oldest_since, clock.now()))
    facts = []
    if summary.held:
        facts.append(_l("Held until the operating fund allows them: %(n)s (they go out by themselves once it is "
                        "topped up).", n=summary.held))
    if summary.waiting_approval:
        facts.append(_l("Waiting for a manager's approval: %(n)s.", n=summary.waiting_approval))
    return TodayCount(key="payouts_attention", title=_l("Payouts that need a person"),
                      why=_l("Each one is money a customer or partner is still waiting for."),
                      count=count, endpoint="remittance.attention", severity=severity, detail=detail, facts=facts)


@today_item("morning", order=29, title=_l("A refund payout came back: ask the guest for another account"),
            endpoint="remittance.attention")
def refund_payouts_returned() -> TodayCount:
    count, oldest = queries.count_returned_refund_payouts()
    detail = None
    if oldest is not None:
        detail = _l("The oldest one came back %(ago)s.", ago=format_time_ago(oldest, clock.now()))
    title = _l("A refund payout came back: ask the guest for another account")
    return TodayCount(key="refund_payouts_returned", title=f"🛑 {title}" if count else title,
                      why=_l("The bank sent a refund back to us (the account is closed, for example). The guest was "
                             "asked by e-mail for another account; if they have not answered, call them and enter "
                             "the account on the payout's page. Nothing is sent again by itself."),
                      count=count, endpoint="remittance.attention", severity="bad" if count else "ok", detail=detail)


@today_item("morning", order=31, title=_l("Operating fund"), endpoint="remittance.fund")
def operating_fund() -> TodayCount:
    overview = queries.fund_overview(limit=0)
    fund = overview.fund
    if fund.id is None:  # never used: nothing is waiting on it yet
        return TodayCount(key="operating_fund", title=_l("Operating fund: not set up yet"),
                          why=_l("Enter the payout account's balance as the first top-up before payouts start."),
                          count=0, endpoint="remittance.fund", severity="info",
                          # never shown as done (✓): nothing has been checked while no balance was entered
                          awaiting=_l("No balance has been entered for the operating fund yet."))
    balance = format_money(fund.balance, fund.currency, "ko")
    return TodayCount(key="operating_fund", title=_l("Operating fund: %(level)s", level=LEVEL_LABELS[fund.level]),
                      why=_l("Payouts stop by themselves when the fund runs low; top it up before that."),
                      count=0 if fund.level == "ok" else 1, endpoint="remittance.fund",
                      severity=SEVERITY_BY_LEVEL[fund.level],
                      detail=_l("%(balance)s · %(state)s", balance=balance, state=BREAKER_LABELS[fund.breaker_state]))
