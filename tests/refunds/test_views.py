"""The refund, compensation and reservation pages through the client: roles, the
confirm step, crafted posts, double posts, Today and the reservation page."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.booking.models import BookingConflict, ConflictResolution
from app.booking.states import ReservationStatus
from app.extensions import db
from app.refunds.models import Compensation, Coupon, Refund
from app.refunds.states import RefundStatus
from app.remittance.models import Payout
from tests.refunds.conftest import fresh, outbox, paid_booking


def url(refund, choice=None):
    base = f"/ops/refunds/{refund.public_id}"
    return f"{base}/decide/{choice}" if choice else base


def test_the_list_shows_waiting_requests_first_and_the_page_the_policy(client, login_as, refund_request):
    login_as("staff")
    refund = refund_request(days=10)
    page = client.get("/ops/refunds/").get_data(as_text=True)
    assert refund.public_id in page and "결정을 기다리는" in page
    page = client.get(url(refund)).get_data(as_text=True)
    assert "🛑" in page and "사례 A" in page and "7일 이상" in page
    assert client.get("/ops/refunds/nope").status_code == 404


def test_staff_approves_the_recommendation_after_a_confirm_step(client, login_as, refund_request):
    login_as("staff")
    refund = refund_request(days=10)
    confirm = client.post(url(refund, "approve"), data={"reason": ""})
    assert confirm.status_code == 200 and 'class="effect"' in confirm.get_data(as_text=True)
    assert fresh(refund).status == RefundStatus.REQUESTED            # nothing changed before confirming
    done = client.post(url(refund, "approve"), data={"reason": "", "confirmed": "yes"})
    assert done.status_code == 302
    assert fresh(refund).status == RefundStatus.PROCESSING
    again = client.post(url(refund, "approve"), data={"reason": "", "confirmed": "yes"}, follow_redirects=True)
    assert again.status_code == 200 and "이미 결정" in again.get_data(as_text=True)
    assert len(outbox("refund_approved", refund.reservation_id)) == 1


@pytest.mark.parametrize("choice, data", [
    ("refuse", {"reason": "no", "confirmed": "yes"}),
])
def test_staff_cannot_make_manager_decisions_by_crafted_posts(client, login_as, refund_request, choice, data):
    login_as("staff")
    refund = refund_request(days=10)                                  # case A: refusing needs a manager
    assert client.get(url(refund, choice)).status_code == 403
    assert client.post(url(refund, choice), data=data).status_code == 403
    refund = fresh(refund)
    assert refund.status == RefundStatus.REQUESTED and refund.amount == refund.policy_amount
    assert not outbox("refund_approved", refund.reservation_id) and not outbox("refund_refused")


def test_staff_choosing_another_amount_only_asks_a_manager(client, login_as, refund_request):
    """Four eyes (app.approvals): staff's other amount becomes a request; nothing moves."""
    from app.approvals.models import ApprovalRequest

    login_as("staff")
    refund = refund_request(days=10)
    data = {"amount": "1000", "reason": "goodwill", "confirmed": "yes"}
    assert client.post(url(refund, "other_amount"), data=data).status_code == 302
    refund = fresh(refund)
    assert refund.status == RefundStatus.REQUESTED and refund.amount == refund.policy_amount
    assert not outbox("refund_approved", refund.reservation_id)
    [req] = db.session.scalars(select(ApprovalRequest)).all()
    assert (req.kind, req.amount, req.status) == ("refund_approval", 1000, "pending")


def test_a_manager_refunds_another_amount_only_with_a_reason(client, login_as, refund_request):
    login_as("manager")
    refund = refund_request(days=10)
    missing = client.post(url(refund, "other_amount"), data={"amount": "5000", "reason": ""})
    assert missing.status_code == 422
    too_much = client.post(url(refund, "other_amount"),
                           data={"amount": str(refund.policy_amount + 1), "reason": "x", "confirmed": "yes"})
    assert too_much.status_code == 422 and fresh(refund).status == RefundStatus.REQUESTED
    assert "환불 가능 잔액" in too_much.get_data(as_text=True)
    done = client.post(url(refund, "other_amount"), data={"amount": "5000", "reason": "전화로 합의", "confirmed": "yes"})
    assert done.status_code == 302
    refund = fresh(refund)
    assert (refund.status, refund.amount, refund.decision_reason) == (RefundStatus.PROCESSING, 5000, "전화로 합의")


def test_staff_refuses_a_case_b(client, login_as, refund_request):
    login_as("staff")
    refund = refund_request(days=0)
    assert client.post(url(refund, "approve"), data={}).status_code == 403   # nothing to approve in case B
    done = client.post(url(refund, "refuse"), data={"reason": "", "confirmed": "yes"}, follow_redirects=True)
    assert "거절" in done.get_data(as_text=True)
    assert fresh(refund).status == RefundStatus.REFUSED
    [message] = outbox("refund_refused", refund.reservation_id)
    assert "당일" in message.context["guest_text"]   # the default ready sentence: the policy


def test_posts_without_csrf_change_nothing(client, login_as, refund_request):
    login_as("manager")
    refund = refund_request(days=10)
    response = client.post(url(refund, "approve"), data={"confirmed": "yes"}, csrf=False)
    assert response.status_code in (400, 422)
    assert fresh(refund).status == RefundStatus.REQUESTED


