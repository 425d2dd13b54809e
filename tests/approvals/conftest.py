"""Approval fixtures: large bookings (2 × ₩1,000,000 nights), operators, the requests' rows."""
from __future__ import annotations

from sqlalchemy import func, select

from app.approvals.models import ApprovalRequest
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.extensions import db
from app.ledger.models import LedgerEntry
from tests.factories import make_operator, make_room_type
from tests.refunds.conftest import cancelled_request, paid_booking

BIG = 1_000_000          # a night; two nights = ₩2,000,000


def big_room_type():
    return make_room_type(base_price=BIG)


def big_refund(*, method: str = "card", days: int = 10):
    """A ₩2,000,000 booking the customer canceled 10 days ahead: a case-A refund of ₩2,000,000 waits."""
    return cancelled_request(method=method, days=days, room_type=big_room_type())


def big_booking(*, method: str = "card", days: int = 10):
    return paid_booking(method=method, days=days, room_type=big_room_type())


def actor(role: str = "staff") -> tuple[Actor, object]:
    operator = make_operator(role)
    return Actor.operator(operator), operator


def requests(kind: str | None = None) -> list[ApprovalRequest]:
    q = select(ApprovalRequest).order_by(ApprovalRequest.id)
    if kind:
        q = q.where(ApprovalRequest.kind == kind)
    return list(db.session.scalars(q.execution_options(populate_existing=True)))


def audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def ledger_rows(reservation_id: int, kind: str) -> int:
    return db.session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.reservation_id == reservation_id, LedgerEntry.kind == kind)) or 0
