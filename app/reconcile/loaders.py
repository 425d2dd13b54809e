"""What each reconciliation reads: a day's rows in one query per side, then the facts about the
few leftovers in a handful of batched queries (`IN (…)` on indexed columns). Read-only.

Which day a row belongs to:
- gateway: ledger card charges and refunds by their business date; the file by its business date.
- payouts: payouts by the ledger's business date (the day the bank completed them); fees and returns
  read from a statement by the line's booking date (the ledger files them so too); statement debits,
  returns and fees by their booking date. Pending lines never count.
- settlement: each decided deposit (or reversal) line by its booking date, with the ledger rows that
  name it; deposits recorded by hand (no line) by the ledger's business date; the gateway's credit
  by the settlement date its memo names (app.payments.settlement.settlement_date_in), owned by the
  day the credit was booked (or, while it has not come, by the day after the settlement date).
"""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import and_, or_, select

from app.deposits.models import LineKind, LineStatus, StatementLine
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry
from app.payments import settlement
from app.reconcile.matching import Entry, Expected, GatewayFacts, Line, PayoutFacts, payout_line_key
from app.reconcile.models import ReconciliationRun, SettlementFile
from app.reconcile.policies import RunStatus

CHUNK = 5_000
TRANSFER_ID = re.compile(r"FDT[0-9A-F]{20}")

_ENTRY_COLUMNS = (LedgerEntry.id, LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.business_date,
                  LedgerEntry.external_ref, LedgerEntry.payment_id, LedgerEntry.refund_id, LedgerEntry.payout_id,
                  LedgerEntry.statement_line_id, LedgerEntry.reservation_id)
_LINE_COLUMNS = (StatementLine.id, StatementLine.booked_on, StatementLine.amount, StatementLine.kind,
                 StatementLine.memo, StatementLine.payout_id, StatementLine.our_ref, StatementLine.status,
                 StatementLine.reservation_id, StatementLine.public_id)


def _entries(stmt) -> list[Entry]:
    return [Entry(*row) for row in db.session.execute(stmt)]


def _lines(stmt) -> list[Line]:
    return [Line(*row) for row in db.session.execute(stmt)]


def _chunks(values):
    values = list(values)
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


def reconciled_days(source: str, days) -> set[date]:
    days = set(days)
    if not days:
        return set()
    return set(db.session.scalars(select(ReconciliationRun.business_date).where(
        ReconciliationRun.source == source, ReconciliationRun.status == RunStatus.COMPLETED,
        ReconciliationRun.business_date.in_(days))))


# --- settlement files --------------------------------------------------------------------------------

def latest_file(day: date) -> SettlementFile | None:
    """The settlement file used for a day: the one received last (a re-issued file replaces the first)."""
    return db.session.scalar(select(SettlementFile).where(SettlementFile.business_date == day)
                             .order_by(SettlementFile.id.desc()).limit(1))


def file_rows(day: date) -> tuple[SettlementFile | None, list[settlement.SettlementRow]]:
    stored = latest_file(day)
    if stored is None:
        return None, []
    return stored, settlement.parse(stored.content).rows


# --- the card gateway --------------------------------------------------------------------------------

CARD_KINDS = (EntryKind.CARD_CHARGE, EntryKind.CARD_REFUND)


def gateway_entries(day: date) -> list[Entry]:
    return _entries(select(*_ENTRY_COLUMNS).where(LedgerEntry.business_date == day,
                                                  LedgerEntry.kind.in_(CARD_KINDS)).order_by(LedgerEntry.id))


