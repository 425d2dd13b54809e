"""The conditions of the alert rules: each a read-only function `() -> list[Firing]`.

An empty list means "all clear". Each Firing's `subject` stays the same while
the incident lasts (it is half of the alert's fingerprint). Checks read the
database and Redis; they never change anything. Thresholds live in
app.alerts.policies. The periodic-job and worker checks share one health
report per evaluation (app.ops.health.check_health is cached briefly).
"""
from __future__ import annotations

import hashlib
from collections import Counter

from redis.exceptions import RedisError
from sqlalchemy import func, select

from app.alerts import policies
from app.alerts.firing import Firing
from app.core import clock
from app.extensions import QUEUE_NAMES, db

# --- booking conflicts (seed 000 §1) -------------------------------------------------------


def _conflict_level() -> tuple[int, str]:
    from app.ops.queries import conflict_alert

    count, row = conflict_alert(clock.now())
    return count, row["level"]


def _conflicts_at(level: str) -> list[Firing]:
    count, current = _conflict_level()
    return [Firing("all", {"count": count, "level": current})] if current == level else []


def check_conflicts_critical() -> list[Firing]:
    return _conflicts_at("CRITICAL")


def check_conflicts_warning() -> list[Firing]:
    return _conflicts_at("WARNING")


def check_conflicts_info() -> list[Firing]:
    return _conflicts_at("INFO")


# --- the operating fund (seed 001 §5) ---------------------------------------------------------

def _funds_at(levels: tuple[str, ...]) -> list[Firing]:
    from app.remittance.models import OperatingFund

    funds = db.session.scalars(select(OperatingFund).where(OperatingFund.level.in_(levels))
                               .order_by(OperatingFund.currency)).all()
    return [Firing(f"fund:{f.currency}", {"balance": f.balance, "currency": f.currency, "level": f.level,
                                          "breaker": f.breaker_state}) for f in funds]


def check_fund_breaker_open() -> list[Firing]:
    """A fund that exists and whose breaker is OPEN (a fund never used raises nothing)."""
    from app.remittance.models import OperatingFund
    from app.remittance.states import BreakerState

    funds = db.session.scalars(select(OperatingFund).where(OperatingFund.breaker_state == BreakerState.OPEN)
                               .order_by(OperatingFund.currency)).all()
    return [Firing(f"fund:{f.currency}", {"balance": f.balance, "currency": f.currency}) for f in funds]


def check_fund_critical() -> list[Firing]:
    return _funds_at(("critical",))


def check_fund_low() -> list[Firing]:
    return _funds_at(("warning",))


# --- payouts (seed 001 §4, §6.3, §7) ------------------------------------------------------------

def check_payout_failure_rate() -> list[Firing]:
    """Payout tries answered in the last hour: too many refused."""
    from app.remittance.models import PayoutAttempt

    since = clock.now() - policies.PAYOUT_FAILURE_WINDOW
    rows = dict(db.session.execute(
        select(PayoutAttempt.outcome, func.count()).where(PayoutAttempt.started_at >= since,
                                                          PayoutAttempt.outcome.in_(("completed", "failed")))
        .group_by(PayoutAttempt.outcome)).all())
    failed, total = rows.get("failed", 0), rows.get("failed", 0) + rows.get("completed", 0)
    if policies.payout_failure_rate_high(failed, total):
        return [Firing("all", {"failed": failed, "total": total, "percent": round(100 * failed / total)})]
    return []


def check_payouts_abandoned() -> list[Firing]:
    from app.remittance.models import Payout
    from app.remittance.states import PayoutStatus

    count = db.session.scalar(select(func.count()).select_from(Payout)
                              .where(Payout.status == PayoutStatus.ABANDONED))
    return [Firing("all", {"count": count})] if count else []


def check_same_error() -> list[Firing]:
    """The same error ≥ 3 times within an hour (seed 001 §6.3): payouts refused with the same
    failure type, or failed jobs ending with the same exception line."""
    from app.remittance.models import PayoutAttempt

    now = clock.now()
    since = now - policies.SAME_ERROR_WINDOW
    firings = []
    rows = db.session.execute(
        select(PayoutAttempt.failure_type, func.count())
        .where(PayoutAttempt.outcome == "failed", PayoutAttempt.started_at >= since,
               PayoutAttempt.failure_type.is_not(None))
        .group_by(PayoutAttempt.failure_type).order_by(PayoutAttempt.failure_type)).all()
    for failure_type, count in rows:
        if count >= policies.SAME_ERROR_MIN:
            firings.append(Firing(f"payout:{failure_type}", {"count": count, "error": failure_type,
                                                             "what": "payout"}))
    errors: Counter[str] = Counter()
    for job in _failed_jobs():
        if job.error and job.failed_at is not None and job.failed_at >= since:
            errors[job.error] += 1
    for error, count in sorted(errors.items()):
        if count >= policies.SAME_ERROR_MIN:
            digest = hashlib.sha256(error.encode()).hexdigest()[:12]
            firings.append(Firing(f"job:{digest}", {"count": count, "error": error[:200], "what": "job"}))
    return firings


# --- reconciliation (seed 001 §3) --------------------------------------------------------------

def _open_items_of(mismatch_type: str) -> list[Firing]:
    from app.reconcile.models import ReconciliationItem
    from app.reconcile.policies import ItemStatus

    rows = db.session.execute(
        select(ReconciliationItem.public_id, ReconciliationItem.business_date)
        .where(ReconciliationItem.status == ItemStatus.OPEN, ReconciliationItem.type == mismatch_type)
        .order_by(ReconciliationItem.first_seen_at)).all()
    if not rows:
        return []
    return [Firing("all", {"count": len(rows), "items": [r.public_id for r in rows[:10]],
                           "oldest_date": rows[0].business_date.isoformat()})]


