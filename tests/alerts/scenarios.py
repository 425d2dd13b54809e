"""Real conditions for every rule of ALERT_RULES: `make` puts the data (or the absence) in
place that makes the rule fire, `clear` takes it away, `keep` refreshes signs of life after
the test moved the clock. Each works on the test's database and Redis db."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import delete, update

from app.core import clock
from app.extensions import db

def uid(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


@dataclass
class Scenario:
    make: Callable[[], None]
    clear: Callable[[], None] | None = None      # None: an event rule (a person resolves it)
    keep: Callable[[], None] | None = None       # refresh heartbeats after the clock moved
    subject: str = "all"


# --- conflicts -----------------------------------------------------------------------------------

def _conflicts(n: int) -> Callable[[], None]:
    def make() -> None:
        from app.booking.models import BookingConflict
        from tests.factories import future, make_room_type

        room_type = make_room_type()
        for i in range(n):
            db.session.add(BookingConflict(hotel_id=room_type.hotel_id, room_type_id=room_type.id,
                                           check_in=future(5), check_out=future(6), number_of_rooms=1,
                                           guest_name=f"Guest {i}", created_at=clock.now() - timedelta(minutes=1)))
        db.session.commit()
    return make


def _conflicts_recent() -> None:
    """The conflicts keep happening: they stay inside the rolling hour however far the test moves."""
    from app.booking.models import BookingConflict

    db.session.execute(update(BookingConflict).values(created_at=clock.now() - timedelta(minutes=1)))
    db.session.commit()


def _clear_conflicts() -> None:
    from app.booking.models import BookingConflict

    db.session.execute(delete(BookingConflict))
    db.session.commit()


# --- the fund ------------------------------------------------------------------------------------

def _fund(balance: int, breaker: str, level: str) -> Callable[[], None]:
    def make() -> None:
        from app.remittance.models import OperatingFund

        db.session.add(OperatingFund(currency="KRW", balance=balance, breaker_state=breaker, level=level,
                                     state_changed_at=clock.now()))
        db.session.commit()
    return make


def _fund_healthy() -> None:
    from app.remittance.models import OperatingFund

    db.session.execute(update(OperatingFund).values(balance=100_000_000, breaker_state="closed", level="ok"))
    db.session.commit()


# --- payouts -----------------------------------------------------------------------------------

def _payout(status: str = "transfer_failed"):
    from app.remittance.models import Payout

    now = clock.now()
    p = Payout(public_id=uid("po"), purpose="refund", amount=10_000, currency="KRW", bank_code="004",
               account_number="12345678901", account_holder="김민지", transfer_id=uid("tr"), status=status,
               status_changed_at=now, requested_at=now, round_started_at=now, created_at=now, updated_at=now)
    db.session.add(p)
    db.session.flush()
    return p


def _attempts(outcomes: list[tuple[str, str | None]]) -> None:
    from app.remittance.models import PayoutAttempt

    payout = _payout()
    for number, (outcome, failure_type) in enumerate(outcomes, start=1):
        db.session.add(PayoutAttempt(payout_id=payout.id, number=number, amount=10_000, bank_code="004",
                                     account_masked="***-7890", outcome=outcome, failure_type=failure_type,
                                     started_at=clock.now() - timedelta(minutes=5)))
    db.session.commit()


def _attempts_recent() -> None:
    """The refusals keep coming: they stay inside the rolling hour."""
    from app.remittance.models import PayoutAttempt

    db.session.execute(update(PayoutAttempt).values(started_at=clock.now() - timedelta(minutes=5)))
    db.session.commit()


def _clear_attempts() -> None:
    from app.remittance.models import PayoutAttempt

    db.session.execute(delete(PayoutAttempt))
    db.session.commit()


def _abandoned() -> None:
    _payout("abandoned")
    db.session.commit()


def _abandoned_handled() -> None:
    from app.remittance.models import Payout

    db.session.execute(update(Payout).values(status="canceled"))
    db.session.commit()


# --- reconciliation -----------------------------------------------------------------------------

def _run(status: str = "completed", started: datetime | None = None, source: str = "gateway"):
    from app.reconcile.models import ReconciliationRun

    started = started or clock.now()
    run = ReconciliationRun(business_date=(clock.now() - timedelta(days=1)).date(), source=source, status=status,
                            started_at=started, error="statement file unreadable" if status == "failed" else None)
    db.session.add(run)
    db.session.flush()
    return run


def _item(type_: str, due_in: timedelta) -> Callable[[], None]:
    def make() -> None:
        due = clock.now() + due_in
        from app.reconcile.models import ReconciliationItem

        run = _run()
        db.session.add(ReconciliationItem(public_id=uid("rci"), natural_key=f"test:{uid()}", source=run.source,
                                          business_date=run.business_date, run_id=run.id, type=type_,
                                          first_seen_at=clock.now() - timedelta(hours=5),
                                          last_seen_at=clock.now(), due_at=due, status="open"))
        db.session.commit()
    return make


def _items_resolved() -> None:
    from app.reconcile.models import ReconciliationItem

    db.session.execute(update(ReconciliationItem).values(status="resolved", resolution="explained",
                                                         resolved_at=clock.now()))
    db.session.commit()


def _batch_failed() -> None:
    _run("failed")
    db.session.commit()


def _batch_slow() -> None:
    _run("running", started=clock.now() - timedelta(minutes=31), source="payouts")
    db.session.commit()


def _batch_done() -> None:
    from app.reconcile.models import ReconciliationRun

    db.session.execute(update(ReconciliationRun).values(status="completed", finished_at=clock.now()))
    db.session.commit()


# --- security and money taken back ----------------------------------------------------------------

def _chain_broken() -> None:
    from app.auditlog.models import AuditCheckpoint

    db.session.add(AuditCheckpoint(kind="broken", created_at=clock.now(), row_count=10, last_id=10,
                                   problems=[{"kind": "changed", "row_id": 7, "fingerprint": "changed:7"}]))
    db.session.commit()


def _chain_acknowledged() -> None:
    from app.auditlog.models import AuditCheckpoint

    db.session.add(AuditCheckpoint(kind="acknowledged", created_at=clock.now(), row_count=10, last_id=10,
                                   reason="a test row was edited by hand", actor_name="admin"))
    db.session.commit()


def _chargeback() -> None:
    from app.ledger.models import LedgerEntry

    now = clock.now()
    db.session.add(LedgerEntry(kind="deposit_reversal", amount=-89_000, currency="KRW", source="bank",
                               occurred_at=now, business_date=now.date(), dedupe_key=uid("reversal")))
    db.session.commit()


# --- the machinery -----------------------------------------------------------------------------

def _redis():
    from app.extensions import redis_connection

    return redis_connection()


def _worker_alive() -> None:
    """A registered RQ worker whose heartbeat is 'now' on the app's clock."""
    from rq import Worker
    from rq.utils import utcformat

    from app.extensions import get_queue

    conn = _redis()
    workers = Worker.all(connection=conn)
    worker = workers[0] if workers else Worker([get_queue("default")], connection=conn, name="alerts-test-worker")
    if not workers:
        worker.register_birth()
    conn.hset(worker.key, "last_heartbeat", utcformat(clock.now().replace(tzinfo=None)))


