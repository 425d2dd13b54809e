"""The matchers: rows in, matched pairs and findings out. No database, no clock.

Each reconciliation works in two passes, so the hundreds of thousands of rows
that match are handled with dictionaries only and the few left over are looked
up in a handful of batched queries (app.reconcile.loaders) in between:

1. `pair_*`: match 1:1 by the strongest key (the gateway's transaction id; the
   statement line a ledger row names; the payout a line is linked to). Pairs
   with equal amounts are MATCHED; unequal ones are AMOUNT_MISMATCH.
2. `classify_*`: the leftovers get a second chance (order id + amount; our
   transfer id on the line) and then a type from seed 001 §3.3, using `facts`
   the loader fetched for exactly these leftovers.

Amounts must be equal to the won (KRW has no smaller unit: tolerance 0). The one
tolerance is time: the same transaction on the other side of midnight (the day
before or after) is TIMING_MISMATCH, not an INTERNAL_ONLY + EXTERNAL_ONLY pair;
it is `cleared` when the other day has been reconciled too.

Natural keys (one item per key, whatever day finds it):
  gateway:tx:<transaction id> | gateway:entry:<ledger id>
  payouts:payout:<payout id> | payouts:return:<payout id> | payouts:line:<line id> | payouts:entry:<ledger id>
  settlement:day:<settlement date> | settlement:line:<line id> | settlement:entry:<ledger id>
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from app.reconcile.policies import (
    AMOUNT_MISMATCH,
    EXTERNAL_ONLY,
    GHOST_TRANSACTION,
    INTERNAL_ONLY,
    STATUS_MISMATCH,
    TIMING_MISMATCH,
)


class Entry(NamedTuple):
    """A ledger row, as the matchers need it."""
    id: int
    kind: str
    amount: int
    business_date: date
    external_ref: str | None
    payment_id: int | None
    refund_id: int | None
    payout_id: int | None
    statement_line_id: int | None
    reservation_id: int | None
    transfer_id: str | None = None   # payouts: our transfer id (from the row's details)


class Line(NamedTuple):
    """A bank statement line, as the matchers need it."""
    id: int
    booked_on: date
    amount: int
    kind: str
    memo: str
    payout_id: int | None
    our_ref: str | None
    status: str
    reservation_id: int | None
    public_id: str = ""


@dataclass
class Finding:
    """One difference: becomes (or updates) the ReconciliationItem with the same key."""
    key: str
    type: str
    business_date: date
    internal: dict[str, Any] | None
    external: dict[str, Any] | None
    internal_amount: int | None
    external_amount: int | None
    reservation_id: int | None = None
    cleared: bool = False            # a TIMING pair whose other day is reconciled too
    facts: dict[str, Any] = field(default_factory=dict)  # what the actions need (payment, refund, payout ids)


@dataclass
class Outcome:
    """What one source's matching found for a day."""
    matched: int = 0
    findings: list[Finding] = field(default_factory=list)
    matched_keys: set[str] = field(default_factory=set)   # only the keys asked about (open items)

    @property
    def total(self) -> int:
        return self.matched + len(self.findings)


def entry_side(entries: list[Entry]) -> dict[str, Any]:
    return {"entries": [{"id": e.id, "kind": e.kind, "amount": e.amount, "businessDate": e.business_date.isoformat(),
                         "externalRef": e.external_ref, "paymentId": e.payment_id, "refundId": e.refund_id,
                         "payoutId": e.payout_id, "statementLineId": e.statement_line_id,
                         "reservationId": e.reservation_id} for e in entries]}


def line_side(lines: list[Line]) -> dict[str, Any]:
    return {"lines": [{"id": ln.id, "publicId": ln.public_id, "bookedOn": ln.booked_on.isoformat(),
                       "amount": ln.amount, "kind": ln.kind, "memo": ln.memo, "payoutId": ln.payout_id,
                       "ourRef": ln.our_ref} for ln in lines]}


def _row_side(row, business_date: date) -> dict[str, Any]:
    return {**row.as_dict(), "businessDate": business_date.isoformat()}


# --- the card gateway ------------------------------------------------------------------------------

GATEWAY_KIND = {"card_charge": "APPROVAL", "card_refund": "CANCEL"}


@dataclass
class GatewayPairing:
    outcome: Outcome
    left_entries: list[Entry]
    left_rows: list


