"""Deposit use cases: import a statement, confirm a deposit, decide a line.

Every function here commits once (run_in_transaction). A decision locks the
statement line and then the booking (`SELECT … FOR UPDATE`; BEGIN IMMEDIATE on
SQLite), re-reads both and re-checks, so two operators deciding the same line,
or the same deposit confirmed twice, move the booking to `paid` once, record
one payment and queue one message.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.booking.models import Reservation
from app.booking.services import outstanding_amount, revive_reservation
from app.booking.states import ReservationStatus
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import lock_by_id, run_in_transaction
from app.core.errors import DomainError, IllegalTransition, NotFound, SoldOut, ValidationFailed
from app.core.ids import public_id
from app.deposits import matching, parsers
from app.deposits.models import LineKind, LineStatus, StatementLine
from app.extensions import db
from app.ledger.services import record_payment, record_unrelated
from app.notifications.services import queue_notification
from app.payments.models import Payment
from app.payments.services import record_completed_payment
from app.payments.states import PaymentMethod, PaymentStatus, next_state

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024 * 1024


class BalanceRefused(DomainError):
    """The statement's balances do not add up (`breaks`); import only with a manager's reason."""

    def __init__(self, breaks: list[parsers.BalanceBreak]):
        super().__init__(_l("The balances in this statement do not add up."))
        self.breaks = breaks


class AlreadyDecided(DomainError):
    """Someone decided this line meanwhile."""


# --- import (app.deposits.importing) ------------------------------------------------------------

def normalize_account(account: str | None) -> str:
    """One identity per account: letters and digits only (parsers.normalize_account)."""
    return parsers.normalize_account(account)[:60]


def preview_import(raw: bytes, *, source_format: str, mapping: dict[str, str] | None, account: str,
                   currency: str = "KRW"):
    """Read the file and count what importing it would add (duplicates.Preview). Only reads."""
    from app.deposits.duplicates import preview_import as preview

    return preview(raw, source_format=source_format, mapping=mapping, account=account, currency=currency)


def import_statement(raw: bytes, *, source_format: str, file_name: str, account: str, bank: str = "",
                     mapping: dict[str, str] | None = None, currency: str = "KRW", actor: Actor,
                     override_reason: str | None = None):
    """Import a statement file in one transaction (app.deposits.importing.import_statement): every
    line stored once and doing what its direction says; messages queued at the end. Commits.
    Returns an importing.ImportResult; raises BalanceRefused or parsers.StatementError."""
    from app.deposits.importing import import_statement as run

    return run(raw, source_format=source_format, file_name=file_name, account=account, bank=bank,
               mapping=mapping, currency=currency, actor=actor, override_reason=override_reason)


AUTO_ACTOR = Actor.system("deposit-matching")


def match_new_line(line_id: int) -> bool:
    """Confirm a new deposit that matches exactly, else record what a person must decide. Commits.
    True when it was confirmed automatically."""

    def work() -> bool:
        line = _lock_line(line_id)
        if line.status != LineStatus.NEEDS_DECISION:
            return False
        found = matching.analyze(line)
        if found.automatic:
            _lock_reservations([found.reservation] if found.reservation else [r for r, _o in found.split])
            found = matching.analyze(line)  # re-read under the locks
        if not found.automatic:
            _store_problem(line, found)
            return False
        if found.split:
            payments = [_pay(line, r, owed, AUTO_ACTOR) for r, owed in found.split]
            _close(line, "split", AUTO_ACTOR, None, payments, reservation=None)
        else:
            payment = _pay(line, found.reservation, line.amount, AUTO_ACTOR)
            _close(line, "auto_confirmed", AUTO_ACTOR, None, [payment], reservation=found.reservation)
        return True

    return run_in_transaction(work)


# --- helpers (no commit) ---------------------------------------------------------------------------

def _lock_line(line_id: int) -> StatementLine:
    return lock_by_id(StatementLine, line_id)


def line_for_decision(line_public_id: str, choice: str, choices: dict[str, bool],
                      reason: str | None) -> tuple[int, str | None]:
    """The checks every line decision starts with: a known choice (`choices`: choice → needs a
    written reason), the reason when it needs one, and the line's id. Only reads."""
    if choice not in choices:
        raise NotFound()
    reason = (reason or "").strip() or None
    if choices[choice] and not reason:
        raise ValidationFailed(fields={"reason": _l("Write the reason in a sentence.")})
    line_id = db.session.scalar(select(StatementLine.id).where(StatementLine.public_id == line_public_id))
    if line_id is None:
        raise NotFound()
    return line_id, reason


