"""A reversal on the statement undoes what the line it reverses did.

A reversed credit (money out, MT940 `RC`, CAMT DBIT with RvslInd) takes a deposit back:

* the deposit's payments become `reversed`, each with a ledger row undoing its deposit row;
* a booking it had paid goes back to awaiting payment (`paid → pending`) while its hold
  still runs (the hold ends when it would have ended had it never been paid);
* when that hold has ended, the line waits for a person: a 🛑 decision to collect the
  money again (a new hold, the guest is told the amount is missing) or to cancel;
* a deposit nobody had decided yet is simply closed as reversed; one set aside as
  "not ours" gets a ledger row undoing that one.

A reversed debit (money in that undoes money out) that is not one of our payouts coming
back (app.deposits.outgoing) undoes a bank fee (a positive `bank_fee` row) or is shown.

The reversal is linked to the line it undoes (`reverses_line_id`): the one whose bank
reference its memo names, else the latest line of the same account and amount that is
not reversed yet. Nothing here commits except `decide_reversal`, a person's decision.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from app.booking.models import Reservation
from app.booking.policies import hold_duration
from app.booking.states import ReservationStatus
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import lock_by_id, run_in_transaction
from app.deposits import directions
from app.deposits.models import LineKind, LineStatus, StatementLine
from app.extensions import db
from app.ledger.services import paid_amount, record_bank_fee, record_deposit_reversal, record_unrelated
from app.notifications.services import queue_notification
from app.payments.models import Payment
from app.payments.states import PaymentStatus, next_state

log = logging.getLogger(__name__)

AUTO_ACTOR = Actor.system("statement-import")
#: How far back a reversal may reach for the line it undoes.
LOOKBACK_DAYS = 90
#: The problem of a reversal that un-paid a booking whose hold has ended.
HOLD_ENDED = "reversal_hold_ended"
#: choice → needs a written reason.
REVERSAL_CHOICES = {"collect_again": False, "cancel_booking": True}


def find_original(line: StatementLine) -> StatementLine | None:
    """The line `line` reverses (see the module doc), or None. Only reads (one query)."""
    if line.amount < 0:
        kinds = (LineKind.DEPOSIT,)
    else:
        kinds = (LineKind.FEE, LineKind.OTHER, LineKind.PAYOUT)
    undone = aliased(StatementLine)
    candidates = list(db.session.scalars(
        select(StatementLine).where(
            StatementLine.account == line.account, StatementLine.amount == -line.amount,
            StatementLine.kind.in_(kinds), StatementLine.pending.is_(False), StatementLine.id != line.id,
            StatementLine.booked_on <= line.booked_on,
            StatementLine.booked_on >= line.booked_on - timedelta(days=LOOKBACK_DAYS),
            ~exists().where(undone.reverses_line_id == StatementLine.id))
        .order_by(StatementLine.id.desc()).limit(50)))
    if not candidates:
        return None
    text = f"{line.memo} {line.our_ref or ''} {line.depositor}"
    for c in candidates:
        tail = directions.bank_ref_tail(c.bank_ref)
        if (tail and tail in text) or (c.our_ref and line.our_ref and c.our_ref == line.our_ref):
            return c
    return candidates[0]


def hold_end(reservation: Reservation) -> datetime:
    """When the booking's hold ends (or ended): made + the hold of its payment method."""
    return reservation.created_at + hold_duration(reservation.payment_method, current_app.config)


def _to_pending(reservation: Reservation, until: datetime, *, actor: Actor, reason: str) -> None:
    """paid → pending, waiting for its money until `until`. No commit."""
    from app.booking.services import _apply_transition

    _apply_transition(reservation, ReservationStatus.PENDING, actor=actor, reason=reason,
                      data={"hold_expires_at": until.isoformat()})
    reservation.hold_expires_at, reservation.paid_at = until, None


