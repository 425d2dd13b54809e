"""A refund paid out by bank transfer comes back on a bank statement (the guest's account was
closed): a staff operator, in Korean, imports the statement; Today shows the 🛑 item and the payout
and refund pages say the money came back; the guest gives another account through the signed link
and a new payout pays the refund again. Each step is checked on the page and in the database.
Screenshots: docs/screenshots/deposits-returned-*.png."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.db import end_transaction
from app.deposits.models import LineKind, LineStatus
from app.extensions import db
from app.ledger.models import EntryKind
from app.ledger.services import paid_amount, refunded_amount
from app.notifications.models import OutboxMessage
from app.remittance.models import Payout
from app.remittance.policies import BankAccount
from app.remittance.sandbox_bank import SandboxBank
from tests.deposits.money import TEST_ACTOR, entries, fresh, line, seoul, table_counts
from tests.fixtures_browser import screenshot, sign_in
from tests.remittance.conftest import account

pytestmark = [pytest.mark.e2e, pytest.mark.committing]

D = EntryKind
TOTAL = 250_000
#: The guest's account the refund first went to; the guest closed it after the money arrived.
CLOSED_LATER = BankAccount("090", "3333012345678", "이영희")
#: What the check-before-import page says of the file (the return is a reversed debit).
PREVIEW = ("이 파일에는 1줄이 있습니다: 입금 0건, 출금 또는 취소 1건. {new}건은 새 내역이라 가져오고, "
           "{already}건은 이미 가져와서 건너뜁니다.")


def statement(transfer_id: str) -> bytes:
    """The bank's MT940 statement of 23 Nov 2026: one reversed debit (RD, type NRTI) bringing our
    payout back, its :86: text naming our transfer id and the reason (the payee's account closed)."""
    text = "\r\n".join([
        ":20:FD20261123", ":25:999-0001-234560", ":28C:00322/001", ":60F:C261120KRW5000000,",
        ":61:2611231123RD250000,NRTIRFD-20261120//2611230001", "LEE YOUNGHEE",
        f":86:이체반환 {transfer_id}", "수취계좌 해지",
        ":62F:C261123KRW5250000,", "-", ""])
    return text.encode()


def upload(page, raw: bytes) -> None:
    """The operator uploads the file on the deposits page and waits for the check-before-import page."""
    page.goto(page.base_url + "/ops/deposits/")
    page.set_input_files("input[name=statement]", files=[{"name": "거래내역_20261123.sta",
                                                          "mimeType": "text/plain", "buffer": raw}])
    page.click("form.upload button[type=submit]")
    page.wait_for_selector("button.import")


def money_box(page, reservation_public_id: str) -> tuple[str, str, str]:
    """(status shown, paid, refunded) of the reservation page's money box."""
    page.goto(page.base_url + f"/ops/reservations/{reservation_public_id}")
    badge = page.locator("h1 .badge")
    return (badge.get_attribute("data-status") + " " + badge.inner_text(),
            page.get_attribute("#money-summary [data-paid]", "data-paid"),
            page.get_attribute("#money-summary [data-refunded]", "data-refunded"))


def account_requests(reservation) -> list[tuple[str, str, str]]:
    """(channel, recipient, link) of every `refund_account_needed` message of the booking."""
    return [(m.channel, m.recipient, m.context["link"]) for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.reservation_id == reservation.id, OutboxMessage.event == "refund_account_needed")
        .order_by(OutboxMessage.channel))]


def payouts_of(refund) -> list[tuple[str, str, str, int | None]]:
    """(status, bank, account number, replaces) of the refund's payouts, oldest first."""
    return [(p.status, p.bank_code, p.account_number, p.replaces_id) for p in db.session.scalars(
        select(Payout).where(Payout.refund_id == refund.id).order_by(Payout.id)
        .execution_options(populate_existing=True))]


def refunded_by_payout(run_worker):
    """A booking paid by bank transfer, canceled at the guest's request, its refund approved to
    CLOSED_LATER and paid by a payout that a burst worker completes: (reservation, refund, payout)."""
    from app.booking.services import cancel_reservation
    from app.payments.services import record_completed_payment
    from app.refunds.decisions import approve_refund
    from app.remittance import fund
    from tests.deposits.conftest import transfer_booking
    from tests.factories import make_room_type

    fund.top_up_fund(100_000_000, "test top-up", key=fund.new_top_up_key(), actor=TEST_ACTOR)
    r = transfer_booking(make_room_type(rooms=3), first_name="영희", last_name="이")
    r.total_amount = TOTAL
    db.session.commit()
    record_completed_payment(r, method="bank_transfer", amount=TOTAL, actor=TEST_ACTOR, reference=r.code)
    db.session.commit()
    refund = cancel_reservation(r.id, actor=TEST_ACTOR, reason="Plans changed").refund
    approve_refund(refund.id, actor=TEST_ACTOR, may_override=False, account=CLOSED_LATER)
    run_worker(queues=("high",))                           # the payout goes out through the sandbox bank
    payout = db.session.scalar(select(Payout).where(Payout.refund_id == refund.id))
    return fresh(r), fresh(refund), fresh(payout)


