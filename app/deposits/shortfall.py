"""A bank transfer whose window ended with only part of the money paid: a decision, never a silent cancel.

At the end of a bank-transfer window the automatic check (app.booking.services
.cancel_unpaid_bank_transfers) asks `hold_for_decision` about the bookings it is
about to cancel:

* a booking the ledger says is partly paid is not canceled: it is marked
  (`payment_shortfall_at`), the audit log says so, and the guest is told the
  truth ("we received ₩88,999 of ₩89,000; ₩1 is missing; we hold your booking
  while we decide") — the `payment_shortfall` message;
* a booking named by a deposit still waiting for a decision on a statement
  line is left alone: that line is the decision, and the next check looks again.

A person then chooses one of CHOICES on the 🛑 page (oldest first, with its due time):

* ask_rest — the window is extended by the days chosen and the guest gets the
  exact remaining amount with the deposit instructions (`payment_rest_requested`);
* accept — a manager, with a written reason: the booking becomes paid, the
  ledger keeps what was paid and the difference is written off in the audit log;
* cancel_refund — with a written reason: the booking is canceled, its rooms are
  freed and a refund of everything paid is opened (decided on the refunds page);
  the guest gets `shortfall_canceled`.

Each decision locks the booking, re-checks that it still waits for a decision,
and commits once: two people deciding at once do it once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from app.booking.models import Reservation
from app.booking.states import ReservationStatus
from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import lock_by_id, run_in_transaction
from app.core.errors import DomainError, IllegalTransition, NotFound, ValidationFailed
from app.extensions import db
from app.ledger.services import paid_amount, paid_amounts
from app.notifications.services import queue_notification

#: How long a person has to decide once the window ended (the list's due time), at the latest
#: the start of the check-in day in the hotel's time zone.
DECIDE_WITHIN = timedelta(hours=24)
#: "Ask for the rest" extends the window by this many days at most.
MAX_EXTENSION_DAYS = 14
#: What a booking canceled here says to anyone reading it (guests included); the person's own
#: reason stays in the audit log and on the refund.
CANCEL_REASON = "Canceled: the full amount did not arrive"
SHORTFALL_REASON = "The window ended with part of the money paid"

#: choice → (needs a written reason, manager only)
CHOICES: dict[str, tuple[bool, bool]] = {
    "ask_rest": (False, False),
    "accept": (True, True),
    "cancel_refund": (True, False),
}


class AlreadyDecided(DomainError):
    """Someone decided this booking meanwhile (or it was paid or canceled)."""


# --- pure rules --------------------------------------------------------------------------------

def compute_due(flagged_at: datetime, check_in, timezone: str) -> datetime:
    """When a person should have decided: DECIDE_WITHIN after the window ended, but not later
    than the start of the check-in day (hotel time)."""
    arrival = datetime.combine(check_in, time(0), tzinfo=ZoneInfo(timezone))
    return min(flagged_at + DECIDE_WITHIN, arrival)


#: A difference this small (minor units) is usually a bank fee taken on the way: accepting it is recommended.
SMALL_SHORTFALL = 1_000


def compute_recommendation(missing: int, most_days: int) -> str:
    """The choice the page recommends: accept a small difference, else ask for the rest while there is
    time before the check-in day, else cancel and refund."""
    if missing <= SMALL_SHORTFALL:
        return "accept"
    return "ask_rest" if most_days >= 1 else "cancel_refund"


def max_extension_days(now: datetime, check_in, timezone: str) -> int:
    """The most whole days the window may be extended so it ends before the check-in day starts."""
    arrival = datetime.combine(check_in, time(0), tzinfo=ZoneInfo(timezone))
    return max(0, min(MAX_EXTENSION_DAYS, (arrival - now) // timedelta(days=1)))


# --- what the pages read -----------------------------------------------------------------------

@dataclass
class Shortfall:
    reservation: Reservation
    paid: int
    flagged_at: datetime
    due: datetime

    @property
    def total(self) -> int:
        return self.reservation.total_amount

    @property
    def missing(self) -> int:
        return max(0, self.total - self.paid)

    @property
    def currency(self) -> str:
        return self.reservation.currency


def _open():
    return (Reservation.status == ReservationStatus.PENDING, Reservation.payment_shortfall_at.is_not(None))


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=clock.UTC)
    return value


def _shortfall(r: Reservation, paid: int) -> Shortfall:
    flagged = _aware(r.payment_shortfall_at)
    return Shortfall(r, paid, flagged, compute_due(flagged, r.check_in, r.hotel.timezone))


def list_shortfalls(limit: int = 200) -> list[Shortfall]:
    """Bookings waiting for this decision, the one waiting longest first. Only reads."""
    found = list(db.session.scalars(
        select(Reservation).options(joinedload(Reservation.hotel), joinedload(Reservation.room_type))
        .where(*_open()).order_by(Reservation.payment_shortfall_at, Reservation.id).limit(limit)))
    paid = paid_amounts(r.id for r in found)
    return [_shortfall(r, paid.get(r.id, 0)) for r in found]


@dataclass
class ShortfallCount:
    count: int
    oldest: Shortfall | None


def count_shortfalls() -> ShortfallCount:
    """How many bookings wait for this decision, and the oldest of them. Only reads."""
    count = db.session.scalar(select(func.count()).select_from(Reservation).where(*_open()))
    oldest = list_shortfalls(limit=1) if count else []
    return ShortfallCount(count, oldest[0] if oldest else None)


def get_shortfall(reservation: Reservation) -> Shortfall | None:
    """The booking's shortfall while it waits for a decision, else None."""
    if reservation.status != ReservationStatus.PENDING or reservation.payment_shortfall_at is None:
        return None
    return _shortfall(reservation, paid_amount(reservation.id))


