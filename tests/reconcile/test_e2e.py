"""A staff operator, in Korean, sees yesterday's reconciliation differences on Today, opens each one
with both sides side by side, asks the gateway about a payment still waiting (the booking becomes paid)
and explains an amount difference; Today's count goes down to zero.
Screenshots land in docs/screenshots/reconcile-*.png."""
from datetime import timedelta

import pytest

from app.core import clock as app_clock
from app.core.db import end_transaction
from app.extensions import db
from app.reconcile import services
from tests.fixtures_browser import screenshot, sign_in
from tests.reconcile.conftest import (
    TIMEOUT_CHARGED,
    file_rows_of,
    items,
    kst,
    new_day,
    pay_by_card,
    statuses,
    store_file,
)

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def today_count(page) -> str:
    page.goto(page.base_url + "/ops/")
    item = page.locator("li.today-item[data-key=reconciliation_urgent]")
    return "0" if "done" in (item.get_attribute("class") or "") else item.locator(".today-count").inner_text()


def test_a_staff_operator_resolves_reconciliation_differences_in_korean(page, sandbox):
    day = new_day()
    paid = pay_by_card(day, hour=10)
    waiting = pay_by_card(day, hour=16, number=TIMEOUT_CHARGED)          # the gateway charged; we never heard
    charged = sandbox.retrieve(waiting.public_id)
    rows = file_rows_of([paid], day) + [{"record_type": "APPROVAL", "transaction_id": charged.charge_id,
                                         "order_id": waiting.public_id, "transacted_at": kst(day, 16),
                                         "amount": charged.amount, "fee": 0}]
    rows[0]["amount"] -= 3_000                                           # the gateway filed 3,000 less
    store_file(day, rows)
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    services.reconcile_day(day, "gateway", trigger="schedule")
    found = {i.type: i.public_id for i in items("gateway")}
    assert set(found) == {"AMOUNT_MISMATCH", "STATUS_MISMATCH"}
    app_clock.advance(timedelta(hours=5))                                 # past the 4-hour limit
    waiting_code = waiting.reservation.code
    end_transaction()

    sign_in(page, "staff")
    assert today_count(page) == "2"
    screenshot(page, "reconcile-today")
    page.click("li.today-item[data-key=reconciliation_urgent] a.today-count")
    page.wait_for_selector("table.items")
    assert page.locator("table.items tbody tr").count() == 2
    screenshot(page, "reconcile-list")

    page.click(f"tr[data-item='{found['STATUS_MISMATCH']}'] a.button")
    page.wait_for_selector("section.decision")
    assert "우리 장부" in page.inner_text("section.side.internal") and \
        "PG사 정산 파일" in page.inner_text("section.side.external")
    assert "PG사의 답을 아직 기다리는 중" in page.inner_text("section.side.internal")
    screenshot(page, "reconcile-item-status")
    page.click("div.choice[data-action=sync_status] a.button")
    page.fill("textarea[name=reason]", "PG 관리자 화면에서 승인된 것을 확인했습니다.")
    page.click("form.decide button[type=submit]")
    page.wait_for_selector("p.effect")
    assert waiting_code[2:] in page.inner_text("p.effect") and "결제 완료" in page.inner_text("p.effect")
    screenshot(page, "reconcile-confirm-sync")
    page.click("main button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert statuses([waiting]) == [("completed", "paid")]
    end_transaction()

    page.goto(page.base_url + f"/ops/reconciliation/items/{found['AMOUNT_MISMATCH']}")
    page.wait_for_selector("section.decision")
    assert "금액이 다릅니다" in page.inner_text("h1")
    screenshot(page, "reconcile-item-amount")
    page.click("div.choice[data-action=explained] a.button")
    page.fill("textarea[name=reason]", "카드사가 3,000원 부분 취소한 것을 확인했습니다.")
    page.click("form.decide button[type=submit]")
    page.wait_for_selector("p.effect")
    screenshot(page, "reconcile-confirm-explained")
    page.click("main button[type=submit]")
    page.wait_for_selector(".flash-success")
    screenshot(page, "reconcile-day")
    assert [i.status for i in items("gateway")] == ["resolved", "resolved"]
    end_transaction()

    assert today_count(page) == "0"
    db.session.remove()