def apply_reversal(line: StatementLine, original: StatementLine | None, *, actor: Actor = AUTO_ACTOR,
                   unpaid=None, touched: set[int] | None = None) -> None:
    """Undo `original` for the reversal `line` (see the module doc). No commit.

    `unpaid(reservation, line)` is called for each booking this moved back to pending (the
    import tells its guest at the end); `touched` collects the bookings whose money changed.
    """
    line.kind, line.status, line.problem = LineKind.REVERSAL, LineStatus.OUTGOING, None
    line.updated_at = clock.now()
    if original is None:
        line.outcome = "reversal_unmatched"
        log.warning("[WARNING] a reversal of %s on %s names no line we know", line.amount, line.booked_on,
                    extra={"alert": "WARNING", "statement_line": line.public_id})
        return
    line.reverses_line_id, line.outcome = original.id, "reversal"
    original = lock_by_id(StatementLine, original.id)
    if line.amount > 0:  # money out undone by the bank
        if original.kind == LineKind.FEE:
            record_bank_fee(line, payout=original.payout, actor=actor)
        elif original.outcome == "not_ours":
            record_unrelated(line, actor=actor, undoes_line=original)
        return
    was = original.outcome
    audit.record("deposit.reversed", entity_type="statement_line", entity_id=original.public_id, actor=actor,
                 reservation_id=original.reservation_id, from_state=original.status,
                 data={"reversal": line.public_id, "amount": line.amount, "outcome_before": was})
    if original.status == LineStatus.NEEDS_DECISION:  # it paid nothing: nothing else to undo
        original.status, original.outcome = LineStatus.DONE, "reversed"
        original.decided_by, original.decided_at = actor.name[:200], clock.now()
        return
    original.outcome = "reversed"
    if was == "not_ours":
        record_unrelated(line, actor=actor, undoes_line=original)
        return
    payments = list(db.session.scalars(select(Payment).where(Payment.id.in_(original.payment_ids or []))
                                       .order_by(Payment.id).with_for_update()
                                       .execution_options(populate_existing=True)))
    for payment in payments:
        if payment.status != PaymentStatus.COMPLETED:
            continue
        payment.status = next_state(payment.status, PaymentStatus.REVERSED)
        payment.updated_at = clock.now()
        record_deposit_reversal(payment, line=line, actor=actor)
        audit.record("payment.reversed", entity_type="payment", entity_id=payment.public_id,
                     reservation_id=payment.reservation_id, actor=actor, from_state=PaymentStatus.COMPLETED,
                     to_state=PaymentStatus.REVERSED, data={"amount": payment.amount, "reversal": line.public_id})
    waiting: list[int] = []
    for rid in sorted({p.reservation_id for p in payments}):
        r = lock_by_id(Reservation, rid)
        if touched is not None:
            touched.add(r.id)
        if r.status != ReservationStatus.PAID or paid_amount(r.id) >= r.total_amount:
            if r.status not in (ReservationStatus.PAID, ReservationStatus.PENDING):
                log.warning("[WARNING] a reversed deposit had paid booking %s, which is now %s", r.code, r.status,
                            extra={"alert": "WARNING", "reservation": r.public_id})
            continue
        until = hold_end(r)
        if clock.now() < until:
            _to_pending(r, until, actor=actor, reason="The bank took the deposit back")
            if unpaid is not None:
                unpaid(r, line)
        else:
            waiting.append(r.id)
    if waiting:
        line.status, line.problem, line.outcome = LineStatus.NEEDS_DECISION, HOLD_ENDED, None
        line.reservation_id, line.proposals = waiting[0], waiting


def tell_guest_money_missing(reservation: Reservation, key: str) -> None:
    """The "amount differs" notice: the booking waits for what is still missing. No commit."""
    paid = paid_amount(reservation.id)
    queue_notification("deposit_amount_mismatch", reservation=reservation, key=key,
                       context={"expected": reservation.total_amount, "received": paid,
                                "difference": paid - reservation.total_amount, "currency": reservation.currency})


# --- the 🛑 decision: the hold has ended (commits) ----------------------------------------------------

def decide_reversal(line_public_id: str, choice: str, *, actor: Actor, reason: str | None = None) -> StatementLine:
    """A person's decision on a reversal that un-paid bookings whose hold has ended. Commits.

    "collect_again": each booking waits for its money again with a new hold (as long as a
    new bank-transfer booking's) and its guest gets the "amount differs" notice.
    "cancel_booking" (a reason is required): each booking is canceled, its nights freed and
    its guest told; money it still holds from other payments goes to a refund request.
    IllegalTransition when someone decided meanwhile; a booking someone else moved on is
    left as it is.
    """
    from app.booking.services import _apply_transition
    from app.payments.services import cancel_pending_payments
    from app.refunds.services import request_refund

    from app.deposits.services import line_for_decision, lock_line_waiting_for

    line_id, reason = line_for_decision(line_public_id, choice, REVERSAL_CHOICES, reason)

    def work() -> StatementLine:
        line = lock_line_waiting_for(line_id, HOLD_ENDED)
        now = clock.now()
        for rid in sorted(line.proposals or [line.reservation_id]):
            r = lock_by_id(Reservation, rid)
            if r.status != ReservationStatus.PAID:
                continue
            if choice == "collect_again":
                until = now + hold_duration(r.payment_method, current_app.config)
                _to_pending(r, until, actor=actor, reason=reason or "The bank took the deposit back; collect again")
                tell_guest_money_missing(r, f"{line.public_id}:{r.public_id}")
            else:
                _apply_transition(r, ReservationStatus.CANCELED, actor=actor, reason=reason)
                cancel_pending_payments(r, actor=actor)
                db.session.flush()
                request_refund(r, source="customer", requested_reason=reason, actor=actor)
                queue_notification("booking_canceled", reservation=r, key=r.public_id)
        line.status, line.problem = LineStatus.DONE, None
        line.outcome = "collect_again" if choice == "collect_again" else "canceled"
        line.decided_by, line.decided_at, line.decision_note = actor.name[:200], now, reason
        audit.record("deposit.reversal_" + choice, entity_type="statement_line", entity_id=line.public_id,
                     actor=actor, reservation_id=line.reservation_id, reason=reason, to_state=LineStatus.DONE,
                     data={"amount": line.amount, "bookings": line.proposals})
        return line

    return run_in_transaction(work)
