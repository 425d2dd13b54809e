"""Importing a bank statement file: every line stored once, in order, with what it did.

One transaction for the whole file (run_in_transaction): the new lines are inserted with
INSERT … ON CONFLICT DO NOTHING on (account, dedupe_key), so a line seen before — in the
same file imported twice, an overlapping export, or by a second import running at the same
moment (PostgreSQL makes it wait for the first, then skip) — is a duplicate and changes
nothing. Then each new line does what its direction says (app.deposits.directions), in
file order: deposits are matched to bookings, payouts confirmed, fees recorded, reversals
undo the line they reverse, returned payouts reopen their refunds, pending entries are
only shown. Customer messages are queued only at the end, for what still holds then: a
deposit whose reversal came later in the same file sends nothing. The outbox sends them
after the commit.

A statement whose lines were all imported before, or a bank's copy (CAMT
CpyDplctInd=DUPL) of a statement we have, is reported as "already imported" and writes
nothing. Each account's statements must chain by their balances (app.deposits.continuity).
`import_statement` returns an ImportResult that counts every line by what it did; the
counts add up to the lines stored plus the duplicates.
"""
from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.booking.models import Reservation
from app.booking.services import mark_paid, outstanding_amount
from app.booking.states import ReservationStatus
from app.core import audit, clock
from app.core.actor import Actor
from app.core.context import current_request_id
from app.core.db import _dialect_insert, run_in_transaction, upsert
from app.core.ids import public_id
from app.deposits import continuity, directions, matching, outgoing, parsers, reversals
from app.deposits.duplicates import Preview, existing_keys, preview_import, seen_before  # noqa: F401
from app.deposits.models import BankStatement, CsvMapping, ImportRun, LineKind, LineStatus, StatementLine
from app.deposits.services import (AUTO_ACTOR, MAX_FILE_BYTES, BalanceRefused, _close, _lock_reservations,
                                   _store_problem)
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry
from app.ledger.services import record_payment
from app.notifications.models import OutboxMessage
from app.notifications.services import queue_notification
from app.payments.models import Payment
from app.payments.states import PaymentMethod, PaymentStatus, next_state

log = logging.getLogger(__name__)

CHUNK = 500
#: ImportResult.counts keys, in the order the result page lists them.
COUNT_KEYS = ("deposits_matched", "decisions_needed", "payouts_confirmed", "fees", "reversals", "returns",
              "pending", "duplicates", "other")


# --- what the file holds and what importing did -------------------------------------------------------

@dataclass
class LineOutcome:
    """One line of the file and what importing it did (`line`: the stored line's public id)."""

    line: str | None
    row: int
    booked_on: date
    amount: int
    kind: str
    outcome: str
    booking: str | None = None
    payout: str | None = None
    problem: str | None = None
    category: str = "other"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "row": self.row, "bookedOn": self.booked_on.isoformat(), "amount": self.amount,
                "kind": self.kind, "outcome": self.outcome, "booking": self.booking, "payout": self.payout,
                "problem": self.problem, "category": self.category}


@dataclass
class ImportResult:
    """What an import did. The first five keep their first meaning: the statements stored, the new
    money-in lines (deposits, matched or not), the lines already imported, the deposits confirmed by
    themselves and the deposits left for a person. `lines` and `counts` cover every line."""

    statement_ids: list[int]
    new_lines: int
    skipped: int
    auto_confirmed: int
    needs_decision: int
    lines: list[LineOutcome] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    already_imported: int = 0
    gaps: list[dict[str, Any]] = field(default_factory=list)         # open gaps of the accounts touched
    gaps_closed: list[dict[str, Any]] = field(default_factory=list)  # gaps this import closed
    run: str | None = None                                           # ImportRun public id (None: nothing new)


