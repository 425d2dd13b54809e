"""Payout use cases: create a payout, run one attempt at the bank, sweep what is due.

An attempt is three short transactions around one network call (invariant 2):

1. claim    — lock the payout, re-check its state and attempt number; → PROCESSING;
2. open     — lock the fund; the breaker lets it through (debit) or holds it
              (→ HELD_BY_BREAKER); write the attempt row (`sending`); → TRANSFERRING;
3. apply    — after the bank's answer, lock the payout again and record it:
              COMPLETED, TRANSFER_FAILED (+ the retry time, or ABANDONED), or
              WAITING_FOR_ACCOUNT; a timeout leaves the attempt `unknown`.

No transaction is open during the bank call. The bank is idempotent by our
transfer id (one per payout), and an attempt job that finds an attempt still
`sending` or `unknown` asks the bank (status inquiry) before anything else, so
a job run twice, or re-run after its worker was killed, never moves money twice.

The database holds the state, the attempts and the next-attempt time; RQ is only
the doorbell: a retry is rung for its exact next-attempt time (RQ's enqueue_at,
app.remittance.doorbell), and app.remittance.sweep (every minute) rings whatever
is due and was not rung, so a lost or late ring delays a retry by a minute at most.
The operator's and customer's decisions are in app.remittance.decisions, the
operating fund in app.remittance.fund.
"""
from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from app.core import audit, clock
from app.core.actor import Actor, current_actor
from app.core.context import current_request_id, job_id_var
from app.core.db import end_transaction, lock_by_id, run_in_transaction
from app.core.errors import IllegalTransition, ValidationFailed
from app.core.ids import public_id
from app.core.jobs import enqueue_after_commit, job_id_for
from app.extensions import db
from app.ledger.services import record_payout
from app.notifications.services import queue_notification
from app.payments.models import Payment
from app.refunds.models import Refund
from app.refunds.states import RefundStatus
from app.refunds.states import next_state as refund_next_state
from app.remittance import fund as fund_service
from app.remittance import tokens
from app.remittance.bank import BankTimeout, BankUnavailable, TransferResult, get_bank
from app.remittance.doorbell import schedule_after_commit
from app.remittance.models import Payout, PayoutAttempt, PayoutPurpose
from app.remittance.policies import (
    ATTEMPT_JOB_TIMEOUT_SECONDS,
    DELAY_NOTICES,
    INQUIRY_DELAY,
    BankAccount,
    DelayNotice,
    decide_retry,
    expected_by,
    failure_type,
)
from app.remittance.states import OPEN, AttemptOutcome, PayoutStatus, next_state

log = logging.getLogger(__name__)

SYSTEM = Actor.system("remittance")
ATTEMPT_JOB = "workers.jobs.remittance.run_payout_attempt"
S, O = PayoutStatus, AttemptOutcome


# --- helpers shared with app.remittance.decisions --------------------------------------------


def attempt_job_id(payout_id: int, number: int) -> str:
    """`remittance-attempt-<payout>-<n>`: one RQ job id per attempt."""
    return job_id_for("remittance", "attempt", f"{payout_id}-{number}")


def ring_after_commit(payout: Payout) -> None:
    """Enqueue the payout's next attempt once the current transaction commits."""
    number = payout.attempt_count + 1
    enqueue_after_commit(ATTEMPT_JOB, payout.id, number, job_id=attempt_job_id(payout.id, number), queue="high",
                         job_timeout=ATTEMPT_JOB_TIMEOUT_SECONDS)


def ring_at_after_commit(payout: Payout) -> None:
    """Enqueue the payout's next attempt for its `next_attempt_at` once the transaction commits
    (same job id as ring_after_commit; the sweep stays the safety net)."""
    number = payout.attempt_count + 1
    schedule_after_commit(ATTEMPT_JOB, payout.id, number, job_id=attempt_job_id(payout.id, number), queue="high",
                          at=payout.next_attempt_at, job_timeout=ATTEMPT_JOB_TIMEOUT_SECONDS)


def lock_payout(payout_id: int) -> Payout:
    """Re-read a payout under a row lock (BEGIN IMMEDIATE covers SQLite)."""
    return lock_by_id(Payout, payout_id)


