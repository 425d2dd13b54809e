"""Seed 004 §2.1 as written: staff record a deposit confirmed by hand ([결제 완료]) with a reason.
Below FOUR_EYES_ABOVE they act alone; at or above it the same input becomes an approval request
that another manager approves (app.approvals). The money lands in the ledger as a bank deposit
whose source is our own action. The internal note never reaches the guest."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.approvals import services as approvals
from app.approvals.models import ApprovalRequest
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.core.errors import Forbidden
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry, Source
from app.notifications.models import OutboxMessage
from tests.deposits.conftest import fresh, payments_of, transfer_booking
from tests.factories import make_operator, make_room_type

NOTE = "프런트에서 현금으로 받음 — 영수증 3번 서랍"


def url(r):
    return f"/ops/deposits/mark-paid/{r.public_id}"


def _ledger(r):
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.reservation_id == r.id)
                                   .execution_options(populate_existing=True)))


def test_staff_mark_a_small_booking_paid_alone_and_the_ledger_shows_a_deposit(client, login_as, run_worker):
    r = transfer_booking()
    login_as("staff")
    form = client.get(url(r)).get_data(as_text=True)
    assert "내부 메모" in form and "고객에게 보내지 않습니다" in form
    confirm = client.post(url(r), data={"reason": NOTE}).get_data(as_text=True)
    assert 'class="effect"' in confirm and "asks-approval" not in confirm and fresh(r).status == "pending"
    assert client.post(url(r), data={"reason": NOTE, "confirmed": "yes"}).status_code == 302
    assert fresh(r).status == "paid" and len(payments_of(r)) == 1
    [entry] = [e for e in _ledger(r) if e.kind == EntryKind.BANK_DEPOSIT]
    assert (entry.amount, entry.source) == (r.total_amount, Source.OURS)    # our own action, not the bank's
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "deposit.manual_mark_paid"))
    assert event.reason == NOTE
    ids = [m.id for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.reservation_id == r.id))]
    run_worker(["default"])
    for i in ids:
        message = db.session.get(OutboxMessage, i, populate_existing=True)
        assert NOTE not in (message.body or "") and NOTE not in (message.subject or "")
        assert NOTE not in str(message.context)


def test_staff_at_the_threshold_only_ask_and_another_manager_approves(client, login_as, app):
    r = transfer_booking(make_room_type(base_price=1_000_000))              # 2 nights: ₩2,000,000
    staff = login_as("staff")
    confirm = client.post(url(r), data={"reason": NOTE}).get_data(as_text=True)
    assert "asks-approval" in confirm and "🛑" in confirm
    # a crafted confirmed post changes nothing by itself: it becomes a request
    assert client.post(url(r), data={"reason": NOTE, "confirmed": "yes"}).status_code == 302
    assert fresh(r).status == "pending" and payments_of(r) == [] and not _ledger(r)
    [req] = db.session.scalars(select(ApprovalRequest)).all()
    assert (req.kind, req.amount, req.status, req.requested_by_id) == ("mark_paid", r.total_amount, "pending",
                                                                       staff.id)
    with pytest.raises(Forbidden):                        # the requester (staff) cannot approve it
        approvals.approve(req.id, actor=Actor.operator(staff))
    assert fresh(r).status == "pending"
    manager = Actor.operator(make_operator("manager"))
    approvals.approve(req.id, actor=manager)
    assert fresh(r).status == "paid" and len(payments_of(r)) == 1
    [entry] = [e for e in _ledger(r) if e.kind == EntryKind.BANK_DEPOSIT]
    assert (entry.amount, entry.source) == (2_000_000, Source.OURS)


def test_a_reason_is_required_and_a_bad_id_is_a_clear_error(client, login_as):
    r = transfer_booking()
    login_as("staff")
    assert client.post(url(r), data={"reason": "  ", "confirmed": "yes"}).status_code == 422
    assert fresh(r).status == "pending"
    for bad in ("nope", "9" * 40, "%00"):
        assert client.get(f"/ops/deposits/mark-paid/{bad}").status_code in (404, 422)   # never a 500


def test_without_csrf_nothing_changes(client, login_as):
    r = transfer_booking()
    login_as("staff")
    response = client.post(url(r), data={"reason": NOTE, "confirmed": "yes"}, csrf=False)
    assert response.status_code in (400, 422) and fresh(r).status == "pending"