def _clock_alive() -> None:
    from app.ops.health import CRON_REGISTRY_KEY

    _redis().zadd(CRON_REGISTRY_KEY, {"alerts-test-clock": clock.now().timestamp()})


def _periodic_alive() -> None:
    from app.core.db import run_in_transaction
    from app.ops import health

    run_in_transaction(lambda: health.record_heartbeat(health.PERIODIC_HEARTBEAT, {}, clock.now()))


def _worker_and_clock_alive() -> None:
    _worker_alive()
    _clock_alive()


def _failed_jobs(n: int) -> Callable[[], None]:
    def make() -> None:
        from app.extensions import get_queue
        from rq import SimpleWorker

        queue = get_queue("low")
        for i in range(n):
            queue.enqueue("tests.alerts.jobs_for_tests.refuse", i, job_id=f"alerts-test-refuse-{i}")
        SimpleWorker([queue], connection=_redis()).work(burst=True, logging_level="ERROR", with_scheduler=False)
    return make


def _clear_failed_jobs() -> None:
    from rq.registry import FailedJobRegistry

    from app.extensions import QUEUE_NAMES

    for name in QUEUE_NAMES:
        registry = FailedJobRegistry(name, connection=_redis())
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)


# --- API p95 (app/observability records request durations; its check reads them) --------

