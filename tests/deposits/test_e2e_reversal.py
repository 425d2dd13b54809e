"""A staff operator, in Korean, imports a statement on which the bank took back the deposit that had
paid a booking after its time to pay ended: the result page says so, the line shows the 🛑 decision,
and the operator asks the guest to pay again. Screenshots: docs/screenshots/deposits-reversal-*.png."""
from datetime import date

import pytest

from app.core.db import end_transaction
from app.extensions import db
from tests.deposits.money import booking, fresh, import_file, line, mt940, outbox, seoul
from tests.fixtures_browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def test_a_staff_operator_imports_a_reversal_and_asks_the_guest_to_pay_again(page, clock):
    clock.freeze(seoul(2026, 11, 20, 9))
    r = booking("FD7K3M9Q", 120_000)
    clock.freeze(seoul(2026, 11, 20, 18))
    import_file(mt940([(date(2026, 11, 20), [("C", 120_000, "B1", "FD7K3M9Q 김민지")])]), "mt940")
    assert fresh(r).status == "paid"
    db.session.commit()
    end_transaction()
    clock.freeze(seoul(2026, 11, 21, 12))                 # the hold ended at 09:00
    raw = mt940([(date(2026, 11, 21), [("RC", 120_000, "B2", "입금취소 B1 김민지"),
                                       ("C", 45_000, "B3", "모르는 입금")])], opening=1_120_000)

    sign_in(page, "staff")
    page.goto(page.base_url + "/ops/deposits/")
    page.set_input_files("input[name=statement]", files=[{"name": "거래내역.sta", "mimeType": "text/plain",
                                                          "buffer": raw}])
    page.click("form.upload button[type=submit]")
    page.wait_for_selector("button.import")
    page.click("button.import")
    page.wait_for_selector(".flash-success")
    assert "가져오기 결과" in page.inner_text("h1")
    counts = page.inner_text("ul.import-counts")
    assert counts == "🛑 2건은 담당자가 결정해야 합니다. 목록에서 열어 보세요."   # the reversal and an unknown deposit
    screenshot(page, "deposits-reversal-result")

    reversal = line(-120_000).public_id
    end_transaction()                                      # SQLite: no write lock held while the server works
    page.click(f"tr[data-line={reversal}] a.button")
    page.wait_for_selector("section.decision[data-problem=reversal_hold_ended]")
    assert "입금 기한도 이미 지났습니다" in page.inner_text("section.decision")
    screenshot(page, "deposits-reversal-decision")
    page.click("div.choice[data-choice=collect_again] a.button")
    page.fill("textarea[name=reason]", "고객에게 전화로 안내함")
    page.click("form.decide button[type=submit]")
    page.wait_for_selector("p.effect")
    assert "FD-7K3M9Q" in page.inner_text("p.effect")
    screenshot(page, "deposits-reversal-confirm")
    page.click("main button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "다시 입금을 기다립니다" in page.inner_text(".flash-success")

    r = fresh(r)
    assert r.status == "pending" and r.hold_expires_at == seoul(2026, 11, 22, 12)
    assert outbox(r, "deposit_amount_mismatch") == 1 and outbox(r, "payment_confirmed") == 1
    end_transaction()
