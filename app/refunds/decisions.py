"""Refund decisions (approve, refuse, open from a reservation) and their execution.

Every decision locks the reservation row first, then the refund, and re-checks
the refund's status: two operators deciding at once, a double click or a
retried POST give one effect. The sum of refunds of a reservation is checked
against what was paid under that lock. A card refund is sent to the gateway by
a job on the `high` queue (no network call inside a transaction), with an
idempotency key derived from our refund's id, so a job run twice refunds once;
when the gateway does not answer, app.refunds.card asks it on a schedule.
A bank-transfer refund becomes a payout once the customer's account is known.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from sqlalchemy import select

from app.approvals import guard
from app.booking.models import Reservation
from app.booking.states import ReservationStatus
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import lock_by_id, run_in_transaction
from app.core.errors import Forbidden, IllegalTransition, NotFound, ValidationFailed
from app.core.ids import CODE_ALPHABET
from app.core.jobs import enqueue_after_commit, job_id_for
from app.core.money import format_money
from app.extensions import db
from app.ledger.services import record_coupon
from app.notifications import guest_text as guest_text_table
from app.notifications.services import queue_notification
from app.payments.models import Payment
from app.refunds import labels
from app.refunds.models import Coupon, CouponKind, Refund
from app.refunds.policies import (
    APOLOGY_COUPON_DAYS,
    RefundCase,
    apology_coupon_amount,
    needs_manager,
    next_check_at,
)
from app.refunds.services import in_flight_amount, refundable_amount, request_refund
from app.refunds.states import RefundStatus, next_state

log = logging.getLogger(__name__)

CARD_JOB = "workers.jobs.refunds.run_card_refund"
SYSTEM = Actor.system("refunds")
R = RefundStatus


class AlreadyDecided(IllegalTransition):
    """The refund is no longer waiting (someone else decided, or the same POST came twice)."""


# --- small helpers ---------------------------------------------------------------------------


def lock_reservation(reservation_id: int) -> Reservation:
    return lock_by_id(Reservation, reservation_id)


def lock_refund(refund_id: int) -> Refund:
    return lock_by_id(Refund, refund_id)


def _move(refund: Refund, target: RefundStatus, *, actor: Actor, reason: str | None = None,
          data: dict | None = None) -> None:
    """Move a locked refund along its table, with its audit event. No commit."""
    old = refund.status
    refund.status = next_state(old, target)
    if refund.status == R.COMPLETED:
        refund.completed_at = clock.now()
    audit.record(f"refund.{target}", entity_type="refund", entity_id=refund.public_id,
                 reservation_id=refund.reservation_id, actor=actor, from_state=old, to_state=target,
                 reason=reason, data=data)


def payment_method(refund: Refund) -> str:
    """"card" or "bank_transfer": how the money came in is how it goes back."""
    if refund.payment is not None:
        return refund.payment.method
    return refund.reservation.payment_method


def new_coupon_code() -> str:
    return "FDC" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def in_language(language: str, fn):
    """Render text for a customer in their language (the message outlives this request)."""
    with force_locale(language if language in ("ko", "ja", "en") else "en"):
        return str(fn())


# --- what the decision page shows ---------------------------------------------------------------


@dataclass(frozen=True)
class RefundFacts:
    paid: int
    refunded: int                 # already paid back
    committed_other: int          # approved or under way for other refunds of the booking
    refundable: int               # what may still be refunded now
    days_before_check_in: int     # at the time of the request, in the hotel's time zone
    days_now: int                 # today, in the hotel's time zone
    stay_started: bool
    method: str


def facts_for(refund: Refund) -> RefundFacts:
    """The money facts from the ledger (paid, given back) and the refunds still under way."""
    from app.ledger.services import paid_amount, refunded_amount

    reservation = refund.reservation
    tz = ZoneInfo(reservation.hotel.timezone)
    paid, refunded = paid_amount(reservation.id), refunded_amount(reservation.id)
    committed = in_flight_amount(reservation.id, exclude_refund_id=refund.id)
    asked_on = refund.created_at.astimezone(tz).date()
    return RefundFacts(
        paid=paid, refunded=refunded, committed_other=committed,
        refundable=refundable_amount(reservation),
        days_before_check_in=(reservation.check_in - asked_on).days,
        days_now=(reservation.check_in - clock.local_today(reservation.hotel.timezone)).days,
        stay_started=reservation.status in (ReservationStatus.CHECKED_IN, ReservationStatus.CHECKED_OUT),
        method=payment_method(refund),
    )


# --- opening a refund from the reservation page -----------------------------------------------


def open_refund(reservation_id: int, *, our_fault: str | None, note: str, actor: Actor) -> Refund:
    """An operator opens a refund request (commits). A paid booking is canceled first,
    through the booking service's one transition table (its nights are freed once).

    Choosing "our fault" (case C: everything back plus a coupon) is a manager's decision,
    and at or above FOUR_EYES_ABOVE a second person's: otherwise guard.NeedsApproval is
    raised and nothing changes (the view turns it into an approval request)."""
    from app.booking.services import cancel_reservation

    our_fault = our_fault or None
    reservation = db.session.get(Reservation, reservation_id)
    if reservation is None:
        raise NotFound()
    if refundable_amount(reservation) <= 0:
        # e.g. a booking a coupon paid in full (₩0): nothing to give back, and nothing is canceled here
        raise ValidationFailed(fields={"reservation": "Nothing paid for this booking is left to refund."})
    if our_fault:
        guard.require("refund_our_fault", refundable_amount(reservation), actor=actor,
                      currency=reservation.currency, manager_decision=True)
    if reservation.status == ReservationStatus.PAID:
        outcome = cancel_reservation(reservation_id, actor=actor, reason=note, source="operator", our_fault=our_fault)
        if outcome.refund is not None:
            return outcome.refund

    def work() -> Refund:
        locked = lock_reservation(reservation_id)
        waiting = db.session.scalar(select(Refund).where(Refund.reservation_id == locked.id,
                                                         Refund.status == R.REQUESTED))
        if waiting is not None:
            raise AlreadyDecided(fields={"refund": "A refund request of this booking is already waiting."},
                                 refund=waiting.public_id)
        if locked.status == ReservationStatus.PENDING or refundable_amount(locked) <= 0:
            raise ValidationFailed(fields={"reservation": "Nothing paid for this booking is left to refund."})
        refund = request_refund(locked, source="operator", requested_reason=note, our_fault=our_fault, actor=actor)
        if refund is None:
            raise ValidationFailed(fields={"reservation": "Nothing paid for this booking is left to refund."})
        return refund

    return run_in_transaction(work)


# --- approving ------------------------------------------------------------------------------------


def _lock(refund_id: int) -> tuple[Reservation, Refund]:
    """The refund's booking, then the refund, locked in that order (as everywhere)."""
    refund = db.session.get(Refund, refund_id)
    if refund is None:
        raise NotFound()
    return lock_reservation(refund.reservation_id), lock_refund(refund_id)


