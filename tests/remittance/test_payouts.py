"""Payouts through the sandbox bank with a real RQ worker: every failure type follows
its path, retries follow seed 001 §4.2 to the minute, and money moves exactly once."""
from datetime import datetime, timedelta, timezone

import pytest
from rq.job import Job
from sqlalchemy import select

from app.core.jobs import enqueue_now
from app.core.errors import IllegalTransition, ValidationFailed
from app.extensions import db, redis_connection
from app.notifications.models import OutboxMessage
from app.payments.models import Payment
from app.refunds.states import RefundStatus
from app.remittance import fund as fund_service
from app.remittance import services, tokens
from app.remittance.models import FundEntry
from app.remittance.policies import RETRY_DELAYS
from app.remittance.services import attempt_job_id, create_refund_payout, run_payout_attempt
from app.remittance.states import AttemptOutcome, PayoutStatus
from app.remittance.sweep import sweep_payouts
from tests.remittance.conftest import TAILS, account, attempts, fresh

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _funded(clock, top_up):
    clock.freeze(T0)
    top_up(100_000_000)


def outbox(event):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.event == event)).all()


def test_payout_to_a_good_account_completes_and_moves_money_once(settlement, payout_worker, bank, redis):
    payout = settlement(120_000)
    pid = payout.id
    job_id = attempt_job_id(pid, 1)
    assert job_id == f"remittance-attempt-{pid}-1"
    assert Job.fetch(job_id, connection=redis).args == (pid, 1)
    payout_worker()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.COMPLETED and payout.bank_reference.startswith("BNK")
    [attempt] = attempts(payout)
    assert attempt.outcome == AttemptOutcome.COMPLETED and attempt.latency_ms is not None
    assert attempt.resolved_by == "answer" and attempt.account_masked == "***-***-4567"
    assert attempt.job_id == job_id
    assert bank.moved(payout.transfer_id) == (1, 120_000)
    assert fund_service.get_fund().balance == 100_000_000 - 120_000


@pytest.mark.parametrize("code", ["INVALID_ACCOUNT", "CLOSED_ACCOUNT", "DORMANT_ACCOUNT", "NAME_MISMATCH"])
def test_account_errors_wait_for_a_corrected_account_and_are_never_retried(code, approved_refund, payout_worker,
                                                                           drive, clock, bank):
    refund = approved_refund()
    payout = create_refund_payout(refund, account(TAILS[code]))
    db.session.commit()
    payout_worker()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.WAITING_FOR_ACCOUNT and payout.last_failure_type == code
    assert payout.next_attempt_at is None
    assert fresh(refund).status == RefundStatus.AWAITING_ACCOUNT
    [message] = [m for m in outbox("refund_account_needed") if m.channel == "email"]
    assert message.reservation_id == fresh(refund).reservation_id
    kind, public = tokens.read_token(message.context["link"].rsplit("/", 1)[1].split("?")[0])
    assert (kind, public) == (tokens.PAYOUT, payout.public_id)
    # Nothing moved, the fund got its money back, and no retry ever comes.
    assert bank.moved(payout.transfer_id) == (0, 0)
    assert fund_service.get_fund().balance == 100_000_000
    clock.advance(hours=30)
    assert drive()["rung"] == 0
    assert len(bank.requests_received(payout.transfer_id)) == 1


@pytest.mark.parametrize("code", ["LIMIT_EXCEEDED", "BANK_ERROR"])
def test_bank_side_failures_are_retried_a_minute_later(code, settlement, payout_worker, bank):
    payout = settlement(50_000, TAILS[code])
    payout_worker()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.TRANSFER_FAILED and payout.last_failure_type == code
    assert payout.next_attempt_at == T0 + RETRY_DELAYS[0]
    assert attempts(payout)[0].failure_type == code
    kinds = [e.kind for e in db.session.scalars(select(FundEntry).where(FundEntry.payout_id == payout.id)
                                                .order_by(FundEntry.id))]
    assert kinds == ["payout_debit", "payout_reversal"]