def test_a_returned_payout_reopens_its_refund_and_the_guest_gives_another_account(app, page, browser, live_server,
                                                                                     clock, run_worker):
    # 1. Paid, canceled, refunded by a payout to the guest's account: the payout is completed.
    clock.freeze(seoul(2026, 11, 20, 9))
    r, refund, payout = refunded_by_payout(run_worker)
    assert (r.status, refund.status, refund.amount, payout.status) == ("refunded", "completed", TOTAL, "completed")
    assert entries(r) == [(D.BANK_DEPOSIT, TOTAL), (D.REFUND_PAYOUT, -TOTAL)]
    assert (paid_amount(r.id), refunded_amount(r.id)) == (TOTAL, TOTAL)
    ids = dict(r=r.public_id, refund=refund.public_id, payout=payout.public_id, transfer=payout.transfer_id)
    raw = statement(ids["transfer"])
    end_transaction()                                      # SQLite: no write lock held while the server works

    clock.freeze(seoul(2026, 11, 23, 10))                  # Monday: the bank sent the money back
    sign_in(page, "staff")
    assert money_box(page, ids["r"]) == ("refunded 취소 · 환불 완료", "250000", "250000")
    screenshot(page, "deposits-returned-before")

    # 2. The operator imports the statement: one payout came back.
    upload(page, raw)
    assert page.inner_text("p.effect") == PREVIEW.format(new=1, already=0)
    page.click("button.import")
    page.wait_for_selector(".flash-success")
    assert "가져오기 결과" in page.inner_text("h1")
    assert page.inner_text("ul.import-counts") == ("보낸 송금 1건이 돌아왔습니다. 고객에게 다른 계좌를 요청했고, "
                                                   "송금은 송금 목록에서 기다립니다.")
    row = page.locator("table.lines tbody tr")
    assert row.count() == 1 and row.get_attribute("data-kind") == "payout_return"
    assert "보낸 송금이 돌아옴" in row.inner_text() and ids["transfer"] in row.inner_text()
    screenshot(page, "deposits-returned-result")
    back = line(TOTAL)
    assert (back.kind, back.status, back.outcome, back.payout_id, back.amount) == (
        LineKind.PAYOUT_RETURN, LineStatus.OUTGOING, "returned", payout.id, TOTAL)
    assert back.reversal and back.reverses_line_id is None  # the payout's own debit is on no imported statement
    end_transaction()

    # 3. Today shows the 🛑 item; it leads to the payout, which says the money came back.
    page.goto(page.base_url + "/ops/")
    item = page.locator("li.today-item[data-key=refund_payouts_returned]")
    assert "sev-bad" in item.get_attribute("class") and item.locator(".today-count").inner_text() == "1"
    assert "🛑 환불 송금이 되돌아왔습니다: 고객에게 다른 계좌를 받으세요" in item.inner_text()
    screenshot(page, "deposits-returned-today")
    item.locator("strong").click()
    page.wait_for_selector(f"tr[data-payout='{ids['payout']}']")
    assert "돈이 되돌아옴" in page.inner_text(f"tr[data-payout='{ids['payout']}']")
    page.click(f"tr[data-payout='{ids['payout']}'] a.button")
    page.wait_for_selector("section.decision")
    decision = page.inner_text("section.decision")
    assert "은행이 송금했지만, 돈이 우리 계좌로 되돌아왔습니다 (참조번호 9990001234560/2611230001)." in decision
    assert "고객에게 다른 계좌를 알려 달라는 메일을 보냈습니다." in decision
    assert "이 계좌로 저절로 다시 보내지는 않습니다." in decision
    screenshot(page, "deposits-returned-payout")
    page.goto(page.base_url + f"/ops/refunds/{ids['refund']}")
    assert page.get_attribute("h1 [data-refund-status]", "data-refund-status") == "awaiting_account"
    assert "고객 계좌를 기다리는 중" in page.inner_text("h1")
    assert "고객에게 환불받을 계좌를 입력하는 링크를 보냈습니다." in page.inner_text("p.next")
    screenshot(page, "deposits-returned-refund")
    assert money_box(page, ids["r"]) == ("canceled 취소됨", "250000", "0")

    # 4. In the database: returned, reopened, canceled again, the guest asked once; the ledger adds up.
    assert fresh(payout).status == "returned" and fresh(refund).status == "awaiting_account"
    assert fresh(r).status == "canceled"
    assert entries(r) == [(D.BANK_DEPOSIT, TOTAL), (D.REFUND_PAYOUT, -TOTAL), (D.PAYOUT_RETURN, TOTAL)]
    assert (paid_amount(r.id), refunded_amount(r.id)) == (TOTAL, 0)
    asked = account_requests(r)                            # one message per channel, the same signed link
    link = asked[0][2]
    assert asked == [("email", r.guest_email, link), ("sms", r.guest_phone, link)]
    # The same file again, through the page: already imported, nothing changes.
    before = table_counts()
    end_transaction()
    upload(page, raw)
    assert page.inner_text("p.effect") == PREVIEW.format(new=0, already=1)
    page.click("button.import")
    page.wait_for_selector(".flash-warning")
    assert "이미 가져온 파일입니다 (1건). 바뀐 것은 없습니다." in page.inner_text(".flash-warning")
    screenshot(page, "deposits-returned-again")
    assert table_counts() == before
    end_transaction()

    # 5. The guest opens the signed link, gives another account; a new payout pays the refund again.
    guest = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 390, "height": 844})
    guest.set_default_timeout(15000)
    try:
        form = guest.new_page()
        assert link.startswith(live_server.url + "/payout-account/")
        form.goto(link)
        text = form.inner_text("main")
        assert "어느 계좌로 보내 드릴까요?" in text
        assert ("카카오뱅크 ***-***-5678 (이영희) 계좌로 송금했지만(₩250,000), 은행에서 돈이 "
                "되돌아왔습니다(예: 계좌가 해지된 경우).") in text
        assert "다른 계좌를 알려 주세요. 그 계좌로 보내 드리겠습니다." in text and "3333012345678" not in form.content()
        screenshot(form, "deposits-returned-account-form")
        # The account the money came back from is refused: nothing is sent there again by itself.
        fill_account(form, "090", "3333-01-2345678", "이영희")
        assert "이 계좌로 보낸 돈이 은행에서 되돌아왔습니다. 다른 계좌를 알려 주세요." in form.inner_text(".field-error")
        screenshot(form, "deposits-returned-account-refused")
        assert payouts_of(refund) == [("returned", "090", "3333012345678", None)]
        assert fresh(refund).status == "awaiting_account"
        end_transaction()
        good = account(holder="이영희")
        fill_account(form, good.bank_code, "110-123-4567", "이영희")
        form.wait_for_selector(".flash-success")
        assert form.inner_text(".flash-success") == ("감사합니다. 몇 분 안에 ₩250,000을 국민은행 ***-***-4567 (이영희) "
                                                     "계좌로 보내 드리겠습니다.")
        screenshot(form, "deposits-returned-account-done")
    finally:
        guest.close()
    old_id = fresh(payout).id
    assert payouts_of(refund) == [("canceled", "090", "3333012345678", None),
                                  ("requested", good.bank_code, good.number, old_id)]
    assert fresh(refund).status == "awaiting_payout"
    end_transaction()
    run_worker(queues=("high",))                           # the new payout goes out
    bank = SandboxBank.from_config(app.config)
    new = db.session.scalar(select(Payout).where(Payout.replaces_id == old_id))
    assert bank.moved(new.transfer_id) == (1, TOTAL) and bank.moved(ids["transfer"]) == (1, TOTAL)
    assert payouts_of(refund) == [("canceled", "090", "3333012345678", None),
                                  ("completed", good.bank_code, good.number, old_id)]
    assert fresh(refund).status == "completed" and fresh(r).status == "refunded"
    assert entries(r) == [(D.BANK_DEPOSIT, TOTAL), (D.REFUND_PAYOUT, -TOTAL), (D.PAYOUT_RETURN, TOTAL),
                          (D.REFUND_PAYOUT, -TOTAL)]
    assert (paid_amount(r.id), refunded_amount(r.id)) == (TOTAL, TOTAL)
    assert account_requests(r) == asked                    # the guest was not asked twice
    end_transaction()
    assert money_box(page, ids["r"]) == ("refunded 취소 · 환불 완료", "250000", "250000")
    screenshot(page, "deposits-returned-refunded-again")
    page.goto(page.base_url + "/ops/")
    assert "done" in page.get_attribute("li.today-item[data-key=refund_payouts_returned]", "class")


def fill_account(form, bank_code: str, number: str, holder: str) -> None:
    """The guest fills the account form, then confirms on the next page."""
    form.select_option("select[name=bank_code]", bank_code)
    form.fill("input[name=account_number]", number)
    form.fill("input[name=account_holder]", holder)
    form.click("main button[type=submit]")
    form.wait_for_selector("p.effect")
    assert f"***-***-{number[-4:]}" in form.inner_text("p.effect")
    form.click("main button[type=submit]")
    form.wait_for_load_state()
