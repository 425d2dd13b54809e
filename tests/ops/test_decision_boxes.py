"""Each 🛑 decision box shows only while a person still has to decide (DESIGN "Operator UX").

One row per kind of decision page: the page is rendered (Korean, through the client) while the
item waits — the 🛑 is there — then the decision is taken through the service, and the same page
shows no 🛑 and no red box any more, but the outcome in Korean words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

import pytest
from sqlalchemy import select

from app.core.actor import Actor
from app.extensions import db
from tests.factories import make_operator

TEST_ACTOR = Actor.system("test")
NOTE = "고객과 통화해 확인했습니다."


@dataclass
class Page:
    url: str
    decide: Callable[[], object]
    outcome: tuple[str, ...]          # Korean words the page shows once decided
    box: bool = True                  # the 🛑 sits in a red <section class="decision"> box (not a heading)


@dataclass
class Context:
    app: object
    run_worker: Callable
    clock: object
    manager: Actor                    # who decides (an admin: the audit-log acknowledgement needs one)


def _visible(html: str) -> str:
    """The page's words without its markup (folded "details" included)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the rows ---------------------------------------------------------------------------------------


def refund(choice: str):
    def make(ctx: Context) -> Page:
        from app.refunds import decisions
        from tests.refunds.conftest import cancelled_request

        r = cancelled_request(method="card")
        if choice == "approve":
            return Page(f"/ops/refunds/{r.public_id}",
                        lambda: decisions.approve_refund(r.id, actor=ctx.manager, may_override=True),
                        ("결정", "환불 처리 중"))
        return Page(f"/ops/refunds/{r.public_id}",
                    lambda: decisions.refuse_refund(r.id, actor=ctx.manager, may_override=True, reason=NOTE,
                                                    guest_choice="policy"),
                    ("결정", "거절됨", NOTE))
    return make


def payout(choice: str):
    def make(ctx: Context) -> Page:
        from app.remittance import decisions, fund
        from tests.remittance.conftest import TAILS, account, fresh

        fund.top_up_fund(100_000_000, "test top-up", key=fund.new_top_up_key(), actor=TEST_ACTOR)
        p = decisions.create_settlement_payout(amount=300_000, currency="KRW", memo="Hotel settlement",
                                               account=account(TAILS["INVALID_ACCOUNT"]), actor=TEST_ACTOR)
        payout_id, url = p.id, f"/ops/payouts/{p.public_id}"
        ctx.run_worker(queues=("high",))
        assert fresh(p).status == "waiting_for_account"
        if choice == "give_up":
            return Page(url, lambda: decisions.give_up_payout(payout_id, actor=ctx.manager, reason=NOTE),
                        ("담당자가 종료함", "더 이상 아무것도 보내지 않습니다"))
        return Page(url, lambda: decisions.change_payout_account(payout_id, account(None), actor=ctx.manager,
                                                                 reason=NOTE),
                    ("지금 결정할 일은 없습니다",))
    return make


def _statement_with(*rows):
    """A statement imported with these (memo, amount) deposits today; its import run's public id."""
    from app.deposits import services
    from tests.deposits.conftest import MAPPING, korean_csv, today

    result = services.import_statement(korean_csv([(today(), memo, amount, 0) for memo, amount in rows]),
                                       source_format="csv", file_name="statement.csv", account="110-123-456789",
                                       bank="국민은행", mapping=MAPPING, actor=TEST_ACTOR, override_reason=None)
    return result.run


def _line(amount: int):
    from app.deposits.models import StatementLine

    return db.session.scalar(select(StatementLine).where(StatementLine.amount == amount))


def deposit_line(ctx: Context) -> Page:
    from app.deposits import services

    _statement_with(("모르는입금", 12_345))
    line = _line(12_345)
    return Page(f"/ops/deposits/lines/{line.public_id}",
                lambda: services.decide(line.public_id, "not_ours", actor=ctx.manager, reason=NOTE),
                ("우리 돈 아님", NOTE))


def import_result(ctx: Context) -> Page:
    from app.deposits import services

    run = _statement_with(("모르는입금", 12_345))
    line = _line(12_345)
    return Page(f"/ops/deposits/imports/{run}",
                lambda: services.decide(line.public_id, "not_ours", actor=ctx.manager, reason=NOTE),
                ("담당자가 결정해야 했던 1건은 결정되었습니다",), box=False)


