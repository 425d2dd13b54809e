"""The payout sweep (every minute): RQ is only the doorbell, the database the memory.

It rings the attempt jobs that are due (first sends, retries, inquiries after a
timeout, attempts whose worker died), resumes payouts held by the breaker that
the fund now lets through, and queues the customers' delay notices (seed 001
§6.2). Losing Redis (a restart, an eviction) therefore loses no retry: the next
sweep rings again. A retry is also rung for its exact time when it is scheduled
(app.remittance.doorbell, RQ's scheduler); the sweep is the safety net behind it
and takes over a scheduled ring that is late (app.remittance.doorbell.enqueue_due).
"""
from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import and_, select

from app.core import clock
from app.core.db import end_transaction, run_in_transaction
from app.extensions import db, redis_connection
from app.remittance import fund as fund_service
from app.remittance.doorbell import enqueue_due
from app.remittance.models import Payout, PayoutAttempt
from app.remittance.policies import (
    ATTEMPT_JOB_TIMEOUT_SECONDS,
    DELAY_NOTICES,
    STALE_AFTER,
    delay_notice_due,
    gate_payout,
    next_breaker_state,
)
from app.remittance.services import ATTEMPT_JOB, attempt_job_id, current_attempt, lock_payout, queue_delay_notice
from app.remittance.states import AttemptOutcome, PayoutStatus

log = logging.getLogger(__name__)

S, O = PayoutStatus, AttemptOutcome


def _ring(payout_id: int, number: int, *, dead_job: bool = False) -> bool:
    """Enqueue an attempt job now (from the sweep). `dead_job`: the database shows that
    no live worker can still be running it, so a job Redis still calls "started" is
    a dead worker's and is replaced."""
    job_id = attempt_job_id(payout_id, number)
    if dead_job:
        try:
            job = Job.fetch(job_id, connection=redis_connection())
            if job.get_status(refresh=False) == "started":
                log.warning("replacing the dead worker's job %s", job_id)
                job.delete()
        except (NoSuchJobError, RedisError):
            pass
    return enqueue_due(ATTEMPT_JOB, payout_id, number, job_id=job_id, queue="high",
                       job_timeout=ATTEMPT_JOB_TIMEOUT_SECONDS)


def _due(limit: int) -> list[tuple[int, int, bool]]:
    """(payout id, attempt number, dead job?) of every attempt the sweep should ring."""
    now, stale = clock.now(), clock.now() - STALE_AFTER
    rows: list[tuple[int, int, bool]] = []
    for pid, count in db.session.execute(select(Payout.id, Payout.attempt_count).where(
            Payout.status.in_([S.REQUESTED, S.TRANSFER_FAILED]), Payout.next_attempt_at <= now)
            .order_by(Payout.next_attempt_at).limit(limit)):
        rows.append((pid, count + 1, False))
    for pid, count in db.session.execute(select(Payout.id, Payout.attempt_count).where(
            Payout.status == S.PROCESSING, Payout.status_changed_at <= stale).limit(limit)):
        rows.append((pid, count + 1, True))
    in_doubt = select(Payout.id, Payout.attempt_count, PayoutAttempt.outcome).join(PayoutAttempt, and_(
        PayoutAttempt.payout_id == Payout.id, PayoutAttempt.number == Payout.attempt_count)).where(
        Payout.status == S.TRANSFERRING)
    for pid, count, outcome in db.session.execute(in_doubt.where(
            (PayoutAttempt.outcome == O.UNKNOWN) & (Payout.next_attempt_at <= now)
            | (PayoutAttempt.outcome == O.SENDING) & (PayoutAttempt.sent_at <= stale)).limit(limit)):
        rows.append((pid, count, outcome == O.SENDING))
    return rows


def _held_to_resume(limit: int) -> list[tuple[int, int]]:
    """Held payouts the fund would let through now, oldest first (the job re-checks under lock)."""
    held = db.session.execute(select(Payout.id, Payout.attempt_count, Payout.amount, Payout.currency).where(
        Payout.status == S.HELD_BY_BREAKER).order_by(Payout.requested_at, Payout.id).limit(limit)).all()
    if not held:
        return []
    t = fund_service.thresholds()
    funds: dict[str, list] = {}
    resume = []
    for pid, count, amount, currency in held:
        if currency not in funds:
            fund = fund_service.get_fund(currency)
            funds[currency] = [fund.breaker_state, fund.balance]
        state, balance = funds[currency]
        if gate_payout(state, balance, amount, t).allowed:
            resume.append((pid, count + 1))
            balance -= amount
            funds[currency] = [next_breaker_state(state, balance, t), balance]
    return resume


def _late_payouts(limit: int) -> list[tuple[int, str]]:
    """Refund payouts that may be past a delay threshold (re-checked one by one)."""
    now = clock.now()
    processing = next(n for n in DELAY_NOTICES if n.stage == "processing")
    transferring = next(n for n in DELAY_NOTICES if n.stage == "transferring")
    rows = db.session.execute(select(Payout.id, Payout.delay_notices).where(
        Payout.reservation_id.is_not(None), Payout.status.in_([s.value for s in processing.statuses]),
        Payout.requested_at <= now - processing.late_after).limit(limit)).all()
    late = [(pid, "processing") for pid, sent in rows if "processing" not in (sent or [])]
    rows = db.session.execute(select(Payout.id, Payout.delay_notices).join(PayoutAttempt, and_(
        PayoutAttempt.payout_id == Payout.id, PayoutAttempt.number == Payout.attempt_count)).where(
        Payout.reservation_id.is_not(None), Payout.status == S.TRANSFERRING,
        PayoutAttempt.started_at <= now - transferring.late_after).limit(limit)).all()
    late += [(pid, "transferring") for pid, sent in rows if "transferring" not in (sent or [])]
    return late


def _notify_if_late(payout_id: int, stage: str) -> bool:
    payout = lock_payout(payout_id)
    if stage == "transferring":
        attempt = current_attempt(payout)
        since = attempt.started_at if attempt is not None else None
    else:
        since = payout.requested_at
    notice = delay_notice_due(payout.status, since, clock.now(), payout.delay_notices or [])
    return notice is not None and notice.stage == stage and queue_delay_notice(payout, stage)


def sweep_payouts(limit: int = 500) -> dict[str, int]:
    """Every minute: ring the attempts that are due, resume held payouts the fund now
    allows, and queue the customers' delay notices. Safe to run twice (and
    concurrently): ringing is idempotent per job id and every job re-checks the
    database; each notice is queued once per payout and stage.
    """
    due = _due(limit)
    resume = _held_to_resume(limit)
    late = _late_payouts(limit)
    end_transaction()
    rung = sum(1 for pid, number, dead in due if _ring(pid, number, dead_job=dead))
    resumed = sum(1 for pid, number in resume if _ring(pid, number))
    notified = sum(1 for pid, stage in late if run_in_transaction(lambda: _notify_if_late(pid, stage)))
    if rung or resumed or notified:
        log.info("payout sweep: %s rung, %s resumed, %s delay notices", rung, resumed, notified)
    return {"rung": rung, "resumed": resumed, "notified": notified}
