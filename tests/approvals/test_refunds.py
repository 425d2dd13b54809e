"""Refund approval, case C and an account typed by an operator under four eyes, through
the services (PostgreSQL and SQLite): a request moves nothing, its requester cannot
approve it, another manager's approval moves the money exactly once."""
from __future__ import annotations

import pytest

from app.approvals import services
from app.approvals.guard import NeedsApproval
from app.approvals.models import ApprovalStatus
from app.booking.states import ReservationStatus
from app.extensions import db
from app.payments.gateway import get_gateway
from app.refunds import decisions
from app.refunds.models import Coupon, Refund
from app.refunds.states import RefundStatus
from app.remittance.models import Payout
from app.remittance.policies import BankAccount
from sqlalchemy import func, select
from tests.approvals.conftest import actor, audits, big_booking, big_refund, requests
from tests.refunds.conftest import cancelled_request, fresh, outbox, paid_booking

ACCOUNT = BankAccount("004", "110123456789", "김민지")


def test_staff_approving_two_million_alone_is_refused_and_moves_nothing():
    refund = big_refund()
    staff, _ = actor("staff")
    with pytest.raises(NeedsApproval) as raised:
        decisions.approve_refund(refund.id, actor=staff, may_override=False)
    assert raised.value.kind == "refund_approval" and raised.value.amount == 2_000_000
    assert fresh(refund).status == RefundStatus.REQUESTED and not outbox("refund_approved")


def test_a_manager_alone_is_refused_at_the_threshold_too():
    refund = big_refund()
    manager, _ = actor("manager")
    with pytest.raises(NeedsApproval):
        decisions.approve_refund(refund.id, actor=manager, may_override=True)
    assert fresh(refund).status == RefundStatus.REQUESTED


def test_below_the_threshold_staff_approves_the_policy_amount_alone():
    refund = cancelled_request(days=10)                      # ₩200,000
    staff, _ = actor("staff")
    assert decisions.approve_refund(refund.id, actor=staff, may_override=False).status == RefundStatus.PROCESSING


def _ask_refund(refund, staff, amount=None, reason="The customer canceled 10 days ahead."):
    return services.request_approval("refund_approval", subject_id=refund.id, subject_public_id=refund.public_id,
                                     reservation_id=refund.reservation_id, amount=amount or refund.policy_amount,
                                     currency=refund.currency, reason=reason, actor=staff,
                                     params={"amount": None})


def test_refund_request_then_self_approval_refused_then_another_manager_moves_it_once(run_worker):
    refund = big_refund()
    asker, _ = actor("manager")
    req = _ask_refund(refund, asker)
    assert req.status == ApprovalStatus.PENDING and [a.entity_id for a in audits("approval.requested")] == [
        req.public_id]
    assert fresh(refund).status == RefundStatus.REQUESTED
    with pytest.raises(services.SelfApproval):
        services.approve(req.id, actor=asker)
    assert fresh(refund).status == RefundStatus.REQUESTED and requests()[0].status == ApprovalStatus.PENDING
    approver, _ = actor("manager")
    done, result = services.approve(req.id, actor=approver, note="Checked the booking.")
    assert isinstance(result, Refund) and fresh(refund).status == RefundStatus.PROCESSING
    with pytest.raises(services.RequestAlreadyDecided):
        services.approve(req.id, actor=approver)
    run_worker(queues=("high",))
    refund = fresh(refund)
    assert refund.status == RefundStatus.COMPLETED
    assert get_gateway().refunded_total(refund.payment.gateway_charge_id) == 2_000_000
    assert len(outbox("refund_approved", refund.reservation_id)) == 1
    [event] = audits("approval.approved")
    assert event.actor_id == approver.id and event.data["requested_by"] == asker.id


def test_staff_cannot_approve_at_all():
    refund = big_refund()
    asker, _ = actor("staff")
    req = _ask_refund(refund, asker)
    other_staff, _ = actor("staff")
    with pytest.raises(services.Forbidden):
        services.approve(req.id, actor=other_staff)
    assert fresh(refund).status == RefundStatus.REQUESTED


def test_refusal_needs_a_reason_and_moves_nothing():
    refund = big_refund()
    asker, _ = actor("staff")
    req = _ask_refund(refund, asker)
    manager, _ = actor("manager")
    with pytest.raises(services.ValidationFailed):
        services.refuse(req.id, actor=manager, note="  ")
    refused = services.refuse(req.id, actor=manager, note="Call the guest first.")
    assert refused.status == ApprovalStatus.REFUSED and refused.decision_note == "Call the guest first."
    assert fresh(refund).status == RefundStatus.REQUESTED
    with pytest.raises(services.RequestAlreadyDecided):
        services.approve(req.id, actor=manager)


def test_a_request_whose_refund_was_decided_meanwhile_is_withdrawn_as_stale():
    refund = big_refund()
    asker, _ = actor("staff")
    req = _ask_refund(refund, asker)
    manager, _ = actor("manager")
    decisions.refuse_refund(refund.id, actor=manager, may_override=True, reason="Fraud suspected.")
    with pytest.raises(services.SubjectChanged):
        services.approve(req.id, actor=manager)
    [req] = requests()
    assert req.status == ApprovalStatus.WITHDRAWN and req.stale
    assert fresh(refund).status == RefundStatus.REFUSED and len(audits("approval.stale")) == 1