def check_recon_ghost() -> list[Firing]:
    from app.reconcile.policies import GHOST_TRANSACTION

    return _open_items_of(GHOST_TRANSACTION)


def check_recon_external_only() -> list[Firing]:
    from app.reconcile.policies import EXTERNAL_ONLY

    return _open_items_of(EXTERNAL_ONLY)


def check_recon_overdue() -> list[Firing]:
    """Open mismatch items past their SLA (other than the immediate types, which have their own rules)."""
    from app.reconcile.models import ReconciliationItem
    from app.reconcile.policies import EXTERNAL_ONLY, GHOST_TRANSACTION, ItemStatus

    count = db.session.scalar(select(func.count()).select_from(ReconciliationItem).where(
        ReconciliationItem.status == ItemStatus.OPEN, ReconciliationItem.due_at < clock.now(),
        ReconciliationItem.type.not_in((GHOST_TRANSACTION, EXTERNAL_ONLY))))
    return [Firing("all", {"count": count})] if count else []


# --- batches (seed 001 §8) ---------------------------------------------------------------------

def check_batch_failed() -> list[Firing]:
    """Reconciliation runs that failed, and periodic jobs in RQ's failed registry (last 7 days).
    Each failure is its own event: resolved by a person, never reopened."""
    from app.reconcile.models import ReconciliationRun
    from app.reconcile.policies import RunStatus

    since = clock.now() - policies.EVENT_LOOKBACK
    firings = [Firing(f"reconcile:{run.business_date.isoformat()}:{run.source}",
                      {"batch": f"reconcile-{run.source}", "date": run.business_date.isoformat(),
                       "error": (run.error or "")[:200]})
               for run in db.session.scalars(select(ReconciliationRun).where(
                   ReconciliationRun.status == RunStatus.FAILED, ReconciliationRun.started_at >= since)
                   .order_by(ReconciliationRun.id))]
    periodic = _periodic_functions()
    for job in _failed_jobs():
        if job.func_name in periodic and (job.failed_at is None or job.failed_at >= since):
            firings.append(Firing(f"job:{job.job_id}", {"batch": periodic[job.func_name],
                                                        "error": (job.error or "")[:200]}))
    return firings


def check_batch_slow() -> list[Firing]:
    """Reconciliation runs still running after BATCH_TOO_LONG."""
    from app.reconcile.models import ReconciliationRun
    from app.reconcile.policies import RunStatus

    cutoff = clock.now() - policies.BATCH_TOO_LONG
    return [Firing(f"reconcile:{run.business_date.isoformat()}:{run.source}",
                   {"batch": f"reconcile-{run.source}", "date": run.business_date.isoformat(),
                    "started_at": run.started_at.isoformat()})
            for run in db.session.scalars(select(ReconciliationRun).where(
                ReconciliationRun.status == RunStatus.RUNNING, ReconciliationRun.started_at <= cutoff)
                .order_by(ReconciliationRun.id))]


def _periodic_functions() -> dict[str, str]:
    from workers.cron import PERIODIC_JOBS

    return {func_path: name for name, (func_path, _queue, _schedule) in PERIODIC_JOBS.items()}


# --- the machinery (app/ops/health.py) ---------------------------------------------------------

def _failed_jobs():
    from app.ops import health

    try:
        return health.list_failed_jobs()
    except RedisError:
        return []


def check_failed_jobs() -> list[Firing]:
    """RQ's failed-job registries (the seed's DLQ): more than 0 is an alert, one per queue."""
    from rq.registry import FailedJobRegistry

    from app.extensions import redis_connection

    try:
        conn = redis_connection()
        counts = {name: FailedJobRegistry(name, connection=conn).get_job_count() for name in QUEUE_NAMES}
    except RedisError:
        return []
    return [Firing(f"queue:{name}", {"count": count, "queue": name}) for name, count in counts.items() if count]


def _health_problems() -> dict[str, dict]:
    from app.ops import health

    report = health.check_health(clock.now())
    return {p.code: dict(p.facts) for p in report.problems}


def _problem(code: str) -> list[Firing]:
    facts = _health_problems().get(code)
    if facts is None:
        return []
    return [Firing("all", {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in facts.items()})]


def check_no_worker() -> list[Firing]:
    return _problem("no_worker")


def check_no_clock() -> list[Firing]:
    return _problem("no_cron")


def check_no_scheduled_job() -> list[Firing]:
    return _problem("periodic_stale")


# --- security and money taken back -----------------------------------------------------------------

def check_audit_chain_broken() -> list[Firing]:
    from app.auditlog.chain import current_alert

    broken = current_alert()
    if broken is None:
        return []
    return [Firing(f"check:{broken.id}", {"problems": len(broken.problems or []),
                                          "found_at": broken.created_at.isoformat()})]


def check_chargeback() -> list[Firing]:
    """Money we had taken, taken back: a deposit reversed by the bank (app/deposits/reversals.py)
    in the last 7 days. Each is its own event (resolved by a person). Gateway disputes, where the
    gateway reports them, are raised with app.alerts.services.raise_alert("chargeback", ...)."""
    from app.ledger.models import EntryKind, LedgerEntry

    since = clock.now() - policies.EVENT_LOOKBACK
    rows = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.DEPOSIT_REVERSAL,
                                                        LedgerEntry.occurred_at >= since)
                              .order_by(LedgerEntry.id)).all()
    return [Firing(f"ledger:{e.id}", {"amount": -e.amount if e.amount < 0 else e.amount, "currency": e.currency,
                                      "reservation_id": e.reservation_id,
                                      "occurred_at": e.occurred_at.isoformat()}) for e in rows]