def transition(payout: Payout, target: str, *, actor: Actor, reason: str | None = None,
               data: dict | None = None) -> None:
    """Move a locked payout along the table, with its audit event. No commit."""
    old = payout.status
    payout.status = next_state(old, target)
    payout.status_changed_at = clock.now()
    audit.record(f"payout.{target}", entity_type="payout", entity_id=payout.public_id,
                 reservation_id=payout.reservation_id, actor=actor, from_state=old, to_state=target,
                 reason=reason, data=data)
    log.info("payout %s: %s → %s", payout.public_id, old, target,
             extra={"payout": payout.public_id, "from": old, "to": target, "reason": reason})


def move_refund(payout: Payout, target: RefundStatus, *, actor: Actor, reason: str | None = None) -> bool:
    """Move the payout's refund (if any) to `target` when its table allows it. No commit."""
    if payout.refund_id is None:
        return False
    refund = db.session.execute(select(Refund).where(Refund.id == payout.refund_id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one()
    if refund.status == target:
        return False
    try:
        new = refund_next_state(refund.status, target)
    except IllegalTransition:
        log.warning("refund %s stays %s (payout %s wanted %s)", refund.public_id, refund.status,
                    payout.public_id, target)
        return False
    old, refund.status = refund.status, new
    if new == RefundStatus.COMPLETED:
        refund.completed_at = clock.now()
    if new == RefundStatus.FAILED:
        refund.failure_message = reason
    audit.record(f"refund.{new}", entity_type="refund", entity_id=refund.public_id,
                 reservation_id=refund.reservation_id, actor=actor, from_state=old, to_state=new, reason=reason,
                 data={"payout": payout.public_id})
    return True


def new_transfer_id() -> str:
    return "FDT" + secrets.token_hex(10).upper()


# --- creating payouts (no commit: the caller's transaction records why) ---------------------


def _check_new(amount, currency: str, account) -> None:
    errors = {}
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        errors["amount"] = "A whole number of minor units above zero."
    if currency != current_app.config["FUND_CURRENCY"]:
        errors["currency"] = f"Payouts are sent in {current_app.config['FUND_CURRENCY']} only."
    if not isinstance(account, BankAccount):
        errors["account"] = "A BankAccount (see policies.parse_account)."
    if errors:
        raise ValidationFailed(fields=errors)


def create_payout(*, purpose: str, amount: int, currency: str, account: BankAccount, memo: str = "",
                  refund: Refund | None = None, replaces: Payout | None = None,
                  actor: Actor | None = None) -> Payout:
    """Record a payout (REQUESTED) and ring its first attempt after commit. No commit."""
    actor = actor or current_actor()
    _check_new(amount, currency, account)
    if purpose not in (PayoutPurpose.REFUND, PayoutPurpose.SETTLEMENT):
        raise ValidationFailed(fields={"purpose": "refund or settlement"})
    now = clock.now()
    payout = Payout(public_id=public_id("po"), purpose=purpose, amount=amount, currency=currency,
                    refund_id=refund.id if refund is not None else None,
                    reservation_id=refund.reservation_id if refund is not None else None,
                    bank_code=account.bank_code, account_number=account.number, account_holder=account.holder,
                    memo=memo[:200], transfer_id=new_transfer_id(), status=S.REQUESTED, status_changed_at=now,
                    requested_at=now, round_started_at=now, next_attempt_at=now, delay_notices=[],
                    replaces_id=replaces.id if replaces is not None else None, request_id=current_request_id())
    db.session.add(payout)
    db.session.flush()
    audit.record("payout.requested", entity_type="payout", entity_id=payout.public_id,
                 reservation_id=payout.reservation_id, actor=actor, to_state=S.REQUESTED,
                 data={"amount": amount, "currency": currency, "purpose": purpose, "account": account.masked,
                       "bank": account.bank_code, "transfer_id": payout.transfer_id})
    ring_after_commit(payout)
    return payout


def create_refund_payout(refund: Refund, account: BankAccount, *, actor: Actor | None = None,
                         reason: str | None = None) -> Payout:
    """Pay a bank-transfer refund back to `account`. No commit.

    The refund (approved, awaiting_account or awaiting_payout) becomes
    awaiting_payout; it becomes completed when the payout completes. A refund has
    at most one open payout: asking again while one is open is refused. After a
    payout of the refund came back, the new one replaces it (`replaces_id`) and the
    returned one is closed (CANCELED, `reason`).
    """
    actor = actor or current_actor()
    returned = returned_payout_for_refund(refund.id)
    if returned is not None:
        returned = lock_payout(returned.id)   # payout before refund, the order _apply locks in
    refund = db.session.execute(select(Refund).where(Refund.id == refund.id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one()
    allowed = (RefundStatus.APPROVED, RefundStatus.AWAITING_ACCOUNT, RefundStatus.AWAITING_PAYOUT)
    if refund.status not in allowed:
        raise IllegalTransition(fields={"refund": f"A {refund.status} refund is not paid out."})
    if open_payout_for_refund(refund.id) is not None:
        raise IllegalTransition(fields={"refund": "This refund already has a payout under way."})
    from app.refunds.services import MoneyNotHeld, money_held_for

    held = money_held_for(refund)
    if refund.amount > held:
        # The bank took the deposit back after the refund was decided: sending it would pay out money
        # we no longer hold. A person decides (the refund page shows the ledger).
        log.warning("refund %s: not paid out, only %s of %s is still held", refund.public_id, held, refund.amount,
                    extra={"refund": refund.public_id, "held": held})
        raise MoneyNotHeld(fields={"refund": MoneyNotHeld.default_message})
    payout = create_payout(purpose=PayoutPurpose.REFUND, amount=refund.amount, currency=refund.currency,
                           account=account, refund=refund, actor=actor, memo=f"refund {refund.public_id}",
                           replaces=returned)
    if returned is not None and returned.status == S.RETURNED:
        transition(returned, S.CANCELED, actor=actor, reason=reason or "A payout to another account replaces it.",
                   data={"replaced_by": payout.public_id, "new": account.label("en")})
    if refund.status != RefundStatus.AWAITING_PAYOUT:
        old, refund.status = refund.status, refund_next_state(refund.status, RefundStatus.AWAITING_PAYOUT)
        audit.record("refund.awaiting_payout", entity_type="refund", entity_id=refund.public_id,
                     reservation_id=refund.reservation_id, actor=actor, from_state=old, to_state=refund.status,
                     data={"payout": payout.public_id})
    return payout


def open_payout_for_refund(refund_id: int) -> Payout | None:
    return db.session.scalar(select(Payout).where(Payout.refund_id == refund_id,
                                                  Payout.status.in_([s.value for s in OPEN])))


def returned_payout_for_refund(refund_id: int) -> Payout | None:
    """The refund's payout that came back and is not replaced yet (RETURNED), if any."""
    return db.session.scalar(select(Payout).where(Payout.refund_id == refund_id, Payout.status == S.RETURNED)
                             .order_by(Payout.id.desc()))


def ask_for_refund_account(refund: Refund, *, actor: Actor | None = None) -> str:
    """Ask the customer for an account to refund to; returns the link. No commit; safe twice.

    An approved refund becomes awaiting_account; the customer gets
    `refund_account_needed` with a signed link to the bank-account form.
    """
    actor = actor or current_actor()
    link = tokens.account_link(tokens.REFUND, refund.public_id, refund.reservation.language)
    if refund.status == RefundStatus.APPROVED:
        old, refund.status = refund.status, refund_next_state(refund.status, RefundStatus.AWAITING_ACCOUNT)
        audit.record("refund.awaiting_account", entity_type="refund", entity_id=refund.public_id,
                     reservation_id=refund.reservation_id, actor=actor, from_state=old, to_state=refund.status)
    queue_notification("refund_account_needed", reservation=refund.reservation, key=f"{refund.public_id}:ask",
                       context={"link": link})
    return link


# --- one attempt -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    action: str                 # nothing | start | send | inquire | held
    note: str = ""
    transfer_id: str = ""
    number: int = 0
    amount: int = 0
    currency: str = ""
    bank_code: str = ""
    account_number: str = ""
    account_holder: str = ""
    outcome: str = ""           # of the attempt being inquired about


def _plan(action: str, payout: Payout, number: int, note: str = "", outcome: str = "") -> Plan:
    return Plan(action, note, payout.transfer_id, number, payout.amount, payout.currency, payout.bank_code,
                payout.account_number, payout.account_holder, outcome)


def current_attempt(payout: Payout) -> PayoutAttempt | None:
    if not payout.attempt_count:
        return None
    return db.session.scalar(select(PayoutAttempt).where(PayoutAttempt.payout_id == payout.id,
                                                         PayoutAttempt.number == payout.attempt_count)
                             .execution_options(populate_existing=True))


def _claim(payout_id: int, number: int) -> Plan:
    """Transaction 1: what this job should do, and REQUESTED/TRANSFER_FAILED/HELD → PROCESSING."""
    payout = lock_payout(payout_id)
    now = clock.now()
    if payout.status == S.TRANSFERRING:
        attempt = current_attempt(payout)
        if number != payout.attempt_count or attempt is None:
            return Plan("nothing", "another attempt is current")
        if attempt.outcome == O.UNKNOWN and payout.next_attempt_at and payout.next_attempt_at > now:
            return Plan("nothing", "the inquiry is not due yet")
        # An earlier run may have reached the bank: ask before anything else.
        return _plan("inquire", payout, number, outcome=attempt.outcome)
    if payout.status not in (S.REQUESTED, S.PROCESSING, S.TRANSFER_FAILED, S.HELD_BY_BREAKER):
        return Plan("nothing", f"payout is {payout.status}")
    if number != payout.attempt_count + 1:
        return Plan("nothing", "stale attempt number")
    if payout.status in (S.REQUESTED, S.TRANSFER_FAILED) and payout.next_attempt_at and payout.next_attempt_at > now:
        return Plan("nothing", "not due yet")
    if payout.status != S.PROCESSING:
        transition(payout, S.PROCESSING, actor=SYSTEM, data={"attempt": number})
    return Plan("start")


def _open_attempt(payout_id: int, number: int) -> Plan:
    """Transaction 2: the breaker gate and the fund debit, then the attempt row (`sending`)."""
    payout = lock_payout(payout_id)
    if payout.status != S.PROCESSING or payout.attempt_count != number - 1:
        return Plan("nothing", f"payout is {payout.status}")
    gate = fund_service.debit_for_payout(payout, number)
    if not gate.allowed:
        payout.held_reason, payout.next_attempt_at = gate.reason, None
        transition(payout, S.HELD_BY_BREAKER, actor=SYSTEM, reason=gate.reason)
        return Plan("held", gate.reason)
    now = clock.now()
    db.session.add(PayoutAttempt(payout_id=payout.id, number=number, amount=payout.amount,
                                 bank_code=payout.bank_code, account_masked=payout.masked_account,
                                 outcome=O.SENDING, started_at=now, sent_at=now, job_id=job_id_var.get(),
                                 request_id=current_request_id()))
    payout.attempt_count, payout.held_reason, payout.next_attempt_at = number, None, None
    transition(payout, S.TRANSFERRING, actor=SYSTEM, data={"attempt": number, "transfer_id": payout.transfer_id})
    return _plan("send", payout, number)


def run_payout_attempt(payout_id: int, number: int) -> str:
    """Attempt `number` of a payout (the job `remittance-attempt-<payout>-<n>`).

    Changes the payout, its attempt, the fund and the refund as the module doc
    says, and returns what happened. Safe to run twice, and safe to re-run after
    the worker died at any point: the database is read first, and an attempt
    that may have reached the bank is asked about (by transfer id) before any send.
    """
    plan = run_in_transaction(lambda: _claim(payout_id, number))
    if plan.action == "start":
        plan = run_in_transaction(lambda: _open_attempt(payout_id, number))
    if plan.action == "inquire":
        return _inquire(payout_id, plan)
    if plan.action == "send":
        return _send(payout_id, plan)
    if plan.note:
        log.info("payout attempt %s-%s: %s (%s)", payout_id, number, plan.action, plan.note)
    return plan.action


def _send(payout_id: int, plan: Plan) -> str:
    end_transaction()  # no transaction is held across the bank call
    started = time.perf_counter()
    try:
        result = get_bank().send_transfer(
            transfer_id=plan.transfer_id, request_no=plan.number, amount=plan.amount, currency=plan.currency,
            bank_code=plan.bank_code, account_number=plan.account_number, account_holder=plan.account_holder)
    except BankUnavailable as exc:
        result = TransferResult("failed", plan.transfer_id, plan.number, failure_type="BANK_ERROR", message=str(exc))
    except BankTimeout:
        log.warning("bank timeout; will ask before doing anything else", extra={"transfer_id": plan.transfer_id})
        result = None
    except Exception:  # a dropped connection mid-request: the outcome is unknown, like a timeout
        log.exception("bank call failed; will ask before doing anything else",
                      extra={"transfer_id": plan.transfer_id})
        result = None
    latency_ms = int((time.perf_counter() - started) * 1000)
    return run_in_transaction(lambda: _apply(payout_id, plan.number, result, resolved_by="answer",
                                             latency_ms=latency_ms))


def _inquire(payout_id: int, plan: Plan) -> str:
    """Ask the bank about our transfer id; then apply, resend (never received) or call it a timeout."""
    end_transaction()
    try:
        status = get_bank().inquire(plan.transfer_id)
    except Exception:  # the bank cannot be asked now: ask again later, send nothing
        log.warning("status inquiry failed; will ask again", exc_info=True, extra={"transfer_id": plan.transfer_id})
        run_in_transaction(lambda: _postpone_inquiry(payout_id, plan.number))
        return "inquiry_failed"
    if status is not None and (status.completed or status.request_no == plan.number):
        return run_in_transaction(lambda: _apply(payout_id, plan.number, status, resolved_by="inquiry"))
    if plan.outcome == O.SENDING:
        # Our request never reached the bank (the worker died before or while sending).
        # Sending now is safe: the bank moves a transfer id's money at most once.
        log.warning("attempt never reached the bank; sending it now", extra={"transfer_id": plan.transfer_id})
        if run_in_transaction(lambda: _mark_resending(payout_id, plan.number)):
            return _send(payout_id, plan)
        return "nothing"
    lost = TransferResult("failed", plan.transfer_id, plan.number, failure_type="TIMEOUT",
                          message="The bank has no record of this request: the transfer did not happen.")
    return run_in_transaction(lambda: _apply(payout_id, plan.number, lost, resolved_by="inquiry"))


def _mark_resending(payout_id: int, number: int) -> bool:
    """Re-check under lock, and restart the attempt's staleness clock before the resend."""
    payout = lock_payout(payout_id)
    attempt = current_attempt(payout)
    if payout.status != S.TRANSFERRING or payout.attempt_count != number or attempt is None \
            or attempt.outcome != O.SENDING:
        return False
    attempt.sent_at = clock.now()
    return True


def _postpone_inquiry(payout_id: int, number: int) -> None:
    payout = lock_payout(payout_id)
    if payout.status == S.TRANSFERRING and payout.attempt_count == number:
        payout.next_attempt_at = clock.now() + INQUIRY_DELAY


def _apply(payout_id: int, number: int, result: TransferResult | None, *, resolved_by: str,
           latency_ms: int | None = None) -> str:
    """Transaction 3: record the bank's answer (None: a timeout). A second call changes nothing."""
    payout = lock_payout(payout_id)
    attempt = current_attempt(payout)
    if payout.status != S.TRANSFERRING or payout.attempt_count != number or attempt is None \
            or attempt.outcome not in (O.SENDING, O.UNKNOWN):
        log.info("attempt %s of %s already settled", number, payout.public_id)
        return "nothing"
    now = clock.now()
    if latency_ms is not None:
        attempt.latency_ms, attempt.sends = latency_ms, attempt.sends + 1
    if result is None:
        attempt.outcome, payout.next_attempt_at = O.UNKNOWN, now + INQUIRY_DELAY
        audit.record("payout.attempt_unknown", entity_type="payout", entity_id=payout.public_id,
                     reservation_id=payout.reservation_id, actor=SYSTEM, reason="TIMEOUT",
                     data={"attempt": number, "inquire_at": payout.next_attempt_at.isoformat()})
        return "unknown"
    attempt.answered_at, attempt.resolved_by = now, resolved_by
    if result.completed:
        attempt.outcome, attempt.bank_reference = O.COMPLETED, result.bank_reference
        payout.bank_reference, payout.completed_at, payout.last_failure_type = result.bank_reference, now, None
        transition(payout, S.COMPLETED, actor=SYSTEM, data={"attempt": number, "bank_reference": result.bank_reference,
                                                            "resolved_by": resolved_by})
        record_payout(payout, actor=SYSTEM)
        if move_refund(payout, RefundStatus.COMPLETED, actor=SYSTEM, reason=f"payout {payout.public_id}"):
            _count_refunded(payout)
            from app.refunds.decisions import on_refund_completed

            on_refund_completed(payout.refund, actor=SYSTEM, payout=payout)
        return "completed"
    code = failure_type(result.failure_type).code
    attempt.outcome, attempt.failure_type, attempt.failure_message = O.FAILED, code, result.message
    payout.last_failure_type = code
    fund_service.credit_reversal(payout, number)
    if failure_type(code).account_error:
        payout.next_attempt_at = None
        transition(payout, S.WAITING_FOR_ACCOUNT, actor=SYSTEM, reason=code, data={"attempt": number})
        _ask_for_corrected_account(payout, number)
        return "waiting_for_account"
    payout.round_failures += 1
    transition(payout, S.TRANSFER_FAILED, actor=SYSTEM, reason=code,
               data={"attempt": number, "failures_this_round": payout.round_failures})
    decision = decide_retry(payout.round_failures, now, payout.round_started_at)
    if decision.next_attempt_at is not None:
        payout.next_attempt_at = decision.next_attempt_at
        ring_at_after_commit(payout)
        return "retry_scheduled"
    payout.next_attempt_at, payout.abandon_reason = None, decision.reason
    transition(payout, S.ABANDONED, actor=SYSTEM, reason=decision.reason, data={"last_failure": code})
    log.warning("[WARNING] payout %s abandoned (%s, last failure %s): a person must decide", payout.public_id,
                decision.reason, code, extra={"alert": "WARNING", "payout": payout.public_id})
    queue_delay_notice(payout, "abandoned")
    return "abandoned"


def _count_refunded(payout: Payout) -> None:
    """The refunded payment's `refunded_amount` grows by the refund (guarded: never above the payment)."""
    refund = db.session.get(Refund, payout.refund_id)
    if refund is None or refund.payment_id is None:
        return
    changed = db.session.execute(update(Payment).where(
        Payment.id == refund.payment_id, Payment.refunded_amount + refund.amount <= Payment.amount
    ).values(refunded_amount=Payment.refunded_amount + refund.amount)).rowcount
    if changed != 1:
        log.error("refund %s is larger than what is left of its payment", refund.public_id)


def _ask_for_corrected_account(payout: Payout, number: int) -> None:
    """An account error: the refund waits for an account and the customer gets the form's link."""
    move_refund(payout, RefundStatus.AWAITING_ACCOUNT, actor=SYSTEM, reason=payout.last_failure_type)
    if payout.reservation is not None:
        queue_notification("refund_account_needed", reservation=payout.reservation,
                           key=f"{payout.public_id}:{number}",
                           context={"link": tokens.account_link(tokens.PAYOUT, payout.public_id,
                                                                payout.reservation.language)})


def queue_delay_notice(payout: Payout, stage: str) -> bool:
    """Tell a refund's customer the payout is late (seed 001 §6.2), once per stage. No commit."""
    if payout.reservation is None or stage in (payout.delay_notices or []):
        return False
    notice: DelayNotice = next(n for n in DELAY_NOTICES if n.stage == stage)
    promised = expected_by(notice, clock.now(), payout.next_attempt_at, current_app.config["FRONTDESK_TIMEZONE"])
    queue_notification("payout_delayed", reservation=payout.reservation, key=f"{payout.public_id}:{stage}",
                       context={"expected_by": promised.isoformat().replace("+00:00", "Z")})
    payout.delay_notices = [*(payout.delay_notices or []), stage]
    audit.record("payout.delay_notified", entity_type="payout", entity_id=payout.public_id,
                 reservation_id=payout.reservation_id, actor=SYSTEM, reason=stage,
                 data={"expected_by": promised.isoformat()})
    return True