def test_retries_follow_the_schedule_and_the_payout_is_abandoned_when_the_fifth_retry_fails(
        approved_refund, payout_worker, drive, clock, bank):
    refund = approved_refund()
    payout = create_refund_payout(refund, account(TAILS["BANK_ERROR"]))
    db.session.commit()
    payout_worker()
    for retry, delay in enumerate(RETRY_DELAYS, start=1):
        payout = fresh(payout)
        failed_at = attempts(payout)[-1].answered_at
        assert payout.status == PayoutStatus.TRANSFER_FAILED
        assert payout.next_attempt_at == failed_at + delay
        clock.advance(seconds=delay.total_seconds() - 1)
        assert drive()["rung"] == 0, f"retry {retry} rang early"
        clock.advance(seconds=1)
        assert drive()["rung"] == 1
        assert len(attempts(payout)) == retry + 1
    payout = fresh(payout)
    assert payout.status == PayoutStatus.ABANDONED and payout.abandon_reason == "retries_exhausted"
    assert [n for n, _ in bank.requests_received(payout.transfer_id)] == [1, 2, 3, 4, 5, 6]
    assert bank.moved(payout.transfer_id) == (0, 0)
    notices = sorted(m.dedupe_key.rsplit(":", 1)[1] for m in outbox("payout_delayed") if m.channel == "email")
    assert notices == ["abandoned", "processing"]  # late after 30 min; then stopped
    assert fresh(refund).status == RefundStatus.AWAITING_PAYOUT  # still ours to pay: a person decides
    clock.advance(days=2)
    assert drive()["rung"] == 0


def test_payout_is_abandoned_when_the_next_retry_would_come_after_24_hours(settlement, payout_worker, drive, clock,
                                                                            top_up, bank):
    payout = settlement(150_000_000, TAILS["BANK_ERROR"])     # more than the fund holds: held
    payout_worker()
    assert fresh(payout).status == PayoutStatus.HELD_BY_BREAKER
    clock.advance(hours=23, minutes=59, seconds=30)
    top_up(100_000_000)
    assert drive()["resumed"] == 1                           # sent at 23:59:30 and refused
    payout = fresh(payout)
    assert payout.status == PayoutStatus.ABANDONED and payout.abandon_reason == "deadline_passed"
    assert payout.round_failures == 1                        # the retry at 24:00:30 would be too late
    assert len(bank.requests_received(payout.transfer_id)) == 1


def test_flaky_account_succeeds_on_the_second_retry_and_moves_money_once(settlement, payout_worker, drive, clock, bank):
    payout = settlement(70_000, "0092")
    payout_worker()
    for delay in RETRY_DELAYS[:2]:
        clock.advance(seconds=delay.total_seconds())
        drive()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.COMPLETED
    assert [a.outcome for a in attempts(payout)] == ["failed", "failed", "completed"]
    assert bank.moved(payout.transfer_id) == (1, 70_000)
    assert fund_service.get_fund().balance == 100_000_000 - 70_000


def test_timeout_after_the_money_moved_is_asked_about_and_never_sent_again(settlement, payout_worker, drive, clock,
                                                                          bank):
    payout = settlement(90_000, TAILS["TIMEOUT_MOVED"])
    payout_worker()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.TRANSFERRING
    assert attempts(payout)[0].outcome == AttemptOutcome.UNKNOWN
    clock.advance(seconds=59)
    assert drive()["rung"] == 0
    clock.advance(seconds=1)
    drive()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.COMPLETED
    [attempt] = attempts(payout)
    assert attempt.resolved_by == "inquiry" and attempt.bank_reference == payout.bank_reference
    assert bank.requests_received(payout.transfer_id) == [(1, "completed")]
    assert bank.moved(payout.transfer_id) == (1, 90_000)


def test_timeout_without_a_transfer_counts_as_a_failure_and_is_retried(settlement, payout_worker, drive, clock, bank):
    payout = settlement(90_000, TAILS["TIMEOUT_LOST"])
    payout_worker()
    clock.advance(minutes=1)
    drive()                                        # the inquiry: the bank never saw it
    payout = fresh(payout)
    assert payout.status == PayoutStatus.TRANSFER_FAILED and payout.last_failure_type == "TIMEOUT"
    assert payout.next_attempt_at == clock.now() + RETRY_DELAYS[0]
    assert fund_service.get_fund().balance == 100_000_000
    clock.advance(minutes=1)
    drive()
    assert len(attempts(payout)) == 2 and fresh(payout).status == PayoutStatus.TRANSFERRING


def test_the_same_attempt_job_run_twice_moves_money_once(settlement, payout_worker, bank, redis):
    payout = settlement(120_000)
    pid = payout.id
    payout_worker()
    assert run_payout_attempt(pid, 1) == "nothing"
    assert run_payout_attempt(pid, 2) == "nothing"
    assert enqueue_now(services.ATTEMPT_JOB, pid, 1, job_id=attempt_job_id(pid, 1), queue="high")
    payout_worker()
    payout = fresh(payout)
    assert fresh(payout).status == PayoutStatus.COMPLETED
    assert bank.moved(payout.transfer_id) == (1, 120_000)
    assert len(bank.requests_received(payout.transfer_id)) == 1
    assert fund_service.get_fund().balance == 100_000_000 - 120_000


