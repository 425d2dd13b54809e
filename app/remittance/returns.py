"""A payout that came back: the bank returned money we had sent (an account closed after
the transfer, …). Called by the bank-statement import (many lines in one transaction)
and by the back office's "mark returned" (app.remittance.decisions.mark_returned).

What a return does, in the caller's transaction (no commit here):

- the payout COMPLETED → RETURNED (returned_at, return_reference), with its audit event;
- the operating fund gets the money back (fund.credit_return, once per payout);
- the ledger gets the return row, undoing the payout's row (record_payout_return);
- a refund paid by it is reopened: COMPLETED → AWAITING_ACCOUNT, and what its payment
  counts as refunded goes down again; its booking goes back from `refunded` to
  `canceled` (an audited transition) when less than was paid is now given back;
- the guest is asked for another account through the refund's signed link
  (`refund_account_needed`, once per return). Nothing is ever sent to the same
  account again by itself: the new account makes a NEW payout (create_refund_payout,
  `replaces_id`), whose completion completes the refund and the booking again.

A second call for a payout already returned changes nothing. A payout that is not
completed (still transferring, failed, …) cannot have come back as far as we know:
that is recorded (audit event, log line, the facts on the error) and refused with
PayoutNotCompleted, so the caller makes it a decision for a person.
"""
from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from app.booking.models import Reservation
from app.booking.states import ReservationStatus
from app.booking.states import next_state as booking_next_state
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import lock_by_id
from app.core.errors import DomainError
from app.extensions import db
from app.ledger.services import paid_amount, record_payout_return, refunded_amount
from app.notifications.services import queue_notification
from app.payments.models import Payment
from app.refunds.models import Refund
from app.refunds.states import RefundStatus
from app.remittance import fund as fund_service
from app.remittance import tokens
from app.remittance.models import Payout
from app.remittance.services import lock_payout, move_refund, transition
from app.remittance.states import PayoutStatus

log = logging.getLogger(__name__)
S = PayoutStatus


class PayoutNotCompleted(DomainError):
    """A return for a payout we do not know as completed. `extra` holds the facts."""

    code = "payout_not_completed"
    status = 409
    default_message = _l("This payout was not completed, so it cannot have come back: a person must look at it.")


def apply_payout_return(payout_id: int, *, reference: str, actor: Actor, reason: str,
                        statement_line_id: int | None = None) -> Payout:
    """The money of a completed payout came back (see the module doc). No commit.

    Returns the payout; one already returned (or returned and replaced since) is
    returned unchanged. Raises PayoutNotCompleted for a payout in any other status.
    """
    reference = (reference or "").strip()[:100]
    payout = lock_payout(payout_id)
    if payout.returned_at is not None:
        log.info("payout %s was already returned (%s); nothing to do", payout.public_id, payout.return_reference)
        return payout
    if payout.status != S.COMPLETED:
        facts = {"payout": payout.public_id, "status": payout.status, "amount": payout.amount,
                 "currency": payout.currency, "reference": reference, "statement_line_id": statement_line_id}
        audit.record("payout.return_not_completed", entity_type="payout", entity_id=payout.public_id,
                     reservation_id=payout.reservation_id, actor=actor, reason=reason, data=facts)
        log.warning("[WARNING] a return (%s) for payout %s, which is %s: a person must decide", reference,
                    payout.public_id, payout.status, extra={"alert": "WARNING", "payout": payout.public_id})
        raise PayoutNotCompleted(fields={"payout": f"The payout is {payout.status}, not completed."}, **facts)
    payout.returned_at, payout.return_reference = clock.now(), reference
    transition(payout, S.RETURNED, actor=actor, reason=reason,
               data={"reference": reference, "statement_line_id": statement_line_id})
    fund_service.credit_return(payout, actor=actor, reference=reference)
    record_payout_return(payout, actor=actor, statement_line_id=statement_line_id, reference=reference)
    if payout.refund_id is not None:
        _reopen_refund(payout, actor=actor, reason=reason)
    log.warning("[WARNING] payout %s came back (%s)", payout.public_id, reference,
                extra={"alert": "WARNING", "payout": payout.public_id})
    return payout


def _reopen_refund(payout: Payout, *, actor: Actor, reason: str) -> None:
    """The refund the payout paid is owed again: reopened, its booking canceled again, and
    the guest asked for another account. No commit."""
    if not move_refund(payout, RefundStatus.AWAITING_ACCOUNT, actor=actor,
                       reason=f"payout {payout.public_id} came back: {reason}"):
        return
    refund = db.session.get(Refund, payout.refund_id)
    refund.completed_at = None
    if refund.payment_id is not None:  # the payment's counter follows (guarded: never below zero)
        db.session.execute(update(Payment).where(
            Payment.id == refund.payment_id, Payment.refunded_amount >= refund.amount
        ).values(refunded_amount=Payment.refunded_amount - refund.amount))
    reservation = lock_by_id(Reservation, refund.reservation_id)
    if reservation.status == ReservationStatus.REFUNDED \
            and refunded_amount(reservation.id) < paid_amount(reservation.id):
        old = reservation.status
        reservation.status = booking_next_state(old, ReservationStatus.CANCELED)
        reservation.updated_at = clock.now()
        audit.record("reservation.status", entity_type="reservation", entity_id=reservation.public_id,
                     reservation_id=reservation.id, actor=actor, from_state=old, to_state=reservation.status,
                     reason=f"refund payout {payout.public_id} came back",
                     data={"payout": payout.public_id, "reference": payout.return_reference})
    link = tokens.account_link(tokens.REFUND, refund.public_id, reservation.language)
    queue_notification("refund_account_needed", reservation=reservation, key=f"{payout.public_id}:returned",
                       context={"link": link})
