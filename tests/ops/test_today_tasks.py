"""Today counts tasks, not rows, and shows a 🛑 only while something waits for a person.

A decision asked of a second person is the approver's task, counted once (by the approvals item),
not again on the refund, payout or reconciliation item it is about. Payouts held by the operating
fund are one task — topping up the fund, counted by the fund's items — not one per payout. A
refund payout that came back has its own 🛑 item and is not counted a second time.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from flask_babel import force_locale

from app.core.actor import Actor
from app.extensions import db
from app.ops.checklist import collect_today
from tests.factories import make_operator

TEST_ACTOR = Actor.system("test")
M = 1_000_000


@contextmanager
def korean(app):
    """A request in Korean, as operators read Today."""
    with app.test_request_context(), force_locale("ko"):
        yield


def counts(operator) -> dict:
    """Today's items by key, as the operator sees them."""
    return {e.count.key: e.count for entries in collect_today(operator).values() for e in entries if e.count}


# --- the 🛑 in an item's title ------------------------------------------------------------------------

def _urgent(n):
    from app.reconcile.queries import Urgent

    return Urgent(n, None, 0)


def _shortfalls(n):
    from app.deposits.shortfall import ShortfallCount

    return ShortfallCount(n, None)


#: item key → (module, query the item reads, what it returns for n waiting).
STOP_SIGN_ITEMS = {
    "approvals_waiting": ("app.approvals.queries", "count_pending", lambda n: (n, None)),
    "support_due": ("app.support.queries", "count_attention", lambda n: (0, n)),
    "reconciliation_urgent": ("app.reconcile.queries", "urgent_items", _urgent),
    "refund_payouts_returned": ("app.remittance.queries", "count_returned_refund_payouts", lambda n: (n, None)),
    "shortfalls": ("app.deposits.shortfall", "count_shortfalls", _shortfalls),
}


@pytest.mark.parametrize("key", list(STOP_SIGN_ITEMS))
def test_an_item_s_title_has_a_stop_sign_only_while_something_waits(key, app, monkeypatch):
    import importlib

    module, name, returns = STOP_SIGN_ITEMS[key]
    manager = make_operator("manager")
    with korean(app):
        monkeypatch.setattr(importlib.import_module(module), name, lambda *a, **k: returns(2))
        waiting = counts(manager)[key]
        assert waiting.count == 2 and str(waiting.title).startswith("🛑 ")
        monkeypatch.setattr(importlib.import_module(module), name, lambda *a, **k: returns(0))
        done = counts(manager)[key]
        assert done.count == 0 and "🛑" not in str(done.title) and str(done.title) == str(waiting.title)[2:]


# --- one task, counted once ---------------------------------------------------------------------------

def test_a_refund_whose_decision_waits_for_a_manager_is_the_manager_s_task(app):
    from app.approvals.guard import NeedsApproval
    from app.approvals.services import request_approval
    from app.refunds import decisions
    from tests.approvals.conftest import big_refund

    refund = big_refund()
    staff = Actor.operator(make_operator("staff"))
    manager = make_operator("manager")
    with korean(app):
        before = counts(manager)
        assert (before["refund_requests_waiting"].count, before["approvals_waiting"].count) == (1, 0)
        with pytest.raises(NeedsApproval):
            decisions.approve_refund(refund.id, actor=staff, may_override=False)
        request_approval("refund_approval", subject_id=refund.id, subject_public_id=refund.public_id,
                         reservation_id=refund.reservation_id, amount=refund.policy_amount, currency="KRW",
                         reason="고객 요청", actor=staff, params={"amount": None})
        after = counts(manager)
        assert (after["refund_requests_waiting"].count, after["approvals_waiting"].count) == (0, 1)