def gateway_facts(day: date, left_entries: list[Entry], left_rows: list) -> GatewayFacts:
    """What pass 2 needs about the leftovers of pass 1 (see GatewayFacts)."""
    from app.booking.models import Reservation
    from app.payments.models import Payment
    from app.refunds.models import Refund

    facts = GatewayFacts()
    payment_ids = {e.payment_id for e in left_entries if e.payment_id is not None}
    entries_of_payment: dict[int, list[Entry]] = defaultdict(list)
    for e in left_entries:
        if e.payment_id is not None:
            entries_of_payment[e.payment_id].append(e)
    for chunk in _chunks(payment_ids):
        for pid, public, code in db.session.execute(select(Payment.id, Payment.public_id, Reservation.code)
                                                    .join(Reservation, Reservation.id == Payment.reservation_id)
                                                    .where(Payment.id.in_(chunk))):
            for e in entries_of_payment[pid]:
                facts.orders_of_entry[e.id] = (public, code)
    orders = {r.order_id for r in left_rows if r.order_id}
    columns = (Payment.id, Payment.public_id, Payment.status, Payment.gateway_charge_id, Payment.reservation_id,
               Payment.amount, Reservation.code)
    found: dict[int, dict] = {}
    for chunk in _chunks(orders):
        rows = db.session.execute(select(*columns).join(Reservation, Reservation.id == Payment.reservation_id)
                                  .where(Payment.method == "card", or_(Payment.public_id.in_(chunk),
                                                                       Reservation.code.in_(chunk)))
                                  .order_by(Payment.id))
        for pid, public, status, charge, rid, amount, code in rows:
            found[pid] = {"id": pid, "public_id": public, "status": status, "charge_id": charge,
                          "reservation_id": rid, "amount": amount, "code": code}
    for payment in found.values():
        for order in (payment["public_id"], payment["code"]):
            if order in orders:
                facts.payments.setdefault(order, []).append(payment)
    refund_columns = (Refund.id, Refund.public_id, Refund.status, Refund.amount, Refund.gateway_refund_id,
                      Refund.payment_id)

    def refund_fact(row) -> dict:
        return {"id": row[0], "public_id": row[1], "status": row[2], "amount": row[3], "refund_id": row[4],
                "payment_id": row[5]}

    cancels = [r.transaction_id for r in left_rows if r.record_type == settlement.CANCEL]
    for chunk in _chunks(cancels):
        for row in db.session.execute(select(*refund_columns).where(Refund.gateway_refund_id.in_(chunk))):
            facts.refunds_by_tx[row[4]] = refund_fact(row)
    if cancels and found:
        for chunk in _chunks(found):
            for row in db.session.execute(select(*refund_columns).where(Refund.payment_id.in_(chunk))
                                          .order_by(Refund.id)):
                facts.refunds_by_payment.setdefault(row[5], []).append(refund_fact(row))
    refs = [r.transaction_id for r in left_rows]
    for chunk in _chunks(refs):
        for e in _entries(select(*_ENTRY_COLUMNS).where(LedgerEntry.external_ref.in_(chunk),
                                                        LedgerEntry.kind.in_(CARD_KINDS),
                                                        LedgerEntry.business_date != day)):
            facts.ledger_elsewhere.setdefault(e.external_ref, e)
    wanted = {e.external_ref for e in left_entries if e.external_ref}
    if wanted:
        for other in (day - timedelta(days=1), day + timedelta(days=1)):
            _stored, rows = file_rows(other)
            for row in rows:
                if row.transaction_id in wanted:
                    facts.rows_elsewhere.setdefault(row.transaction_id, (other, row))
    others = {e.business_date for e in facts.ledger_elsewhere.values()} | {d for d, _r in facts.rows_elsewhere.values()}
    facts.reconciled_days = reconciled_days("gateway", others)
    return facts


# --- payouts -----------------------------------------------------------------------------------------

PAYOUT_ENTRY_KINDS = (EntryKind.REFUND_PAYOUT, EntryKind.SETTLEMENT_PAYOUT)
LINE_ENTRY_KINDS = (EntryKind.BANK_FEE, EntryKind.PAYOUT_RETURN)
PAYOUT_LINE_KINDS = (LineKind.PAYOUT, LineKind.FEE, LineKind.PAYOUT_RETURN, LineKind.OTHER)


def _with_transfer(entries: list[Entry]) -> list[Entry]:
    """Payout rows carry our transfer id in their details (app.ledger.services.record_payout)."""
    ids = [e.id for e in entries if e.kind in PAYOUT_ENTRY_KINDS]
    transfers: dict[int, str | None] = {}
    for chunk in _chunks(ids):
        for entry_id, details in db.session.execute(select(LedgerEntry.id, LedgerEntry.details)
                                                    .where(LedgerEntry.id.in_(chunk))):
            transfers[entry_id] = (details or {}).get("transferId")
    return [e._replace(transfer_id=transfers.get(e.id)) for e in entries]