def test_a_rerun_after_the_worker_died_past_the_bank_asks_and_completes_without_resending(settlement, bank):
    payout = settlement(120_000)
    # The first run: claimed, attempt written, request sent — then the worker died before recording the answer.
    assert services.run_in_transaction(lambda: services._claim(payout.id, 1)).action == "start"
    plan = services.run_in_transaction(lambda: services._open_attempt(payout.id, 1))
    bank.send_transfer(transfer_id=plan.transfer_id, request_no=1, amount=plan.amount, currency="KRW",
                       bank_code=plan.bank_code, account_number=plan.account_number,
                       account_holder=plan.account_holder)
    assert attempts(payout)[0].outcome == AttemptOutcome.SENDING
    # RQ runs the same job again.
    assert run_payout_attempt(payout.id, 1) == "completed"
    assert attempts(fresh(payout))[0].resolved_by == "inquiry"
    assert bank.requests_received(payout.transfer_id) == [(1, "completed")]
    assert bank.moved(payout.transfer_id) == (1, 120_000)


def test_a_rerun_after_the_worker_died_before_sending_sends_once(settlement, bank):
    payout = settlement(120_000)
    services.run_in_transaction(lambda: services._claim(payout.id, 1))
    services.run_in_transaction(lambda: services._open_attempt(payout.id, 1))
    assert not bank.has_transfer(payout.transfer_id)
    assert run_payout_attempt(payout.id, 1) == "completed"
    assert bank.moved(payout.transfer_id) == (1, 120_000)
    assert fund_service.get_fund().balance == 100_000_000 - 120_000  # debited once, for attempt 1


def test_a_lost_doorbell_is_rung_again_by_the_sweep(settlement, payout_worker, bank, redis):
    payout = settlement(120_000)
    redis.flushdb()                                # Redis restarted (or evicted the job)
    payout_worker()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.REQUESTED
    assert sweep_payouts()["rung"] == 1
    assert Job.fetch(attempt_job_id(payout.id, 1), connection=redis_connection()).get_status() == "queued"
    payout_worker()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.COMPLETED
    assert bank.moved(payout.transfer_id) == (1, 120_000)


def test_refund_payout_completes_the_refund_and_counts_it_on_the_payment(approved_refund, payout_worker, bank):
    refund = approved_refund()
    payout = create_refund_payout(refund, account())
    db.session.commit()
    assert refund.status == RefundStatus.AWAITING_PAYOUT and payout.amount == refund.amount
    payout_worker()
    refund = fresh(refund)
    assert refund.status == RefundStatus.COMPLETED and refund.completed_at is not None
    payment = db.session.get(Payment, refund.payment_id, populate_existing=True)
    assert payment.refunded_amount == refund.amount
    assert bank.moved(fresh(payout).transfer_id) == (1, refund.amount)


def test_a_refund_gets_one_open_payout_only(approved_refund):
    refund = approved_refund()
    create_refund_payout(refund, account())
    db.session.commit()
    with pytest.raises(IllegalTransition):
        create_refund_payout(refund, account())


@pytest.mark.parametrize("change, field", [
    ({"amount": 0}, "amount"), ({"amount": -5}, "amount"), ({"amount": 1.5}, "amount"),
    ({"currency": "JPY"}, "currency"), ({"account": "110-123-4567"}, "account"),
])
def test_a_bad_payout_is_refused_and_changes_nothing(change, field):
    from app.remittance.models import Payout

    values = {"purpose": "settlement", "amount": 10_000, "currency": "KRW", "account": account(), **change}
    with pytest.raises(ValidationFailed) as exc:
        services.create_payout(**values)
    assert field in exc.value.fields
    assert db.session.scalar(select(Payout.id)) is None


def test_customers_hear_when_a_payout_is_late(approved_refund, payout_worker, drive, clock):
    refund = approved_refund()
    payout = create_refund_payout(refund, account(TAILS["TIMEOUT_MOVED"]))
    db.session.commit()
    payout_worker()                                   # timed out: in doubt
    payout = fresh(payout)
    payout.next_attempt_at = clock.now() + timedelta(hours=1)   # the bank cannot be asked for a while
    db.session.commit()
    clock.advance(minutes=4, seconds=59)
    assert drive()["notified"] == 0
    clock.advance(seconds=1)
    assert drive()["notified"] == 1
    assert drive()["notified"] == 0                # once per stage
    [notice] = [m for m in outbox("payout_delayed") if m.channel == "email"]
    assert notice.context["expected_by"] == (clock.now() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
