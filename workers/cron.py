"""Periodic jobs, declared as data (run by `rq cron workers/cron.py`).

Each entry: (function path, queue, schedule). Stable names, so the scheduler
and the back office's health view can refer to them.
"""
from __future__ import annotations

import importlib
from datetime import datetime, time

from rq import cron

from app.reconcile.policies import cron_for_korean_time

#: The clock process's own time zone: rq cron matches cron fields against it.
_LOCAL = datetime.now().astimezone().tzinfo

#: name → (function, queue, {"interval": seconds} or {"cron": expression}, plus RQ options such as job_timeout)
PERIODIC_JOBS: dict[str, tuple[str, str, dict]] = {
    "inventory-horizon": ("workers.jobs.catalog.extend_inventory_horizon", "low", {"cron": "10 0 * * *"}),
    "idempotency-purge": ("workers.jobs.maintenance.purge_idempotency_keys", "low", {"cron": "0 4 * * *"}),
    "payments-settle": ("workers.jobs.payments.settle_pending_card_payments", "high", {"interval": 60}),
    "payments-sandbox-webhooks": ("workers.jobs.payments.deliver_sandbox_webhooks", "high", {"interval": 60}),
    "remittance-sweep": ("workers.jobs.remittance.sweep_payouts", "high", {"interval": 60}),
    # Card refunds the gateway did not answer: checks that are due and were not rung (the safety net).
    "refunds-check-sweep": ("workers.jobs.refunds.sweep_card_refunds", "high", {"interval": 60}),
    # Unpaid card holds end after 15 minutes; checked every minute (batched, safe to overlap).
    "hold-expiry": ("workers.jobs.booking.expire_holds", "high", {"interval": 60, "job_timeout": 900}),
    # Bank transfers: canceled when no deposit arrived within the booking's own 24-hour hold.
    "bank-transfer-auto-cancel": ("workers.jobs.booking.cancel_unpaid_bank_transfers", "default",
                                  {"interval": 300, "job_timeout": 900}),
    # Re-enqueue outbox messages that are due and have no live job (invariant 5).
    "outbox-relay": ("workers.jobs.notifications.relay_outbox", "default", {"interval": 60}),
    # The heartbeat the back office's banner reads: the clock and a worker are both alive.
    "health-snapshot": ("workers.jobs.health.record_health_snapshot", "high", {"interval": 60}),
    # Seed 001's reconciliation batches for yesterday (Korean time: PG 06:00, payouts 06:30, settlement 07:00);
    # rq cron reads the fields in the clock process's local time (UTC on our servers: 21:00, 21:30, 22:00).
    "reconcile-gateway": ("workers.jobs.reconcile.reconcile_gateway", "low",
                          {"cron": cron_for_korean_time(time(6, 0), _LOCAL), "job_timeout": 1800}),
    "reconcile-payouts": ("workers.jobs.reconcile.reconcile_payouts", "low",
                          {"cron": cron_for_korean_time(time(6, 30), _LOCAL), "job_timeout": 1800}),
    "reconcile-settlement": ("workers.jobs.reconcile.reconcile_settlement", "low",
                             {"cron": cron_for_korean_time(time(7, 0), _LOCAL), "job_timeout": 1800}),
    # The audit log's hash chain, checked every night (Korean time 05:00); a break raises a CRITICAL alert.
    "audit-verify": ("workers.jobs.auditlog.verify_audit_chain", "low",
                     {"cron": cron_for_korean_time(time(5, 0), _LOCAL), "job_timeout": 3600}),
    # --- alerts (app/alerts): every rule checked each minute; repeats, escalation, resolution.
    "alerts-evaluate": ("workers.jobs.alerts.evaluate_alerts", "high", {"interval": 60, "job_timeout": 300}),
    # Reports (app/reports, seed 001 §9): the daily one at 18:00 KST for that day; at 09:00 KST the job
    # makes the weekly report on Mondays and the monthly one on the 1st (it checks the Korean day itself,
    # so the cron line stays a daily one whatever the clock process's zone).
    "reports-daily": ("workers.jobs.reports.run_daily_report", "low",
                      {"cron": cron_for_korean_time(time(18, 0), _LOCAL), "job_timeout": 1800}),
    "reports-periodic": ("workers.jobs.reports.run_periodic_reports", "low",
                         {"cron": cron_for_korean_time(time(9, 0), _LOCAL), "job_timeout": 3600}),
    # --- ops (app/ops) ---
    # Seed 000's clean-up of old conflict logs: resolved/dismissed ones past CONFLICT_RETENTION_DAYS are
    # anonymised (Korean time 04:30; unresolved ones are never touched).
    "ops-conflict-cleanup": ("workers.jobs.ops.clean_up_old_conflicts", "low",
                             {"cron": cron_for_korean_time(time(4, 30), _LOCAL), "job_timeout": 1800}),
    # --- observability (app/observability): request durations and job runs past their keep days (Korean time 04:15).
    "observability-purge": ("workers.jobs.observability.purge_old_figures", "low",
                            {"cron": cron_for_korean_time(time(4, 15), _LOCAL), "job_timeout": 1800}),
    # --- support (app/support): the support mailbox every 2 minutes (does nothing without SUPPORT_IMAP_URL).
    "support-fetch-mail": ("workers.jobs.support.fetch_support_mail", "default", {"interval": 120, "job_timeout": 600}),
    # --- emergency (app/emergency): the printable server-down pages next to the status page, hourly.
    "emergency-publish": ("workers.jobs.emergency.publish_server_down_pages", "low", {"interval": 3600}),
    # --- status page (app/status): the static copy re-rendered every 5 minutes (maintenance starting by the clock).
    "status-static-refresh": ("workers.jobs.status.refresh_static_status_site", "low", {"interval": 300}),
}



def _load(path: str):
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


for _name, (_func, _queue, _schedule) in PERIODIC_JOBS.items():
    cron.register(_load(_func), _queue, name=_name, **_schedule)