def _lock_waiting(refund_id: int) -> tuple[Reservation, Refund]:
    """Locked as `_lock`, and still waiting for a decision."""
    reservation, refund = _lock(refund_id)
    if refund.status != R.REQUESTED:
        raise AlreadyDecided(fields={"refund": f"This refund is already {refund.status}."})
    return reservation, refund


def approve_refund(refund_id: int, *, actor: Actor, may_override: bool, amount: int | None = None,
                   reason: str | None = None, account=None) -> Refund:
    """Approve a waiting refund (commits): the policy's amount, or — a manager, with a
    written reason — another one. Then it is paid back: card → the gateway (a job),
    bank transfer → a payout to `account`, or the customer is asked for one.

    Four eyes: at or above FOUR_EYES_ABOVE, or another amount than the policy's chosen by
    staff, guard.NeedsApproval is raised and nothing changes (app.approvals)."""
    reason = (reason or "").strip() or None

    def work() -> Refund:
        reservation, refund = _lock_waiting(refund_id)
        chosen = refund.policy_amount if amount is None else amount
        other_amount = needs_manager(refund.policy_amount, chosen)
        if other_amount and not reason:
            raise ValidationFailed(fields={"reason": "Write why another amount is refunded."})
        if isinstance(chosen, bool) or not isinstance(chosen, int) or chosen <= 0:
            raise ValidationFailed(fields={"amount": "The amount must be above zero (to give nothing, refuse)."})
        left = refundable_amount(reservation)
        if chosen > left:
            raise ValidationFailed(fields={"amount": f"Only {left} is left to refund for this booking."}, left=left,
                                   currency=refund.currency)
        guard.require("refund_approval", chosen, actor=actor, currency=refund.currency, manager_decision=other_amount)
        if other_amount and not may_override:
            raise Forbidden(fields={"amount": "Another amount than the policy's needs a manager."})
        refund.amount = chosen
        refund.decided_by_id, refund.decided_at = actor.id if actor.is_operator else None, clock.now()
        refund.decision_reason = reason
        _move(refund, R.APPROVED, actor=actor, reason=reason,
              data={"amount": chosen, "policy_amount": refund.policy_amount, "case": refund.policy_case})
        coupon = give_apology_coupon(refund, actor=actor) if refund.apology_coupon else None
        method = payment_method(refund)
        _execute(refund, actor=actor, account=account)
        context = {"amount": chosen, "currency": refund.currency, "method": method}
        if coupon is not None:
            context["coupon"] = {"code": coupon.code, "amount": coupon.value, "currency": coupon.currency,
                                 "expires": coupon.expires_at.date().isoformat()}
        queue_notification("refund_approved", reservation=reservation, key=f"{refund.public_id}:approved",
                           context=context)
        return refund

    return run_in_transaction(work)