# --- the end of the window (called by the bank-transfer auto-cancel) ----------------------------

def hold_for_decision(reservation_ids: list[int], *, now: datetime, actor: Actor) -> tuple[set[int], set[int]]:
    """Of these due bank-transfer bookings (locked by the caller), the ones not to cancel, in the
    caller's transaction (no commit): (partly paid — marked as short of money here, or already by a
    run at the same moment —, left waiting for a statement line).

    Marking is guarded (`status = 'pending' AND payment_shortfall_at IS NULL`) and the guest's
    message is keyed by the booking and the moment, so running it twice marks and tells once.
    """
    if not reservation_ids:
        return set(), set()
    paid = paid_amounts(reservation_ids)
    partly_paid = sorted(i for i in reservation_ids if paid.get(i, 0) > 0)
    waiting = _named_by_open_lines(sorted(set(reservation_ids) - set(partly_paid)))
    marked: set[int] = set()
    if partly_paid:
        marked = set(db.session.execute(
            update(Reservation).where(Reservation.id.in_(partly_paid), Reservation.status == ReservationStatus.PENDING,
                                      Reservation.payment_shortfall_at.is_(None))
            .values(payment_shortfall_at=now, updated_at=now)
            .returning(Reservation.id).execution_options(synchronize_session=False)).scalars())
        for r in db.session.scalars(select(Reservation).where(Reservation.id.in_(sorted(marked)))
                                    .execution_options(populate_existing=True)):
            received = paid[r.id]
            audit.record("reservation.payment_shortfall", entity_type="reservation", entity_id=r.public_id,
                         reservation_id=r.id, actor=actor, reason=SHORTFALL_REASON,
                         data={"total": r.total_amount, "paid": received,
                               "missing": max(0, r.total_amount - received), "currency": r.currency})
            queue_notification("payment_shortfall", reservation=r, key=f"{r.public_id}:{now.isoformat()}",
                               context={"expected": r.total_amount, "received": received,
                                        "missing": max(0, r.total_amount - received), "currency": r.currency})
    return set(partly_paid), waiting


def _named_by_open_lines(reservation_ids: list[int]) -> set[int]:
    """The bookings a deposit still waiting for a decision names: by its code in the memo, by a
    person's assignment, or as the near-miss or before-the-booking proposal."""
    from app.deposits.matching import Candidate, CodeIndex
    from app.deposits.models import LineStatus, StatementLine

    if not reservation_ids:
        return set()
    lines = db.session.execute(select(
        StatementLine.memo, StatementLine.depositor, StatementLine.reservation_id, StatementLine.proposals,
        StatementLine.problem).where(StatementLine.status == LineStatus.NEEDS_DECISION, StatementLine.amount > 0,
                                     StatementLine.reversal.is_(False))).all()
    if not lines:
        return set()
    wanted = set(reservation_ids)
    codes = db.session.execute(select(Reservation.id, Reservation.code).where(Reservation.id.in_(sorted(wanted)))).all()
    index = CodeIndex(Candidate(i, code, "", 0, "", "", clock.now(), 0) for i, code in codes)
    named: set[int] = set()
    for line in lines:
        if line.reservation_id in wanted:
            named.add(line.reservation_id)
        if line.problem in ("near_miss", "before_booking"):
            named |= wanted & set(line.proposals or [])
        named |= {c.id for c in index.find((line.memo or "") + " " + (line.depositor or ""))}
    return named


# --- a person's decision -----------------------------------------------------------------------

@dataclass
class Outcome:
    choice: str
    reservation: Reservation
    paid: int
    missing: int
    deadline: datetime | None = None
    refund: Any = None


def _lock_open(reservation_id: int) -> tuple[Reservation, int]:
    r = lock_by_id(Reservation, reservation_id)
    if r.status != ReservationStatus.PENDING or r.payment_shortfall_at is None:
        raise AlreadyDecided()
    return r, paid_amount(r.id)


