"""End to end with real RQ workers (burst mode): what Frontdesk does with each scripted
answer of the bank and the card gateway. Money moves once whatever the answers were."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.core.audit import AuditEvent
from app.extensions import db
from app.ledger import services as ledger
from app.ledger.models import EntryKind
from app.payments import sandbox
from app.payments.gateway import get_gateway
from app.refunds import card
from app.refunds.states import RefundStatus
from app.remittance import fund as fund_service
from app.remittance import sandbox_bank
from app.remittance.states import AttemptOutcome, PayoutStatus
from tests.refunds.conftest import fresh as fresh_refund
from tests.refunds.conftest import outbox
from tests.refunds.test_card_checks import GOOD as GOOD_CARD
from tests.refunds.test_card_checks import approved_card_refund
from tests.remittance.conftest import attempts, fresh

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.freeze(T0)


# --- the bank ---------------------------------------------------------------------------------


def test_bank_timeout_after_then_an_inquiry_that_says_done_completes_the_payout_once(
        top_up, settlement, payout_worker, drive, clock, bank):
    top_up(100_000_000)
    sandbox_bank.script(["timeout_after"])
    sandbox_bank.script(["unknown", "done"], "inquire")
    payout = settlement(90_000)
    payout_worker()                                    # the send: the money moved, the answer was lost
    payout = fresh(payout)
    assert payout.status == PayoutStatus.TRANSFERRING and attempts(payout)[0].outcome == AttemptOutcome.UNKNOWN
    clock.advance(minutes=1)
    drive()                                            # the first inquiry gets no answer either
    payout = fresh(payout)
    assert payout.status == PayoutStatus.TRANSFERRING and payout.next_attempt_at == clock.now() + timedelta(minutes=1)
    clock.advance(minutes=1)
    drive()                                            # the second one: done
    payout = fresh(payout)
    assert payout.status == PayoutStatus.COMPLETED
    [attempt] = attempts(payout)
    assert attempt.resolved_by == "inquiry" and attempt.bank_reference == payout.bank_reference
    assert bank.requests_received(payout.transfer_id) == [(1, "completed")]    # never sent twice
    assert bank.moved(payout.transfer_id) == (1, 90_000)
    assert fund_service.get_fund().balance == 100_000_000 - 90_000
    clock.advance(minutes=5)
    drive()                                            # later sweeps change nothing
    assert bank.requests_received(payout.transfer_id) == [(1, "completed")]


def test_bank_timeout_before_arriving_is_a_failed_try_retried_by_the_schedule(
        top_up, settlement, payout_worker, drive, clock, bank):
    top_up(100_000_000)
    sandbox_bank.script(["timeout_before"])
    payout = settlement(90_000)
    payout_worker()
    clock.advance(minutes=1)
    drive()                                            # the inquiry: the bank never saw it
    payout = fresh(payout)
    assert payout.status == PayoutStatus.TRANSFER_FAILED and payout.last_failure_type == "TIMEOUT"
    assert fund_service.get_fund().balance == 100_000_000
    clock.advance(minutes=1)
    drive()                                            # the retry: usual rules, it goes through
    payout = fresh(payout)
    assert payout.status == PayoutStatus.COMPLETED and len(attempts(payout)) == 2
    assert bank.moved(payout.transfer_id) == (1, 90_000)


@pytest.mark.parametrize("code, status", [("LIMIT_EXCEEDED", PayoutStatus.TRANSFER_FAILED),
                                          ("NAME_MISMATCH", PayoutStatus.WAITING_FOR_ACCOUNT)])
def test_a_scripted_bank_refusal_follows_its_failure_type(top_up, settlement, payout_worker, bank, code, status):
    top_up(100_000_000)
    sandbox_bank.script([f"refuse:{code}"])
    payout = settlement(90_000)
    payout_worker()
    payout = fresh(payout)
    assert payout.status == status and payout.last_failure_type == code
    assert bank.moved(payout.transfer_id) == (0, 0)


# --- the card gateway ---------------------------------------------------------------------------


def card_refund_rows(reservation_id):
    return [e for e in ledger.entries_of(reservation_id) if e.kind == EntryKind.CARD_REFUND]


def test_gateway_refund_timeout_after_then_refund_status_done_completes_the_refund_once(run_worker, clock):
    refund = approved_card_refund(GOOD_CARD)
    key = card.gateway_key(refund)
    sandbox.script(["timeout_after"], "refund")
    sandbox.script(["unknown", "done"], "refund_status")
    run_worker(queues=("high",))                       # the send job: refunded, no answer
    refund = fresh_refund(refund)
    assert refund.status == RefundStatus.PROCESSING and refund.next_check_at == T0 + timedelta(minutes=1)
    clock.advance(minutes=1)
    assert card.sweep_card_refunds()["rung"] == 1
    run_worker(queues=("high",))                       # check 1: no answer → check 2 in five minutes
    refund = fresh_refund(refund)
    assert refund.status == RefundStatus.PROCESSING and refund.checks == 1
    assert refund.next_check_at == clock.now() + timedelta(minutes=5)
    clock.advance(minutes=5)
    assert card.sweep_card_refunds()["rung"] == 1
    run_worker(queues=("high",))                       # check 2: done
    refund = fresh_refund(refund)
    assert refund.status == RefundStatus.COMPLETED and refund.gateway_refund_id
    assert get_gateway().refund_requests_for(key) == ["answer_lost"]            # asked, never sent again
    assert get_gateway().refunded_total(refund.payment.gateway_charge_id) == refund.amount
    assert len(card_refund_rows(refund.reservation_id)) == 1
    assert len(outbox("refund_sent", refund.reservation_id)) == 1
    clock.advance(hours=1)
    assert card.sweep_card_refunds()["rung"] == 0


def test_a_refund_the_gateway_refuses_is_shown_to_operators_as_refused(run_worker, client, login_as):
    refund = approved_card_refund(GOOD_CARD)
    sandbox.script(["refuse:refund_declined"], "refund")
    run_worker(queues=("high",))
    refund = fresh_refund(refund)
    assert refund.status == RefundStatus.FAILED
    assert refund.failure_message == "refund_declined: The card company declined the refund."
    assert get_gateway().refunded_total(refund.payment.gateway_charge_id) == 0
    assert not card_refund_rows(refund.reservation_id) and not outbox("refund_sent", refund.reservation_id)
    failed = db.session.query(AuditEvent).filter_by(entity_id=refund.public_id, action="refund.failed").one()
    assert failed.reason == "refund_declined"
    login_as("manager")
    page = client.get(f"/ops/refunds/{refund.public_id}").get_data(as_text=True)
    assert "카드사가 거부했습니다. 다시 보낼 수 있으며, 또 실패하면 다른 방법으로 환불하세요." in page
    assert "The card company declined the refund." in page
