"""Fault tests with real commits and real processes: a worker killed with SIGKILL after
the bank moved the money, and payouts racing for the last of the operating fund."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select

from app.core import clock as app_clock
from app.core.db import end_transaction
from app.extensions import db
from app.remittance import fund as fund_service
from app.remittance.models import FundEntry, Payout
from app.remittance.services import run_payout_attempt
from app.remittance.states import AttemptOutcome, BreakerState, PayoutStatus
from app.remittance.sweep import sweep_payouts
from tests.conftest import ROOT
from tests.remittance.conftest import attempts, fresh

M = 1_000_000


def start_worker(log_path, *extra_args: str, **env_overrides: str) -> subprocess.Popen:
    """`rq worker` as its own process (and process group), with the test's settings."""
    env = {**os.environ, "LOG_LEVEL": "WARNING", **env_overrides}
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "rq.cli", "worker", "--url", os.environ["REDIS_URL"], "--path", str(ROOT),
             "--worker-class", "workers.worker.FrontdeskWorker", "--logging_level", "WARNING", *extra_args, "high"],
            cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.committing
@pytest.mark.slow
def test_worker_killed_after_the_bank_moved_the_money_completes_once(top_up, settlement, bank, clock, tmp_path):
    log_path = tmp_path / "workers.log"
    top_up(100 * M)
    payout = settlement(120_000)                           # its first attempt is now queued in Redis
    transfer_id = payout.transfer_id
    end_transaction()                                      # SQLite: hold no write lock while the worker runs
    worker = start_worker(log_path, SANDBOX_BANK_PAUSE_AFTER_ACCEPT_MS="60000")
    try:
        wait_for(lambda: bank.has_transfer(transfer_id) or worker.poll() is not None,
                 what="the bank to accept the transfer")
        assert worker.poll() is None, log_path.read_text()[-3000:]
        assert bank.moved(transfer_id) == (1, 120_000)
        os.killpg(worker.pid, signal.SIGKILL)              # the worker and its work horse, mid-call
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    payout = fresh(payout)
    assert payout.status == PayoutStatus.TRANSFERRING
    assert attempts(payout)[0].outcome == AttemptOutcome.SENDING   # the answer never reached us

    # Minutes later the sweep sees an attempt no live worker can still be running…
    assert sweep_payouts()["rung"] == 0                    # not yet: it could still be running
    clock.advance(minutes=6)
    assert sweep_payouts()["rung"] == 1
    # …and a new worker asks the bank before sending anything.
    end_transaction()
    recovery = start_worker(log_path, "--burst", FRONTDESK_CLOCK_OFFSET_SECONDS=str(app_clock.offset_seconds()))
    assert recovery.wait(timeout=60) == 0, log_path.read_text()[-3000:]
    payout = fresh(payout)
    assert payout.status == PayoutStatus.COMPLETED
    [attempt] = attempts(payout)
    assert attempt.outcome == AttemptOutcome.COMPLETED and attempt.resolved_by == "inquiry"
    assert bank.requests_received(transfer_id) == [(1, "completed")]   # never sent twice
    assert bank.moved(transfer_id) == (1, 120_000)                      # moved exactly once
    assert fund_service.get_fund().balance == 100 * M - 120_000         # debited once


@pytest.mark.committing
def test_two_payouts_racing_for_the_last_of_the_fund_do_not_both_pass(app, top_up, settlement, bank):
    top_up(60 * M)
    first = settlement(48 * M)
    run_payout_attempt(first.id, 1)
    fund = fund_service.get_fund()
    assert (fund.balance, fund.breaker_state) == (12 * M, BreakerState.CLOSED)
    racers = [settlement(7 * M), settlement(7 * M)]
    ids = [p.id for p in racers]
    db.session.remove()
    barrier = threading.Barrier(len(ids))
    results, errors = {}, []

    def race(payout_id: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                results[payout_id] = run_payout_attempt(payout_id, 1)
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(pid,)) for pid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(results.values()) == ["completed", "held"]
    statuses = {p.status for p in db.session.scalars(select(Payout).where(Payout.id.in_(ids)))}
    assert statuses == {PayoutStatus.COMPLETED, PayoutStatus.HELD_BY_BREAKER}
    assert sum(bank.moved(p.transfer_id)[1] for p in db.session.scalars(select(Payout))) == 55 * M
    fund = fund_service.get_fund()
    assert fund.balance == 5 * M and fund.breaker_state == BreakerState.OPEN
    assert db.session.scalar(select(func.sum(FundEntry.amount))) == fund.balance
