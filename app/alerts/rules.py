"""ALERT_RULES: every alert of seeds 000 §1 and 001 §7 (with §5, §6.3, §8 and Appendix A), one table
read by the engine (app.alerts.services), the pages and the tests.

Each rule names its condition (a check returning list[Firing]; a "module:function" string is
imported when first used), severity, area (seed 001 §10.1's rows, which pick the on-call
list), how often it repeats while nobody acknowledges it, the response times, a plain title
and what to do, and the back-office page where the work is.

`event=True` rules report things that happened (a failed batch, a chargeback): each subject
is one incident that a person resolves; it does not resolve by itself and is not raised again
once resolved. The others are conditions: they resolve by themselves when the check clears.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable

from flask_babel import lazy_gettext as _l

from app.alerts import checks
from app.alerts.firing import Firing
from app.alerts.policies import CRITICAL, INFO, REPEAT_EVERY, RESPONSE_SLA, WARNING
from app.ops.policies import CONFLICT_ALERT_LEVELS

Check = Callable[[], list[Firing]]


@dataclass(frozen=True)
class AlertRule:
    key: str
    severity: str
    area: str
    check: Check | str | None           # None: raised only by raise_alert()
    title: Any
    todo: Any
    endpoint: str
    endpoint_args: dict[str, Any] = field(default_factory=dict)
    ack_within: timedelta | None = None      # default: RESPONSE_SLA[severity]["ack"]
    resolve_within: timedelta | None = None  # default: RESPONSE_SLA[severity]["resolve"]
    repeat_every: timedelta | None = None    # default: REPEAT_EVERY[severity]
    event: bool = False
    source: str = ""                         # the seed's line it comes from

    @property
    def respond_within(self) -> timedelta:
        return self.ack_within or RESPONSE_SLA[self.severity]["ack"]

    @property
    def resolve_by(self) -> timedelta:
        return self.resolve_within or RESPONSE_SLA[self.severity]["resolve"]

    @property
    def repeat(self) -> timedelta:
        return self.repeat_every or REPEAT_EVERY[self.severity]

    def check_function(self) -> Check | None:
        if self.check is None or callable(self.check):
            return self.check
        module, _, name = self.check.partition(":")
        return getattr(importlib.import_module(module), name)


def _conflict_window(level: str) -> timedelta:
    return next(row["respond_within"] for row in CONFLICT_ALERT_LEVELS if row["level"] == level)


ALERT_RULES: tuple[AlertRule, ...] = (
    # --- seed 000 §1: booking conflicts per rolling hour ------------------------------------------
    AlertRule("conflicts_critical", CRITICAL, "transactions", checks.check_conflicts_critical,
              _l("10 or more booking conflicts in the last hour"),
              _l("Stop and look now: check the room counts of the hotels concerned, pause sales if rooms "
                 "are being sold twice, and contact the guests affected."),
              "ops.conflicts", ack_within=_conflict_window("CRITICAL"), repeat_every=timedelta(minutes=5),
              source="000 §1 CRITICAL"),
    AlertRule("conflicts_warning", WARNING, "transactions", checks.check_conflicts_warning,
              _l("5 to 9 booking conflicts in the last hour"),
              _l("Open the conflicts page, look for a hotel or room type that keeps failing and contact the "
                 "guests affected."),
              "ops.conflicts", ack_within=_conflict_window("WARNING"), repeat_every=timedelta(minutes=30),
              source="000 §1 WARNING"),
    AlertRule("conflicts_info", INFO, "transactions", checks.check_conflicts_info,
              _l("2 to 4 booking conflicts in the last hour"),
              _l("Customer service checks the conflicts page and contacts the guests affected."),
              "ops.conflicts", ack_within=_conflict_window("INFO"), repeat_every=timedelta(hours=1),
              source="000 §1 INFO"),
    # --- seed 001 §5 and §7.1: the operating fund ----------------------------------------------------
    AlertRule("fund_breaker_open", CRITICAL, "money", checks.check_fund_breaker_open,
              _l("Payouts are stopped: the operating fund is too low"),
              _l("Ask finance to top up the operating fund now (by phone if urgent), then check that payouts "
                 "start again."),
              "remittance.fund", source="001 §7.1 circuit breaker OPEN"),
    AlertRule("fund_critical", CRITICAL, "money", checks.check_fund_critical,
              _l("The operating fund is very low"),
              _l("Ask finance to top up the operating fund today, before payouts stop."),
              "remittance.fund", source="001 §5.1 below 20,000,000"),
    AlertRule("fund_low", WARNING, "money", checks.check_fund_low,
              _l("The operating fund is getting low"),
              _l("Plan a top-up of the operating fund with finance."),
              "remittance.fund", source="001 §5.1 below 50,000,000"),
    # --- payouts --------------------------------------------------------------------------------
    AlertRule("payout_failure_rate", WARNING, "transactions", checks.check_payout_failure_rate,
              _l("Many payouts are being refused by the bank"),
              _l("Look at why the payouts failed and check with the payout provider whether its service works."),
              "remittance.attention", source="001 §7.1 payout failure rate rising"),
    AlertRule("payouts_abandoned", WARNING, "transactions", checks.check_payouts_abandoned,
              _l("Payouts need a person: the automatic retries gave up"),
              _l("Open each payout, find out why it failed, then retry it, fix the account with the guest, "
                 "or refund."),
              "remittance.attention", source="001 §4.3 ABANDONED"),
    AlertRule("same_error", WARNING, "system", checks.check_same_error,
              _l("The same error happened 3 times or more within an hour"),
              _l("Tell the developer on duty: a repeated error is usually one cause to fix, not bad luck."),
              "notifications.failed_jobs", source="001 §6.3 same error 3 times"),
    # --- reconciliation (seed 001 §3) ---------------------------------------------------------------
    AlertRule("recon_ghost", CRITICAL, "money", checks.check_recon_ghost,
              _l("Reconciliation found an unknown or double charge"),
              _l("Tell a manager now. A double charge is given back to the card; an unknown order may be fraud."),
              "reconcile.index", source="001 §7.1 GHOST"),
    AlertRule("recon_external_only", CRITICAL, "money", checks.check_recon_external_only,
              _l("Money moved that our records know nothing about"),
              _l("Tell a manager now: money we cannot explain may be a security problem."),
              "reconcile.index", source="001 §3.3 EXTERNAL_ONLY"),
    AlertRule("recon_overdue", WARNING, "money", checks.check_recon_overdue,
              _l("Reconciliation differences are past their deadline"),
              _l("Open the reconciliation page and deal with the oldest differences first."),
              "reconcile.index", source="001 §3.3 SLA"),
    # --- security -----------------------------------------------------------------------------------
    AlertRule("audit_chain_broken", CRITICAL, "security", checks.check_audit_chain_broken,
              _l("The audit log was changed: its chain of checks is broken"),
              _l("Do not change anything. Tell the security contact and an admin; the integrity page shows "
                 "which rows are affected."),
              "auditlog.chain_status", source="DESIGN invariant 12"),
    # --- the machinery (seed 001 §7.1, §8 and Appendix A) ------------------------------------------
    AlertRule("failed_jobs", INFO, "system", checks.check_failed_jobs,
              _l("Background tasks failed"),
              _l("Open the failed tasks, read why they failed, then run them again or delete them."),
              "notifications.failed_jobs", source="001 §7.1 DLQ message, Appendix A DLQ = 0"),
    AlertRule("no_worker", CRITICAL, "system", checks.check_no_worker,
              _l("No background worker is running"),
              _l("Messages, payouts and expiries are waiting. Tell the developer on duty to restart the worker."),
              "notifications.system", source="DESIGN deploy: worker"),
    AlertRule("no_clock", CRITICAL, "system", checks.check_no_clock,
              _l("The scheduler (clock) is not running"),
              _l("Periodic tasks are not started. Tell the developer on duty to restart the clock process."),
              "notifications.system", source="DESIGN deploy: clock"),
    AlertRule("no_scheduled_job", CRITICAL, "system", checks.check_no_scheduled_job,
              _l("Periodic tasks have stopped running"),
              _l("Tell the developer on duty: the clock or the workers do not run the periodic tasks."),
              "notifications.system", source="DESIGN deploy: periodic jobs"),
    AlertRule("api_p95", WARNING, "system", "app.observability.alert_checks:check_api_p95",
              _l("Pages and the API answer slowly"),
              _l("Tell the developer on duty: 5 % of requests take longer than half a second."),
              "notifications.system", source="001 §7.1 API slow, Appendix A p95 < 500 ms"),
    AlertRule("slo_breach_p2", CRITICAL, "transactions", "app.observability.alert_checks:check_slo_breaches_p2",
              _l("Payments, payouts or reconciliation are below their service level"),
              _l("Open the service levels page to see which one and since when; tell the head of operations "
                 "and the developer on duty now."),
              "observability.service_levels", source="001 Appendix A SLO breach = P2 incident"),
    AlertRule("slo_breach_p3", WARNING, "system", "app.observability.alert_checks:check_slo_breaches_p3",
              _l("Response times or background jobs are below their service level"),
              _l("Open the service levels page to see which one and since when; tell the developer on duty."),
              "observability.service_levels", source="001 Appendix A SLO breach = P3"),
    AlertRule("batch_failed", WARNING, "system", checks.check_batch_failed,
              _l("A batch job failed"),
              _l("Read why it failed. A passing problem: run it again. Bad data: fix it, then run it again. "
                 "Otherwise tell the developer on duty."),
              "reconcile.index", event=True, source="001 §8.2 batch failed"),
    AlertRule("batch_slow", WARNING, "system", checks.check_batch_slow,
              _l("A batch job has been running for more than 30 minutes"),
              _l("Check whether it is still making progress; tell the developer on duty if it is stuck."),
              "reconcile.index", source="001 §8.1 expected durations"),
    AlertRule("chargeback", CRITICAL, "money", checks.check_chargeback,
              _l("Money we had received was taken back (chargeback or reversal)"),
              _l("Tell the head of operations now. Check the booking concerned: it may no longer be paid."),
              "deposits.index", event=True, source="001 §6.3 chargeback"),
    # --- support tickets: SLA clocks (seed 002 B) -------------------------------------------------
    AlertRule("support_sla_warning", WARNING, "transactions", "app.support.checks:check_sla_warning",
              _l("A customer inquiry is due for an answer within 15 minutes"),
              _l("Open the inquiry and answer the guest (a ready reply is there), or ask the colleague who owns it."),
              "support.queue", repeat_every=timedelta(minutes=15), source="002 B clocks, warning 15 min before"),
    AlertRule("support_sla_breached_urgent", CRITICAL, "transactions",
              "app.support.checks:check_sla_breached_urgent",
              _l("An urgent customer inquiry (S1/S2) is past its promised time"),
              _l("Answer the guest now, even if only to say you are on it; tell the head of operations."),
              "support.queue", source="002 B S1/S2 clocks"),
    AlertRule("support_sla_breached", WARNING, "transactions", "app.support.checks:check_sla_breached",
              _l("A customer inquiry is past its promised time"),
              _l("Open the inquiry and answer the guest today."),
              "support.queue", source="002 B S3/S4 clocks"),
    AlertRule("status_update_overdue", WARNING, "system", "app.status.checks:check_status_update_overdue",
              _l("A status page notice is late with its next update"),
              _l("Guests were told when the next update would come and that time has passed. Post an update "
                 "on the status page now, even if nothing has changed."),
              "status.ops_list", source="002 D next update time; H update compliance 95 %"),
    AlertRule("rca_overdue", WARNING, "system", "app.status.checks:check_rca_overdue",
              _l("An incident report (RCA) is late"),
              _l("A serious incident ended more than 48 hours (S1) or 72 hours (S2) ago and its report is not "
                 "published. Write it in three languages and publish it from the status page."),
              "status.ops_list", source="002 E, H RCA lead time S1 48 h / S2 72 h"),
)

RULES: dict[str, AlertRule] = {rule.key: rule for rule in ALERT_RULES}


def get_rule(key: str) -> AlertRule | None:
    return RULES.get(key)