def give_apology_coupon(refund: Refund, *, actor: Actor) -> Coupon:
    """Case C's apology coupon (one per refund). No commit."""
    existing = db.session.scalar(select(Coupon).where(Coupon.refund_id == refund.id))
    if existing is not None:
        return existing
    reservation = refund.reservation
    coupon = Coupon(code=new_coupon_code(), kind=CouponKind.AMOUNT, value=apology_coupon_amount(refund.amount),
                    currency=refund.currency, expires_at=clock.now() + timedelta(days=APOLOGY_COUPON_DAYS),
                    guest_email=reservation.guest_email.lower(), refund_id=refund.id,
                    reason=f"apology: {refund.policy_reason}",
                    created_by_id=actor.id if actor.is_operator else None)
    db.session.add(coupon)
    db.session.flush()
    record_coupon(coupon, reservation_id=reservation.id, refund_id=refund.id, actor=actor)
    audit.record("coupon.given", entity_type="coupon", entity_id=coupon.code, reservation_id=reservation.id,
                 actor=actor, reason=coupon.reason,
                 data={"kind": coupon.kind, "value": coupon.value, "currency": coupon.currency,
                       "refund": refund.public_id, "expires_at": coupon.expires_at.isoformat()})
    return coupon


def _execute(refund: Refund, *, actor: Actor, account=None) -> None:
    """An approved refund starts on its way back. No commit."""
    method = payment_method(refund)
    if method == "card" and refund.payment is not None and refund.payment.gateway_charge_id:
        _move(refund, R.PROCESSING, actor=actor)
        # The first check time is written now, so a send job that never runs is caught by the
        # safety net (app.refunds.card); the send job moves it after the gateway's answer.
        refund.checks, refund.next_check_at = 0, next_check_at(0, clock.now())
        ring_card_refund(refund)
        return
    from app.remittance.services import ask_for_refund_account, create_refund_payout

    if account is not None:
        create_refund_payout(refund, account, actor=actor)
    else:
        ask_for_refund_account(refund, actor=actor)


def ring_card_refund(refund: Refund) -> None:
    enqueue_after_commit(CARD_JOB, refund.id, job_id=job_id_for("refunds", "card", refund.id), queue="high")


# --- refusing -------------------------------------------------------------------------------------


def refusal_guest_text(refund: Refund, choice: str | None, written: str | None = None) -> str:
    """What the guest reads about a refusal, in their language ("" for no reason at all).
    The internal note is never part of it (DESIGN invariant 13)."""
    language = refund.reservation.language
    if choice == "policy" and refund.policy_case == RefundCase.B:
        return in_language(language, lambda: str(labels.policy_reason(refund.policy_reason)))
    return guest_text_table.guest_text("refund_refused", choice, written, language)


def refusal_context(refund: Refund, choice: str | None, written: str | None = None) -> dict:
    """The refusal message's context: the same for the confirm page's preview and the outbox."""
    return {"guest_text": refusal_guest_text(refund, choice, written)}


def refuse_refund(refund_id: int, *, actor: Actor, may_override: bool, reason: str | None = None,
                  guest_choice: str | None = None, guest_written: str | None = None) -> Refund:
    """Refuse a waiting refund (commits) and send the prepared 'refund not possible' message.
    Refusing a case A or C goes against the policy: a manager, with a written reason.

    `reason` is the internal note (history only). What the guest reads is `guest_choice` (a
    ready sentence of app.notifications.guest_text, "custom" with `guest_written`, or none)."""
    reason = (reason or "").strip() or None

    def work() -> Refund:
        reservation, refund = _lock_waiting(refund_id)
        if needs_manager(refund.policy_amount, 0):
            if not may_override:
                raise Forbidden(fields={"refund": "Refusing against the policy needs a manager."})
            if not reason:
                raise ValidationFailed(fields={"reason": "Write why the refund is refused."})
        refund.decided_by_id, refund.decided_at = actor.id if actor.is_operator else None, clock.now()
        refund.decision_reason = reason
        asked, refund.amount = refund.amount, 0
        context = refusal_context(refund, guest_choice, guest_written)
        _move(refund, R.REFUSED, actor=actor, reason=reason or refund.policy_reason,
              data={"asked": asked, "case": refund.policy_case, "guest_text": context["guest_text"]})
        queue_notification("refund_refused", reservation=reservation, key=f"{refund.public_id}:refused",
                           context=context)
        return refund

    return run_in_transaction(work)