def category_of(line: StatementLine) -> str:
    """Which ImportResult.counts key a stored line counts under, by what it finally did."""
    if line.status == LineStatus.PENDING:
        return "pending"
    if line.status == LineStatus.NEEDS_DECISION:
        return "decisions_needed"
    if line.kind == LineKind.REVERSAL or line.outcome == "reversed":
        return "reversals"
    if line.kind == LineKind.DEPOSIT and line.outcome in ("auto_confirmed", "split"):
        return "deposits_matched"
    if line.kind == LineKind.PAYOUT and line.outcome == "payout_confirmed":
        return "payouts_confirmed"
    if line.kind == LineKind.FEE:
        return "fees"
    if line.kind == LineKind.PAYOUT_RETURN and line.outcome == "returned":
        return "returns"
    return "other"


# --- messages held back to the end of the file ------------------------------------------------------------

class _Held:
    """Payments made and bookings un-paid while importing; their guests' messages are queued at the end."""

    def __init__(self) -> None:
        self.paid: dict[int, list[Payment]] = defaultdict(list)
        self.unpaid: list[tuple[Reservation, str]] = []
        self.touched: set[int] = set()

    def pay(self, line: StatementLine, reservation: Reservation, amount: int) -> Payment:
        """A completed bank-transfer payment for `line`, the booking paid, no message yet. No commit."""
        from app.refunds.policies import OurFault
        from app.refunds.services import request_refund

        payment = Payment(public_id=public_id("pay"), reservation_id=reservation.id,
                          method=PaymentMethod.BANK_TRANSFER, amount=amount, currency=reservation.currency,
                          status=PaymentStatus.PENDING, payer_name=matching.sender_of(line)[:200] or None,
                          deposit_reference=reservation.code, request_id=current_request_id(),
                          details={"statementLine": line.public_id, "bookedOn": line.booked_on.isoformat()})
        db.session.add(payment)
        db.session.flush()
        payment.status = next_state(payment.status, PaymentStatus.COMPLETED)
        payment.completed_at = clock.now()
        record_payment(payment, actor=AUTO_ACTOR, statement_line_id=line.id, business_date=line.booked_on)
        audit.record("payment.completed", entity_type="payment", entity_id=payment.public_id,
                     reservation_id=reservation.id, actor=AUTO_ACTOR, from_state=PaymentStatus.PENDING,
                     to_state=PaymentStatus.COMPLETED, data={"amount": amount, "statementLine": line.public_id})
        r, moved = mark_paid(reservation.id, actor=AUTO_ACTOR, reason=f"payment {payment.public_id}", notify=False)
        if not moved and r.status != ReservationStatus.PAID:  # re-checked under the lock: never expected
            db.session.flush()
            request_refund(r, source="late_payment", our_fault=OurFault.HOLD_EXPIRED_WHILE_PAYING,
                           requested_reason="Payment arrived after the booking was canceled.", actor=AUTO_ACTOR)
        self.paid[reservation.id].append(payment)
        self.touched.add(reservation.id)
        return payment

    def note_unpaid(self, reservation: Reservation, line: StatementLine) -> None:
        self.unpaid.append((reservation, line.public_id))

    def queue_messages(self) -> int:
        """Queue what still holds now that the whole file is processed. No commit; returns how many."""
        queued = 0
        for rid, payments in self.paid.items():
            r = db.session.get(Reservation, rid)
            if r.status != ReservationStatus.PAID or not any(p.status == PaymentStatus.COMPLETED for p in payments):
                continue
            # A booking paid again after a reversal: its first confirmation's key is used up.
            again = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
                LedgerEntry.reservation_id == rid, LedgerEntry.kind == EntryKind.DEPOSIT_REVERSAL))
            key = f"{r.public_id}:{payments[-1].public_id}" if again else r.public_id
            queued += bool(queue_notification("payment_confirmed", reservation=r, key=key))
        for r, line_public_id in self.unpaid:
            told = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.reservation_id == r.id, OutboxMessage.event == "payment_confirmed"))
            if r.status == ReservationStatus.PENDING and told:
                reversals.tell_guest_money_missing(r, line_public_id)
                queued += 1
        return queued


# --- deposits ------------------------------------------------------------------------------------------

