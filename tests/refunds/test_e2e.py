"""The refund and compensation pages in a real browser (Chromium), in Korean: a staff
operator approves a case-A card refund and sees a bank-transfer refund wait for the
account; a manager handles a case-C refund with a coupon (our fault is a manager's call),
refuses a case B and compensates a customer's third conflict. Screenshots land in docs/screenshots/refunds-*.png."""
import pytest
from sqlalchemy import select

from app.booking.models import BookingConflict, ConflictResolution
from app.booking.states import ReservationStatus
from app.core.db import end_transaction
from app.extensions import db
from app.refunds.models import Compensation, Coupon, Refund
from app.refunds.states import RefundStatus
from tests.fixtures_browser import screenshot, sign_in
from tests.refunds.conftest import cancelled_request, fresh, outbox, paid_booking

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def decide(page, choice: str, reason: str | None = None):
    page.click(f"a[data-choice={choice}]")
    if reason:
        page.fill("textarea[name=reason]", reason)
    page.click("main form button[type=submit]")
    page.wait_for_selector("p.effect")


def test_staff_approves_a_case_a_card_refund(page, run_worker):
    refund = cancelled_request(days=10)
    public_id, reservation_id = refund.public_id, refund.reservation_id
    end_transaction()
    sign_in(page, "staff")
    page.goto(page.base_url + "/ops/")
    assert "결정을 기다리는 환불 요청" in page.inner_text("main")
    page.goto(page.base_url + "/ops/refunds/")
    screenshot(page, "refunds-list")
    page.click(f"tr[data-refund='{public_id}'] a.button")
    page.wait_for_selector("section.decision")
    assert "사례 A" in page.inner_text("section.decision")
    assert "10" in page.inner_text("dd.days") and "아니요" in page.inner_text("dd.stay-started")
    screenshot(page, "refunds-decision-case-a")
    decide(page, "approve")
    assert "카드" in page.inner_text("p.effect")
    screenshot(page, "refunds-confirm-case-a")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-success")
    run_worker(queues=("high",))
    page.reload()
    assert "환불 완료" in page.inner_text("h1")
    assert page.inner_text("dd.refundable") == "₩0" and page.inner_text("dd.refunded") == "₩200,000"
    screenshot(page, "refunds-done-case-a")
    refund = db.session.scalar(select(Refund).where(Refund.public_id == public_id))
    assert refund.status == RefundStatus.COMPLETED and refund.reservation.status == ReservationStatus.REFUNDED
    assert len(outbox("refund_approved", reservation_id)) == 1


def test_a_manager_handles_a_case_c_refund_with_a_coupon(page, run_worker):
    """Choosing "our fault" is a manager's call (staff's becomes an approval request: tests/approvals)."""
    reservation = paid_booking(days=1)
    public_id = reservation.public_id
    end_transaction()
    sign_in(page, "manager")
    page.goto(page.base_url + f"/ops/reservations/{public_id}")
    page.click("a[data-action=refund]")
    page.select_option("select[name=our_fault]", "overbooking")
    page.fill("textarea[name=note]", "오버부킹으로 객실을 드릴 수 없음")
    page.click("main form button[type=submit]")
    page.wait_for_selector("p.effect")
    assert "취소" in page.inner_text("p.effect")
    screenshot(page, "refunds-open-case-c")
    page.click("main form button[type=submit]")
    page.wait_for_selector("section.decision")
    assert "사례 C" in page.inner_text("section.decision")
    screenshot(page, "refunds-decision-case-c")
    decide(page, "approve")
    assert "쿠폰" in page.inner_text("section.decision")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-success")
    run_worker(queues=("high",))
    page.reload()
    coupon_code = page.inner_text("dd.coupon code")
    screenshot(page, "refunds-done-case-c")
    coupon = db.session.scalar(select(Coupon).where(Coupon.code == coupon_code))
    assert coupon is not None and coupon.guest_email == reservation.guest_email.lower()
    [message] = outbox("refund_approved", reservation.id)
    assert message.context["coupon"]["code"] == coupon_code


def test_staff_sees_a_bank_transfer_refund_wait_for_the_account(page):
    refund = cancelled_request(method="bank_transfer", days=10)
    public_id = refund.public_id
    end_transaction()
    sign_in(page, "staff")
    page.goto(page.base_url + f"/ops/refunds/{public_id}")
    decide(page, "approve")
    assert "계좌" in page.inner_text("section.decision")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "고객 계좌를 기다리는 중" in page.inner_text("h1")
    screenshot(page, "refunds-awaiting-account")
    page.click(f"a[href$='/{public_id}/account']")
    page.select_option("select[name=bank_code]", "004")
    page.fill("input[name=account_number]", "110-123-456789")
    page.fill("input[name=account_holder]", "김민지")
    page.fill("textarea[name=reason]", "고객이 전화로 알려 줌")
    page.click("main form button[type=submit]")
    page.wait_for_selector("p.effect")
    assert "***-***-6789" in page.inner_text("p.effect")
    screenshot(page, "refunds-account-confirm")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "110123456789" not in page.content() and "110-123-456789" not in page.content()
    assert fresh(refund).status == RefundStatus.AWAITING_PAYOUT


def test_a_manager_refuses_a_case_b(page):
    refund = cancelled_request(days=0, language="ja")
    public_id, reservation_id = refund.public_id, refund.reservation_id
    end_transaction()
    sign_in(page, "manager")
    page.goto(page.base_url + f"/ops/refunds/{public_id}")
    assert "사례 B" in page.inner_text("section.decision")
    screenshot(page, "refunds-decision-case-b")
    decide(page, "refuse")
    screenshot(page, "refunds-confirm-case-b")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "일본어" in page.inner_text(".flash-success")
    assert fresh(refund).status == RefundStatus.REFUSED
    [message] = outbox("refund_refused", reservation_id)
    assert message.language == "ja" and "当日" in message.context["guest_text"]


def test_a_manager_compensates_a_customer_with_two_earlier_conflicts(page, conflicts):
    *_earlier, third = conflicts("again@example.com", 3)
    conflict_id = third.id
    end_transaction()
    sign_in(page, "manager")
    page.goto(page.base_url + "/ops/compensation/")
    page.click(f"tr[data-conflict='{conflict_id}'] a.button")
    page.wait_for_selector("section.decision")
    assert page.locator("table.conflict-history tbody tr").count() == 3
    assert "VIP" in page.inner_text("span.proposal") and "60" in page.inner_text("span.proposal")
    screenshot(page, "refunds-compensation")
    page.click("main form button[type=submit]")
    page.wait_for_selector("p.effect")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-success")
    screenshot(page, "refunds-compensation-done")
    comp = db.session.scalar(select(Compensation).where(Compensation.conflict_id == conflict_id))
    assert (comp.occurrence, comp.credit_minutes, comp.coupon_minutes, comp.priority) == (3, 60, 60, True)
    assert db.session.get(BookingConflict, conflict_id).resolution == ConflictResolution.RESOLVED
    assert len(outbox("booking_conflict_apology")) == 1
    end_transaction()
    page.goto(page.base_url + "/ops/audit?action=compensation.given")
    log = page.inner_text("table.audit-log")
    assert "고객에게 보상을 제공했습니다" in log and "compensation.given" not in log   # a sentence; the code is folded
    screenshot(page, "refunds-audit-log")
