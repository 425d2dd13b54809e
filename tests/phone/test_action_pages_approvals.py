"""Four eyes on a phone: every kind of approval request, asked through its own form and decided by a
second manager, at 390 px and 1280 px in a real browser, in Korean.

A staff member or a manager sends each money form above FOUR_EYES_ABOVE (the confirm step that says
a manager must approve, then the request); another manager opens each request with its 🛑 box and
the approve confirm step, one refuse confirm step, and the request once decided. Each page is
measured at 390 and 1280 px (tests/phone/action_pages.py). Screenshots at 390 px:
docs/screenshots/phone_action_<name>.png.

Pages covered, for each kind — refund (refund_approval), refund as our fault (refund_our_fault),
refund to an account typed by an operator (refund_account), payout account change (payout_account),
retry to a new account after a return (payout_account on a returned payout: a new payout),
write-off (write_off), mark paid (mark_paid), fund top-up (fund_top_up):
  approval_ask_<kind>         the asker's confirm step (where it says so: the manager must approve)
  approval_<kind>             the request's page with its 🛑 decision box
  approval_<kind>_approve     the approver's confirm step
and approval_refuse_confirm, approval_decided (a request after the decision: no 🛑, the outcome);
also the reconciliation difference the daily run found (reconcile_item, its 🛑 box) and the confirm
step of explaining it (reconcile_confirm).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core import clock as app_clock
from app.core.actor import Actor
from app.core.db import end_transaction
from app.extensions import db
from tests.phone.action_pages import PASTED, ActionPages, phone_page, submit

pytestmark = [pytest.mark.e2e, pytest.mark.committing, pytest.mark.slow]

TEST_ACTOR = Actor.system("test")
M = 1_000_000


@pytest.fixture(autouse=True)
def _own_sandboxes(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_STATE_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(tmp_path / "sandbox"))


def _fill_account(page, holder: str = "김민지") -> None:
    page.select_option("select[name=bank_code]", "088")
    page.fill("input[name=account_number]", "110-987-654321")
    page.fill("input[name=account_holder]", holder)


def _world(run_worker) -> dict:
    """Something of each kind waiting to be asked for, all of ₩1,000,000 or more."""
    from app.approvals import services as approvals
    from app.reconcile import services as reconcile
    from app.remittance import decisions as payouts
    from app.remittance import fund
    from app.remittance.states import PayoutStatus
    from tests.approvals.conftest import big_booking, big_refund, big_room_type
    from tests.factories import make_operator, make_reservation
    from tests.reconcile.conftest import file_rows_of, items, new_day, pay_by_card, store_file
    from tests.remittance.conftest import TAILS, account, fresh

    day = new_day()                                   # the write-off: the gateway filed ₩1,000,000 more
    paid = pay_by_card(day)
    rows = file_rows_of([paid], day)
    rows[0]["amount"] += M
    store_file(day, rows)
    reconcile.reconcile_day(day, "gateway")
    [item] = items("gateway")
    app_clock.advance(timedelta(days=1))

    fund.top_up_fund(100 * M, "test top-up", key=fund.new_top_up_key(), actor=TEST_ACTOR)
    waiting = payouts.create_settlement_payout(amount=2 * M, currency="KRW", account=account(TAILS["INVALID_ACCOUNT"]),
                                               memo="Hotel settlement", actor=TEST_ACTOR)
    returned = payouts.create_settlement_payout(amount=3 * M, currency="KRW", account=account(None, holder="호텔 정산"),
                                                memo="Hotel settlement", actor=TEST_ACTOR)
    run_worker(queues=("high",))
    payouts.mark_returned(fresh(returned).id, "반환-0001", TEST_ACTOR, "the account was closed")
    assert (fresh(waiting).status, fresh(returned).status) == (PayoutStatus.WAITING_FOR_ACCOUNT,
                                                               PayoutStatus.RETURNED)

    refund = big_refund(method="card")
    transfer = big_refund(method="bank_transfer")       # approved by two managers: waits for an account
    req = approvals.request_approval("refund_approval", subject_id=transfer.id, subject_public_id=transfer.public_id,
                                     reservation_id=transfer.reservation_id, amount=transfer.policy_amount,
                                     currency="KRW", reason="고객 요청", actor=Actor.operator(make_operator("manager")),
                                     params={"amount": None})
    approvals.approve(req.id, actor=Actor.operator(make_operator("manager")))
    our_fault = big_booking(method="card")
    unpaid = make_reservation(big_room_type(), method="bank_transfer", first_name="민지", last_name="김")
    db.session.commit()
    world = {"item": item.public_id, "waiting": fresh(waiting).public_id, "returned": fresh(returned).public_id,
             "refund": refund.public_id, "transfer": transfer.public_id, "our_fault": our_fault.public_id,
             "unpaid": unpaid.public_id}
    end_transaction()
    return world


KINDS = ("refund_approval", "refund_our_fault", "refund_account", "mark_paid", "payout_account",
         "payout_account_returned", "write_off", "fund_top_up")


def test_every_kind_of_approval_request_fits_a_phone(browser, live_server, run_worker):
    from app.approvals.models import ApprovalRequest

    w = _world(run_worker)
    pages = ActionPages()
    staff = phone_page(browser, live_server, "staff")
    manager = phone_page(browser, live_server, "manager")
    approver = phone_page(browser, live_server, "manager")
    try:
        base = staff.base_url
        # the asker's side: each form, its confirm step, then the request
        staff.goto(f"{base}/ops/refunds/{w['refund']}")
        staff.click("a[data-choice=approve]")
        submit(staff)
        pages.check(staff, "approval_ask_refund_approval", expect="p.asks-approval")
        submit(staff)
        staff.wait_for_selector(".flash-warning")

        staff.goto(f"{base}/ops/reservations/{w['our_fault']}/refund")
        staff.select_option("select[name=our_fault]", "overbooking")
        staff.fill("textarea[name=note]", "초과 예약으로 객실을 드릴 수 없습니다." + PASTED)
        submit(staff)
        pages.check(staff, "approval_ask_refund_our_fault", expect="p.asks-approval")
        submit(staff)
        staff.wait_for_selector(".flash-warning")

        staff.goto(f"{base}/ops/refunds/{w['transfer']}/account")
        _fill_account(staff)
        staff.fill("textarea[name=reason]", "고객이 전화로 계좌를 알려 주었습니다." + PASTED)
        submit(staff)
        pages.check(staff, "approval_ask_refund_account", expect="p.asks-approval")
        submit(staff)
        staff.wait_for_selector(".flash-warning")

        staff.goto(f"{base}/ops/deposits/mark-paid/{w['unpaid']}")
        staff.fill("textarea[name=reason]", "고객이 프런트에서 현금으로 냈습니다." + PASTED)
        submit(staff)
        pages.check(staff, "approval_ask_mark_paid", expect="p.asks-approval")
        submit(staff)
        staff.wait_for_selector(".flash-warning")

        for kind, payout in (("payout_account", "waiting"), ("payout_account_returned", "returned")):
            manager.goto(f"{base}/ops/payouts/{w[payout]}/edit_account")
            _fill_account(manager, holder="주식회사 바다호텔")
            manager.fill("textarea[name=reason]", "호텔이 전화로 새 계좌를 알려 주었습니다." + PASTED)
            submit(manager)
            pages.check(manager, f"approval_ask_{kind}", expect="p.effect")
            submit(manager)
            manager.wait_for_selector(".flash-warning")

        manager.goto(f"{base}/ops/reconciliation/items/{w['item']}")       # found by the daily reconciliation
        pages.check(manager, "reconcile_item", expect="section.decision div.choice[data-action=write_off]")
        manager.click("div.choice[data-action=explained] a.button")
        manager.fill("textarea[name=reason]", "카드사 정산 파일의 금액 오류입니다." + PASTED)
        submit(manager)
        pages.check(manager, "reconcile_confirm", expect="p.effect")
        manager.goto(f"{base}/ops/reconciliation/items/{w['item']}/write_off")
        manager.fill("textarea[name=reason]", "카드사와 통화해 차액을 비용으로 처리하기로 했습니다." + PASTED)
        submit(manager)
        pages.check(manager, "approval_ask_write_off", expect="p.effect")
        submit(manager)
        manager.wait_for_selector(".flash-warning")

        manager.goto(f"{base}/ops/fund")
        manager.fill("input[name=amount]", "40000000")
        manager.fill("textarea[name=reason]", "본사 계좌에서 이체했습니다." + PASTED)
        submit(manager, "main form.top-up button[type=submit]")
        pages.check(manager, "approval_ask_fund_top_up", expect="p.effect")
        submit(manager)
        manager.wait_for_selector(".flash-warning")

        requests = {r.kind + ("_returned" if r.subject_public_id == w["returned"] else ""): r.public_id
                    for r in db.session.scalars(select(ApprovalRequest).order_by(ApprovalRequest.id))}
        end_transaction()
        assert sorted(requests) == sorted(KINDS)

        # the approver's side: each request, its 🛑 box, the approve confirm step
        for kind in KINDS:
            approver.goto(f"{base}/ops/approvals/{requests[kind]}")
            pages.check(approver, f"approval_{kind}", expect="section.decision a[data-choice=approve]")
            approver.click("a[data-choice=approve]")
            approver.fill("textarea[name=note]", "확인했습니다." + PASTED)
            submit(approver)
            pages.check(approver, f"approval_{kind}_approve", expect="p.effect")
        approver.goto(f"{base}/ops/approvals/{requests['fund_top_up']}")
        approver.click("a[data-choice=refuse]")
        approver.fill("textarea[name=note]", "이번 주 충전은 이미 했습니다." + PASTED)
        submit(approver)
        pages.check(approver, "approval_refuse_confirm", expect="p.effect")
        approver.goto(f"{base}/ops/approvals/{requests['mark_paid']}/approve")
        submit(approver)
        approver.wait_for_selector("p.effect")
        submit(approver)
        pages.check(approver, "approval_decided", expect=".flash-success", button=False)
        assert approver.locator("section.decision").count() == 0 and "🛑" not in approver.inner_text("main")
    finally:
        for p in (staff, manager, approver):
            p.context.close()
    pages.assert_all(
        ["approval_ask_refund_approval", "approval_ask_refund_our_fault", "approval_ask_refund_account",
         "approval_ask_mark_paid", "approval_ask_payout_account", "approval_ask_payout_account_returned",
         "reconcile_item", "reconcile_confirm", "approval_ask_write_off", "approval_ask_fund_top_up"]
        + [name for kind in KINDS for name in (f"approval_{kind}", f"approval_{kind}_approve")]
        + ["approval_refuse_confirm", "approval_decided"])