def analyze_all(lines: list[StatementLine]) -> dict[int, matching.Analysis]:
    """What each deposit line pays as the file starts: the one call to matching for the whole file."""
    return {line.id: found for line, found in zip(lines, matching.analyze_many(lines))}


def _names(found: matching.Analysis) -> set[int]:
    rs = [found.reservation, *found.proposals, *(r for r, _o in found.split)]
    return {r.id for r in rs if r is not None}


def _still_automatic(line: StatementLine, found: matching.Analysis) -> bool:
    """Re-checked under the bookings' locks: each still waits for exactly what it was to get."""
    pairs = found.split or [(found.reservation, line.amount)]
    return all(r.status == ReservationStatus.PENDING and outstanding_amount(r) == owed for r, owed in pairs)


def _deposit(line: StatementLine, found: matching.Analysis, held: _Held, *, automatic: bool = True) -> None:
    """Pay the booking(s) a deposit matches exactly, else leave the problem for a person. No commit."""
    if _names(found) & held.touched:  # an earlier line of this file changed these bookings
        found = matching.analyze(line)
    if found.automatic and automatic:
        _lock_reservations([found.reservation] if found.reservation else [r for r, _o in found.split])
        if not _still_automatic(line, found):
            found = matching.analyze(line)
    if not (found.automatic and automatic):
        line.status = LineStatus.NEEDS_DECISION
        _store_problem(line, found)
        return
    if found.split:
        payments = [held.pay(line, r, owed) for r, owed in found.split]
        _close(line, "split", AUTO_ACTOR, None, payments, reservation=None)
    else:
        _close(line, "auto_confirmed", AUTO_ACTOR, None, [held.pay(line, found.reservation, line.amount)],
               reservation=found.reservation)


# --- the import ----------------------------------------------------------------------------------------

def import_statement(raw: bytes, *, source_format: str, file_name: str, account: str, bank: str = "",
                     mapping: dict[str, str] | None = None, currency: str = "KRW", actor: Actor,
                     override_reason: str | None = None) -> ImportResult:
    """Import the file's new lines and do what each says (see the module doc). Commits once.

    Balances that do not add up raise BalanceRefused (nothing imported) unless
    `override_reason` is given (the caller has checked the manager role); the override is
    written to the audit log with the lines that break. Importing the same file again
    changes nothing and reports its lines as already imported.
    """
    if len(raw) > MAX_FILE_BYTES:
        raise parsers.StatementError(_l("The file is larger than 2 MB."))
    parsed = parsers.parse(raw, source_format=source_format, mapping=mapping, account=account, currency=currency)
    override_reason = (override_reason or "").strip() or None
    if parsed.breaks and not override_reason:
        raise BalanceRefused(parsed.breaks)
    job = _Import(parsed, raw=raw, file_name=file_name, account=account, bank=bank, mapping=mapping, actor=actor,
                  override_reason=override_reason)
    result = run_in_transaction(job.run)
    log.info("bank statement imported", extra={"counts": result.counts, "run": result.run})
    return result