# --- after the decision: accounts, retries, completion -----------------------------------------


def enter_account(refund_id: int, account, *, actor: Actor, reason: str | None = None):
    """An operator types the account the customer gave by phone (commits): a payout pays it.
    At or above FOUR_EYES_ABOVE a second person approves first (guard.NeedsApproval, nothing
    changes)."""
    from app.remittance.services import create_refund_payout

    def work():
        _reservation, refund = _lock(refund_id)
        if refund.status not in (R.APPROVED, R.AWAITING_ACCOUNT):
            raise AlreadyDecided(fields={"refund": f"This refund is {refund.status}: no account is needed."})
        guard.require("refund_account", refund.amount, actor=actor, currency=refund.currency)
        payout = create_refund_payout(refund, account, actor=actor)
        audit.record("refund.account_entered", entity_type="refund", entity_id=refund.public_id,
                     reservation_id=refund.reservation_id, actor=actor, reason=reason,
                     data={"account": account.masked, "bank": account.bank_code, "payout": payout.public_id})
        return payout

    return run_in_transaction(work)


def send_again(refund_id: int, *, actor: Actor, reason: str | None = None) -> Refund:
    """A card refund stuck or failed: ask the gateway again (commits). The gateway key is
    the same, so a refund that went through is never made twice."""
    def work() -> Refund:
        _reservation, refund = _lock(refund_id)
        if refund.status == R.FAILED:
            _move(refund, R.APPROVED, actor=actor, reason=reason)
            refund.failure_message = None
            _execute(refund, actor=actor)
        elif refund.status == R.PROCESSING:
            audit.record("refund.sent_again", entity_type="refund", entity_id=refund.public_id,
                         reservation_id=refund.reservation_id, actor=actor, reason=reason)
            ring_card_refund(refund)
        else:
            raise AlreadyDecided(fields={"refund": f"This refund is {refund.status}."})
        return refund

    return run_in_transaction(work)


def gateway_key(refund: Refund) -> str:
    """The gateway's idempotency key (app.refunds.card)."""
    from app.refunds.card import gateway_key as key

    return key(refund)


def run_card_refund(refund_id: int) -> str:
    """The send job of a card refund (app.refunds.card.run_card_refund)."""
    from app.refunds.card import run_card_refund as run

    return run(refund_id)


def count_refunded(refund: Refund) -> None:
    """The payment's refunded_amount grows by the refund (guarded: never above the payment)."""
    from sqlalchemy import update

    if refund.payment_id is None:
        return
    changed = db.session.execute(update(Payment).where(
        Payment.id == refund.payment_id, Payment.refunded_amount + refund.amount <= Payment.amount
    ).values(refunded_amount=Payment.refunded_amount + refund.amount)).rowcount
    if changed != 1:
        log.error("refund %s is larger than what is left of its payment", refund.public_id)


def on_refund_completed(refund: Refund, *, actor: Actor, payout=None) -> None:
    """A refund's money has left us (its ledger row is written): the guest is told once per
    movement (`refund_sent`), and a canceled booking becomes refunded when everything paid
    went back (ledger: refunded >= paid); after a partial refund it stays canceled, with
    the rest still refundable. No commit; safe twice (the message is keyed, the booking
    moves once)."""
    from app.booking.services import mark_refunded
    from app.ledger.services import paid_amount, refunded_amount

    reservation = refund.reservation
    if refunded_amount(reservation.id) >= paid_amount(reservation.id):
        mark_refunded(reservation.id, actor=actor, reason=f"refund {refund.public_id}")
    context = {"amount": refund.amount, "currency": refund.currency,
               "method": "bank_transfer" if payout is not None else "card"}
    if payout is not None:
        context["account"] = payout.account.label(reservation.language if reservation.language == "ko" else "en")
    elif refund.payment is not None and refund.payment.card_last4:
        context["card_last4"] = refund.payment.card_last4
    key = refund.public_id if payout is None else f"{refund.public_id}:{payout.public_id}"
    queue_notification("refund_sent", reservation=reservation, key=key, context=context)


def money_text(amount: int, currency: str, locale: str) -> str:
    return format_money(amount, currency, locale)


def local_date(value: datetime, tz: str):
    return value.astimezone(ZoneInfo(tz)).date()