def _slow_requests() -> None:
    from app.observability import requests as recorder

    recorder.discard_pending()
    for _ in range(20):
        recorder.record("/booking/new", "booking.new", "POST", 200, 1500.0, at=clock.now() - timedelta(minutes=1))
    recorder.flush(db.session.connection())
    db.session.commit()


def _no_requests() -> None:
    from app.observability.models import RequestMetric

    db.session.execute(delete(RequestMetric))
    db.session.commit()


def _still_slow() -> None:
    _no_requests()
    _slow_requests()


# --- service levels (their checks live in app/observability and read recorded data) -------------

def _failed_payments() -> None:
    """97 of 100 card payments succeeded in the last hour: under the 98 % objective (a P2 breach)."""
    from tests.observability.helpers import make_card_payments

    make_card_payments(97, 3, clock.now() - timedelta(hours=1))
    db.session.commit()


def _payments_recovered() -> None:
    from app.payments.models import Payment

    db.session.execute(update(Payment).where(Payment.status == "failed").values(status="completed"))
    db.session.commit()


def _failed_job_run() -> None:
    """One recorded background job failed: the seed's "failed jobs = 0" objective is missed (P3)."""
    from app.observability.models import JobRun

    db.session.add(JobRun(job_id=uid("job"), func="workers.jobs.maintenance.purge_idempotency_keys",
                          status="failed", started_at=clock.now() - timedelta(minutes=5)))
    db.session.commit()


def _job_runs_cleared() -> None:
    from app.observability.models import JobRun

    db.session.execute(delete(JobRun))
    db.session.commit()


# --- the status page (app/status) --------------------------------------------------------------------

def _status_notice(*, status: str, next_update_in: timedelta | None, resolved_ago: timedelta | None = None):
    from app.status.models import StatusNotice, StatusUpdate

    now = clock.now()
    texts = {lang: {"title": "t", "body": "b", "impact": "i"} for lang in ("ko", "ja", "en")}
    notice = StatusNotice(public_id=uid("sts"), kind="incident", severity="S1", status=status,
                          components={"payments": "major_outage"}, started_at=now - timedelta(hours=1),
                          published_at=now - timedelta(hours=1),
                          resolved_at=now - resolved_ago if resolved_ago is not None else None)
    notice.updates.append(StatusUpdate(status=status, texts=texts, published_at=now - timedelta(hours=1),
                                       next_update_at=now + next_update_in if next_update_in is not None else None))
    db.session.add(notice)
    db.session.commit()


def _status_update_late() -> None:
    _status_notice(status="investigating", next_update_in=-timedelta(minutes=5))


def _status_updated() -> None:
    from app.status.models import StatusNotice

    db.session.execute(update(StatusNotice).values(status="resolved", resolved_at=clock.now(),
                                                   rca_published_at=clock.now()))
    db.session.commit()


def _rca_late() -> None:
    _status_notice(status="resolved", next_update_in=None, resolved_ago=timedelta(hours=49))


def _rca_published() -> None:
    from app.status.models import StatusNotice

    db.session.execute(update(StatusNotice).values(rca_published_at=clock.now()))
    db.session.commit()


# --- support tickets: SLA clocks ------------------------------------------------------------------

def _ticket_aged(severity: str, age: timedelta) -> Callable[[], None]:
    """One running ticket of `severity` written `age` ago (kept that old as the test moves the clock)."""
    def make() -> None:
        from app.core.actor import Actor
        from app.support.services import create_ticket

        t = create_ticket(channel="web", category="other", purpose="scenario", body="scenario",
                          actor=Actor.guest("guest@example.com"), guest_email="guest@example.com",
                          severity=severity)
        t.created_at = clock.now() - age
        db.session.commit()
    return make