def decide(reservation_public_id: str, choice: str, *, actor: Actor, reason: str | None = None,
           days: int | None = None, is_manager: bool = False) -> Outcome:
    """Carry out one decision on a booking short of money (see CHOICES). Commits once.

    Raises AlreadyDecided when it was decided (or paid, or canceled) meanwhile,
    ValidationFailed for a missing reason or a number of days that does not fit,
    IllegalTransition when a staff member tries a manager's choice. Nothing
    changes on any error; deciding twice changes nothing the second time.
    """
    if choice not in CHOICES:
        raise NotFound()
    needs_reason, manager_only = CHOICES[choice]
    if manager_only and not is_manager:
        raise IllegalTransition(fields={"choice": _l("Only a manager can do this.")})
    reason = (reason or "").strip() or None
    if needs_reason and not reason:
        raise ValidationFailed(fields={"reason": _l("Write the reason in a sentence.")})
    rid = db.session.scalar(select(Reservation.id).where(Reservation.public_id == reservation_public_id))
    if rid is None:
        raise NotFound()

    def work() -> Outcome:
        r, paid = _lock_open(rid)
        missing = max(0, r.total_amount - paid)
        now = clock.now()
        facts = {"total": r.total_amount, "paid": paid, "missing": missing, "currency": r.currency}
        if choice == "ask_rest":
            return _ask_rest(r, paid, missing, days, now, actor, reason, facts)
        if choice == "accept":
            from app.booking.services import mark_paid

            mark_paid(r.id, actor=actor, reason=reason)  # pending → paid; the guest gets the payment confirmation
            r.payment_shortfall_at = None
            audit.record("reservation.shortfall_written_off", entity_type="reservation", entity_id=r.public_id,
                         reservation_id=r.id, actor=actor, reason=reason, data={**facts, "written_off": missing})
            return Outcome(choice, r, paid, missing)
        return _cancel_and_refund(r, paid, missing, actor, reason, facts)

    return run_in_transaction(work)


def _ask_rest(r: Reservation, paid: int, missing: int, days: int | None, now: datetime, actor: Actor,
              reason: str | None, facts: dict) -> Outcome:
    if missing <= 0:
        raise IllegalTransition(fields={"choice": _l("Nothing is missing any more: accept it instead.")})
    most = max_extension_days(now, r.check_in, r.hotel.timezone)
    if most < 1:
        raise ValidationFailed(fields={"days": _l("The guest arrives too soon to wait for more money: accept "
                                                  "the amount or cancel and refund.")})
    if days is None or not 1 <= days <= most:
        raise ValidationFailed(fields={"days": _l("Choose from 1 to %(most)s days (the window must end before the "
                                                  "check-in day).", most=most)})
    deadline = now + timedelta(days=days)
    previous = _aware(r.hold_expires_at)
    r.hold_expires_at = deadline
    r.payment_shortfall_at = None
    r.updated_at = now
    audit.record("reservation.shortfall_rest_requested", entity_type="reservation", entity_id=r.public_id,
                 reservation_id=r.id, actor=actor, reason=reason,
                 data={**facts, "days": days, "deadline": deadline.isoformat(),
                       "previous_deadline": previous.isoformat() if previous else None})
    queue_notification("payment_rest_requested", reservation=r, key=f"{r.public_id}:{deadline.isoformat()}",
                       context=rest_context(r, paid, deadline))
    return Outcome("ask_rest", r, paid, missing, deadline=deadline)


def _cancel_and_refund(r: Reservation, paid: int, missing: int, actor: Actor, reason: str,
                       facts: dict) -> Outcome:
    from app.booking.services import _apply_transition  # the one place a status changes, with its rooms
    from app.payments.services import cancel_pending_payments
    from app.refunds.services import request_refund

    r.payment_shortfall_at = None
    _apply_transition(r, ReservationStatus.CANCELED, actor=actor, reason=CANCEL_REASON,
                      data={"shortfall": facts})
    cancel_pending_payments(r, actor=actor)
    if r.discount_amount:  # never paid in full: a coupon it used comes back (refunds.policies.coupon_comes_back)
        from app.refunds.coupons import give_back

        give_back(r, actor=actor, reason=CANCEL_REASON)
    db.session.flush()
    # Everything paid goes back, whatever the days before check-in: the guest did not cancel.
    refund = request_refund(r, source="shortfall", fixed_amount=paid, requested_reason=reason,
                            actor=actor) if paid > 0 else None
    audit.record("reservation.shortfall_canceled", entity_type="reservation", entity_id=r.public_id,
                 reservation_id=r.id, actor=actor, reason=reason,
                 data={**facts, "refund": refund.public_id if refund is not None else None,
                       "refund_amount": refund.amount if refund is not None else 0})
    queue_notification("shortfall_canceled", reservation=r, key=r.public_id,
                       context={"received": paid, "currency": r.currency})
    return Outcome("cancel_refund", r, paid, missing, refund=refund)


# --- what the guest will read (shown to the person before it is sent) ---------------------------

def rest_context(r: Reservation, paid: int, deadline: datetime) -> dict[str, Any]:
    return {"expected": r.total_amount, "received": paid, "missing": max(0, r.total_amount - paid),
            "currency": r.currency, "due": deadline.isoformat()}


def preview_message(r: Reservation, event: str, context: dict[str, Any]):
    """The email the guest would get, rendered in the guest's language (app.notifications.rendering)."""
    from app.notifications.rendering import message_context, render

    message = SimpleNamespace(reservation=r, language=r.language, context=context)
    return render(event, r.language, "email", message_context(message))
