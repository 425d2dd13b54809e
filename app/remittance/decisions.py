"""What people decide about payouts: the back office's choices (seed 001 §4.3,
policies.CHOICES), a returned transfer, and the customer's bank-account form.

Each service locks the payout, re-checks its status, changes it along the
transition table with an audit event (actor, reason) and commits. Running one
twice is safe: the second run finds the status moved on and is refused with
IllegalTransition, changing nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.approvals import guard
from app.core import clock
from app.core.actor import Actor
from app.core.db import run_in_transaction
from app.core.errors import DomainError, IllegalTransition, NotFound, ValidationFailed
from app.extensions import db
from app.refunds.models import Refund
from app.refunds.states import RefundStatus
from app.remittance import tokens
from app.remittance.models import Payout, PayoutPurpose
from app.remittance.policies import CHOICES, BankAccount
from app.remittance.returns import apply_payout_return
from app.remittance.services import (
    create_payout,
    create_refund_payout,
    lock_payout,
    move_refund,
    open_payout_for_refund,
    returned_payout_for_refund,
    ring_after_commit,
    transition,
)
from app.remittance.states import PayoutStatus

log = logging.getLogger(__name__)
S = PayoutStatus


class NothingToDo(DomainError):
    code = "already_done"
    status = 409
    default_message = _l("Thank you: we already have what we need for this payment. Nothing more to do.")


def _check_reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(fields={field: _l("Write the reason in a sentence; it is kept in the history.")})
    if len(text) > 1000:
        raise ValidationFailed(fields={field: _l("Keep it under 1,000 characters.")})
    return text


def _allowed(payout: Payout, choice: str) -> None:
    if choice not in CHOICES.get(PayoutStatus(payout.status), ()):
        raise IllegalTransition(fields={"status": f"{choice} is not possible for a {payout.status} payout"})


def _restart(payout: Payout, *, actor: Actor, reason: str, data: dict | None = None) -> None:
    """→ REQUESTED with a fresh round of tries, due now, rung after commit. No commit."""
    now = clock.now()
    transition(payout, S.REQUESTED, actor=actor, reason=reason, data=data)
    payout.round_started_at, payout.round_failures, payout.next_attempt_at = now, 0, now
    payout.abandon_reason = payout.held_reason = None
    move_refund(payout, RefundStatus.AWAITING_PAYOUT, actor=actor, reason=reason)
    ring_after_commit(payout)


def retry_payout(payout_id: int, *, actor: Actor, reason: str) -> Payout:
    """ABANDONED → REQUESTED: one more round of tries to the same account. Commits."""
    reason = _check_reason(reason)

    def work() -> Payout:
        payout = lock_payout(payout_id)
        _allowed(payout, "retry")
        _restart(payout, actor=actor, reason=reason, data={"choice": "retry"})
        return payout

    return run_in_transaction(work)


def change_payout_account(payout_id: int, account: BankAccount, *, actor: Actor, reason: str) -> Payout:
    """Send to a corrected account. Commits; returns the payout that will send.

    ABANDONED / WAITING_FOR_ACCOUNT: the same payout (and transfer id: nothing
    moved under it) gets the new account and is sent again. RETURNED: its
    transfer id already moved money once, so a NEW payout is created for the
    new account and the returned one is closed (CANCELED).

    At or above FOUR_EYES_ABOVE a second person approves first (guard.NeedsApproval,
    nothing changes; app.approvals).
    """
    reason = _check_reason(reason)
    if not isinstance(account, BankAccount):
        raise ValidationFailed(fields={"account_number": _l("Enter the bank, the account number and the holder.")})

    def work() -> Payout:
        payout = lock_payout(payout_id)
        _allowed(payout, "edit_account")
        guard.require("payout_account", payout.amount, actor=actor, currency=payout.currency)
        change = {"choice": "edit_account", "old": payout.account.label("en"), "new": account.label("en")}
        if payout.status == S.RETURNED and payout.refund_id is not None:
            # The refund was reopened when the money came back: its new payout replaces this one.
            return create_refund_payout(payout.refund, account, actor=actor, reason=reason)
        if payout.status == S.RETURNED:
            fresh = create_payout(purpose=payout.purpose, amount=payout.amount, currency=payout.currency,
                                  account=account, memo=payout.memo, refund=payout.refund, replaces=payout,
                                  actor=actor)
            transition(payout, S.CANCELED, actor=actor, reason=reason, data={**change, "replaced_by": fresh.public_id})
            return fresh
        payout.bank_code, payout.account_number, payout.account_holder = account.bank_code, account.number, \
            account.holder
        _restart(payout, actor=actor, reason=reason, data=change)
        return payout

    return run_in_transaction(work)


def give_up_payout(payout_id: int, *, actor: Actor, reason: str) -> Payout:
    """Send nothing more (→ CANCELED); a refund becomes failed, to be paid another way. Commits."""
    reason = _check_reason(reason)

    def work() -> Payout:
        payout = lock_payout(payout_id)
        _allowed(payout, "give_up")
        payout.next_attempt_at = None
        transition(payout, S.CANCELED, actor=actor, reason=reason, data={"choice": "give_up"})
        # (a returned payout's refund was reopened, awaiting an account: it fails the same way)
        move_refund(payout, RefundStatus.FAILED, actor=actor, reason=f"payout given up: {reason}")
        return payout

    return run_in_transaction(work)


def mark_returned(payout: Payout | int, reference: str, actor: Actor, reason: str) -> Payout:
    """COMPLETED → RETURNED: the money came back (a return credit on the statement). Commits.

    app.remittance.returns.apply_payout_return does the work: the fund and the ledger
    get the money back once, a refund is reopened and its guest asked for another
    account; the payout waits in "needs attention" until it is replaced or given up.
    Safe twice: a payout already returned is returned unchanged.
    """
    payout_id = payout if isinstance(payout, int) else payout.id
    reason = _check_reason(reason)
    reference = (reference or "").strip()
    if not reference or len(reference) > 100:
        raise ValidationFailed(fields={"reference": _l("Copy the return's reference from the bank statement.")})

    return run_in_transaction(lambda: apply_payout_return(payout_id, reference=reference, actor=actor,
                                                          reason=reason))


# --- the customer's bank-account form -------------------------------------------------------


@dataclass
class AccountRequest:
    """What a link asks for, for the form page."""

    kind: str                   # tokens.PAYOUT | tokens.REFUND
    amount: int
    currency: str
    language: str
    current: BankAccount | None  # the account that was refused, or that sent the money back (shown masked)
    failure_type: str | None
    still_needed: bool
    returned: bool = False      # the money sent to `current` came back from the bank


def _target(token: str) -> tuple[str, Payout | None, Refund | None]:
    kind, public = tokens.read_token(token)
    if kind == tokens.PAYOUT:
        payout = db.session.scalar(select(Payout).where(Payout.public_id == public))
        if payout is None:
            raise NotFound()
        return kind, payout, None
    refund = db.session.scalar(select(Refund).where(Refund.public_id == public))
    if refund is None:
        raise NotFound()
    payout = open_payout_for_refund(refund.id)
    if payout is not None:  # the refund's payout exists: the link now serves it (e.g. to correct its account)
        return tokens.PAYOUT, payout, None
    return kind, None, refund


def describe_account_request(token: str) -> AccountRequest:
    """Read a link (LinkInvalid / LinkExpired / NotFound) and say what it asks for."""
    kind, payout, refund = _target(token)
    if payout is not None:
        reservation = payout.reservation
        return AccountRequest(kind, payout.amount, payout.currency, reservation.language if reservation else "ko",
                              payout.account, payout.last_failure_type, payout.status == S.WAITING_FOR_ACCOUNT)
    needed = refund.status in (RefundStatus.APPROVED, RefundStatus.AWAITING_ACCOUNT) \
        and open_payout_for_refund(refund.id) is None
    returned = returned_payout_for_refund(refund.id)
    return AccountRequest(kind, refund.amount, refund.currency, refund.reservation.language,
                          returned.account if returned is not None else None, None, needed, returned is not None)


def submit_account(token: str, account: BankAccount) -> Payout:
    """The customer gave an account through their link: the payout (re)starts. Commits.

    For a waiting payout, the corrected account replaces the refused one and it
    is sent again; for a refund, its payout is created. A link used again after
    that is refused with NothingToDo, changing nothing.
    """
    kind, payout, refund = _target(token)
    if not isinstance(account, BankAccount):
        raise ValidationFailed(fields={"account_number": _l("Enter the bank, the account number and the holder.")})

    def work() -> Payout:
        if payout is not None:
            locked = lock_payout(payout.id)
            if locked.status != S.WAITING_FOR_ACCOUNT:
                raise NothingToDo()
            email = locked.reservation.guest_email if locked.reservation else "customer"
            actor = Actor.guest(email)
            change = {"choice": "customer_account", "old": locked.account.label("en"), "new": account.label("en")}
            locked.bank_code, locked.account_number, locked.account_holder = account.bank_code, account.number, \
                account.holder
            _restart(locked, actor=actor, reason="The customer corrected the account.", data=change)
            return locked
        if refund.status not in (RefundStatus.APPROVED, RefundStatus.AWAITING_ACCOUNT) \
                or open_payout_for_refund(refund.id) is not None:
            raise NothingToDo()
        returned = returned_payout_for_refund(refund.id)
        if returned is not None and (returned.bank_code, returned.account_number) == (account.bank_code,
                                                                                  account.number):
            # Never the same account again by itself: the bank sent this one back.
            raise ValidationFailed(fields={"account_number": _l(
                "The money we sent to this account came back from the bank. Please give another account.")})
        return create_refund_payout(refund, account, actor=Actor.guest(refund.reservation.guest_email),
                                    reason="The customer gave another account.")

    return run_in_transaction(work)


def create_settlement_payout(*, amount: int, currency: str, account: BankAccount, memo: str,
                             actor: Actor) -> Payout:
    """A payout to a partner (e.g. a hotel's settlement). Commits."""
    memo = _check_reason(memo, "memo")
    return run_in_transaction(lambda: create_payout(purpose=PayoutPurpose.SETTLEMENT, amount=amount,
                                                    currency=currency, account=account, memo=memo, actor=actor))