def _tickets_keep(age: timedelta) -> Callable[[], None]:
    def keep() -> None:
        from app.support.models import Ticket

        db.session.execute(update(Ticket).values(created_at=clock.now() - age))
        db.session.commit()
    return keep


def _tickets_answered() -> None:
    from app.support.models import Ticket

    db.session.execute(update(Ticket).values(status="resolved", first_responded_at=clock.now(),
                                             resolved_at=clock.now()))
    db.session.commit()


SCENARIOS: dict[str, Scenario] = {
    "conflicts_critical": Scenario(_conflicts(10), _clear_conflicts, keep=_conflicts_recent),
    "conflicts_warning": Scenario(_conflicts(5), _clear_conflicts, keep=_conflicts_recent),
    "conflicts_info": Scenario(_conflicts(2), _clear_conflicts, keep=_conflicts_recent),
    "fund_breaker_open": Scenario(_fund(5_000_000, "open", "breaker_open"), _fund_healthy, subject="fund:KRW"),
    "fund_critical": Scenario(_fund(15_000_000, "closed", "critical"), _fund_healthy, subject="fund:KRW"),
    "fund_low": Scenario(_fund(40_000_000, "closed", "warning"), _fund_healthy, subject="fund:KRW"),
    "payout_failure_rate": Scenario(lambda: _attempts([("failed", "BANK_ERROR"), ("failed", "TIMEOUT")]
                                                      + [("completed", None)] * 3), _clear_attempts,
                                    keep=_attempts_recent),
    "payouts_abandoned": Scenario(_abandoned, _abandoned_handled),
    "same_error": Scenario(lambda: _attempts([("failed", "BANK_ERROR")] * 3), _clear_attempts,
                           keep=_attempts_recent, subject="payout:BANK_ERROR"),
    "recon_ghost": Scenario(_item("GHOST_TRANSACTION", timedelta(0)), _items_resolved),
    "recon_external_only": Scenario(_item("EXTERNAL_ONLY", timedelta(0)), _items_resolved),
    "recon_overdue": Scenario(_item("AMOUNT_MISMATCH", -timedelta(hours=1)), _items_resolved),
    "audit_chain_broken": Scenario(_chain_broken, _chain_acknowledged, subject=None),
    "failed_jobs": Scenario(_failed_jobs(1), _clear_failed_jobs, subject="queue:low"),
    "no_worker": Scenario(lambda: None, _worker_alive),
    "no_clock": Scenario(lambda: None, _clock_alive),
    "no_scheduled_job": Scenario(_worker_and_clock_alive, _periodic_alive, keep=_worker_and_clock_alive),
    "api_p95": Scenario(_slow_requests, _no_requests, keep=_still_slow, subject="api:p95"),
    "slo_breach_p2": Scenario(_failed_payments, _payments_recovered, subject="slo:payment_success"),
    "slo_breach_p3": Scenario(_failed_job_run, _job_runs_cleared, subject="slo:failed_jobs"),
    "batch_failed": Scenario(_batch_failed, None, subject=None),
    "batch_slow": Scenario(_batch_slow, _batch_done, subject=None),
    "chargeback": Scenario(_chargeback, None, subject=None),
    "status_update_overdue": Scenario(_status_update_late, _status_updated, subject=None),
    "rca_overdue": Scenario(_rca_late, _rca_published, subject=None),
    # S1 written 5 minutes ago: 10 minutes left of its 15 → the warning; 20 minutes ago → past due;
    # S3 written 3 days ago (a Friday, seen from Monday): its 4 business hours are long gone.
    "support_sla_warning": Scenario(_ticket_aged("S1", timedelta(minutes=5)), _tickets_answered,
                                    keep=_tickets_keep(timedelta(minutes=5)), subject=None),
    "support_sla_breached_urgent": Scenario(_ticket_aged("S1", timedelta(minutes=20)), _tickets_answered,
                                            keep=_tickets_keep(timedelta(minutes=20)), subject=None),
    "support_sla_breached": Scenario(_ticket_aged("S3", timedelta(days=3)), _tickets_answered,
                                     keep=_tickets_keep(timedelta(days=3)), subject=None),
}
