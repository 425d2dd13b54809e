"""Payout retries are rung for their exact time: when a retry is scheduled, its attempt job is
put in RQ's ScheduledJobRegistry at `next_attempt_at` (to the second; RQ keeps whole seconds,
so a time with a fraction is rounded up, never down). The minute sweep stays the safety net:
it takes over a scheduled ring the scheduler did not run, and a second ring sends nothing twice."""
from datetime import datetime, timedelta, timezone

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from app.core.jobs import enqueue_now
from app.extensions import db, get_queue, redis_connection
from app.remittance import services
from app.remittance.doorbell import whole_second_after
from app.remittance.policies import RETRY_DELAYS
from app.remittance.services import attempt_job_id, create_refund_payout, run_payout_attempt
from app.remittance.states import PayoutStatus
from app.remittance.sweep import sweep_payouts
from tests.remittance.conftest import TAILS, account, attempts, fresh

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _funded(clock, top_up):
    clock.freeze(T0)
    top_up(100_000_000)


def registry():
    return ScheduledJobRegistry(queue=get_queue("high"))


def test_a_scheduled_retry_is_in_rqs_registry_at_its_exact_time(settlement, payout_worker):
    payout = settlement(50_000, "0091")                     # refused once, then paid
    pid = payout.id
    payout_worker()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.TRANSFER_FAILED
    assert payout.next_attempt_at == T0 + RETRY_DELAYS[0]
    job_id = attempt_job_id(pid, 2)
    assert registry().get_scheduled_time(job_id) == payout.next_attempt_at
    job = Job.fetch(job_id, connection=redis_connection())
    assert job.args == (pid, 2) and job.get_status() == "scheduled" and job.origin == "high"
    due = int(payout.next_attempt_at.timestamp())
    assert job_id not in registry().get_jobs_to_schedule(due - 1)   # RQ's scheduler: not a second early
    assert job_id in registry().get_jobs_to_schedule(due)


def test_every_retry_of_the_schedule_is_rung_for_its_time(approved_refund, payout_worker, clock):
    refund = approved_refund()
    payout = create_refund_payout(refund, account(TAILS["BANK_ERROR"]))
    db.session.commit()
    pid = payout.id
    payout_worker()
    for retry, delay in enumerate(RETRY_DELAYS, start=1):
        payout = fresh(payout)
        failed_at = attempts(payout)[-1].answered_at
        assert payout.next_attempt_at == failed_at + delay
        assert registry().get_scheduled_time(attempt_job_id(pid, retry + 1)) == failed_at + delay
        clock.advance(seconds=delay.total_seconds())
        assert sweep_payouts()["rung"] == 1               # no scheduler here: the sweep takes it over
        payout_worker()
    assert fresh(payout).status == PayoutStatus.ABANDONED
    assert registry().get_job_ids() == []


def test_a_time_with_a_fraction_of_a_second_is_rung_at_the_next_whole_second(settlement, payout_worker, clock):
    clock.freeze(T0 + timedelta(milliseconds=300))
    payout = settlement(50_000, "0091")
    pid = payout.id
    payout_worker()
    due = fresh(payout).next_attempt_at
    assert due == T0 + timedelta(milliseconds=300) + RETRY_DELAYS[0]
    assert registry().get_scheduled_time(attempt_job_id(pid, 2)) == T0 + RETRY_DELAYS[0] + timedelta(seconds=1)
    assert whole_second_after(due) == T0 + RETRY_DELAYS[0] + timedelta(seconds=1)
    assert whole_second_after(T0) == T0


def test_the_sweep_takes_over_a_scheduled_retry_the_scheduler_did_not_run(settlement, payout_worker, clock, bank):
    payout = settlement(50_000, "0091")
    pid = payout.id
    payout_worker()
    clock.advance(seconds=59)
    assert sweep_payouts()["rung"] == 0
    assert registry().get_job_ids() == [attempt_job_id(pid, 2)]
    clock.advance(seconds=1)
    assert sweep_payouts()["rung"] == 1
    assert registry().get_job_ids() == []                 # moved to its queue, not copied
    assert Job.fetch(attempt_job_id(pid, 2), connection=redis_connection()).get_status() == "queued"
    assert sweep_payouts()["rung"] == 1                   # rung again: still queued, not queued twice
    assert get_queue("high").count == 1
    payout_worker()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.COMPLETED
    assert [n for n, _ in bank.requests_received(payout.transfer_id)] == [1, 2]
    assert bank.moved(payout.transfer_id) == (1, 50_000)


def test_a_second_ring_of_a_retry_sends_nothing_twice(settlement, payout_worker, clock, bank):
    payout = settlement(50_000, "0091")
    pid = payout.id
    payout_worker()
    clock.advance(minutes=1)
    assert sweep_payouts()["rung"] == 1
    payout_worker()
    assert fresh(payout).status == PayoutStatus.COMPLETED
    # the scheduler (or RQ re-queueing) rings the same attempt again after it ran: nothing happens
    assert enqueue_now(services.ATTEMPT_JOB, pid, 2, job_id=attempt_job_id(pid, 2), queue="high")
    payout_worker()
    assert run_payout_attempt(pid, 2) == "nothing"
    assert sweep_payouts()["rung"] == 0
    payout = fresh(payout)
    assert len(attempts(payout)) == 2
    assert [n for n, _ in bank.requests_received(payout.transfer_id)] == [1, 2]
    assert bank.moved(payout.transfer_id) == (1, 50_000)
