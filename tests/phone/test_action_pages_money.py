"""The money pages reached only by sending a form, at 390 px and 1280 px, in a real browser, in Korean.

A manager (or a staff member where staff does this work) fills and sends each form on a 390 px
phone; the page that comes back is measured at 390 and 1280 px (tests/phone/action_pages.py): no
sideways scrolling, the main button inside the window. Screenshots at 390 px:
docs/screenshots/phone_action_<name>.png.

Pages covered:
  refunds   refund_approve_confirm, refund_other_amount_confirm, refund_refuse_confirm (with the
            guest's message), refund_account_confirm (an account typed from a phone call),
            refund_open_confirm (a refund opened from a booking)
  payouts   payout_retry_confirm, payout_give_up_confirm, payout_account_change_confirm,
            payout_mark_returned_confirm, fund_top_up_confirm, customer_refund_account_confirm
            (the guest's bank-account form, signed link)
  deposits  deposit_import_preview, deposit_line_confirm (a partial deposit),
            deposit_match_confirm (a deposit matched to a proposed booking), deposit_assign_search and
            deposit_assign_confirm (an unknown deposit: the booking searched for, then linked),
            deposit_mark_paid_confirm ([결제 완료]), deposit_shortfall_confirm (money missing at the
            end of the window), deposit_reversal_confirm (a deposit the bank took back)
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.core import clock as app_clock
from app.core.actor import Actor
from app.core.db import end_transaction
from app.deposits.models import StatementLine
from app.extensions import db
from tests.phone.action_pages import PASTED, ActionPages, phone_page, submit

pytestmark = [pytest.mark.e2e, pytest.mark.committing, pytest.mark.slow]

TEST_ACTOR = Actor.system("test")
#: 10:00 in Seoul on Monday 23 November 2026.
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _own_sandboxes(app, tmp_path, monkeypatch):
    """The sandbox gateway and bank keep their state under this test's directory."""
    monkeypatch.setitem(app.config, "SANDBOX_STATE_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setitem(app.config, "STATUS_STATIC_DIR", str(tmp_path / "status-site"))


def _fill_account(page, number: str = "110-987-654321", holder: str = "김민지") -> None:
    page.select_option("select[name=bank_code]", "088")
    page.fill("input[name=account_number]", number)
    page.fill("input[name=account_holder]", holder)


def test_refund_and_payout_confirm_steps_fit_a_phone(app, browser, live_server, run_worker):
    from app.refunds import decisions as refund_decisions
    from app.remittance import decisions as payout_decisions
    from app.remittance import fund, services as payouts
    from app.remittance.policies import BankAccount
    from app.remittance.states import PayoutStatus
    from app.remittance.sweep import sweep_payouts
    from tests.refunds.conftest import cancelled_request, paid_booking
    from tests.factories import make_operator
    from tests.remittance.conftest import TAILS, account, fresh

    app_clock.freeze(T0)
    # Payouts in every state a person decides on: abandoned (the bank kept refusing until no retry
    # fitted in 24 hours), waiting for a corrected account, completed (a return may be recorded).
    abandoned = payout_decisions.create_settlement_payout(
        amount=320_000, currency="KRW", memo="Hotel settlement", actor=TEST_ACTOR,
        account=account(TAILS["BANK_ERROR"], holder="HANRIVERTOWERHOTELANDRESORTSETTLEMENTACCOUNT"))
    run_worker(queues=("high",))                                   # the fund is empty: held
    app_clock.advance(timedelta(hours=23, minutes=59, seconds=30))
    fund.top_up_fund(100_000_000, "test top-up", key=fund.new_top_up_key(), actor=TEST_ACTOR)
    sweep_payouts()
    run_worker(queues=("high",))                                   # refused; no retry fits: abandoned
    waiting = payout_decisions.create_settlement_payout(
        amount=180_000, currency="KRW", account=account(TAILS["INVALID_ACCOUNT"]), memo="Hotel settlement",
        actor=TEST_ACTOR)
    completed = payout_decisions.create_settlement_payout(
        amount=95_000, currency="KRW", account=BankAccount("004", "1101234567", "홍길동"), memo="Hotel settlement",
        actor=TEST_ACTOR)
    run_worker(queues=("high",))
    assert [fresh(p).status for p in (abandoned, waiting, completed)] == [
        PayoutStatus.ABANDONED, PayoutStatus.WAITING_FOR_ACCOUNT, PayoutStatus.COMPLETED]
    ids = {"abandoned": fresh(abandoned).public_id, "waiting": fresh(waiting).public_id,
           "completed": fresh(completed).public_id}
    # Refunds: one by card, one by bank transfer, one whose guest is asked for an account by link,
    # and a paid booking to open a refund from.
    card = cancelled_request(method="card", first_name="지현", last_name="오")
    transfer = cancelled_request(method="bank_transfer", first_name="서연", last_name="이")
    linked = cancelled_request(method="bank_transfer", first_name="하은", last_name="박")
    manager = Actor.operator(make_operator("manager"))
    refund_decisions.approve_refund(linked.id, actor=manager, may_override=True)
    link = payouts.ask_for_refund_account(db.session.get(type(linked), linked.id))
    db.session.commit()
    booked = paid_booking(method="card", first_name="도윤", last_name="최")
    ids.update(card=card.public_id, transfer=transfer.public_id, booked=booked.public_id)
    end_transaction()

    pages = ActionPages()
    page = phone_page(browser, live_server, "manager")
    guest = phone_page(browser, live_server)
    try:
        base = page.base_url
        # refunds: approve, another amount, refuse (the guest's message shown first)
        page.goto(f"{base}/ops/refunds/{ids['card']}")
        page.click("a[data-choice=approve]")
        page.fill("textarea[name=reason]", "고객 요청으로 정책대로 환불합니다." + PASTED)
        submit(page)
        pages.check(page, "refund_approve_confirm", expect="p.effect")
        page.goto(f"{base}/ops/refunds/{ids['card']}")
        page.click("a[data-choice=other_amount]")
        page.fill("input[name=amount]", "150000")
        page.fill("textarea[name=reason]", "고객과 통화 후 일부만 환불하기로 했습니다." + PASTED)
        submit(page)
        pages.check(page, "refund_other_amount_confirm", expect="p.effect")
        page.goto(f"{base}/ops/refunds/{ids['card']}")
        page.click("a[data-choice=refuse]")
        page.fill("textarea[name=reason]", "체크인 직전 취소로 호텔과 협의해 환불하지 않기로 했습니다." + PASTED)
        submit(page)
        pages.check(page, "refund_refuse_confirm", expect="p.effect")

        # a bank-transfer refund: approved, then the account the guest gave by phone
        page.goto(f"{base}/ops/refunds/{ids['transfer']}")
        page.click("a[data-choice=approve]")
        submit(page)
        page.wait_for_selector("p.effect")
        submit(page)
        page.wait_for_selector(".flash-success")
        page.click(f"a[href$='/ops/refunds/{ids['transfer']}/account']")
        _fill_account(page)
        page.fill("textarea[name=reason]", "고객이 전화로 계좌를 알려 주었습니다." + PASTED)
        submit(page)
        pages.check(page, "refund_account_confirm", expect="p.effect")

        # a refund opened from a paid booking
        page.goto(f"{base}/ops/reservations/{ids['booked']}/refund")
        page.fill("textarea[name=note]", "고객이 전화로 취소를 요청했습니다." + PASTED)
        submit(page)
        pages.check(page, "refund_open_confirm", expect="p.effect")

        # payouts: retry, give up, another account, a return recorded
        for choice, payout in (("retry", "abandoned"), ("give_up", "abandoned")):
            page.goto(f"{base}/ops/payouts/{ids[payout]}")
            page.click(f"a[href$='/{ids[payout]}/{choice}']")
            page.fill("textarea[name=reason]", "은행에 전화해 확인했습니다. 은행 전산이 복구되었다고 합니다." + PASTED)
            submit(page)
            pages.check(page, f"payout_{choice}_confirm", expect="p.effect")
        page.goto(f"{base}/ops/payouts/{ids['waiting']}")
        page.click(f"a[href$='/{ids['waiting']}/edit_account']")
        _fill_account(page, holder="HANRIVERTOWERHOTELANDRESORTSETTLEMENT")
        page.fill("textarea[name=reason]", "호텔이 전화로 올바른 계좌를 알려 주었습니다." + PASTED)
        submit(page)
        pages.check(page, "payout_account_change_confirm", expect="p.effect")
        page.goto(f"{base}/ops/payouts/{ids['completed']}")
        page.click(f"a[href$='/{ids['completed']}/mark_returned']")
        page.fill("input[name=reference]", "반환-20261124-000123")
        page.fill("textarea[name=reason]", "통장 내역에 반환 입금이 찍혀 있습니다." + PASTED)
        submit(page)
        pages.check(page, "payout_mark_returned_confirm", expect="p.effect")

        # the operating fund
        page.goto(f"{base}/ops/fund")
        page.fill("input[name=amount]", "5000000")
        page.fill("textarea[name=reason]", "본사 계좌에서 이체했습니다." + PASTED)
        submit(page, "main form.top-up button[type=submit]")
        pages.check(page, "fund_top_up_confirm", expect="p.effect")

        # the guest gives a refund account through the emailed link
        guest.goto(guest.base_url + "/" + link.split("/", 3)[3])
        _fill_account(guest, number="3333-01-2345678", holder="박하은")
        submit(guest)
        pages.check(guest, "customer_refund_account_confirm", expect="p.effect")
    finally:
        page.context.close()
        guest.context.close()
    pages.assert_all(["refund_approve_confirm", "refund_other_amount_confirm", "refund_refuse_confirm",
                      "refund_account_confirm", "refund_open_confirm", "payout_retry_confirm",
                      "payout_give_up_confirm", "payout_account_change_confirm", "payout_mark_returned_confirm",
                      "fund_top_up_confirm", "customer_refund_account_confirm"])


def _line_id(amount: int) -> str:
    public_id = db.session.scalars(select(StatementLine.public_id).where(StatementLine.amount == amount)
                                   .order_by(StatementLine.id)).first()
    end_transaction()
    return public_id


def test_deposit_confirm_steps_fit_a_phone(browser, live_server):
    from tests.deposits.conftest import korean_csv, today, transfer_booking
    from tests.factories import make_room_type

    room_type = make_room_type(rooms=9)
    exact, short, other_name, unpaid, unnamed = (transfer_booking(room_type, nights=n) for n in (1, 2, 3, 4, 5))
    raw = korean_csv([(today(), f"{exact.code} 김민지", exact.total_amount, 0),
                      (today(), f"{short.code} 김민지", short.total_amount - 1_000, 0),
                      (today(), "박철수", other_name.total_amount, 0),
                      (today(), "모르는입금", 12_345, 0)])
    db.session.commit()
    amounts = {"short": short.total_amount - 1_000, "other": other_name.total_amount, "unknown": 12_345}
    codes = {"other": other_name.code, "unpaid": unpaid.public_id, "unnamed": unnamed.code}
    end_transaction()

    pages = ActionPages()
    page = phone_page(browser, live_server, "staff")
    try:
        base = page.base_url
        page.goto(base + "/ops/deposits/")
        page.set_input_files("input[name=statement]", files=[{"name": "거래내역조회_국민은행_20261123.csv",
                                                              "mimeType": "text/csv", "buffer": raw}])
        page.fill("input[name=bank]", "국민은행")
        submit(page, "form.upload button[type=submit]")
        pages.check(page, "deposit_import_preview", expect="button.import")
        submit(page, "button.import")
        page.wait_for_selector(".flash-success")

        page.goto(f"{base}/ops/deposits/lines/{_line_id(amounts['short'])}")
        page.click("div.choice[data-choice=partial] a.button")
        submit(page, "form.decide button[type=submit]")
        pages.check(page, "deposit_line_confirm", expect="p.effect")

        page.goto(f"{base}/ops/deposits/lines/{_line_id(amounts['other'])}")
        page.click(f"ul.proposals li[data-code={codes['other']}] a.button")
        page.fill("textarea[name=reason]", "주문자 김민지 님의 남편 박철수 님이 입금했습니다 (전화로 확인)." + PASTED)
        submit(page, "form.decide button[type=submit]")
        pages.check(page, "deposit_match_confirm", expect="p.effect")

        page.goto(f"{base}/ops/deposits/lines/{_line_id(amounts['unknown'])}")
        page.click("div.choice[data-choice=assign] a.button")
        page.fill("input[name=q]", codes["unnamed"])
        submit(page, "form.search button[type=submit]")
        pages.check(page, "deposit_assign_search", expect="ul.results a.pick")
        page.click("ul.results a.pick")
        page.fill("textarea[name=reason]", "고객이 전화로 다른 이름으로 입금했다고 알려 주었습니다." + PASTED)
        submit(page, "form.decide button[type=submit]")
        pages.check(page, "deposit_assign_confirm", expect="p.effect")

        page.goto(f"{base}/ops/reservations/{codes['unpaid']}")
        page.click("a[data-action=mark_paid]")
        page.fill("textarea[name=reason]", "고객이 다른 계좌로 입금한 것을 은행 앱에서 확인했습니다." + PASTED)
        submit(page)
        pages.check(page, "deposit_mark_paid_confirm", expect="p.effect")
    finally:
        page.context.close()
    pages.assert_all(["deposit_import_preview", "deposit_line_confirm", "deposit_match_confirm",
                      "deposit_assign_search", "deposit_assign_confirm", "deposit_mark_paid_confirm"])


def test_the_decisions_on_money_that_came_short_or_back_fit_a_phone(browser, live_server):
    from app.booking.services import cancel_unpaid_bank_transfers
    from app.deposits import services as deposits
    from tests.deposits.conftest import MAPPING, korean_csv, transfer_booking
    from tests.deposits.money import booking, import_file, line, mt940, seoul
    from tests.factories import make_room_type

    # A booking whose deposit the bank took back after its time to pay had ended.
    app_clock.freeze(seoul(2026, 11, 20, 9))
    taken_back = booking("FD7K3M9Q", 120_000)
    app_clock.freeze(seoul(2026, 11, 20, 18))
    import_file(mt940([(date(2026, 11, 20), [("C", 120_000, "B1", "FD7K3M9Q 김민지")])]), "mt940")
    app_clock.freeze(seoul(2026, 11, 21, 12))
    import_file(mt940([(date(2026, 11, 21), [("RC", 120_000, "B2", "입금취소 B1")])], opening=1_120_000), "mt940")
    reversal = line(-120_000).public_id
    # A booking whose window ended with ₩1,000 missing.
    short = transfer_booking(make_room_type(base_price=44_500), first_name="민지", last_name="김")
    day = app_clock.local_today("Asia/Seoul")
    deposits.import_statement(korean_csv([(day, f"{short.code} 김민지", short.total_amount - 1_000, 0)]),
                              source_format="csv", file_name="part.csv", account="110-123-456789", bank="국민은행",
                              mapping=MAPPING, actor=TEST_ACTOR, override_reason=None)
    part = db.session.scalar(select(StatementLine).where(StatementLine.amount == short.total_amount - 1_000))
    deposits.decide(part.public_id, "partial", actor=TEST_ACTOR)
    app_clock.advance(timedelta(hours=25))
    cancel_unpaid_bank_transfers()
    short_id = short.public_id
    assert taken_back.status == "paid"
    end_transaction()

    pages = ActionPages()
    page = phone_page(browser, live_server, "staff")
    try:
        base = page.base_url
        page.goto(f"{base}/ops/deposits/shortfalls/{short_id}")
        page.click("a[href$='/ask_rest']")
        page.fill("input[name=days]", "2")
        submit(page)
        pages.check(page, "deposit_shortfall_confirm", expect="p.effect")

        page.goto(f"{base}/ops/deposits/lines/{reversal}")
        page.click("div.choice[data-choice=cancel_booking] a.button")
        page.fill("textarea[name=reason]", "고객과 연락이 되지 않아 예약을 취소합니다." + PASTED)
        submit(page)
        pages.check(page, "deposit_reversal_confirm", expect="p.effect")
    finally:
        page.context.close()
    pages.assert_all(["deposit_shortfall_confirm", "deposit_reversal_confirm"])