def pair_gateway(day: date, entries: list[Entry], rows: list, watch: set[str] | frozenset = frozenset()) \
        -> GatewayPairing:
    """Pass 1: ledger rows and file rows with the same transaction id."""
    outcome = Outcome()
    by_tx = {r.transaction_id: r for r in rows}
    left_entries = []
    for e in entries:
        row = by_tx.pop(e.external_ref, None) if e.external_ref else None
        if row is None or GATEWAY_KIND.get(e.kind) != row.record_type:
            if row is not None:
                by_tx[e.external_ref] = row
            left_entries.append(e)
            continue
        key = f"gateway:tx:{row.transaction_id}"
        if row.amount == e.amount:
            outcome.matched += 1
            if key in watch:
                outcome.matched_keys.add(key)
        else:
            outcome.findings.append(Finding(key, AMOUNT_MISMATCH, day, entry_side([e]), _row_side(row, day),
                                            e.amount, row.amount, e.reservation_id,
                                            facts={"payment_id": e.payment_id, "refund_id": e.refund_id}))
    return GatewayPairing(outcome, left_entries, list(by_tx.values()))


@dataclass
class GatewayFacts:
    """What the loader found about the leftovers of pass 1."""
    #: ledger entry id → the order ids the gateway may name it by (payment public id, booking code)
    orders_of_entry: dict[int, tuple[str, ...]] = field(default_factory=dict)
    #: order id (payment public id or booking code) → payment facts
    #: {"id", "status", "charge_id", "reservation_id", "amount", "public_id"}
    payments: dict[str, list[dict]] = field(default_factory=dict)
    #: gateway refund id / payment id → refund facts {"id", "status", "amount", "refund_id", "payment_id"}
    refunds_by_tx: dict[str, dict] = field(default_factory=dict)
    refunds_by_payment: dict[int, list[dict]] = field(default_factory=dict)
    #: transaction id → the ledger row with that external ref on another day
    ledger_elsewhere: dict[str, Entry] = field(default_factory=dict)
    #: transaction id → (business date, file row) in the neighbouring days' files
    rows_elsewhere: dict[str, tuple[date, Any]] = field(default_factory=dict)
    #: days (other than this one) whose reconciliation is completed
    reconciled_days: set[date] = field(default_factory=set)


def classify_gateway(day: date, pairing: GatewayPairing, facts: GatewayFacts,
                     watch: set[str] | frozenset = frozenset()) -> Outcome:
    """Pass 2: order id + amount, then a type for every leftover (see the module doc)."""
    outcome = pairing.outcome
    rows = list(pairing.left_rows)
    by_order: dict[tuple[str, str, int], list] = defaultdict(list)
    for r in rows:
        by_order[(r.order_id, r.record_type, r.amount)].append(r)
    used: set[str] = set()
    left_entries = []
    for e in pairing.left_entries:
        row = None
        for order in facts.orders_of_entry.get(e.id, ()):
            candidates = [r for r in by_order.get((order, GATEWAY_KIND.get(e.kind, ""), e.amount), ())
                          if r.transaction_id not in used]
            if candidates:
                row = candidates[0]
                break
        if row is None:
            left_entries.append(e)
            continue
        used.add(row.transaction_id)
        outcome.matched += 1
        key = f"gateway:tx:{row.transaction_id}"
        if key in watch:
            outcome.matched_keys.add(key)
    claimed_orders: set[str] = set()
    for r in rows:
        if r.transaction_id in used:
            continue
        outcome.findings.append(_gateway_external(day, r, facts, claimed_orders))
    for e in left_entries:
        outcome.findings.append(_gateway_internal(day, e, facts))
    return outcome


def _timing(key: str, day: date, other: date, internal, external, internal_amount, external_amount,
            reservation_id, facts: GatewayFacts | None, reconciled: set[date]) -> Finding:
    return Finding(key, TIMING_MISMATCH, min(day, other), internal, external, internal_amount, external_amount,
                   reservation_id, cleared=other in reconciled, facts={"other_date": other.isoformat()})


