"""Refund requests. Deciding and paying them back is in the back office
(approve/refuse) and the workers (gateway refunds, payouts)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.booking.states import ReservationStatus
from app.core import audit, clock
from app.core.actor import Actor, current_actor
from app.core.errors import IllegalTransition
from app.core.ids import public_id
from app.extensions import db
from app.notifications.services import queue_notification
from app.payments.models import Payment
from app.payments.states import PaymentStatus
from app.refunds.models import Refund
from app.refunds.policies import RefundCase, compute_refund
from app.refunds.states import IN_FLIGHT, RefundStatus


def in_flight_amount(reservation_id: int, *, exclude_refund_id: int | None = None) -> int:
    """Refunds of a booking decided and on their way whose money has not left yet
    (approved, at the gateway, waiting for an account or a payout)."""
    query = select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.reservation_id == reservation_id, Refund.status.in_([s.value for s in IN_FLIGHT]))
    if exclude_refund_id is not None:
        query = query.where(Refund.id != exclude_refund_id)
    return int(db.session.scalar(query) or 0)


class MoneyNotHeld(IllegalTransition):
    """The bank took back the deposit this refund would pay back: nothing may be sent (a person decides)."""

    default_message = _l("We no longer hold this money (the bank took the deposit back), so nothing can be sent. "
                         "Refuse the refund or change its amount.")


def money_held_for(refund: Refund) -> int:
    """What of the booking's money we still hold for this refund: paid, less what went back, less the
    other refunds on their way (ledger). Below the refund's amount when the bank took a deposit back
    after the refund was decided: then nothing may be sent."""
    from app.ledger.services import paid_amount, refunded_amount

    rid = refund.reservation_id
    return paid_amount(rid) - refunded_amount(rid) - in_flight_amount(rid, exclude_refund_id=refund.id)


def refundable_amount(reservation) -> int:
    """What may still be refunded (never negative), from the ledger: what was paid, less what
    went back, less the refunds committed but not completed yet."""
    from app.ledger.services import paid_amount, refunded_amount

    left = paid_amount(reservation.id) - refunded_amount(reservation.id) - in_flight_amount(reservation.id)
    return max(0, left)


#: Why a refund of a fixed amount (not the policy's) is opened, by its source.
FIXED_AMOUNT_REASONS = {
    "modification": "price_difference",   # a change made the booking cheaper
    "overpayment": "overpayment",         # more money than owed, or money for a canceled booking
    "shortfall": "unpaid_booking",        # the booking was never fully paid: everything paid goes back
    "partial_payment": "unpaid_booking",
}


def request_refund(reservation, *, source: str, requested_reason: str | None = None,
                   our_fault: str | None = None, fixed_amount: int | None = None,
                   actor: Actor | None = None) -> Refund | None:
    """Open a refund request sized by the policy (no commit). None when nothing was paid.

    `fixed_amount` (a price drop after a change) overrides the policy's amount,
    still capped by what is refundable.
    """
    actor = actor or current_actor()
    refundable = refundable_amount(reservation)
    if refundable <= 0:
        return None
    today = clock.local_today(reservation.hotel.timezone)
    rec = compute_refund(
        refundable=refundable, check_in=reservation.check_in, today=today,
        stay_started=reservation.status in (ReservationStatus.CHECKED_IN, ReservationStatus.CHECKED_OUT),
        our_fault=our_fault,
    )
    case, percent, amount, reason = rec.case, rec.percent, rec.amount, rec.reason
    if fixed_amount is not None:
        case, amount = RefundCase.A, min(fixed_amount, refundable)
        reason = FIXED_AMOUNT_REASONS.get(source, "price_difference")
        percent = amount * 100 // refundable
    payment = db.session.scalar(select(Payment).where(
        Payment.reservation_id == reservation.id, Payment.status == PaymentStatus.COMPLETED
    ).order_by(Payment.id.desc()))
    refund = Refund(
        public_id=public_id("rfd"), reservation_id=reservation.id, payment_id=payment.id if payment else None,
        amount=amount, currency=reservation.currency, status=RefundStatus.REQUESTED,
        policy_case=case, policy_percent=percent, policy_amount=amount, policy_reason=reason,
        apology_coupon=rec.apology_coupon, source=source, requested_reason=requested_reason,
    )
    db.session.add(refund)
    db.session.flush()
    audit.record("refund.requested", entity_type="refund", entity_id=refund.public_id,
                 reservation_id=reservation.id, actor=actor, to_state=RefundStatus.REQUESTED,
                 reason=requested_reason, data={"amount": amount, "case": case, "percent": percent,
                                                "policy_reason": reason, "source": source})
    queue_notification("refund_requested", reservation=reservation, key=refund.public_id,
                       context={"refund": refund.public_id})
    return refund
