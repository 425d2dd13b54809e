"""Read-only lookups for the refund pages (no commits)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from app.booking.models import BookingConflict, ConflictResolution, Reservation
from app.core import clock
from app.core.audit import AuditEvent
from app.core.errors import NotFound
from app.extensions import db
from app.refunds.models import Compensation, Coupon, Refund
from app.refunds.states import RefundStatus

LIST_LIMIT = 100
IN_PROGRESS = (RefundStatus.APPROVED, RefundStatus.PROCESSING, RefundStatus.AWAITING_ACCOUNT,
               RefundStatus.AWAITING_PAYOUT, RefundStatus.FAILED)


def get_refund(public_id: str) -> Refund:
    refund = db.session.scalar(select(Refund).where(Refund.public_id == public_id))
    if refund is None:
        raise NotFound()
    return refund


def get_reservation(public_id: str) -> Reservation:
    found = db.session.scalar(select(Reservation).where(Reservation.public_id == public_id))
    if found is None:
        raise NotFound()
    return found


def waiting() -> list[Refund]:
    """Requests waiting for a decision, oldest first."""
    return list(db.session.scalars(select(Refund).where(Refund.status == RefundStatus.REQUESTED)
                                   .order_by(Refund.created_at, Refund.id).limit(LIST_LIMIT)))


def in_progress() -> list[Refund]:
    """Failed ones first, then the oldest."""
    failed_first = (Refund.status != RefundStatus.FAILED)
    return list(db.session.scalars(select(Refund).where(Refund.status.in_([s.value for s in IN_PROGRESS]))
                                   .order_by(failed_first, Refund.updated_at).limit(LIST_LIMIT)))


def recent_done(limit: int = 20) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(
        Refund.status.in_([RefundStatus.COMPLETED.value, RefundStatus.REFUSED.value]))
        .order_by(Refund.updated_at.desc()).limit(limit)))


def count_waiting() -> tuple[int, object]:
    """Requests someone must still decide (Today): a request whose decision waits for a manager's
    approval is the approver's task, counted there."""
    from app.approvals.queries import awaiting_approval

    count, oldest = db.session.execute(select(func.count(), func.min(Refund.created_at)).where(
        Refund.status == RefundStatus.REQUESTED, Refund.id.not_in(awaiting_approval("refund")))).one()
    return count or 0, oldest


#: A card refund whose gateway check is this late is stuck: nothing is asking the gateway
#: (no worker, no scheduler, no safety net). Checks on schedule are not a person's work.
PROCESSING_STUCK_AFTER = timedelta(minutes=30)


def count_failed(now: datetime | None = None) -> int:
    """Refunds a person must look at: refused by the gateway or bank, no answer after every
    check (both `failed`), or a check overdue by PROCESSING_STUCK_AFTER."""
    stuck_before = (now or clock.now()) - PROCESSING_STUCK_AFTER
    return db.session.scalar(select(func.count()).select_from(Refund).where(or_(
        Refund.status == RefundStatus.FAILED,
        and_(Refund.status == RefundStatus.PROCESSING,
             func.coalesce(Refund.next_check_at, Refund.updated_at) < stuck_before)))) or 0


@dataclass(frozen=True)
class RefundMoney:
    """A booking's money for its refunds, from the ledger (the reservation page's refunds box)."""

    paid: int
    refunded: int        # went back to the guest
    on_the_way: int      # refunds decided whose money has not left yet
    refundable: int      # what may still be refunded


def money_of(reservation: Reservation) -> RefundMoney:
    from app.ledger.services import paid_amount, refunded_amount
    from app.refunds.services import in_flight_amount, refundable_amount

    return RefundMoney(paid_amount(reservation.id), refunded_amount(reservation.id),
                       in_flight_amount(reservation.id), refundable_amount(reservation))


def history_of(refund: Refund) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "refund", AuditEvent.entity_id == refund.public_id)
        .order_by(AuditEvent.created_at, AuditEvent.id)))


def coupon_of(refund: Refund) -> Coupon | None:
    return db.session.scalar(select(Coupon).where(Coupon.refund_id == refund.id))


def refunds_of(reservation: Reservation) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(Refund.reservation_id == reservation.id)
                                   .order_by(Refund.created_at)))


def compensations_for_email(email: str) -> list[Compensation]:
    return list(db.session.scalars(select(Compensation).where(Compensation.guest_email == (email or "").lower())
                                   .order_by(Compensation.created_at)))


def coupons_for_email(email: str) -> list[Coupon]:
    return list(db.session.scalars(select(Coupon).where(Coupon.guest_email == (email or "").lower())
                                   .order_by(Coupon.created_at)))


def conflicts_to_compensate() -> list[BookingConflict]:
    return list(db.session.scalars(select(BookingConflict).where(
        BookingConflict.resolution == ConflictResolution.PENDING_REVIEW)
        .order_by(BookingConflict.created_at).limit(LIST_LIMIT)))


def get_conflict(conflict_id: int) -> BookingConflict:
    found = db.session.get(BookingConflict, conflict_id)
    if found is None:
        raise NotFound()
    return found