def reversal_line(ctx: Context) -> Page:
    from app.deposits import reversals
    from tests.deposits.money import booking, import_file, line, mt940, seoul

    ctx.clock.freeze(seoul(2026, 11, 20, 9))
    booking("FD7K3M9Q", 120_000)
    ctx.clock.freeze(seoul(2026, 11, 20, 18))
    import_file(mt940([(date(2026, 11, 20), [("C", 120_000, "B1", "FD7K3M9Q 김민지")])]), "mt940")
    ctx.clock.freeze(seoul(2026, 11, 21, 12))
    import_file(mt940([(date(2026, 11, 21), [("RC", 120_000, "B2", "입금취소 B1")])], opening=1_120_000), "mt940")
    reversal = line(-120_000)
    return Page(f"/ops/deposits/lines/{reversal.public_id}",
                lambda: reversals.decide_reversal(reversal.public_id, "cancel_booking", actor=ctx.manager, reason=NOTE),
                ("에 결정했습니다", NOTE))


def shortfall(ctx: Context) -> Page:
    from app.deposits import services, shortfall as shortfalls
    from tests.deposits.test_shortfall import T0, booking_of_89000, end_window

    ctx.clock.freeze(T0)
    r = booking_of_89000()
    _statement_with((f"{r.code} 김민지", 88_000))
    services.decide(_line(88_000).public_id, "partial", actor=TEST_ACTOR)
    end_window()
    return Page(f"/ops/deposits/shortfalls/{r.public_id}",
                lambda: shortfalls.decide(r.public_id, "ask_rest", actor=ctx.manager, days=2, is_manager=True),
                ("이 예약은 더 이상 이 결정을 기다리지 않습니다",))


def shortfall_list(ctx: Context) -> Page:
    page = shortfall(ctx)
    return Page("/ops/deposits/shortfalls", page.decide, ("이 결정을 기다리는 예약이 없습니다",), box=False)


def mark_paid(ctx: Context) -> Page:
    from app.deposits import services
    from tests.deposits.conftest import transfer_booking

    r = transfer_booking()
    return Page(f"/ops/deposits/mark-paid/{r.public_id}",
                lambda: services.mark_paid_manually(r.public_id, actor=ctx.manager, reason=NOTE),
                ("이 예약은 더 이상 입금을 기다리지 않습니다", "결제 완료"), box=False)


def approval(choice: str, *, listing: bool = False):
    def make(ctx: Context) -> Page:
        from app.approvals import services
        from tests.approvals.conftest import big_refund

        r = big_refund()
        asker = Actor.operator(make_operator("staff"))
        req = services.request_approval("refund_approval", subject_id=r.id, subject_public_id=r.public_id,
                                        reservation_id=r.reservation_id, amount=r.policy_amount, currency="KRW",
                                        reason=NOTE, actor=asker, params={"amount": None})
        decide = {"approve": lambda: services.approve(req.id, actor=ctx.manager),
                  "refuse": lambda: services.refuse(req.id, actor=ctx.manager, note=NOTE),
                  "withdraw": lambda: services.withdraw(req.id, actor=asker)}[choice]
        status = {"approve": "승인되어 처리됨", "refuse": "거절됨", "withdraw": "철회됨"}[choice]
        if listing:
            return Page("/ops/approvals/", decide, ("승인을 기다리는 요청이 없습니다", status), box=False)
        return Page(f"/ops/approvals/{req.public_id}", decide, (status,))
    return make


def alert(choice: str):
    def make(ctx: Context) -> Page:
        from app.alerts import services
        from app.alerts.models import Alert
        from app.auth.models import Operator

        services.raise_alert("same_error", "payouts:BANK_ERROR", {"count": 3})
        public_id = db.session.scalars(select(Alert.public_id)).one()
        operator = db.session.get(Operator, ctx.manager.id)
        if choice == "acknowledge":
            return Page(f"/ops/alerts/{public_id}", lambda: services.acknowledge(public_id, operator),
                        ("담당자가 처리 중", "더 결정할 일은 없습니다"))
        return Page(f"/ops/alerts/{public_id}", lambda: services.resolve_by_operator(public_id, operator, NOTE),
                    ("해결됨", "더 결정할 일은 없습니다", NOTE))
    return make