def lock_line_waiting_for(line_id: int, problem: str) -> StatementLine:
    """The line under its lock, still waiting for this decision (else IllegalTransition). No commit."""
    line = _lock_line(line_id)
    if line.status != LineStatus.NEEDS_DECISION or line.problem != problem:
        raise IllegalTransition(fields={"choice": _l("Someone decided this line meanwhile.")})
    return line


def _lock_reservations(reservations: list[Reservation]) -> None:
    for r in sorted(reservations, key=lambda r: r.id):
        lock_by_id(Reservation, r.id)


def _store_problem(line: StatementLine, found: matching.Analysis) -> None:
    line.problem = found.problem or "exact"
    if line.reservation_id is None:
        line.proposals = [r.id for r in found.proposals] or None
    line.updated_at = clock.now()


def _pay(line: StatementLine, reservation: Reservation, amount: int, actor: Actor) -> Payment:
    """A completed bank-transfer payment for this line; the booking becomes paid if pending."""
    return record_completed_payment(
        reservation, method=PaymentMethod.BANK_TRANSFER, amount=amount, actor=actor,
        payer_name=matching.sender_of(line)[:200] or None, reference=reservation.code,
        details={"statementLine": line.public_id, "bookedOn": line.booked_on.isoformat()},
        statement_line_id=line.id)


def _record_partial(line: StatementLine, reservation: Reservation, actor: Actor) -> Payment:
    """A completed payment that does not settle the booking: it stays pending."""
    payment = Payment(public_id=public_id("pay"), reservation_id=reservation.id, method=PaymentMethod.BANK_TRANSFER,
                      amount=line.amount, currency=reservation.currency, status=PaymentStatus.PENDING,
                      payer_name=matching.sender_of(line)[:200] or None, deposit_reference=reservation.code,
                      details={"statementLine": line.public_id, "partial": True})
    db.session.add(payment)
    db.session.flush()
    payment.status = next_state(payment.status, PaymentStatus.COMPLETED)
    payment.completed_at = clock.now()
    record_payment(payment, actor=actor, statement_line_id=line.id)
    audit.record("payment.completed", entity_type="payment", entity_id=payment.public_id,
                 reservation_id=reservation.id, actor=actor, from_state=PaymentStatus.PENDING,
                 to_state=PaymentStatus.COMPLETED, data={"amount": payment.amount, "partial": True})
    return payment


def _close(line: StatementLine, outcome: str, actor: Actor, note: str | None, payments: list[Payment], *,
           reservation: Reservation | None, refund=None) -> None:
    now = clock.now()
    line.status = LineStatus.DONE
    line.outcome = outcome
    line.decided_by = actor.name[:200]
    line.decided_at = now
    line.decision_note = note
    line.payment_ids = [p.id for p in payments] or None
    if reservation is not None:
        line.reservation_id = reservation.id
    if refund is not None:
        line.refund_id = refund.id
    line.updated_at = now
    audit.record("deposit." + outcome, entity_type="statement_line", entity_id=line.public_id, actor=actor,
                 reservation_id=reservation.id if reservation is not None else None, reason=note,
                 to_state=LineStatus.DONE,
                 data={"amount": line.amount, "payments": [p.public_id for p in payments],
                       "refund": refund.public_id if refund is not None else None})


def _refresh_related(reservation_ids: set[int]) -> None:
    """Re-read what the other open lines of these bookings now mean (e.g. after a partial payment)."""
    if not reservation_ids:
        return
    for line in db.session.scalars(select(StatementLine).where(StatementLine.status == LineStatus.NEEDS_DECISION,
                                                               StatementLine.kind == LineKind.DEPOSIT)):
        related = line.reservation_id in reservation_ids or bool(set(line.proposals or []) & reservation_ids)
        if not related and line.reservation_id is None:
            related = True  # its memo may name one of them
        if related:
            _store_problem(line, matching.analyze(line))


# --- a person's decisions -------------------------------------------------------------------------

#: choice → (problems it answers, needs a written reason, manager only)
CHOICES: dict[str, tuple[frozenset[str], bool, bool]] = {
    "confirm": (frozenset({"exact", "near_miss", "name_amount", "name_differs", "before_booking"}), False, False),
    "partial": (frozenset({"short"}), False, False),
    "accept_short": (frozenset({"short"}), True, True),
    "overpaid": (frozenset({"over"}), False, False),
    "revive": (frozenset({"expired"}), False, False),
    "refund_payer": (frozenset({"expired", "already_paid", "not_payable"}), True, False),
    "assign": (frozenset(matching.PROBLEMS), True, False),
    "not_ours": (frozenset(matching.PROBLEMS), True, False),
}