def payout_entries(day: date) -> list[Entry]:
    booked = select(StatementLine.id).where(StatementLine.booked_on == day,
                                            StatementLine.kind.in_(PAYOUT_LINE_KINDS))
    stmt = select(*_ENTRY_COLUMNS).where(or_(
        and_(LedgerEntry.kind.in_(PAYOUT_ENTRY_KINDS), LedgerEntry.business_date == day),
        and_(LedgerEntry.kind.in_(LINE_ENTRY_KINDS), LedgerEntry.statement_line_id.in_(booked)),
        and_(LedgerEntry.kind.in_(LINE_ENTRY_KINDS), LedgerEntry.statement_line_id.is_(None),
             LedgerEntry.business_date == day))).order_by(LedgerEntry.id)
    return _with_transfer(_entries(stmt))


def payout_lines(day: date) -> list[Line]:
    return _lines(select(*_LINE_COLUMNS).where(StatementLine.booked_on == day, StatementLine.pending.is_(False),
                                               StatementLine.kind.in_(PAYOUT_LINE_KINDS)).order_by(StatementLine.id))


def payout_facts(day: date, entries: list[Entry], lines: list[Line]) -> PayoutFacts:
    """Payouts named by the lines (link or transfer id), and the other-day halves of unpaired rows."""
    from app.remittance.models import Payout

    facts = PayoutFacts()
    transfers = set()
    for ln in lines:
        if ln.payout_id is None:
            transfers.update(TRANSFER_ID.findall(f"{ln.our_ref or ''} {ln.memo or ''}"))
    columns = (Payout.id, Payout.public_id, Payout.status, Payout.amount, Payout.transfer_id, Payout.reservation_id,
               Payout.attempt_count)

    def keep(row) -> None:
        facts.payouts[row[0]] = {"id": row[0], "public_id": row[1], "status": row[2], "amount": row[3],
                                 "transfer_id": row[4], "reservation_id": row[5], "attempt": row[6]}
        facts.payout_by_transfer[row[4]] = row[0]

    for chunk in _chunks(transfers):
        for row in db.session.execute(select(*columns).where(Payout.transfer_id.in_(chunk))):
            keep(row)
    linked = {ln.payout_id for ln in lines if ln.payout_id is not None}
    for chunk in _chunks(linked):
        for row in db.session.execute(select(*columns).where(Payout.id.in_(chunk))):
            keep(row)
    line_keys = {payout_line_key(ln, facts) for ln in lines}
    entry_keys = {}
    for e in entries:
        if e.kind in PAYOUT_ENTRY_KINDS and e.payout_id is not None:
            entry_keys[f"payouts:payout:{e.payout_id}"] = e
        elif e.kind == EntryKind.PAYOUT_RETURN and e.payout_id is not None:
            entry_keys[f"payouts:return:{e.payout_id}"] = e
    # Entries without a line today: is their line on the day before or after?
    unpaired = {k: e for k, e in entry_keys.items() if k not in line_keys}
    if unpaired:
        ids = {e.payout_id for e in unpaired.values()}
        near = _lines(select(*_LINE_COLUMNS).where(
            StatementLine.booked_on.in_((day - timedelta(days=1), day + timedelta(days=1))),
            StatementLine.pending.is_(False), StatementLine.kind.in_(PAYOUT_LINE_KINDS),
            or_(StatementLine.payout_id.in_(ids), StatementLine.our_ref.in_(
                [e.transfer_id for e in unpaired.values() if e.transfer_id]))))
        by_transfer = {e.transfer_id: e.payout_id for e in unpaired.values() if e.transfer_id}
        for ln in near:
            key = payout_line_key(ln, PayoutFacts(payout_by_transfer=by_transfer))
            if key in unpaired:
                facts.lines_elsewhere.setdefault(key, ln)
    # Lines without an entry today: is the payout's row on another day?
    lonely = {k for k in line_keys if k not in entry_keys and k.startswith(("payouts:payout:", "payouts:return:"))}
    if lonely:
        ids = {int(k.rsplit(":", 1)[1]) for k in lonely}
        for e in _with_transfer(_entries(select(*_ENTRY_COLUMNS).where(
                LedgerEntry.payout_id.in_(ids), LedgerEntry.kind.in_(PAYOUT_ENTRY_KINDS + (EntryKind.PAYOUT_RETURN,)),
                LedgerEntry.business_date != day))):
            kind = "return" if e.kind == EntryKind.PAYOUT_RETURN else "payout"
            key = f"payouts:{kind}:{e.payout_id}"
            if key in lonely:
                facts.ledger_elsewhere.setdefault(key, e)
    others = {ln.booked_on for ln in facts.lines_elsewhere.values()} | \
        {e.business_date for e in facts.ledger_elsewhere.values()}
    facts.reconciled_days = reconciled_days("payouts", others)
    return facts