def reconcile_item(ctx: Context) -> Page:
    from app.reconcile import actions, services
    from tests.reconcile.conftest import file_rows_of, items, new_day, pay_by_card, store_file

    day = new_day()
    rows = file_rows_of([pay_by_card(day)], day)
    rows[0]["amount"] -= 3_000
    store_file(day, rows)
    services.reconcile_day(day, "gateway")
    [item] = items("gateway")
    return Page(f"/ops/reconciliation/items/{item.public_id}",
                lambda: actions.resolve_item(item.public_id, "explained", reason=NOTE, actor=ctx.manager,
                                             is_manager=True),
                ("님이", "에 닫았습니다", NOTE))


def conflict(page_kind: str, choice: str):
    def make(ctx: Context) -> Page:
        from app.ops import services as ops
        from app.refunds import compensation, lodging
        from tests.compensation.test_lodging import conflicts_of

        [c] = conflicts_of("jihyun.oh@example.com", 1)
        url = f"/ops/compensation/conflict/{c.id}" + ("/lodging" if page_kind == "lodging" else "")
        if choice == "dismiss":
            return Page(url, lambda: ops.dismiss_conflict(c.id, reason=NOTE, actor=ctx.manager),
                        ("연락 없이 종료", "고객에게는 아무것도 보내지 않았고", NOTE))
        if page_kind == "lodging":
            return Page(url, lambda: lodging.give_coupon(c.id, option="coupon_percent", value=10, actor=ctx.manager),
                        ("보상 완료", "쿠폰 "))
        return Page(url, lambda: compensation.compensate_conflict(c.id, actor=ctx.manager, reason=NOTE),
                    ("보상 완료", "적립 시간 30분", NOTE))
    return make


def status_notice(ctx: Context) -> Page:
    from app.status import services
    from tests.status.conftest import draft

    notice = draft("S1")
    return Page(f"/ops/status/{notice.public_id}",
                lambda: services.publish_notice(notice.public_id, actor=ctx.manager), ("게시: ",))


def audit_chain(ctx: Context) -> Page:
    from app.auditlog import chain
    from tests.auditlog.chain_helpers import as_owner, write_rows

    ids = write_rows(3)
    as_owner("UPDATE audit_events SET reason = 'x' WHERE id = :id", params={"id": ids[0]})
    chain.run_verification()
    return Page("/ops/integrity", lambda: chain.acknowledge_breaks(NOTE, actor=ctx.manager),
                ("관리자가", NOTE))


PAGES: dict[str, Callable[[Context], Page]] = {
    "refund approved": refund("approve"),
    "refund refused": refund("refuse"),
    "payout given up": payout("give_up"),
    "payout sent to a corrected account": payout("edit_account"),
    "deposit line": deposit_line,
    "import result": import_result,
    "money the bank took back": reversal_line,
    "booking short of money": shortfall,
    "bookings short of money (list)": shortfall_list,
    "mark paid by hand": mark_paid,
    "approval approved": approval("approve"),
    "approval refused": approval("refuse"),
    "approval withdrawn": approval("withdraw"),
    "approvals (list)": approval("approve", listing=True),
    "alert acknowledged": alert("acknowledge"),
    "alert resolved": alert("resolve"),
    "reconciliation difference": reconcile_item,
    "conflict compensated": conflict("tier", "give"),
    "conflict closed without contact": conflict("tier", "dismiss"),
    "conflict given a coupon": conflict("lodging", "give"),
    "conflict closed without contact (lodging)": conflict("lodging", "dismiss"),
    "status notice published": status_notice,
    "audit log break acknowledged": audit_chain,
}


@pytest.fixture
def _static_dirs(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "STATUS_STATIC_DIR", str(tmp_path / "status-site"))


@pytest.mark.parametrize("kind", list(PAGES))
def test_the_stop_sign_shows_until_the_decision_then_the_outcome(kind, app, client, login_as, run_worker, clock,
                                                                 _static_dirs):
    admin = make_operator("admin")
    page = PAGES[kind](Context(app, run_worker, clock, Actor.operator(admin)))
    db.session.commit()
    login_as(operator=make_operator("admin"))

    before = client.get(page.url)
    assert before.status_code == 200, before.status_code
    html = before.get_data(as_text=True)
    assert "🛑" in html
    assert ('<section class="decision' in html) is page.box

    page.decide()
    db.session.expire_all()
    after = client.get(page.url, follow_redirects=True)
    assert after.status_code == 200
    html = after.get_data(as_text=True)
    assert "🛑" not in html, "a 🛑 is still shown after the decision"
    assert '<section class="decision' not in html
    for words in page.outcome:
        assert words in _visible(html), f"{words!r} missing after the decision"
