"""A card refund whose gateway reply never came finishes by itself: the gateway is asked on
the schedule of policies.REFUND_CHECK_DELAYS with the same idempotency key, a refund it
never received is sent again (once, same key), and only when the checks are used up does
the refund become `failed` for a person. The sandbox gateway's refund test cards script
what the gateway does (app/payments/sandbox.py)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from app.booking.services import cancel_reservation
from app.booking.states import ReservationStatus
from app.core import clock as app_clock
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.core.errors import IllegalTransition
from app.extensions import db, get_queue
from app.ledger import services as ledger
from app.ledger.models import EntryKind
from app.payments.gateway import CardDetails, get_gateway
from app.payments.services import pay_by_card
from app.refunds import card, decisions
from app.refunds.policies import MAX_REFUND_CHECKS, REFUND_CHECK_DELAYS, next_check_at
from app.refunds.queries import count_failed
from app.refunds.states import TRANSITIONS, RefundStatus, next_state
from tests.factories import future, make_operator, make_reservation
from tests.refunds.conftest import fresh, outbox

pytestmark = pytest.mark.usefixtures("app")

ANSWER_LOST, NEVER_ARRIVES, FIRST_LOST, GOOD = "4000000000005126", "4000000000005134", "4000000000005142", \
    "4242424242424242"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.freeze(T0)


def approved_card_refund(number: str, *, days: int = 10):
    """A booking paid with the test card `number`, canceled by the guest, its refund approved
    by staff (processing; the send job waits on the `high` queue)."""
    reservation = make_reservation(check_in=future(days))
    pay_by_card(reservation, amount=reservation.total_amount, currency=reservation.currency,
                card=CardDetails(number, 12, app_clock.now().year + 2, "123", "Minji Kim"),
                idempotency_key=str(uuid.uuid4()))
    db.session.commit()
    refund = cancel_reservation(reservation.id, actor=Actor.guest(reservation.guest_email),
                                reason="Plans changed.").refund
    staff = Actor.operator(make_operator("staff"))
    return decisions.approve_refund(refund.id, actor=staff, may_override=False)


def scheduled_at(job_id: str):
    return ScheduledJobRegistry(queue=get_queue("high")).get_scheduled_time(job_id)


def card_refund_rows(reservation_id: int):
    return [e for e in ledger.entries_of(reservation_id) if e.kind == EntryKind.CARD_REFUND]


def test_the_check_schedule_is_one_table():
    assert REFUND_CHECK_DELAYS == (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                                   timedelta(hours=2), timedelta(hours=12))
    for done, delay in enumerate(REFUND_CHECK_DELAYS):
        assert next_check_at(done, T0) == T0 + delay
    assert next_check_at(MAX_REFUND_CHECKS, T0) is None
    with pytest.raises(ValueError):
        next_check_at(-1, T0)


def test_a_completed_refund_reopens_only_to_wait_for_an_account():
    assert TRANSITIONS[RefundStatus.COMPLETED] == {RefundStatus.AWAITING_ACCOUNT}
    assert next_state("completed", "awaiting_account") == RefundStatus.AWAITING_ACCOUNT
    for target in set(RefundStatus) - {RefundStatus.AWAITING_ACCOUNT}:
        with pytest.raises(IllegalTransition):
            next_state("completed", target)


def test_approval_writes_the_first_check_so_a_lost_send_job_is_still_caught():
    refund = approved_card_refund(GOOD)
    rid = refund.id
    assert refund.status == RefundStatus.PROCESSING
    assert (refund.checks, refund.next_check_at) == (0, T0 + REFUND_CHECK_DELAYS[0])


def test_a_timeout_whose_refund_went_through_is_settled_by_the_first_check(run_worker, clock):
    refund = approved_card_refund(ANSWER_LOST)
    rid = refund.id
    key = card.gateway_key(refund)
    run_worker(queues=("high",))                           # the send job: the answer is lost
    refund = fresh(refund)
    assert refund.status == RefundStatus.PROCESSING and refund.checks == 0
    assert refund.next_check_at == T0 + timedelta(minutes=1)
    assert scheduled_at(card.check_job_id(rid, 1)) == T0 + timedelta(minutes=1)
    assert get_gateway().refund_requests_for(key) == ["answer_lost"]
    assert not outbox("refund_sent", refund.reservation_id)
    clock.advance(seconds=59)
    assert card.run_refund_check(rid, 1) == "nothing"       # not due yet: nothing asked
    clock.advance(seconds=1)
    assert card.run_refund_check(rid, 1) == "completed"
    refund = fresh(refund)
    assert refund.status == RefundStatus.COMPLETED and refund.gateway_refund_id and refund.next_check_at is None
    assert get_gateway().refund_requests_for(key) == ["answer_lost"]   # asked, never sent again
    assert get_gateway().refunded_total(refund.payment.gateway_charge_id) == refund.amount
    [row] = card_refund_rows(refund.reservation_id)
    assert row.amount == -refund.amount and row.external_ref == refund.gateway_refund_id
    assert refund.reservation.status == ReservationStatus.REFUNDED
    assert len(outbox("refund_sent", refund.reservation_id)) == 1


def test_a_refund_the_gateway_never_received_is_sent_again_once_with_the_same_key(run_worker, clock):
    refund = approved_card_refund(FIRST_LOST)
    rid = refund.id
    key = card.gateway_key(refund)
    run_worker(queues=("high",))
    assert fresh(refund).status == RefundStatus.PROCESSING
    assert get_gateway().refund_status(key) is None                # the gateway never got it
    clock.advance(minutes=1)
    assert card.run_refund_check(rid, 1) == "completed"
    assert card.run_refund_check(rid, 1) == "nothing"        # the same check again: done
    refund = fresh(refund)
    assert refund.status == RefundStatus.COMPLETED
    assert get_gateway().refund_requests_for(key) == ["lost", "answered"]
    assert get_gateway().refunded_total(refund.payment.gateway_charge_id) == refund.amount
    assert len(card_refund_rows(refund.reservation_id)) == 1
    completed = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == refund.public_id,
                                                           AuditEvent.action == "refund.completed"))
    assert completed.data["via"] == "resend"


def test_when_the_checks_are_used_up_the_refund_fails_for_a_person(run_worker, clock):
    refund = approved_card_refund(NEVER_ARRIVES)
    rid = refund.id
    key = card.gateway_key(refund)
    run_worker(queues=("high",))
    for number, delay in enumerate(REFUND_CHECK_DELAYS, start=1):
        refund = fresh(refund)
        assert refund.status == RefundStatus.PROCESSING and refund.checks == number - 1
        due = refund.next_check_at
        assert scheduled_at(card.check_job_id(rid, number)) == due
        clock.advance(seconds=(due - clock.now()).total_seconds() - 1)
        assert card.sweep_card_refunds()["rung"] == 0, f"check {number} rang early"
        assert count_failed() == 0
        clock.advance(seconds=1)
        assert card.sweep_card_refunds()["rung"] == 1             # the safety net takes the scheduled job
        run_worker(queues=("high",))
        if number < MAX_REFUND_CHECKS:
            assert fresh(refund).next_check_at == clock.now() + REFUND_CHECK_DELAYS[number]
    refund = fresh(refund)
    assert refund.status == RefundStatus.FAILED and refund.checks == MAX_REFUND_CHECKS
    assert refund.failure_message.startswith("no_answer") and refund.next_check_at is None
    assert get_gateway().refund_requests_for(key) == ["lost"] * (1 + MAX_REFUND_CHECKS)
    assert get_gateway().refunded_total(refund.payment.gateway_charge_id) == 0
    assert card_refund_rows(refund.reservation_id) == []
    assert refund.reservation.status == ReservationStatus.CANCELED
    assert not outbox("refund_sent", refund.reservation_id)
    assert count_failed() == 1
    clock.advance(days=1)
    assert card.sweep_card_refunds()["rung"] == 0
    assert card.run_refund_check(rid, MAX_REFUND_CHECKS + 1) == "nothing"


def test_a_check_run_twice_and_a_second_send_job_settle_the_refund_once(run_worker, clock):
    refund = approved_card_refund(ANSWER_LOST)
    rid = refund.id
    run_worker(queues=("high",))
    clock.advance(minutes=1)
    assert card.run_refund_check(rid, 1) == "completed"
    assert card.run_refund_check(rid, 1) == "nothing"
    assert card.run_card_refund(rid) == "nothing"
    refund = fresh(refund)
    assert len(card_refund_rows(refund.reservation_id)) == 1
    assert len(outbox("refund_sent", refund.reservation_id)) == 1
    assert refund.payment.refunded_amount == refund.amount
    assert get_gateway().refunded_total(refund.payment.gateway_charge_id) == refund.amount


def test_a_stale_check_number_does_nothing(run_worker, clock):
    refund = approved_card_refund(NEVER_ARRIVES)
    rid = refund.id
    run_worker(queues=("high",))
    clock.advance(minutes=1)
    assert card.run_refund_check(rid, 2) == "nothing"        # check 1 is the next one
    assert card.run_refund_check(rid, 1) == "unknown"
    assert card.run_refund_check(rid, 1) == "nothing"        # counted once
    refund = fresh(refund)
    assert refund.checks == 1
    assert len(get_gateway().refund_requests_for(card.gateway_key(refund))) == 2


def test_the_safety_net_sends_a_refund_whose_send_job_was_lost(run_worker, redis, clock):
    refund = approved_card_refund(GOOD)
    rid = refund.id
    redis.flushdb()                                                 # Redis lost the send job
    run_worker(queues=("high",))
    assert fresh(refund).status == RefundStatus.PROCESSING
    clock.advance(seconds=59)
    assert card.sweep_card_refunds()["rung"] == 0
    clock.advance(seconds=1)
    assert card.sweep_card_refunds()["rung"] == 1
    run_worker(queues=("high",))
    refund = fresh(refund)
    assert refund.status == RefundStatus.COMPLETED
    assert get_gateway().refund_requests_for(card.gateway_key(refund)) == ["answered"]


def test_a_failed_refund_sent_again_starts_a_fresh_round_of_checks(run_worker, clock):
    refund = approved_card_refund(NEVER_ARRIVES)
    rid = refund.id
    run_worker(queues=("high",))
    for delay in REFUND_CHECK_DELAYS:
        clock.advance(seconds=delay.total_seconds())
        card.run_refund_check(rid, fresh(refund).checks + 1)
    assert fresh(refund).status == RefundStatus.FAILED
    staff = Actor.operator(make_operator("staff"))
    decisions.send_again(rid, actor=staff, reason="The card company says it never arrived.")
    refund = fresh(refund)
    assert refund.status == RefundStatus.PROCESSING and refund.failure_message is None
    assert (refund.checks, refund.next_check_at) == (0, clock.now() + REFUND_CHECK_DELAYS[0])


def test_the_refund_page_says_the_gateway_is_asked_again_by_itself(client, login_as, run_worker):
    public_id = approved_card_refund(ANSWER_LOST).public_id
    run_worker(queues=("high",))
    login_as("staff", language="en")
    page = client.get(f"/ops/refunds/{public_id}").get_data(as_text=True)
    assert "it is asked again by itself (checks made: 0 of 5; next check:" in page and "Send again" in page
