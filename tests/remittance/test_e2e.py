"""The payout pages in a real browser (Chromium): an operator corrects a refused account,
a manager tops up the fund, a customer gives an account through the emailed link.
Screenshots land in docs/screenshots/payout-*.png."""
import pytest
from sqlalchemy import select

from app.core.db import end_transaction
from app.extensions import db
from app.remittance import services, tokens
from app.remittance.states import PayoutStatus
from tests.fixtures_browser import screenshot, sign_in
from tests.remittance.conftest import TAILS, account, fresh

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def test_an_operator_corrects_a_refused_account_and_a_manager_tops_up(page, approved_refund, settlement, top_up,
                                                                      payout_worker, bank):
    top_up(12_000_000)                                     # below the warning line: the fund page shows it
    refund = approved_refund()
    waiting = services.create_refund_payout(refund, account(TAILS["INVALID_ACCOUNT"]))
    db.session.commit()
    held = settlement(5_000_000, holder="주식회사 바다호텔")  # more than the half-open limit: held
    payout_worker()
    assert fresh(waiting).status == PayoutStatus.WAITING_FOR_ACCOUNT
    assert fresh(held).status == PayoutStatus.HELD_BY_BREAKER
    waiting_id = fresh(waiting).public_id
    end_transaction()

    sign_in(page, "manager")
    page.goto(page.base_url + "/ops/payouts/")
    assert page.locator("table.attention-list tbody tr").count() == 2
    screenshot(page, "payout-attention")

    page.click(f"tr[data-payout='{waiting_id}'] a.button")
    page.wait_for_selector("section.decision")
    screenshot(page, "payout-decision")

    page.click(f"a[href$='/{waiting_id}/edit_account']")
    page.select_option("select[name=bank_code]", "088")
    page.fill("input[name=account_number]", "110-987-654321")
    page.fill("input[name=account_holder]", "홍길동")
    page.fill("textarea[name=reason]", "고객이 전화로 올바른 계좌를 알려 주었습니다.")
    page.click("main button[type=submit]")
    page.wait_for_selector("p.effect")
    assert "***-***-4321" in page.inner_text("p.effect") and "***-***-0001" in page.inner_text("p.effect")
    screenshot(page, "payout-confirm")
    page.click("main button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert fresh(waiting).status == PayoutStatus.REQUESTED
    end_transaction()

    page.goto(page.base_url + "/ops/fund")
    screenshot(page, "payout-fund")
    page.fill("input[name=amount]", "40000000")
    page.fill("textarea[name=reason]", "본사 계좌에서 이체")
    page.click("main form.top-up button[type=submit]")
    page.wait_for_selector("p.effect")
    page.click("main button[type=submit]")
    page.wait_for_selector(".flash-warning")               # four eyes: ₩40,000,000 waits for a second manager
    from app.approvals import services as approvals
    from app.approvals.models import ApprovalRequest
    from app.core.actor import Actor
    from tests.factories import make_operator

    [req] = db.session.scalars(select(ApprovalRequest)).all()
    approvals.approve(req.id, actor=Actor.operator(make_operator("manager")))
    payout_worker()                                        # the corrected refund goes out
    from app.remittance.sweep import sweep_payouts

    sweep_payouts()                                        # the fund is healthy again: the held one resumes
    payout_worker()
    assert fresh(waiting).status == PayoutStatus.COMPLETED
    assert fresh(held).status == PayoutStatus.COMPLETED
    assert bank.moved(fresh(held).transfer_id) == (1, 5_000_000)


def test_a_customer_gives_a_refund_account_through_the_link(page, approved_refund, top_up, payout_worker):
    top_up(60_000_000)
    refund = approved_refund()
    link = services.ask_for_refund_account(refund)
    db.session.commit()
    end_transaction()
    path = "/" + link.split("/", 3)[3]
    page.goto(page.base_url + path)
    page.select_option("select[name=bank_code]", "090")
    page.fill("input[name=account_number]", "12")
    page.fill("input[name=account_holder]", "김민지")
    page.click("main button[type=submit]")
    page.wait_for_selector(".field-error")
    screenshot(page, "payout-account-form")                # the message sits next to the field
    page.fill("input[name=account_number]", "3333-01-2345678")
    page.click("main button[type=submit]")
    page.wait_for_selector("p.effect")
    assert "***-***-5678" in page.inner_text("p.effect")
    page.click("main button[type=submit]")
    page.wait_for_selector(".flash-success")
    screenshot(page, "payout-account-done")
    assert "3333012345678" not in page.content()
    payout_worker()
    assert fresh(refund).status == "completed"
    assert tokens.read_token(path.split("/")[-1].split("?")[0]) == (tokens.REFUND, fresh(refund).public_id)