def _gateway_external(day: date, r, facts: GatewayFacts, claimed_orders: set[str]) -> Finding:
    key = f"gateway:tx:{r.transaction_id}"
    external = _row_side(r, day)
    elsewhere = facts.ledger_elsewhere.get(r.transaction_id)
    if elsewhere is not None:
        if elsewhere.amount != r.amount:
            return Finding(key, AMOUNT_MISMATCH, min(day, elsewhere.business_date), entry_side([elsewhere]),
                           external, elsewhere.amount, r.amount, elsewhere.reservation_id,
                           facts={"payment_id": elsewhere.payment_id, "refund_id": elsewhere.refund_id})
        return _timing(key, day, elsewhere.business_date, entry_side([elsewhere]), external, elsewhere.amount,
                       r.amount, elsewhere.reservation_id, facts, facts.reconciled_days)
    payments = facts.payments.get(r.order_id, [])
    if not payments:
        return Finding(key, GHOST_TRANSACTION, day, None, external, None, r.amount,
                       facts={"reason": "unknown_order"})
    payment = next((p for p in payments if p["charge_id"] == r.transaction_id), None) \
        or next((p for p in payments if p["charge_id"] == r.original_transaction_id), None) \
        or payments[0]
    internal = {"payment": payment}
    base = {"payment_id": payment["id"], "order": r.order_id}
    if r.record_type == "APPROVAL":
        if payment["status"] == "pending" and r.order_id not in claimed_orders and payment["amount"] == r.amount:
            claimed_orders.add(r.order_id)
            return Finding(key, STATUS_MISMATCH, day, internal, external, 0, r.amount, payment["reservation_id"],
                           facts={**base, "sync": "charge"})
        if payment["status"] in ("failed", "canceled") and r.order_id not in claimed_orders:
            claimed_orders.add(r.order_id)
            return Finding(key, STATUS_MISMATCH, day, internal, external, 0, r.amount, payment["reservation_id"],
                           facts={**base, "refund_capture": True})
        if payment["status"] == "completed" and payment["charge_id"] == r.transaction_id:
            # Our payment has this very charge but no ledger row anywhere near: the ledger lacks it.
            return Finding(key, STATUS_MISMATCH, day, internal, external, 0, r.amount, payment["reservation_id"],
                           facts=base)
        return Finding(key, GHOST_TRANSACTION, day, internal, external, None, r.amount, payment["reservation_id"],
                       facts={**base, "reason": "second_capture", "refund_capture": True})
    refund = facts.refunds_by_tx.get(r.transaction_id)
    if refund is None:
        refund = next((f for f in facts.refunds_by_payment.get(payment["id"], [])
                       if f["status"] != "completed" and f["amount"] == -r.amount), None)
    if refund is None:
        return Finding(key, EXTERNAL_ONLY, day, internal, external, None, r.amount, payment["reservation_id"],
                       facts={**base, "reason": "unknown_refund"})
    internal = {"payment": payment, "refund": refund}
    sync = "refund" if refund["status"] in ("processing", "failed") else None
    return Finding(key, STATUS_MISMATCH, day, internal, external, 0, r.amount, payment["reservation_id"],
                   facts={**base, "refund_id": refund["id"], "sync": sync})


def _gateway_internal(day: date, e: Entry, facts: GatewayFacts) -> Finding:
    key = f"gateway:tx:{e.external_ref}" if e.external_ref else f"gateway:entry:{e.id}"
    found = facts.rows_elsewhere.get(e.external_ref) if e.external_ref else None
    if found is not None:
        other, row = found
        if row.amount != e.amount:
            return Finding(key, AMOUNT_MISMATCH, min(day, other), entry_side([e]), _row_side(row, other), e.amount,
                           row.amount, e.reservation_id, facts={"payment_id": e.payment_id, "refund_id": e.refund_id})
        return _timing(key, day, other, entry_side([e]), _row_side(row, other), e.amount, row.amount,
                       e.reservation_id, facts, facts.reconciled_days)
    return Finding(key, INTERNAL_ONLY, day, entry_side([e]), None, e.amount, None, e.reservation_id,
                   facts={"payment_id": e.payment_id, "refund_id": e.refund_id})


# --- payouts -----------------------------------------------------------------------------------------

PAYOUT_KINDS = ("refund_payout", "settlement_payout")
#: ledger kind → the statement line kinds it may pair with
LINE_KIND_OF = {"refund_payout": ("payout",), "settlement_payout": ("payout",),
                "payout_return": ("payout_return",), "bank_fee": ("fee",)}


def _payout_key(e: Entry) -> str:
    if e.kind in PAYOUT_KINDS and e.payout_id is not None:
        return f"payouts:payout:{e.payout_id}"
    if e.kind == "payout_return" and e.payout_id is not None:
        return f"payouts:return:{e.payout_id}"
    if e.statement_line_id is not None:
        return f"payouts:line:{e.statement_line_id}"
    return f"payouts:entry:{e.id}"


