"""Four eyes in a real browser (Chromium), in Korean: a staff member asks for a ₩2,000,000
card refund, cannot approve it (no button; a crafted POST is refused), a manager sees it
on Today, approves it after the confirm step, and the money moves once.
Screenshot: docs/screenshots/approval_decision_ko.png."""
import pytest
from sqlalchemy import func, select

from app.core.db import end_transaction
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry
from app.payments.gateway import get_gateway
from app.refunds.models import Refund
from app.refunds.states import RefundStatus
from tests.approvals.conftest import audits, big_refund, requests
from tests.fixtures_browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def _new_page(browser, live_server):
    context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    pg = context.new_page()
    pg.base_url = live_server.url
    return pg


def test_staff_asks_a_manager_approves_and_the_refund_moves_once(page, browser, live_server, run_worker):
    refund = big_refund()
    public_id, reservation_id = refund.public_id, refund.reservation_id
    charge_id = refund.payment.gateway_charge_id
    end_transaction()

    sign_in(page, "staff")
    page.goto(page.base_url + f"/ops/refunds/{public_id}")
    page.click("a[data-choice=approve]")
    page.click("main form button[type=submit]")
    page.wait_for_selector("p.effect")
    assert "관리자가 승인해야" in page.inner_text("p.asks-approval")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-warning")
    assert "아직 아무것도 처리되지 않았습니다" in page.inner_text(".flash-warning")
    assert "승인을 기다리는" in page.inner_text("#approvals-pending")
    [req] = requests()
    req_id, asker_name = req.public_id, req.requested_by_name
    end_transaction()                                      # SQLite: no write lock held while the server works
    page.click(f"#approvals-pending li[data-approval='{req_id}'] a")
    page.wait_for_selector("section.decision")
    assert page.locator("a[data-choice=approve]").count() == 0
    assert "다른 관리자" in page.inner_text("p.own-request")
    token = page.get_attribute("input[name=csrf_token]", "value")
    crafted = page.request.post(page.base_url + f"/ops/approvals/{req_id}/approve",
                                form={"csrf_token": token, "note": "", "confirmed": "yes"}, max_redirects=0)
    assert crafted.status == 403
    assert db.session.get(Refund, refund.id, populate_existing=True).status == RefundStatus.REQUESTED
    assert len(audits("operator.permission_refused")) == 1
    end_transaction()

    manager_page = _new_page(browser, live_server)
    try:
        sign_in(manager_page, "manager")
        manager_page.goto(manager_page.base_url + "/ops/")
        assert "승인을 기다리는 돈" in manager_page.inner_text("main")
        manager_page.goto(manager_page.base_url + "/ops/approvals/")
        manager_page.click(f"tr[data-approval='{req_id}'] a.button")
        manager_page.wait_for_selector("section.decision")
        facts = manager_page.inner_text("#facts")
        assert "₩2,000,000" in facts and asker_name in facts
        screenshot(manager_page, "approval_decision_ko")
        manager_page.click("a[data-choice=approve]")
        manager_page.click("main form button[type=submit]")
        manager_page.wait_for_selector("p.effect")
        assert "₩2,000,000" in manager_page.inner_text("p.effect")
        manager_page.click("main form button[type=submit]")
        manager_page.wait_for_selector(".flash-success")
    finally:
        manager_page.context.close()

    run_worker(queues=("high",))
    end_transaction()
    assert db.session.get(Refund, refund.id, populate_existing=True).status == RefundStatus.COMPLETED
    assert get_gateway().refunded_total(charge_id) == 2_000_000
    assert db.session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.reservation_id == reservation_id, LedgerEntry.kind == EntryKind.CARD_REFUND)) == 1
    assert requests()[0].status == "approved"
