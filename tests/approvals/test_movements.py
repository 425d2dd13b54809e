"""The other large movements under four eyes, through the services: a payout sent to a
changed account, a reconciliation write-off, a manual "mark paid" and an operating-fund
top-up. Each: refused alone at ₩1,000,000+ (nothing moved) → the requester cannot approve
→ another manager approves → moved exactly once."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.approvals import services
from app.approvals.guard import NeedsApproval
from app.approvals.models import ApprovalStatus
from app.booking.states import ReservationStatus
from app.extensions import db
from app.payments.models import Payment
from app.remittance import decisions as payout_decisions
from app.remittance import fund as fund_service
from app.remittance.models import FundEntry, Payout
from app.remittance.states import PayoutStatus
from tests.approvals.conftest import actor, big_room_type, requests
from tests.factories import make_reservation
from tests.refunds.conftest import fresh
from tests.remittance.conftest import TAILS, account, payout_worker, top_up  # noqa: F401  (fixtures)

M = 1_000_000


def _approve_after_self_refusal(req, asker):
    with pytest.raises(services.SelfApproval):
        services.approve(req.id, actor=asker)
    approver, _ = actor("manager")
    _, result = services.approve(req.id, actor=approver)
    with pytest.raises(services.RequestAlreadyDecided):
        services.approve(req.id, actor=approver)
    assert requests()[0].status == ApprovalStatus.APPROVED
    return result


def _payout_the_bank_refused(payout_worker, top_up, *, amount: int = 2 * M, holder: str = "홍길동"):
    """A settlement payout of `amount` whose account the bank refused (it waits for a new one)."""
    top_up(100 * M)
    payout = payout_decisions.create_settlement_payout(amount=amount, currency="KRW",
                                                       account=account(TAILS["INVALID_ACCOUNT"], holder=holder),
                                                       memo="Hotel settlement", actor=fund_service.SYSTEM)
    payout_id = payout.id
    payout_worker()
    return db.session.get(Payout, payout_id)


def test_a_payout_to_a_changed_account_waits_for_a_second_manager(app, payout_worker, top_up):
    payout = _payout_the_bank_refused(payout_worker, top_up)
    payout_id = payout.id
    assert fresh(payout).status == PayoutStatus.WAITING_FOR_ACCOUNT
    manager, _ = actor("manager")
    new = account(None, holder="김민지")
    with pytest.raises(NeedsApproval) as raised:
        payout_decisions.change_payout_account(payout.id, new, actor=manager, reason="the hotel called")
    assert raised.value.kind == "payout_account" and raised.value.amount == 2 * M
    assert fresh(payout).account_number.endswith(TAILS["INVALID_ACCOUNT"])
    req = services.request_approval("payout_account", subject_id=payout.id, subject_public_id=payout.public_id,
                                    amount=2 * M, currency="KRW", reason="the hotel called", actor=manager,
                                    account=new)
    result = _approve_after_self_refusal(req, manager)
    assert result.id == payout.id and fresh(payout).account_number == new.number
    assert fresh(payout).status == PayoutStatus.REQUESTED
    payout_worker()
    assert db.session.get(Payout, payout_id, populate_existing=True).status == PayoutStatus.COMPLETED
    assert db.session.scalar(select(func.count(Payout.id))) == 1


def test_below_the_threshold_a_payout_account_changes_alone(app, payout_worker, top_up):
    top_up(100 * M)
    payout = payout_decisions.create_settlement_payout(amount=M - 1, currency="KRW",
                                                       account=account(TAILS["INVALID_ACCOUNT"]),
                                                       memo="Hotel settlement", actor=fund_service.SYSTEM)
    payout_id = payout.id
    payout_worker()
    payout = db.session.get(Payout, payout_id)
    staff, _ = actor("staff")
    payout_decisions.change_payout_account(payout.id, account(None), actor=staff, reason="the hotel called")
    assert fresh(payout).status == PayoutStatus.REQUESTED and requests() == []


def test_marking_a_two_million_booking_paid_waits_for_a_second_manager():
    from app.deposits import services as deposits

    r = make_reservation(big_room_type(), method="bank_transfer")
    db.session.commit()
    manager, _ = actor("manager")
    with pytest.raises(NeedsApproval) as raised:
        deposits.mark_paid_manually(r.public_id, actor=manager, reason="cash at the desk")
    assert raised.value.amount == 2 * M and fresh(r).status == ReservationStatus.PENDING
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.reservation_id == r.id)) == 0
    req = services.request_approval("mark_paid", subject_id=r.id, subject_public_id=r.public_id, amount=2 * M,
                                    currency="KRW", reason="cash at the desk", actor=manager, reservation_id=r.id)
    _approve_after_self_refusal(req, manager)
    assert fresh(r).status == ReservationStatus.PAID
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.reservation_id == r.id)) == 1


def test_marking_paid_a_booking_canceled_meanwhile_is_stale():
    from app.booking.services import cancel_reservation

    r = make_reservation(big_room_type(), method="bank_transfer")
    db.session.commit()
    manager, _ = actor("manager")
    req = services.request_approval("mark_paid", subject_id=r.id, subject_public_id=r.public_id, amount=2 * M,
                                    currency="KRW", reason="cash", actor=manager, reservation_id=r.id)
    cancel_reservation(r.id, actor=manager, reason="guest gave up")
    other, _ = actor("manager")
    with pytest.raises(services.SubjectChanged):
        services.approve(req.id, actor=other)
    assert requests()[0].stale and fresh(r).status == ReservationStatus.CANCELED
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.reservation_id == r.id)) == 0


def test_a_two_million_top_up_waits_for_a_second_manager():
    manager, _ = actor("manager")
    before = fund_service.get_fund().balance
    with pytest.raises(NeedsApproval):
        fund_service.top_up_fund(2 * M, "from the main account", key=fund_service.new_top_up_key(), actor=manager)
    assert db.session.scalar(select(func.count(FundEntry.id))) == 0
    fund = fund_service.lock_fund("KRW")
    req = services.request_approval("fund_top_up", subject_id=fund.id, subject_public_id="KRW", amount=2 * M,
                                    currency="KRW", reason="from the main account", actor=manager)
    entry = _approve_after_self_refusal(req, manager)
    assert entry.amount == 2 * M and fund_service.get_fund().balance == before + 2 * M
    assert db.session.scalar(select(func.count(FundEntry.id))) == 1


def test_below_the_threshold_a_manager_tops_up_alone():
    manager, _ = actor("manager")
    assert fund_service.top_up_fund(M - 1, "x", key=fund_service.new_top_up_key(), actor=manager) is not None


def test_a_write_off_of_a_million_waits_for_a_second_manager(app):
    from app.reconcile import actions, services as reconcile
    from tests.reconcile.conftest import file_rows_of, items, new_day, pay_by_card, store_file

    day = new_day()
    paid = pay_by_card(day)
    rows = file_rows_of([paid], day)
    rows[0]["amount"] += M
    store_file(day, rows)
    reconcile.reconcile_day(day, "gateway")
    [item] = items("gateway")
    assert abs(item.difference) == M
    manager, _ = actor("manager")
    with pytest.raises(NeedsApproval):
        actions.resolve_item(item.public_id, "write_off", reason="agreed", actor=manager, is_manager=True)
    assert fresh(item).status == "open"
    req = services.request_approval("write_off", subject_id=item.id, subject_public_id=item.public_id, amount=M,
                                    currency="KRW", reason="agreed with the card company", actor=manager)
    done = _approve_after_self_refusal(req, manager)
    assert done.action == "write_off" and fresh(item).status == "resolved"


def test_a_payout_request_names_the_recipient_not_an_id(app, client, login_as, payout_worker, top_up):
    """The approver reads whom the payout is for, in words, in Korean and in Japanese; the payout's
    id appears nowhere in the request's sentences (only in the link's address)."""
    payout = _payout_the_bank_refused(payout_worker, top_up, holder="오지현")
    payout_id, public_id = payout.id, payout.public_id
    asker, _ = actor("manager")
    req = services.request_approval("payout_account", subject_id=payout_id, subject_public_id=public_id,
                                    amount=2 * M, currency="KRW", reason="the hotel called", actor=asker,
                                    account=account(None, holder="김민지"))
    login_as("manager")
    for path in (f"/ops/approvals/{req.public_id}", f"/ops/approvals/{req.public_id}/approve"):
        page = client.get(path).get_data(as_text=True)
        assert "오지현 님께 보내는 송금" in page, path
        assert f">{public_id}<" not in page and f"{public_id}(" not in page and f" {public_id}" not in page
    japanese = client.get(f"/ops/approvals/{req.public_id}?lang=ja").get_data(as_text=True)
    assert "への送金" in japanese


def test_the_confirm_steps_say_when_another_manager_must_approve(app, client, login_as, payout_worker, top_up):
    """A manager's payout account change, fund top-up and reconciliation write-off at or above
    FOUR_EYES_ABOVE: the confirm step says another manager approves and its button sends the request;
    below it, the usual "yes"."""
    public_id = _payout_the_bank_refused(payout_worker, top_up).public_id
    login_as("manager")
    change = client.post(f"/ops/payouts/{public_id}/edit_account",
                         data={"bank_code": "004", "account_number": "1101234567", "account_holder": "김민지",
                               "reason": "the hotel called"}).get_data(as_text=True)
    assert "다른 관리자가 승인해야" in change and "관리자에게 승인 요청 보내기" in change
    key = fund_service.new_top_up_key()
    big = client.post("/ops/fund/top-up", data={"amount": 2 * M, "reason": "transfer from the owner",
                                                "key": key}).get_data(as_text=True)
    assert "다른 관리자가 승인해야" in big and "관리자에게 승인 요청 보내기" in big
    small = client.post("/ops/fund/top-up", data={"amount": M // 2, "reason": "transfer from the owner",
                                                  "key": key}).get_data(as_text=True)
    assert "다른 관리자가 승인해야" not in small and "관리자에게 승인 요청 보내기" not in small

    from app.reconcile import services as reconcile
    from tests.reconcile.conftest import file_rows_of, items, new_day, pay_by_card, store_file

    day = new_day()
    rows = file_rows_of([pay_by_card(day)], day)
    rows[0]["amount"] += M
    store_file(day, rows)
    reconcile.reconcile_day(day, "gateway")
    [item] = items("gateway")
    login_as("manager")  # the reconciliation's day moved the clock: a fresh session
    write_off = client.post(f"/ops/reconciliation/items/{item.public_id}/write_off",
                            data={"reason": "agreed with the card company"}).get_data(as_text=True)
    assert "다른 관리자가 승인해야" in write_off and "관리자에게 승인 요청 보내기" in write_off