def _line_key(ln: Line) -> str:
    if ln.payout_id is not None and ln.kind == "payout":
        return f"payouts:payout:{ln.payout_id}"
    if ln.payout_id is not None and ln.kind == "payout_return":
        return f"payouts:return:{ln.payout_id}"
    return f"payouts:line:{ln.id}"


@dataclass
class PayoutFacts:
    #: transfer id → payout id (for lines that carry our reference but were not linked)
    payout_by_transfer: dict[str, int] = field(default_factory=dict)
    #: payout id → {"id", "public_id", "status", "amount", "transfer_id", "reservation_id"}
    payouts: dict[int, dict] = field(default_factory=dict)
    #: payout key → ledger row on another day / line on another day
    ledger_elsewhere: dict[str, Entry] = field(default_factory=dict)
    lines_elsewhere: dict[str, Line] = field(default_factory=dict)
    reconciled_days: set[date] = field(default_factory=set)


def payout_line_key(ln: Line, facts: PayoutFacts | None = None) -> str:
    """A line's key, also when only our transfer id (not the import's link) names its payout."""
    if ln.payout_id is None and facts is not None and ln.kind in ("payout", "payout_return", "other"):
        payout_id = _transfer_in(ln, facts.payout_by_transfer)
        if payout_id is not None:
            return f"payouts:{'return' if ln.kind == 'payout_return' else 'payout'}:{payout_id}"
    return _line_key(ln)


def _transfer_in(ln: Line, transfers: dict[str, int]) -> int | None:
    if ln.our_ref and ln.our_ref in transfers:
        return transfers[ln.our_ref]
    for transfer_id, payout_id in transfers.items():
        if transfer_id in (ln.memo or ""):
            return payout_id
    return None


def match_payouts(day: date, entries: list[Entry], lines: list[Line], facts: PayoutFacts,
                  watch: set[str] | frozenset = frozenset()) -> Outcome:
    """Payouts, returns and fees of our ledger against the statement's debits (and returns) of the day."""
    outcome = Outcome()
    lines_by_key: dict[str, list[Line]] = defaultdict(list)
    for ln in lines:
        lines_by_key[payout_line_key(ln, facts)].append(ln)
    by_line_id = {ln.id: ln for ln in lines}
    done_lines: set[int] = set()
    for e in entries:
        key = _payout_key(e)
        paired: list[Line] = []
        if e.statement_line_id is not None and e.statement_line_id in by_line_id:
            paired = [by_line_id[e.statement_line_id]]
            key = _line_key(paired[0]) if e.kind == "bank_fee" else key
        elif key.startswith(("payouts:payout:", "payouts:return:")):
            paired = [ln for ln in lines_by_key.get(key, []) if ln.id not in done_lines]
        paired = [ln for ln in paired if ln.id not in done_lines]
        if not paired:
            outcome.findings.append(_payout_internal(day, key, e, facts))
            continue
        done_lines.update(ln.id for ln in paired)
        total = sum(ln.amount for ln in paired)
        if total == e.amount:
            outcome.matched += 1
            if key in watch:
                outcome.matched_keys.add(key)
        else:
            outcome.findings.append(Finding(key, AMOUNT_MISMATCH, day, entry_side([e]), line_side(paired), e.amount,
                                            total, e.reservation_id, facts={"payout_id": e.payout_id}))
    for ln in lines:
        if ln.id not in done_lines:
            outcome.findings.append(_payout_external(day, ln, facts))
    return outcome


def _payout_internal(day: date, key: str, e: Entry, facts: PayoutFacts) -> Finding:
    other = facts.lines_elsewhere.get(key)
    if other is not None:
        if other.amount != e.amount:
            return Finding(key, AMOUNT_MISMATCH, min(day, other.booked_on), entry_side([e]), line_side([other]),
                           e.amount, other.amount, e.reservation_id, facts={"payout_id": e.payout_id})
        return Finding(key, TIMING_MISMATCH, min(day, other.booked_on), entry_side([e]), line_side([other]),
                       e.amount, other.amount, e.reservation_id, cleared=other.booked_on in facts.reconciled_days,
                       facts={"payout_id": e.payout_id, "other_date": other.booked_on.isoformat()})
    return Finding(key, INTERNAL_ONLY, day, entry_side([e]), None, e.amount, None, e.reservation_id,
                   facts={"payout_id": e.payout_id})