@dataclass
class Decision:
    line: StatementLine
    outcome: str
    reservation: Reservation | None = None
    payments: list[Payment] = field(default_factory=list)
    refund: Any = None
    amount: int = 0
    message_queued: bool = False


def reservation_by_code(code: str) -> Reservation:
    canon = matching.canonical_code(code or "")
    if not canon:
        raise ValidationFailed(fields={"code": _l("Enter a booking code.")})
    exact = db.session.scalar(select(Reservation).where(Reservation.code == matching.normalize(code)))
    if exact is not None:
        return exact
    for r in matching._candidates():
        if matching.canonical_code(r.code) == canon:
            return r
    raise ValidationFailed(fields={"code": _l("No booking with this code.")})


def decide(line_public_id: str, choice: str, *, actor: Actor, reason: str | None = None,
           code: str | None = None, is_manager: bool = False) -> Decision:
    """Carry out one decision on a deposit line (see CHOICES). Commits.

    Raises AlreadyDecided when the line was decided meanwhile, IllegalTransition
    when the facts changed so the choice no longer applies (nothing changes),
    ValidationFailed for a missing reason or code.
    """
    if choice not in CHOICES:
        raise NotFound()
    problems, needs_reason, manager_only = CHOICES[choice]
    if manager_only and not is_manager:
        raise IllegalTransition(fields={"choice": _l("Only a manager can do this.")})
    reason = (reason or "").strip() or None
    line_id = db.session.scalar(select(StatementLine.id).where(StatementLine.public_id == line_public_id))
    if line_id is None:
        raise NotFound()

    def work() -> Decision:
        line = _lock_line(line_id)
        if line.status != LineStatus.NEEDS_DECISION:
            raise AlreadyDecided()
        if line.kind != LineKind.DEPOSIT:  # payouts and reversals have their own decisions
            raise IllegalTransition(fields={"choice": _l("This choice no longer fits the deposit; look again.")})
        target = None
        if choice in ("confirm", "assign") and code:
            target = reservation_by_code(code)
        if choice == "assign" and target is None:
            raise ValidationFailed(fields={"code": _l("Choose the booking this deposit pays.")})
        if choice == "assign":
            line.reservation_id = target.id
        found = matching.analyze(line)
        locked = [r for r in ([found.reservation, target] + [r for r, _o in found.split]) if r is not None]
        _lock_reservations(list({r.id: r for r in locked}.values()))
        found = matching.analyze(line)
        if choice == "assign":
            return _after_assign(line, found, actor, reason)
        problem = found.problem or "exact"
        if problem not in problems:
            raise IllegalTransition(fields={"choice": _l("This choice no longer fits the deposit; look again.")})
        if choice == "confirm":
            r = found.reservation
            if r is None:  # a proposal the person picked
                if target is None or target.id not in [p.id for p in found.proposals]:
                    raise ValidationFailed(fields={"code": _l("Choose one of the proposed bookings.")})
                r = target
                if r.status != ReservationStatus.PENDING or outstanding_amount(r) != line.amount:
                    raise IllegalTransition(fields={"choice": _l("This booking no longer owes this amount.")})
            if not matching.names_match(matching.sender_of(line), r) and not reason:
                raise ValidationFailed(fields={"reason": _l("The sender's name differs from the guest's: write "
                                                            "who sent the money and how you know it is theirs.")})
            payment = _pay(line, r, line.amount, actor)
            _close(line, "confirmed", actor, reason, [payment], reservation=r)
            return Decision(line, "confirmed", r, [payment], amount=line.amount, message_queued=True)
        r = found.reservation
        if needs_reason and not reason:
            raise ValidationFailed(fields={"reason": _l("Write the reason in a sentence.")})
        if choice == "partial":
            owed = found.owed
            payment = _record_partial(line, r, actor)
            queue_notification("deposit_amount_mismatch", reservation=r, key=line.public_id,
                               context={"expected": owed, "received": line.amount,
                                        "difference": line.amount - owed, "currency": r.currency})
            _close(line, "partial", actor, reason, [payment], reservation=r)
            _refresh_related({r.id})
            return Decision(line, "partial", r, [payment], amount=owed - line.amount, message_queued=True)
        if choice == "accept_short":
            payment = _pay(line, r, line.amount, actor)
            _close(line, "accepted_short", actor, reason, [payment], reservation=r)
            return Decision(line, "accepted_short", r, [payment], amount=found.owed - line.amount,
                            message_queued=True)
        if choice == "overpaid":
            from app.refunds.services import request_refund

            excess = line.amount - found.owed
            payment = _pay(line, r, line.amount, actor)
            db.session.flush()
            refund = request_refund(r, source="overpayment", fixed_amount=excess, actor=actor,
                                    requested_reason=reason or "Deposit larger than the amount owed.")
            _close(line, "overpaid", actor, reason, [payment], reservation=r, refund=refund)
            return Decision(line, "overpaid", r, [payment], refund=refund, amount=excess, message_queued=True)
        if choice == "revive":
            if line.amount != found.owed:
                raise IllegalTransition(fields={"choice": _l("Only a deposit of exactly the amount owed can revive "
                                                             "the booking; refund the payer instead.")})
            try:
                with db.session.begin_nested():
                    revive_reservation(r.id, actor=actor, reason=reason or "Revived by a late deposit")
            except SoldOut:
                raise IllegalTransition(fields={"choice": _l("The rooms were sold meanwhile: refund the payer "
                                                             "instead.")}) from None
            payment = _pay(line, r, line.amount, actor)
            queue_notification("payment_confirmed", reservation=r, key=r.public_id)
            _close(line, "revived", actor, reason, [payment], reservation=r)
            return Decision(line, "revived", r, [payment], amount=line.amount, message_queued=True)
        if choice == "refund_payer":
            from app.refunds.policies import OurFault
            from app.refunds.services import request_refund

            payment = _pay(line, r, line.amount, actor)  # a canceled booking gets its refund opened here
            db.session.flush()
            refund = _latest_refund(r, payment)
            if refund is None:
                refund = request_refund(r, source="overpayment", fixed_amount=line.amount, actor=actor,
                                        our_fault=OurFault.HOLD_EXPIRED_WHILE_PAYING, requested_reason=reason)
            _close(line, "refunded", actor, reason, [payment], reservation=r, refund=refund)
            return Decision(line, "refunded", r, [payment], refund=refund, amount=line.amount)
        # not_ours
        _close(line, "not_ours", actor, reason, [], reservation=None)
        record_unrelated(line, actor=actor)
        return Decision(line, "not_ours")

    return run_in_transaction(work)