class _Import:
    """One run of import_statement's transaction (run() may run twice on a retried deadlock)."""

    def __init__(self, parsed: parsers.Parsed, *, raw: bytes, file_name: str, account: str, bank: str,
                 mapping: dict[str, str] | None, actor: Actor, override_reason: str | None):
        self.parsed, self.file_name, self.account, self.bank = parsed, file_name or "", account, bank.strip()
        self.mapping, self.actor, self.override_reason = mapping, actor, override_reason
        self.digest = hashlib.sha256(raw).hexdigest()

    def run(self) -> ImportResult:
        self.now = clock.now()
        self.run_row: ImportRun | None = None
        self.statements: list[BankStatement] = []
        outcomes: list[tuple[parsers.ParsedLine, int | None, str | None]] = []  # (parsed, new id, twin)
        for st in self.parsed.statements:
            outcomes += self._store(st)
        new_ids = [i for _p, i, _t in outcomes if i is not None]
        stored = self._load(new_ids)
        held = _Held()
        self._process([stored[i] for i in new_ids], held)
        held.queue_messages()
        gaps, closed = self._continuity()
        if self.run_row is not None and not self.statements:  # a concurrent import stored every line first
            db.session.delete(self.run_row)
            db.session.flush()
            self.run_row = None
        elif self.run_row is not None and self.parsed.source_format in parsers.TABULAR_FORMATS \
                and self.bank and self.mapping:  # the columns are remembered for the bank's next file
            upsert(CsvMapping, [{"bank": self.bank[:60], "columns": {k: v for k, v in self.mapping.items() if v},
                                 "created_at": self.now, "updated_at": self.now}], ["bank"], ["columns", "updated_at"])
        return self._result(outcomes, stored, gaps, closed)

    # storing ------------------------------------------------------------------------------------------

    def _run_row(self) -> ImportRun:
        if self.run_row is None:
            self.run_row = ImportRun(public_id=public_id("imp"), source_format=self.parsed.source_format,
                                     file_name=self.file_name[:200], file_sha256=self.digest,
                                     lines_in_file=len(self.parsed.lines), counts={}, actor_name=self.actor.name[:200],
                                     uploaded_by_id=self.actor.id if self.actor.is_operator else None,
                                     created_at=self.now, updated_at=self.now)
            db.session.add(self.run_row)
            db.session.flush()
        return self.run_row

    def _store(self, st: parsers.ParsedStatement) -> list[tuple[parsers.ParsedLine, int | None, str | None]]:
        seen = seen_before(st, self.account)
        if seen.whole_copy:
            return [(line, None, twin) for line, twin in zip(st.lines, seen.twins)]
        breaks = self.parsed.breaks
        statement = BankStatement(
            public_id=public_id("stm"), source_format=self.parsed.source_format, bank=self.bank[:60],
            account=seen.account, file_name=self.file_name[:200], file_sha256=self.digest, currency=st.currency,
            opening_balance=st.opening, closing_balance=st.closing, lines_in_file=len(st.lines),
            override_reason=self.override_reason if breaks else None,
            balance_problems=[b.__dict__ for b in breaks] if breaks else None,
            uploaded_by_id=self.actor.id if self.actor.is_operator else None, statement_id=st.statement_id,
            copy_duplicate=st.copy_duplicate, from_date=st.from_date, to_date=st.to_date,
            import_run_id=self._run_row().id, created_at=self.now, updated_at=self.now)
        db.session.add(statement)
        db.session.flush()
        rows = [self._row(statement, seen.account, st.currency, line) for line, twin in zip(st.lines, seen.twins)
                if not twin]
        ids = self._insert(rows)
        late = existing_keys(seen.account, [line.dedupe_key for line, twin in zip(st.lines, seen.twins)
                                        if not twin and line.dedupe_key not in ids])  # a concurrent twin won
        out = [(line, ids.get(line.dedupe_key) if not twin else None, twin or late.get(line.dedupe_key))
               for line, twin in zip(st.lines, seen.twins)]
        added = sum(1 for _l, i, _t in out if i is not None)
        if st.lines and not added:
            db.session.delete(statement)
            db.session.flush()
            return out
        statement.lines_new = added
        self.statements.append(statement)
        audit.record("bank_statement.imported", entity_type="bank_statement", entity_id=statement.public_id,
                     actor=self.actor, reason=self.override_reason if breaks else None,
                     data={"format": self.parsed.source_format, "file": self.file_name, "lines": len(st.lines),
                           "new": added, "account": seen.account, "statement_id": st.statement_id,
                           "copy": st.copy_duplicate})
        if breaks:
            audit.record("bank_statement.balance_override", entity_type="bank_statement",
                         entity_id=statement.public_id, actor=self.actor, reason=self.override_reason,
                         data={"breaks": [b.__dict__ for b in breaks]})
        return out

    def _row(self, statement: BankStatement, account: str, currency: str, line: parsers.ParsedLine) -> dict:
        return {"public_id": public_id("sln"), "statement_id": statement.id, "account": account,
                "dedupe_key": line.dedupe_key, "booked_on": line.booked_on, "amount": line.amount,
                "currency": currency, "memo": line.memo[:2000], "depositor": line.depositor[:200],
                "bank_ref": (line.bank_ref or None) and line.bank_ref[:100],
                "running_balance": line.running_balance, "reversal": line.reversal,
                "kind": directions.first_kind(line), "pending": bool(line.pending),
                "our_ref": (line.our_ref or None) and line.our_ref[:100],
                "bank_code": (line.bank_code or None) and line.bank_code[:40],
                "return_reason": (line.return_reason or None) and line.return_reason[:20],
                "status": LineStatus.OUTGOING, "created_at": self.now, "updated_at": self.now}

    @staticmethod
    def _insert(rows: list[dict]) -> dict[str, int]:
        """INSERT … ON CONFLICT (account, dedupe_key) DO NOTHING RETURNING, batched: key → new id."""
        table = StatementLine.__table__
        if not rows:
            return {}
        stmt = (_dialect_insert(table).on_conflict_do_nothing(index_elements=["account", "dedupe_key"])
                .returning(table.c.id, table.c.dedupe_key))
        return {key: line_id for line_id, key in db.session.execute(stmt, rows)}  # batched "insertmanyvalues"

    @staticmethod
    def _load(ids: list[int]) -> dict[int, StatementLine]:
        out: dict[int, StatementLine] = {}
        for i in range(0, len(ids), CHUNK):
            out.update((line.id, line) for line in db.session.scalars(
                select(StatementLine).where(StatementLine.id.in_(ids[i:i + CHUNK]))))
        return out

    # what each line does ---------------------------------------------------------------------------------

    def _process(self, lines: list[StatementLine], held: _Held) -> None:
        deposits = [line for line in lines if line.kind in (LineKind.DEPOSIT, LineKind.PAYOUT_RETURN)]
        found = analyze_all(deposits)
        book = outgoing.PayoutBook([line for line in lines if line.amount < 0 or line.kind == LineKind.PAYOUT_RETURN])
        waiting = _pending_lines({line.account for line in lines})
        for line in lines:
            kind = line.kind
            if kind == LineKind.PENDING:
                line.status, line.outcome = LineStatus.PENDING, "pending"
                waiting.setdefault((line.account, line.bank_ref, line.amount), line)
                continue
            earlier = waiting.pop((line.account, line.bank_ref, line.amount), None) if line.bank_ref else None
            if earlier is not None:  # the pending entry shown before is this booked line: no longer "not yet booked"
                earlier.status, earlier.outcome, earlier.updated_at = LineStatus.OUTGOING, "booked_later", self.now
            if kind == LineKind.DEPOSIT:
                _deposit(line, found[line.id], held)
            elif kind == LineKind.GATEWAY_SETTLEMENT:
                line.outcome = "gateway_settlement"
            elif kind == LineKind.REVERSAL:
                reversals.apply_reversal(line, reversals.find_original(line), unpaid=held.note_unpaid,
                                         touched=held.touched)
            elif kind == LineKind.PAYOUT_RETURN:
                self._money_back(line, book, found[line.id], held)
            else:
                self._money_out(line, book)

    def _money_back(self, line: StatementLine, book: outgoing.PayoutBook, found, held: _Held) -> None:
        payout = book.named(line)
        if payout is not None:
            outgoing.apply_return(line, payout, AUTO_ACTOR)
            return
        original = reversals.find_original(line)
        if original is not None and original.kind == LineKind.PAYOUT and original.payout_id is not None:
            outgoing.apply_return(line, original.payout, AUTO_ACTOR)  # the bank names the debit it undoes
            return
        if original is not None and line.reversal:
            reversals.apply_reversal(line, original, touched=held.touched)
            return
        line.kind = LineKind.DEPOSIT  # money in we cannot place: a person decides, never paid by itself
        _deposit(line, found, held, automatic=False)

    def _money_out(self, line: StatementLine, book: outgoing.PayoutBook) -> None:
        kind, payout, proposals = outgoing.classify_debit(line, book)
        if kind == LineKind.PAYOUT:
            outgoing.confirm_payout(line, payout, AUTO_ACTOR, book)
        elif kind == LineKind.FEE:
            outgoing.record_fee(line, payout, AUTO_ACTOR)
        elif proposals:
            outgoing.propose(line, proposals)
        else:
            line.kind, line.outcome = LineKind.OTHER, "money_out"

    # balances and the result ---------------------------------------------------------------------------

    def _continuity(self) -> tuple[list, list]:
        gaps, closed = [], []
        first_by_account: dict[str, BankStatement] = {}
        for statement in self.statements:
            first_by_account.setdefault(statement.account, statement)
        for account, statement in first_by_account.items():
            open_gaps, closed_now = continuity.refresh(account, by=statement)
            gaps += [continuity.describe(g) for g in open_gaps]
            closed += [continuity.describe(g) for g in closed_now]
        return gaps, closed

    def _result(self, outcomes, stored: dict[int, StatementLine], gaps: list, closed: list) -> ImportResult:
        lines: list[LineOutcome] = []
        reservations = {r.id: r.code for r in _reservations({s.reservation_id for s in stored.values()})}
        payouts = {p.id: p.public_id for p in _payouts({s.payout_id for s in stored.values()})}
        for parsed, line_id, twin in outcomes:
            if line_id is None:
                lines.append(LineOutcome(twin if twin and twin != "?" else None, parsed.row, parsed.booked_on,
                                         parsed.amount, directions.first_kind(parsed), "duplicate",
                                         category="duplicates"))
                continue
            s = stored[line_id]
            outcome = "needs_decision" if s.status == LineStatus.NEEDS_DECISION else (s.outcome or s.status)
            lines.append(LineOutcome(s.public_id, parsed.row, s.booked_on, s.amount, s.kind, outcome,
                                     reservations.get(s.reservation_id), payouts.get(s.payout_id),
                                     s.problem if s.status == LineStatus.NEEDS_DECISION else None, category_of(s)))
        counts = dict.fromkeys(COUNT_KEYS, 0)
        counts.update(Counter(o.category for o in lines))
        deposits = [s for s in stored.values() if s.kind == LineKind.DEPOSIT]  # the old attributes' meaning
        result = ImportResult([s.id for s in self.statements], len(deposits), counts["duplicates"],
                              counts["deposits_matched"],
                              sum(1 for s in deposits if s.status == LineStatus.NEEDS_DECISION), lines, counts,
                              counts["duplicates"], gaps, closed, self.run_row.public_id if self.run_row else None)
        if self.run_row is not None:
            self.run_row.counts, self.run_row.gaps = counts, gaps or None
            self.run_row.already_imported = counts["duplicates"]
        return result


def _pending_lines(accounts: set[str]) -> dict[tuple, StatementLine]:
    """The accounts' lines still shown as not yet booked, by (account, bank reference, amount)."""
    rows = db.session.scalars(select(StatementLine).where(
        StatementLine.account.in_(sorted(accounts)), StatementLine.status == LineStatus.PENDING,
        StatementLine.bank_ref.is_not(None)).order_by(StatementLine.id)) if accounts else []
    out: dict[tuple, StatementLine] = {}
    for line in rows:
        out.setdefault((line.account, line.bank_ref, line.amount), line)
    return out


def _reservations(ids: set) -> list[Reservation]:
    ids = sorted(i for i in ids if i is not None)
    return [r for i in range(0, len(ids), CHUNK)
            for r in db.session.scalars(select(Reservation).where(Reservation.id.in_(ids[i:i + CHUNK])))]


def _payouts(ids: set) -> list:
    from app.remittance.models import Payout

    ids = sorted(i for i in ids if i is not None)
    return [p for i in range(0, len(ids), CHUNK)
            for p in db.session.scalars(select(Payout).where(Payout.id.in_(ids[i:i + CHUNK])))]
