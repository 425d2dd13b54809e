"""Refund decisions through the services: approve, refuse, case C with a coupon,
card refunds at the gateway (once), bank-transfer refunds waiting for an account."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.booking.states import ReservationStatus
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.core.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.payments.gateway import get_gateway
from app.refunds import decisions
from app.refunds.models import Coupon
from app.refunds.services import refundable_amount, request_refund
from app.refunds.states import RefundStatus
from app.remittance.models import Payout
from app.remittance.policies import BankAccount
from tests.factories import make_operator
from tests.refunds.conftest import fresh, outbox, paid_booking

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def staff():
    return Actor.operator(make_operator("staff"))


@pytest.fixture
def manager():
    return Actor.operator(make_operator("manager"))


def high_worker(run_worker):
    run_worker(queues=("high",))


def test_staff_approves_a_case_a_card_refund_and_the_gateway_refunds_it_once(refund_request, staff, run_worker):
    refund = refund_request(days=10)
    assert (refund.policy_case, refund.policy_amount) == ("A", refund.reservation.total_amount)
    done = decisions.approve_refund(refund.id, actor=staff, may_override=False)
    assert done.status == RefundStatus.PROCESSING
    run_worker(queues=("high",))
    refund = fresh(refund)
    assert refund.status == RefundStatus.COMPLETED and refund.gateway_refund_id
    assert refund.reservation.status == ReservationStatus.REFUNDED
    assert refund.payment.refunded_amount == refund.amount
    assert get_gateway().refunded_total(refund.payment.gateway_charge_id) == refund.amount
    [message] = outbox("refund_approved", refund.reservation_id)
    assert message.context["method"] == "card" and message.context["amount"] == refund.amount
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == refund.public_id)))
    assert {"refund.requested", "refund.approved", "refund.processing", "refund.completed"} <= actions


def test_a_retried_approval_and_a_job_run_twice_refund_once(refund_request, staff, run_worker):
    refund = refund_request(days=3)                          # case A, half
    decisions.approve_refund(refund.id, actor=staff, may_override=False)
    with pytest.raises(decisions.AlreadyDecided):
        decisions.approve_refund(refund.id, actor=staff, may_override=False)
    # the worker died after the gateway refunded but before we recorded it: the same key again
    get_gateway().refund(idempotency_key=decisions.gateway_key(refund), charge_id=refund.payment.gateway_charge_id,
                         amount=refund.amount, currency=refund.currency)
    assert decisions.run_card_refund(refund.id) == "completed"
    assert decisions.run_card_refund(refund.id) == "nothing"
    refund = fresh(refund)
    assert get_gateway().refunded_total(refund.payment.gateway_charge_id) == refund.amount
    assert refund.payment.refunded_amount == refund.amount == refund.reservation.total_amount // 2


def test_case_c_from_the_reservation_page_gives_a_full_refund_and_a_coupon(staff, manager, run_worker):
    reservation = paid_booking(days=0)                       # same day: the rules alone would refuse
    # Choosing "our fault" is a manager's decision (staff's becomes an approval request: tests/approvals).
    refund = decisions.open_refund(reservation.id, our_fault="overbooking", note="No room left: overbooking.",
                                   actor=manager)
    assert refund.policy_case == "C" and refund.policy_amount == reservation.total_amount
    assert fresh(reservation).status == ReservationStatus.CANCELED and not fresh(reservation).inventory_held
    decisions.approve_refund(refund.id, actor=staff, may_override=False)
    coupon = db.session.scalar(select(Coupon).where(Coupon.refund_id == refund.id))
    assert coupon.guest_email == reservation.guest_email.lower() and coupon.value > 0 and coupon.reason
    [message] = outbox("refund_approved", reservation.id)
    assert message.context["coupon"]["code"] == coupon.code
    from app.notifications.rendering import message_context, render

    body = render("refund_approved", message.language, message.channel, message_context(message)).body
    assert coupon.code in body and "쿠폰" in body
    run_worker(queues=("high",))
    assert fresh(refund).status == RefundStatus.COMPLETED


def test_opening_twice_keeps_one_waiting_request(staff, manager):
    reservation = paid_booking(days=10)
    decisions.open_refund(reservation.id, our_fault=None, note="Customer called.", actor=staff)
    with pytest.raises(decisions.AlreadyDecided):
        decisions.open_refund(reservation.id, our_fault="service_error", note="Again.", actor=manager)


def test_a_bank_transfer_refund_waits_for_the_account_then_becomes_a_payout(refund_request, staff):
    refund = refund_request(method="bank_transfer", days=10)
    done = decisions.approve_refund(refund.id, actor=staff, may_override=False)
    assert done.status == RefundStatus.AWAITING_ACCOUNT
    assert outbox("refund_account_needed", refund.reservation_id)
    payout = decisions.enter_account(refund.id, BankAccount("004", "1101234567", "홍길동"), actor=staff,
                                     reason="Customer called.")
    assert fresh(refund).status == RefundStatus.AWAITING_PAYOUT
    assert db.session.get(Payout, payout.id).amount == refund.amount
    entered = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "refund.account_entered"))
    assert entered.data["account"] != "1101234567" and entered.data["account"].endswith("4567")


def test_staff_refuses_a_case_b_and_the_customer_gets_the_reason_in_their_language(refund_request, staff):
    refund = refund_request(days=0, language="ja")
    assert refund.policy_case == "B" and refund.policy_amount == 0
    done = decisions.refuse_refund(refund.id, actor=staff, may_override=False)
    assert done.status == RefundStatus.REFUSED
    [message] = outbox("refund_refused", refund.reservation_id)
    assert message.language == "ja" and message.context["guest_text"] == ""   # no guest text chosen: no reason


def test_staff_cannot_override_the_policy(refund_request, staff):
    refund = refund_request(days=10)
    # Four eyes: staff's other amount needs a manager's approval (app.approvals); nothing changes here.
    from app.approvals.guard import NeedsApproval

    with pytest.raises(NeedsApproval):
        decisions.approve_refund(refund.id, actor=staff, may_override=False, amount=1000, reason="goodwill")
    with pytest.raises(Forbidden):
        decisions.refuse_refund(refund.id, actor=staff, may_override=False, reason="no")
    assert fresh(refund).status == RefundStatus.REQUESTED


def test_a_manager_overrides_only_with_a_reason(refund_request, manager):
    refund = refund_request(days=10)
    with pytest.raises(ValidationFailed):
        decisions.approve_refund(refund.id, actor=manager, may_override=True, amount=1000)
    done = decisions.approve_refund(refund.id, actor=manager, may_override=True, amount=1000,
                                    reason="Agreed on the phone.")
    assert done.amount == 1000 and done.policy_amount == refund.reservation.total_amount
    assert done.decision_reason == "Agreed on the phone."


def test_the_refunds_never_exceed_what_was_paid(refund_request, manager, staff):
    refund = refund_request(days=10)
    reservation = refund.reservation
    second = request_refund(reservation, source="operator", requested_reason="double", actor=staff)
    db.session.commit()
    decisions.approve_refund(refund.id, actor=staff, may_override=False)
    assert refundable_amount(reservation) == 0
    with pytest.raises(ValidationFailed):
        decisions.approve_refund(second.id, actor=manager, may_override=True, amount=1, reason="more")
    assert fresh(second).status == RefundStatus.REQUESTED
    with pytest.raises(ValidationFailed):
        decisions.approve_refund(second.id, actor=staff, may_override=False)
    assert fresh(second).status == RefundStatus.REQUESTED


def test_a_card_refund_nobody_asks_about_counts_on_today_when_its_check_is_thirty_minutes_late(
        refund_request, staff, clock):
    from app.refunds.queries import count_failed

    clock.freeze(clock.now())
    refund = refund_request(days=10)
    decisions.approve_refund(refund.id, actor=staff, may_override=False)   # no worker ran: still at the gateway
    refund = fresh(refund)
    assert refund.status == RefundStatus.PROCESSING and refund.next_check_at == clock.now() + timedelta(minutes=1)
    assert count_failed() == 0
    clock.advance(minutes=31)                       # the first check is 30 minutes late: nothing is asking
    assert count_failed() == 0
    clock.advance(seconds=1)
    assert count_failed() == 1