# --- the gateway's settlement credit and bank deposits -----------------------------------------------------

SETTLEMENT_LOOKAROUND = timedelta(days=10)
DEPOSIT_LINE_KINDS = (LineKind.DEPOSIT, LineKind.REVERSAL)


def settlement_inputs(day: date) -> tuple[list[Expected], dict[date, list[Line]], dict]:
    """The settlement dates this day owns, with their expected net and the credits naming them.

    A settlement date S is owned by the booking day of its first credit; while no credit names it,
    by S + 1 (the day the gateway should pay)."""
    credits_near = _lines(select(*_LINE_COLUMNS).where(
        StatementLine.booked_on.between(day - SETTLEMENT_LOOKAROUND, day + SETTLEMENT_LOOKAROUND),
        StatementLine.pending.is_(False), StatementLine.amount > 0,
        or_(StatementLine.kind == LineKind.GATEWAY_SETTLEMENT, StatementLine.memo.contains("정산"))))
    by_settlement: dict[date, list[Line]] = defaultdict(list)
    for ln in credits_near:
        named = settlement.settlement_date_in(ln.memo)
        if named is not None:
            by_settlement[named].append(ln)
    owned: dict[date, list[Line]] = {}
    for named, lines in by_settlement.items():
        if min(ln.booked_on for ln in lines) == day:
            owned[named] = sorted(lines, key=lambda ln: ln.id)
    due = day - timedelta(days=1)
    mine = set(owned) | ({due} if due not in by_settlement else set())
    expected = []
    for named in sorted(mine):
        stored = latest_file(named)
        if stored is not None:
            expected.append(Expected(named, stored.total_net, stored.id, stored.row_count))
    return expected, owned, {"settlementDates": [d.isoformat() for d in sorted(mine)]}


def deposit_groups(day: date) -> tuple[list[tuple[list[Line], list[Entry], Line | None]], list[Entry], int]:
    """Decided deposit and reversal lines booked on the day, each with the ledger rows naming it and,
    for a credit and its reversal that moved no money, the other half; deposits recorded by hand (no
    line) that day; and how many lines still wait for a person's decision."""
    lines = _lines(select(*_LINE_COLUMNS).where(StatementLine.booked_on == day, StatementLine.pending.is_(False),
                                                StatementLine.kind.in_(DEPOSIT_LINE_KINDS)).order_by(StatementLine.id))
    waiting = sum(1 for ln in lines if ln.status == LineStatus.NEEDS_DECISION)
    lines = [ln for ln in lines if ln.status != LineStatus.NEEDS_DECISION]
    by_line = _entries_by_line([ln.id for ln in lines])
    bare = [ln.id for ln in lines if not by_line.get(ln.id)]
    partners: dict[int, int] = {}
    for chunk in _chunks(bare):
        for line_id, original in db.session.execute(select(StatementLine.id, StatementLine.reverses_line_id).where(
                or_(StatementLine.id.in_(chunk), StatementLine.reverses_line_id.in_(chunk)),
                StatementLine.reverses_line_id.is_not(None))):
            partners.setdefault(line_id, original)
            partners.setdefault(original, line_id)
    other_ids = [partners[i] for i in bare if i in partners]
    other_entries = _entries_by_line(other_ids)
    others = {ln.id: ln for chunk in _chunks(other_ids)
              for ln in _lines(select(*_LINE_COLUMNS).where(StatementLine.id.in_(chunk)))}
    groups = []
    for ln in lines:
        partner = others.get(partners.get(ln.id)) if ln.id in bare else None
        if partner is not None and other_entries.get(partner.id):
            partner = None  # the other half moved money: not a pair that cancels out
        groups.append(([ln], by_line.get(ln.id, []), partner))
    manual = _entries(select(*_ENTRY_COLUMNS).where(
        LedgerEntry.business_date == day, LedgerEntry.kind == EntryKind.BANK_DEPOSIT,
        LedgerEntry.statement_line_id.is_(None)).order_by(LedgerEntry.id))
    return groups, manual, waiting


def _entries_by_line(line_ids) -> dict[int, list[Entry]]:
    found: dict[int, list[Entry]] = defaultdict(list)
    for chunk in _chunks(line_ids):
        for e in _entries(select(*_ENTRY_COLUMNS).where(LedgerEntry.statement_line_id.in_(chunk))
                          .order_by(LedgerEntry.id)):
            found[e.statement_line_id].append(e)
    return found