def test_asking_twice_gives_the_same_request():
    refund = big_refund()
    asker, _ = actor("staff")
    assert _ask_refund(refund, asker).id == _ask_refund(refund, asker).id and len(requests()) == 1


def test_withdraw_by_the_requester():
    refund = big_refund()
    asker, _ = actor("staff")
    req = _ask_refund(refund, asker)
    other, _ = actor("staff")
    with pytest.raises(services.Forbidden):
        services.withdraw(req.id, actor=other)
    assert services.withdraw(req.id, actor=asker).status == ApprovalStatus.WITHDRAWN


# --- case C -------------------------------------------------------------------------------------------


def test_staff_choosing_our_fault_below_the_threshold_becomes_a_request(run_worker):
    reservation = paid_booking(days=1)                       # 50 % by the rules; case C gives 100 % + coupon
    total = reservation.total_amount
    staff, _ = actor("staff")
    with pytest.raises(NeedsApproval) as raised:
        decisions.open_refund(reservation.id, our_fault="overbooking", note="overbooked", actor=staff)
    assert raised.value.kind == "refund_our_fault" and raised.value.amount == reservation.total_amount
    assert fresh(reservation).status == ReservationStatus.PAID and db.session.scalar(
        select(func.count(Refund.id))) == 0
    req = services.request_approval("refund_our_fault", subject_id=reservation.id, amount=raised.value.amount,
                                    currency="KRW", reason="overbooked", actor=staff,
                                    subject_public_id=reservation.public_id, reservation_id=reservation.id,
                                    params={"our_fault": "overbooking"})
    with pytest.raises(services.SelfApproval):
        services.approve(req.id, actor=staff)
    manager, _ = actor("manager")
    _, refund = services.approve(req.id, actor=manager)
    refund = fresh(refund)
    assert refund.policy_case == "C" and refund.amount == reservation.total_amount
    assert refund.status == RefundStatus.PROCESSING
    assert db.session.scalar(select(func.count(Coupon.id)).where(Coupon.refund_id == refund.id)) == 1
    charge = refund.payment.gateway_charge_id
    run_worker(queues=("high",))
    assert get_gateway().refunded_total(charge) == total


def test_a_manager_chooses_our_fault_alone_below_the_threshold_but_not_above():
    manager, _ = actor("manager")
    small = paid_booking(days=1)
    assert decisions.open_refund(small.id, our_fault="overbooking", note="x", actor=manager).policy_case == "C"
    big = big_booking(days=1)
    with pytest.raises(NeedsApproval):
        decisions.open_refund(big.id, our_fault="overbooking", note="x", actor=manager)
    assert fresh(big).status == ReservationStatus.PAID


def test_staff_another_amount_below_the_threshold_needs_a_manager():
    refund = cancelled_request(days=10)
    staff, _ = actor("staff")
    with pytest.raises(NeedsApproval):
        decisions.approve_refund(refund.id, actor=staff, may_override=False, amount=1000, reason="goodwill")
    req = services.request_approval("refund_approval", subject_id=refund.id, amount=1000, currency="KRW",
                                    reason="goodwill", actor=staff, reservation_id=refund.reservation_id,
                                    params={"amount": 1000})
    manager, _ = actor("manager")
    services.approve(req.id, actor=manager)
    assert fresh(refund).amount == 1000 and fresh(refund).status == RefundStatus.PROCESSING


# --- an account typed by an operator ---------------------------------------------------------------------


def test_an_account_typed_by_staff_for_two_million_waits_for_a_manager():
    refund = big_refund(method="bank_transfer")
    staff, _ = actor("staff")
    with pytest.raises(NeedsApproval):
        decisions.approve_refund(refund.id, actor=staff, may_override=False)
    manager, _ = actor("manager")
    first = services.request_approval("refund_approval", subject_id=refund.id, amount=refund.amount, currency="KRW",
                                      reason="policy", actor=staff, reservation_id=refund.reservation_id)
    services.approve(first.id, actor=manager)
    assert fresh(refund).status == RefundStatus.AWAITING_ACCOUNT
    with pytest.raises(NeedsApproval) as raised:
        decisions.enter_account(refund.id, ACCOUNT, actor=staff, reason="by phone")
    assert raised.value.kind == "refund_account"
    assert db.session.scalar(select(func.count(Payout.id))) == 0
    req = services.request_approval("refund_account", subject_id=refund.id, amount=raised.value.amount,
                                    currency="KRW", reason="by phone", actor=staff, account=ACCOUNT,
                                    reservation_id=refund.reservation_id, subject_public_id=refund.public_id)
    assert req.masked_account == "***-***-6789" and "110123456789" not in str(req.params)
    assert all("110123456789" not in str(e.data) for e in audits("approval.requested"))
    with pytest.raises(services.SelfApproval):
        services.approve(req.id, actor=staff)
    _, payout = services.approve(req.id, actor=manager)
    assert isinstance(payout, Payout) and payout.amount == 2_000_000 and payout.account_number == "110123456789"
    assert db.session.scalar(select(func.count(Payout.id))) == 1
    assert fresh(refund).status == RefundStatus.AWAITING_PAYOUT