@pytest.fixture
def held(app, tmp_path, monkeypatch, run_worker):
    """held(n) → n settlement payouts held by an empty operating fund."""
    from app.remittance import decisions
    from tests.remittance.conftest import account

    monkeypatch.setitem(app.config, "SANDBOX_STATE_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(tmp_path / "sandbox"))

    def _make(n: int):
        for i in range(n):
            decisions.create_settlement_payout(amount=100_000 + i, currency="KRW", account=account(None),
                                               memo="Hotel settlement", actor=TEST_ACTOR)
        run_worker(queues=("high",))
    return _make


def test_payouts_held_by_the_fund_are_one_task_the_fund_s_top_up(app, held):
    held(3)
    manager = make_operator("manager")
    with korean(app):
        today = counts(manager)
        assert today["payouts_attention"].count == 0
        assert [str(f) for f in today["payouts_attention"].facts] == [
            "운영 자금이 허락할 때까지 보류: 3건 (자금을 채우면 저절로 나갑니다)."]
        assert today["operating_fund"].count == 1 and today["operating_fund"].severity == "bad"


def test_a_payout_whose_new_account_waits_for_a_manager_is_the_manager_s_task(app, held, run_worker):
    from app.approvals.guard import NeedsApproval
    from app.approvals.services import request_approval
    from app.remittance import decisions, fund
    from tests.remittance.conftest import TAILS, account, fresh

    fund.top_up_fund(100 * M, "test top-up", key=fund.new_top_up_key(), actor=TEST_ACTOR)
    payout = decisions.create_settlement_payout(amount=2 * M, currency="KRW", account=account(TAILS["INVALID_ACCOUNT"]),
                                                memo="Hotel settlement", actor=TEST_ACTOR)
    payout_id, public_id = payout.id, payout.public_id
    run_worker(queues=("high",))
    assert fresh(payout).status == "waiting_for_account"
    manager = make_operator("manager")
    with korean(app):
        assert (counts(manager)["payouts_attention"].count, counts(manager)["approvals_waiting"].count) == (1, 0)
        asker = Actor.operator(make_operator("manager"))
        with pytest.raises(NeedsApproval):
            decisions.change_payout_account(payout_id, account(None), actor=asker, reason="호텔이 알려 줌")
        request_approval("payout_account", subject_id=payout_id, subject_public_id=public_id, amount=2 * M,
                         currency="KRW", reason="호텔이 알려 줌", actor=asker, account=account(None))
        after = counts(manager)
        assert (after["payouts_attention"].count, after["approvals_waiting"].count) == (0, 1)
        assert [str(f) for f in after["payouts_attention"].facts] == ["관리자 승인을 기다리는 중: 1건."]


def test_a_refund_payout_that_came_back_is_counted_once(app, tmp_path, monkeypatch, clock):
    from app.remittance import decisions
    from tests.deposits.money import refunded_by_payout, seoul

    monkeypatch.setitem(app.config, "SANDBOX_STATE_DIR", str(tmp_path / "sandbox"))
    clock.freeze(seoul(2026, 11, 20, 10))
    _r, _refund, payout = refunded_by_payout(77_000)
    decisions.mark_returned(payout.id, "RTN-1", TEST_ACTOR, "the account was closed")
    manager = make_operator("manager")
    with korean(app):
        today = counts(manager)
        assert (today["refund_payouts_returned"].count, today["payouts_attention"].count) == (1, 0)


def test_a_write_off_waiting_for_a_manager_is_the_manager_s_task(app, clock):
    from app.approvals.services import request_approval
    from app.reconcile.models import ReconciliationItem, ReconciliationRun
    from app.reconcile.queries import URGENT_TYPES

    clock.freeze(datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc))
    now = clock.now()
    run = ReconciliationRun(business_date=now.date(), source="gateway", status="completed", started_at=now)
    db.session.add(run)
    db.session.flush()
    items = [ReconciliationItem(public_id=f"rci_wo{n}", natural_key=f"wo-{n}", source="gateway",
                                business_date=run.business_date, run_id=run.id, type=URGENT_TYPES[0],
                                due_at=now - timedelta(hours=1), internal_amount=0, external_amount=2 * M)
             for n in (1, 2)]
    db.session.add_all(items)
    db.session.commit()
    manager = make_operator("manager")
    with korean(app):
        assert counts(manager)["reconciliation_urgent"].count == 2
        request_approval("write_off", subject_id=items[0].id, subject_public_id=items[0].public_id, amount=2 * M,
                         currency="KRW", reason="카드사와 합의", actor=Actor.operator(make_operator("manager")))
        after = counts(manager)
        assert (after["reconciliation_urgent"].count, after["approvals_waiting"].count) == (1, 1)
