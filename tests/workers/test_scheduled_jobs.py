"""Jobs rung for a time run on time, once, through a real RQ worker with its scheduler
(`rq worker --with-scheduler`, here a burst SimpleWorker in this process): a payout's
retry and a card refund's status check.

RQ's scheduler reads the wall clock while Frontdesk reads app.core.clock, so these tests
put Frontdesk's clock ten minutes behind the wall: a job rung for "one minute from now"
is already due for RQ, and Frontdesk's clock is then moved to that minute, as time would.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry

from app.booking.services import cancel_reservation
from app.core import clock as app_clock
from app.core.actor import Actor
from app.extensions import db, get_queue, redis_connection
from app.payments.gateway import CardDetails, get_gateway
from app.payments.services import pay_by_card
from app.refunds import card, decisions
from app.refunds.states import RefundStatus
from app.remittance import decisions as payout_decisions
from app.remittance import fund as fund_service
from app.remittance.policies import RETRY_DELAYS, BankAccount
from app.remittance.sandbox_bank import SandboxBank
from app.remittance.services import attempt_job_id
from app.remittance.states import PayoutStatus
from app.remittance.sweep import sweep_payouts
from tests.factories import future, make_operator, make_reservation
from tests.refunds.conftest import fresh, outbox

TEST_ACTOR = Actor.system("test")


@pytest.fixture(autouse=True)
def _ten_minutes_behind(clock):
    wall = datetime.now(timezone.utc).replace(microsecond=0)
    clock.freeze(wall - timedelta(minutes=10))


@pytest.fixture
def scheduler_worker(app):
    """A burst worker on `high` whose scheduler first enqueues every scheduled job due by the wall clock."""

    def _run() -> SimpleWorker:
        worker = SimpleWorker([get_queue("high")], connection=redis_connection())
        worker.work(burst=True, logging_level="WARNING", with_scheduler=True)
        return worker

    return _run


def scheduled_ids() -> list[str]:
    return ScheduledJobRegistry(queue=get_queue("high")).get_job_ids()


def test_a_payout_retry_runs_at_its_time_once_through_the_scheduler(app, scheduler_worker, clock):
    bank = SandboxBank.from_config(app.config)
    fund_service.top_up_fund(10_000_000, "test top-up", key=fund_service.new_top_up_key(), actor=TEST_ACTOR)
    payout = payout_decisions.create_settlement_payout(amount=50_000, currency="KRW",
                                                       account=BankAccount("004", "1101230091", "홍길동"),
                                                       memo="Hotel settlement", actor=TEST_ACTOR)
    pid = payout.id
    scheduler_worker()                                   # the first send: refused (BANK_ERROR)
    payout = fresh(payout)
    assert payout.status == PayoutStatus.TRANSFER_FAILED
    assert scheduled_ids() == [attempt_job_id(pid, 2)]
    clock.advance(seconds=RETRY_DELAYS[0].total_seconds())   # Frontdesk's clock reaches the retry's minute
    scheduler_worker()                                   # the scheduler enqueues it; the worker runs it
    payout = fresh(payout)
    assert payout.status == PayoutStatus.COMPLETED
    assert scheduled_ids() == []
    assert sweep_payouts()["rung"] == 0                  # the safety net finds nothing left to ring
    scheduler_worker()
    assert [n for n, _ in bank.requests_received(payout.transfer_id)] == [1, 2]
    assert bank.moved(payout.transfer_id) == (1, 50_000)


def test_a_card_refund_check_runs_at_its_time_once_through_the_scheduler(scheduler_worker, clock):
    reservation = make_reservation(check_in=future(10))
    pay_by_card(reservation, amount=reservation.total_amount, currency=reservation.currency,
                card=CardDetails("4000000000005142", 12, app_clock.now().year + 2, "123", "Minji Kim"),
                idempotency_key=str(uuid.uuid4()))
    db.session.commit()
    refund = cancel_reservation(reservation.id, actor=Actor.guest(reservation.guest_email),
                                reason="Plans changed.").refund
    refund = decisions.approve_refund(refund.id, actor=Actor.operator(make_operator("staff")), may_override=False)
    rid, key = refund.id, card.gateway_key(refund)
    scheduler_worker()                                   # the send job: the request never arrives
    assert fresh(refund).status == RefundStatus.PROCESSING
    assert scheduled_ids() == [card.check_job_id(rid, 1)]
    clock.advance(minutes=1)
    scheduler_worker()                                   # check 1: never received → sent again → refunded
    refund = fresh(refund)
    assert refund.status == RefundStatus.COMPLETED
    assert scheduled_ids() == []
    assert card.sweep_card_refunds()["rung"] == 0
    scheduler_worker()
    assert get_gateway().refund_requests_for(key) == ["lost", "answered"]
    assert get_gateway().refunded_total(refund.payment.gateway_charge_id) == refund.amount
    assert len(outbox("refund_sent", refund.reservation_id)) == 1
