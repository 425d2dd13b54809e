"""What a person does with an item: each needs a written reason, is audited, resolves the item once,
and changes a payment, refund or payout only through that domain's own path when asked to sync."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core import clock as app_clock
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.core.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.ledger.services import paid_amount
from app.reconcile import actions, services
from app.reconcile.policies import GHOST_TRANSACTION, STATUS_MISMATCH
from tests.factories import make_operator
from tests.reconcile.conftest import (
    TIMEOUT_CHARGED,
    card,
    completed_payout,
    file_rows_of,
    fresh,
    items,
    kst,
    new_day,
    pay_by_card,
    statement_line,
    statuses,
    store_file,
)


def audits(item, action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == item.public_id,
                                                            AuditEvent.action == action)))


@pytest.fixture
def manager():
    return Actor.operator(make_operator("manager"))


@pytest.fixture
def staff():
    return Actor.operator(make_operator("staff"))


def test_sync_asks_the_gateway_and_completes_the_pending_payment_once(app, staff):
    day = new_day()
    pending = pay_by_card(day, number=TIMEOUT_CHARGED)
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    services.fetch_settlement_file(day)
    services.reconcile_day(day, "gateway")
    [item] = items("gateway")
    assert item.type == STATUS_MISMATCH and actions.offered_actions(item)[0] == "sync_status"

    done = actions.resolve_item(item.public_id, "sync_status", reason="PG 관리자 화면에서 승인 확인", actor=staff,
                                is_manager=False)

    assert done.details["paymentStatus"] == "completed" and statuses([pending]) == [("completed", "paid")]
    item = fresh(item)
    assert (item.status, item.resolution, item.resolved_by, item.owner_id) == ("resolved", "sync_status",
                                                                               staff.name, staff.id)
    assert audits(item, "reconciliation_item.resolved")[0].reason == "PG 관리자 화면에서 승인 확인"
    with pytest.raises(actions.ItemClosed):
        actions.resolve_item(item.public_id, "explained", reason="again", actor=staff, is_manager=False)


def test_a_double_charge_goes_back_to_the_card_once_and_both_movements_are_in_the_ledger(app, sandbox, manager,
                                                                                          staff):
    day = new_day()
    paid = pay_by_card(day)
    double = sandbox.charge(idempotency_key=f"twice-{paid.public_id}", amount=paid.amount, currency="KRW",
                            card=card())
    rows = file_rows_of([paid], day) + [{"record_type": "APPROVAL", "transaction_id": double.charge_id,
                                         "order_id": paid.public_id, "transacted_at": kst(day, 10, 1),
                                         "amount": paid.amount, "fee": 0}]
    store_file(day, rows)
    services.reconcile_day(day, "gateway")
    [item] = items("gateway")
    assert item.type == GHOST_TRANSACTION and actions.offered_actions(item)[0] == "refund_capture"
    with pytest.raises(Forbidden):
        actions.resolve_item(item.public_id, "refund_capture", reason="중복 결제", actor=staff, is_manager=False)
    assert sandbox.refunded_total(double.charge_id) == 0

    done = actions.resolve_item(item.public_id, "refund_capture", reason="같은 주문이 두 번 결제됨", actor=manager,
                                is_manager=True)

    assert sandbox.refunded_total(double.charge_id) == paid.amount
    rows = list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.external_ref.in_(
        [double.charge_id, done.details["gatewayRefund"]])).order_by(LedgerEntry.id)))
    assert [(r.kind, r.amount, r.reservation_id, r.business_date) for r in rows] == [
        ("card_charge", paid.amount, None, day), ("card_refund", -paid.amount, None, rows[1].business_date)]
    assert rows[1].undoes_id == rows[0].id
    assert paid_amount(paid.reservation_id) == paid.amount               # the booking's money did not change
    with pytest.raises(actions.ItemClosed):
        actions.resolve_item(item.public_id, "refund_capture", reason="again", actor=manager, is_manager=True)
    assert sandbox.refunded_total(double.charge_id) == paid.amount
    services.reconcile_day(day, "gateway")                              # now the ledger has the capture: matched
    assert services.get_run(day, "gateway").matched_count == 2


def test_writing_off_needs_a_manager_and_a_reason_and_is_audited_with_the_amount(app, manager, staff):
    day = new_day()
    paid = pay_by_card(day)
    rows = file_rows_of([paid], day)
    rows[0]["amount"] -= 300
    store_file(day, rows)
    services.reconcile_day(day, "gateway")
    [item] = items("gateway")
    with pytest.raises(Forbidden):
        actions.resolve_item(item.public_id, "write_off", reason="소액", actor=staff, is_manager=False)
    with pytest.raises(ValidationFailed):
        actions.resolve_item(item.public_id, "write_off", reason="   ", actor=manager, is_manager=True)
    assert fresh(item).status == "open"

    actions.resolve_item(item.public_id, "write_off", reason="카드사와 합의: 300원 차이 손실 처리", actor=manager,
                         is_manager=True)

    [event] = audits(item, "reconciliation_item.written_off")
    assert event.data["writtenOff"] == -300 and event.actor_name == manager.name
    assert (fresh(item).status, fresh(item).resolution) == ("resolved", "write_off")


def test_sync_of_a_payout_asks_the_bank_and_records_the_completion(app, staff):
    day = new_day()
    payout = completed_payout(day, 45_000, tail="0007")
    statement_line(day, -45_000, kind="payout", payout_id=payout.id)
    services.reconcile_day(day, "payouts")
    [item] = items("payouts")
    app_clock.advance(timedelta(minutes=2))                      # the bank may be asked now

    done = actions.resolve_item(item.public_id, "sync_status", reason="은행에 조회함", actor=staff, is_manager=False)

    assert done.details["payoutStatus"] == "completed" and fresh(payout).status == "completed"
    services.reconcile_day(day + timedelta(days=0), "payouts")
    assert fresh(item).status == "resolved"


def test_sync_before_the_other_side_can_answer_changes_nothing(app, staff):
    day = new_day()
    payout = completed_payout(day, 46_000, tail="0007")
    statement_line(day, -46_000, kind="payout", payout_id=payout.id)
    services.reconcile_day(day, "payouts")
    [item] = items("payouts")

    with pytest.raises(actions.StillWaiting):
        actions.resolve_item(item.public_id, "sync_status", reason="은행에 조회함", actor=staff, is_manager=False)

    assert fresh(item).status == "open" and fresh(payout).status == "transferring"


def test_an_action_the_item_does_not_offer_is_refused(app, staff):
    day = new_day()
    paid = pay_by_card(day)
    store_file(day, [])
    services.reconcile_day(day, "gateway")
    [item] = items("gateway")                                   # INTERNAL_ONLY: nothing to ask or give back
    assert actions.offered_actions(item) == ("explained", "write_off")
    with pytest.raises(actions.IllegalTransition):
        actions.resolve_item(item.public_id, "sync_status", reason="x", actor=staff, is_manager=False)
    assert paid.status == "completed" and fresh(item).status == "open"


def test_an_item_can_be_taken_and_handed_over(app, staff, manager):
    day = new_day()
    pay_by_card(day)
    store_file(day, [])
    services.reconcile_day(day, "gateway")
    [item] = items("gateway")
    someone = make_operator("staff")
    actions.take_item(item.public_id, someone, actor=manager)
    actions.take_item(item.public_id, someone, actor=manager)          # again: nothing changes
    assert fresh(item).owner_id == someone.id
    assert len(audits(item, "reconciliation_item.owner_changed")) == 1


def test_sync_of_a_refund_whose_answer_was_lost_asks_the_gateway_and_completes_it(app, staff):
    from app.booking.services import cancel_reservation
    from app.ledger.services import refunded_amount
    from app.refunds import card as card_refunds
    from app.refunds import decisions
    from app.refunds.models import Refund

    day = new_day()
    paid = pay_by_card(day, hour=9, number="4000000000005126")        # its refunds' answers are lost
    refund = cancel_reservation(paid.reservation_id, actor=staff, reason="고객 요청").refund
    refund = decisions.approve_refund(refund.id, actor=staff, may_override=False)
    refund_id = refund.id
    card_refunds.run_card_refund(refund_id)                             # the gateway refunded; we never heard
    assert db.session.get(Refund, refund_id).status == "processing"
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    services.fetch_settlement_file(day)
    services.reconcile_day(day, "gateway")
    [item] = items("gateway")
    assert item.type == STATUS_MISMATCH and item.external["recordType"] == "CANCEL"
    assert item.facts["sync"] == "refund" and item.internal["refund"]["status"] == "processing"

    done = actions.resolve_item(item.public_id, "sync_status", reason="PG에서 환불 완료 확인", actor=staff,
                                is_manager=False)

    refund = db.session.get(Refund, refund_id, populate_existing=True)
    assert done.details["refundStatus"] == "completed" and refund.status == "completed"
    assert refunded_amount(paid.reservation_id) == refund.amount
    assert refund.gateway_refund_id == item.external["transactionId"]