def test_open_a_case_c_refund_from_the_reservation_page(client, login_as):
    login_as("manager")              # "our fault" is a manager's call; staff's is a request (tests/approvals)
    reservation = paid_booking(days=2)
    page = client.get(f"/ops/reservations/{reservation.public_id}").get_data(as_text=True)
    assert f"/ops/reservations/{reservation.public_id}/refund" in page
    form_url = f"/ops/reservations/{reservation.public_id}/refund"
    assert client.post(form_url, data={"our_fault": "overbooking", "note": ""}).status_code == 422
    confirm = client.post(form_url, data={"our_fault": "overbooking", "note": "오버부킹으로 객실 없음"})
    assert 'class="effect"' in confirm.get_data(as_text=True)
    assert fresh(reservation).status == ReservationStatus.PAID
    done = client.post(form_url, data={"our_fault": "overbooking", "note": "오버부킹으로 객실 없음", "confirmed": "yes"})
    refund = db.session.scalar(select(Refund).where(Refund.reservation_id == reservation.id))
    assert done.headers["Location"].endswith(refund.public_id)
    assert refund.policy_case == "C" and refund.policy_amount == reservation.total_amount
    assert fresh(reservation).status == ReservationStatus.CANCELED
    client.post(url(refund, "approve"), data={"confirmed": "yes"})
    coupon = db.session.scalar(select(Coupon).where(Coupon.refund_id == refund.id))
    assert coupon is not None
    page = client.get(f"/ops/reservations/{reservation.public_id}").get_data(as_text=True)
    assert 'id="refunds-panel"' in page and coupon.code in page


def test_a_bank_transfer_refund_waits_and_the_account_is_masked_after_entry(client, login_as, refund_request):
    login_as("staff")
    refund = refund_request(method="bank_transfer", days=10)
    client.post(url(refund, "approve"), data={"confirmed": "yes"})
    assert fresh(refund).status == RefundStatus.AWAITING_ACCOUNT
    account_url = f"/ops/refunds/{refund.public_id}/account"
    data = {"bank_code": "004", "account_number": "110-123-456789", "account_holder": "김민지", "reason": "전화"}
    confirm = client.post(account_url, data=data).get_data(as_text=True)
    assert "***-***-6789" in confirm and "110123456789" not in confirm.replace("-", "").split('name="account_number" value="')[0]
    client.post(account_url, data={**data, "confirmed": "yes"})
    assert fresh(refund).status == RefundStatus.AWAITING_PAYOUT
    page = client.get(url(refund)).get_data(as_text=True)
    assert "110123456789" not in page and "110-123-456789" not in page
    assert db.session.scalar(select(func.count()).select_from(Payout).where(Payout.refund_id == refund.id)) == 1


def test_today_counts_waiting_refunds(client, login_as, refund_request):
    login_as("staff")
    refund_request(days=10)
    page = client.get("/ops/").get_data(as_text=True)
    assert "환불 요청" in page and "/ops/refunds/" in page


def test_compensation_for_a_third_conflict(client, login_as, conflicts):
    login_as("staff")
    first, second, third = conflicts("repeat@example.com", 3)
    page_url = f"/ops/compensation/conflict/{third.id}"
    page = client.get(page_url).get_data(as_text=True)
    assert "🛑" in page and "VIP" in page and "60" in page
    tiers = page.split('<ul class="tiers">')[1].split("</ul>")[0]
    assert tiers.count("<li>") == 3 and "적립 시간 30분" in tiers and "3번째 충돌부터" in tiers
    confirm = client.post(page_url, data={"reason": ""})
    assert 'class="effect"' in confirm.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Compensation)) == 0
    client.post(page_url, data={"reason": "", "confirmed": "yes"})
    client.post(page_url, data={"reason": "", "confirmed": "yes"})                 # a double click
    [comp] = db.session.scalars(select(Compensation))
    assert (comp.occurrence, comp.credit_minutes, comp.coupon_minutes, comp.priority) == (3, 60, 60, True)
    assert comp.coupon.kind == "minutes" and comp.coupon.value == 60
    assert db.session.get(BookingConflict, third.id).resolution == ConflictResolution.RESOLVED
    [message] = outbox("booking_conflict_apology")
    assert message.recipient == "repeat@example.com" and "VIP" in message.context["compensation"]["description"]


def test_compensation_for_a_first_conflict_and_from_a_reservation(client, login_as, conflicts):
    login_as("staff")
    [only] = conflicts("once@example.com", 1)
    client.post(f"/ops/compensation/conflict/{only.id}", data={"confirmed": "yes"})
    comp = db.session.scalar(select(Compensation).where(Compensation.conflict_id == only.id))
    assert (comp.credit_minutes, comp.coupon_minutes, comp.coupon_id) == (30, 0, None)
    reservation = paid_booking(days=10, email="once@example.com")
    client.post(f"/ops/compensation/reservation/{reservation.public_id}", data={"confirmed": "yes"})
    comp = db.session.scalar(select(Compensation).where(Compensation.reservation_id == reservation.id))
    assert (comp.occurrence, comp.credit_minutes, comp.coupon_minutes) == (2, 60, 30)


def test_every_route_needs_a_signed_in_operator(client, refund_request):
    refund = refund_request(days=10)
    for path in ("/ops/refunds/", url(refund), "/ops/compensation/", "/ops/audit"):
        assert client.get(path).status_code in (302, 303, 401)
    assert client.post(url(refund, "approve"), data={"confirmed": "yes"}).status_code in (401, 302, 303)
    assert fresh(refund).status == RefundStatus.REQUESTED