def _payout_external(day: date, ln: Line, facts: PayoutFacts) -> Finding:
    key = payout_line_key(ln, facts)
    payout_id = ln.payout_id if ln.payout_id is not None else (
        _transfer_in(ln, facts.payout_by_transfer) if key != _line_key(ln) else None)
    elsewhere = facts.ledger_elsewhere.get(key)
    if elsewhere is not None:
        if elsewhere.amount != ln.amount:
            return Finding(key, AMOUNT_MISMATCH, min(day, elsewhere.business_date), entry_side([elsewhere]),
                           line_side([ln]), elsewhere.amount, ln.amount, elsewhere.reservation_id,
                           facts={"payout_id": payout_id})
        return Finding(key, TIMING_MISMATCH, min(day, elsewhere.business_date), entry_side([elsewhere]),
                       line_side([ln]), elsewhere.amount, ln.amount, elsewhere.reservation_id,
                       cleared=elsewhere.business_date in facts.reconciled_days,
                       facts={"payout_id": payout_id, "other_date": elsewhere.business_date.isoformat()})
    payout = facts.payouts.get(payout_id) if payout_id is not None else None
    if payout is not None:
        return Finding(key, STATUS_MISMATCH, day, {"payout": payout}, line_side([ln]), 0, ln.amount,
                       payout.get("reservation_id"),
                       facts={"payout_id": payout_id, "sync": "payout" if payout["status"] == "transferring" else None})
    return Finding(key, EXTERNAL_ONLY, day, None, line_side([ln]), None, ln.amount,
                   facts={"line_id": ln.id})


# --- the gateway's settlement credit and bank deposits ----------------------------------------------------

@dataclass
class Expected:
    """What the gateway owes us for one settlement date (its file's net)."""
    settlement_date: date
    net: int
    file_id: int
    rows: int


def match_settlement(day: date, expected: list[Expected], credits: dict[date, list[Line]],
                     groups: list[tuple[list[Line], list[Entry], Line | None]], manual: list[Entry],
                     watch: set[str] | frozenset = frozenset()) -> Outcome:
    """(a) each settlement date's file net against the credits naming it; (b) each decided deposit line of
    the day against the ledger rows it produced (n:1: a line split over bookings), a credit and its reversal
    that moved no money cancelling out; (c) deposits we recorded by hand with no line. `expected` and
    `credits` hold only the settlement dates this day owns."""
    outcome = Outcome()
    by_date = {x.settlement_date: x for x in expected}
    for settlement_date in sorted(set(by_date) | set(credits)):
        key = f"settlement:day:{settlement_date.isoformat()}"
        want, got = by_date.get(settlement_date), credits.get(settlement_date, [])
        paid = sum(ln.amount for ln in got)
        internal = {"settlementDate": settlement_date.isoformat(), "net": want.net, "fileId": want.file_id,
                    "rows": want.rows} if want else None
        if want is not None and got and paid == want.net:
            outcome.matched += 1
            if key in watch:
                outcome.matched_keys.add(key)
        elif want is not None and got:
            outcome.findings.append(Finding(key, AMOUNT_MISMATCH, day, internal, line_side(got), want.net, paid))
        elif want is not None:
            if want.net == 0:
                outcome.matched += 1
                continue
            outcome.findings.append(Finding(key, INTERNAL_ONLY, day, internal, None, want.net, None))
        else:
            outcome.findings.append(Finding(key, EXTERNAL_ONLY, day, None, line_side(got), None, paid,
                                            facts={"settlement_date": settlement_date.isoformat()}))
    for lines, entries, partner in groups:
        key = f"settlement:line:{lines[0].id}"
        recorded, booked = sum(e.amount for e in entries), sum(ln.amount for ln in lines)
        cancels_out = not entries and partner is not None and partner.amount == -booked
        if cancels_out or (entries and recorded == booked):
            outcome.matched += 1
            if key in watch:
                outcome.matched_keys.add(key)
        elif entries:
            outcome.findings.append(Finding(key, AMOUNT_MISMATCH, day, entry_side(entries), line_side(lines),
                                            recorded, booked, lines[0].reservation_id,
                                            facts={"line_id": lines[0].id}))
        else:
            outcome.findings.append(Finding(key, EXTERNAL_ONLY, day, None, line_side(lines), None, booked,
                                            lines[0].reservation_id, facts={"line_id": lines[0].id}))
    for e in manual:
        outcome.findings.append(Finding(f"settlement:entry:{e.id}", INTERNAL_ONLY, day, entry_side([e]), None,
                                        e.amount, None, e.reservation_id, facts={"payment_id": e.payment_id,
                                                                                 "manual": True}))
    return outcome