def _latest_refund(reservation: Reservation, payment: Payment):
    from app.refunds.models import Refund

    return db.session.scalar(select(Refund).where(Refund.reservation_id == reservation.id,
                                                  Refund.payment_id == payment.id).order_by(Refund.id.desc()))


def _after_assign(line: StatementLine, found: matching.Analysis, actor: Actor, reason: str | None) -> Decision:
    if not reason:
        raise ValidationFailed(fields={"reason": _l("Write why this deposit belongs to this booking.")})
    r = found.reservation
    audit.record("deposit.assigned", entity_type="statement_line", entity_id=line.public_id, actor=actor,
                 reservation_id=r.id, reason=reason, data={"amount": line.amount, "code": r.code})
    if found.automatic:
        payment = _pay(line, r, line.amount, actor)
        _close(line, "confirmed", actor, reason, [payment], reservation=r)
        return Decision(line, "confirmed", r, [payment], amount=line.amount, message_queued=True)
    _store_problem(line, found)
    line.decision_note = reason
    return Decision(line, "assigned", r)


def mark_paid_manually(reservation_public_id: str, *, actor: Actor, reason: str) -> Decision | None:
    """A manager's "mark as paid" without a statement line: the amount owed is
    recorded as a bank-transfer payment. Commits. None if it was already paid.
    At or above FOUR_EYES_ABOVE owed, a second person approves first (guard.NeedsApproval,
    nothing changes; app.approvals)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": _l("Write the reason in a sentence.")})
    rid = db.session.scalar(select(Reservation.id).where(Reservation.public_id == reservation_public_id))
    if rid is None:
        raise NotFound()

    def work():
        r = db.session.execute(select(Reservation).where(Reservation.id == rid).with_for_update()
                               .execution_options(populate_existing=True)).scalar_one()
        if r.status == ReservationStatus.PAID:
            return None
        if r.status != ReservationStatus.PENDING:
            raise IllegalTransition(fields={"status": _l("Only a booking waiting for its deposit can be marked "
                                                         "paid.")})
        owed = outstanding_amount(r)
        from app.approvals import guard

        guard.require("mark_paid", owed, actor=actor, currency=r.currency)
        payment = record_completed_payment(r, method=PaymentMethod.BANK_TRANSFER, amount=owed, actor=actor,
                                           reference=r.code, details={"manual": True, "reason": reason})
        audit.record("deposit.manual_mark_paid", entity_type="reservation", entity_id=r.public_id,
                     reservation_id=r.id, actor=actor, reason=reason, data={"amount": owed,
                                                                            "payment": payment.public_id})
        return Decision(None, "manual", r, [payment], amount=owed, message_queued=True)

    return run_in_transaction(work)
