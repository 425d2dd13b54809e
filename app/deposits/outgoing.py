"""Money out on a statement, and our payouts coming back.

* A debit is one of our payouts when our transfer id (`FDT…`) appears anywhere the bank
  wrote it (MT940 `:61:` reference or `:86:`, CAMT EndToEndId or remittance text, a CSV
  memo) and the amount is the payout's: the line confirms the payout as booked by the
  bank. Without our reference, a completed payout of exactly that amount sent in the
  days before is only a proposal: a person links it (or says it is not ours).
* A bank fee is a small debit with a fee text or code, or one sharing a payout's
  reference (a CAMT fee entry repeats the payout's AcctSvcrRef and EndToEndId): it is
  recorded as a bank charge of that payout (ledger `bank_fee`), never as a refund and
  never matched to a booking.
* Money in that returns one of our payouts (a reversed debit, a return code or reason)
  is handed to app.remittance.returns.apply_payout_return: the payout becomes returned,
  its refund reopens and the guest is asked for another account. Nothing is sent to the
  same account again by itself.

`PayoutBook` reads the payouts a file's lines name once per import (no query per line).
Nothing here commits except `decide_payout_line`, a person's decision on a proposal.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import lock_by_id, run_in_transaction
from app.core.errors import IllegalTransition, ValidationFailed
from app.deposits import directions
from app.deposits.models import LineKind, LineStatus, StatementLine
from app.extensions import db
from app.ledger.services import record_bank_fee, record_unrelated
from app.remittance.models import Payout
from app.remittance.states import PayoutStatus

log = logging.getLogger(__name__)

#: A payout without our reference on the statement is proposed when the bank booked it this
#: many days after we sent it, at most.
PROPOSAL_DAYS = 3
#: Decisions on a payout proposal: choice → needs a written reason.
PAYOUT_CHOICES = {"link_payout": False, "not_payout": True}
PAYOUT_PROBLEM = "payout_proposal"


def _local_day(at) -> date:
    from zoneinfo import ZoneInfo

    from app.deposits.matching import BANK_TIMEZONE

    return at.astimezone(ZoneInfo(BANK_TIMEZONE)).date()


class PayoutBook:
    """The payouts the lines of one file may be, read once (see the module doc)."""

    def __init__(self, lines) -> None:
        ids = {tid for line in lines for tid in directions.transfer_ids_of(line)}
        self.by_transfer: dict[str, Payout] = {}
        ordered = sorted(ids)
        for i in range(0, len(ordered), 500):
            self.by_transfer.update((p.transfer_id, p) for p in db.session.scalars(
                select(Payout).where(Payout.transfer_id.in_(ordered[i:i + 500]))))
        known = [p.id for p in self.by_transfer.values()]
        self.confirmed: set[int] = set(db.session.scalars(select(StatementLine.payout_id).where(
            StatementLine.payout_id.in_(known), StatementLine.kind == LineKind.PAYOUT))) if known else set()
        # A fee shares the payout's bank reference or our reference: learnt from the payout lines.
        self.by_bank_ref: dict[str, Payout] = {}
        self.by_our_ref: dict[str, Payout] = {}
        for line in lines:
            payout = self.named(line)
            if payout is not None and line.amount == -payout.amount:
                if line.bank_ref:
                    self.by_bank_ref.setdefault(line.bank_ref, payout)
                if getattr(line, "our_ref", None):
                    self.by_our_ref.setdefault(line.our_ref, payout)
        self._dates = [line.booked_on for line in lines if line.amount < 0]
        self._open: dict[int, list[Payout]] | None = None

    def named(self, line) -> Payout | None:
        """The payout whose transfer id the line carries."""
        for tid in directions.transfer_ids_of(line):
            if tid in self.by_transfer:
                return self.by_transfer[tid]
        return None

    def sharing_reference(self, line) -> Payout | None:
        return self.by_bank_ref.get(line.bank_ref or "") or self.by_our_ref.get(getattr(line, "our_ref", None) or "")

    def proposals(self, line) -> list[Payout]:
        """Completed payouts of exactly this amount, sent up to PROPOSAL_DAYS before the line's
        date and not yet confirmed by a statement line (one query per import)."""
        if self._open is None:
            self._open = {}
            if self._dates:
                since = datetime.combine(min(self._dates) - timedelta(days=PROPOSAL_DAYS + 1), time(0),
                                         tzinfo=timezone.utc)
                booked = select(StatementLine.payout_id).where(StatementLine.kind == LineKind.PAYOUT,
                                                               StatementLine.payout_id.is_not(None))
                for p in db.session.scalars(select(Payout).where(
                        Payout.status == PayoutStatus.COMPLETED, Payout.completed_at >= since,
                        Payout.id.not_in(booked)).order_by(Payout.completed_at, Payout.id)):
                    self._open.setdefault(p.amount, []).append(p)
        return [p for p in self._open.get(-line.amount, ()) if p.id not in self.confirmed
                and line.booked_on - timedelta(days=PROPOSAL_DAYS) <= _local_day(p.completed_at) <= line.booked_on]


def classify_debit(line, book: PayoutBook) -> tuple[str, Payout | None, list[Payout]]:
    """(kind, payout, proposals) of money out that is not a reversal (see the module doc). Only reads."""
    payout = book.named(line)
    if payout is not None:
        if line.amount == -payout.amount and payout.id not in book.confirmed:
            return LineKind.PAYOUT, payout, []
        if directions.is_small(line.amount, line.currency):
            return LineKind.FEE, payout, []
        return LineKind.OTHER, None, []
    shared = book.sharing_reference(line)
    if shared is not None and directions.is_small(line.amount, line.currency):
        return LineKind.FEE, shared, []
    if directions.has_fee_text(line) and directions.is_small(line.amount, line.currency):
        return LineKind.FEE, None, []
    return LineKind.OTHER, None, book.proposals(line)


# --- what a line does (no commit) -----------------------------------------------------------------

def _set(line: StatementLine, kind: str, outcome: str | None, *, status: str = LineStatus.OUTGOING,
         payout: Payout | None = None) -> None:
    line.kind, line.status, line.outcome, line.problem = kind, status, outcome, None
    if payout is not None:
        line.payout_id = payout.id
    line.updated_at = clock.now()


def confirm_payout(line: StatementLine, payout: Payout, actor: Actor, book: PayoutBook | None = None) -> None:
    """The line is this payout, booked by the bank. No commit; a second line for it is refused by the book."""
    _set(line, LineKind.PAYOUT, "payout_confirmed", payout=payout)
    if book is not None:
        book.confirmed.add(payout.id)
    if payout.status not in (PayoutStatus.COMPLETED, PayoutStatus.RETURNED):
        log.warning("[WARNING] the bank booked payout %s, which is %s here", payout.public_id, payout.status,
                    extra={"alert": "WARNING", "payout": payout.public_id})
    audit.record("payout.booked_by_bank", entity_type="payout", entity_id=payout.public_id,
                 reservation_id=payout.reservation_id, actor=actor,
                 data={"statement_line": line.public_id, "booked_on": line.booked_on.isoformat(),
                       "amount": line.amount, "status": payout.status})


def record_fee(line: StatementLine, payout: Payout | None, actor: Actor) -> None:
    """The line is a bank charge (of `payout` when known): its ledger row. No commit; once per line."""
    _set(line, LineKind.FEE, "fee", payout=payout)
    record_bank_fee(line, payout=payout, actor=actor)


def propose(line: StatementLine, proposals: list[Payout]) -> None:
    """Money out without our reference that may be one of these payouts: a person decides."""
    _set(line, LineKind.PAYOUT, None, status=LineStatus.NEEDS_DECISION)
    line.problem = PAYOUT_PROBLEM
    line.proposals = [p.id for p in proposals[:10]]


def apply_return(line: StatementLine, payout: Payout, actor: Actor) -> bool:
    """The line brings `payout`'s money back: apply_payout_return, linked to the payout's own line
    when it is known. False (the line then waits for a person) when the payout was not completed.
    No commit; the return service makes a second call harmless."""
    from app.remittance.returns import PayoutNotCompleted, apply_payout_return

    reason = "Returned by the bank" + (f" ({line.return_reason})" if line.return_reason else "")
    try:
        apply_payout_return(payout.id, reference=(line.bank_ref or line.public_id)[:100], actor=actor,
                            reason=reason, statement_line_id=line.id)
    except PayoutNotCompleted:
        _set(line, LineKind.PAYOUT_RETURN, None, status=LineStatus.NEEDS_DECISION, payout=payout)
        line.problem = "return_not_sent"
        return False
    _set(line, LineKind.PAYOUT_RETURN, "returned", payout=payout)
    line.reverses_line_id = db.session.scalar(select(StatementLine.id).where(
        StatementLine.payout_id == payout.id, StatementLine.kind == LineKind.PAYOUT)
        .order_by(StatementLine.id).limit(1))
    return True


# --- a person's decision on a proposal (commits) ------------------------------------------------------

def decide_payout_line(line_public_id: str, choice: str, *, actor: Actor, payout_public_id: str | None = None,
                       reason: str | None = None) -> StatementLine:
    """"link_payout": the line is the proposed payout (booked by the bank); "not_payout": money out
    that is no payout of ours (ledger `unrelated`, with the reason). Commits.

    AlreadyDecided-like refusals: IllegalTransition when the line no longer waits for this
    decision (someone decided meanwhile) or the payout was confirmed by another line.
    """
    from app.deposits.services import line_for_decision, lock_line_waiting_for

    line_id, reason = line_for_decision(line_public_id, choice, PAYOUT_CHOICES, reason)

    def work() -> StatementLine:
        line = lock_line_waiting_for(line_id, PAYOUT_PROBLEM)
        now = clock.now()
        if choice == "link_payout":
            payout = db.session.scalar(select(Payout).where(Payout.public_id == (payout_public_id or "")))
            if payout is None or payout.id not in (line.proposals or []):
                raise ValidationFailed(fields={"payout": _l("Choose one of the proposed payouts.")})
            payout = lock_by_id(Payout, payout.id)
            taken = db.session.scalar(select(StatementLine.id).where(
                StatementLine.payout_id == payout.id, StatementLine.kind == LineKind.PAYOUT,
                StatementLine.status != LineStatus.NEEDS_DECISION))
            if taken is not None:
                raise IllegalTransition(fields={"payout": _l("Another statement line is already this payout.")})
            confirm_payout(line, payout, actor)
        else:
            _set(line, LineKind.OTHER, "not_ours")
            record_unrelated(line, actor=actor)
        line.decided_by, line.decided_at, line.decision_note = actor.name[:200], now, reason
        audit.record("statement_line." + choice, entity_type="statement_line", entity_id=line.public_id,
                     actor=actor, reason=reason, to_state=line.status,
                     data={"amount": line.amount, "payout": payout_public_id if choice == "link_payout" else None})
        return line

    return run_in_transaction(work)
