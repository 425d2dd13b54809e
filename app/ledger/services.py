"""Writing and summing the ledger (app.ledger.models).

`record()` is the only writer: INSERT … ON CONFLICT (dedupe_key) DO NOTHING, in
the caller's transaction, so a movement retried, replayed by a job run twice or
seen again in a re-imported file is written once. The `record_*` helpers name
each kind and its dedupe key, so every caller writes the same row for the same
movement. No function here commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from app.core import clock
from app.core.actor import Actor
from app.core.context import current_request_id
from app.core.db import insert_unless_present
from app.extensions import db
from app.ledger.models import PAID_KINDS, REFUNDED_KINDS, EntryKind, LedgerEntry, Source


def business_date_of(at: datetime) -> date:
    """The business day of an instant: its local date in FRONTDESK_TIMEZONE (Asia/Seoul)."""
    return at.astimezone(ZoneInfo(current_app.config["FRONTDESK_TIMEZONE"])).date()


def record(kind: str, amount: int, currency: str, *, source: str, dedupe_key: str,
           occurred_at: datetime | None = None, business_date: date | None = None,
           reservation_id: int | None = None, payment_id: int | None = None, refund_id: int | None = None,
           payout_id: int | None = None, statement_line_id: int | None = None, undoes_id: int | None = None,
           external_ref: str | None = None, details: dict[str, Any] | None = None,
           actor: Actor | None = None) -> int | None:
    """Write one movement; the new row's id, or None when this movement was already written. No commit."""
    at = occurred_at or clock.now()
    return insert_unless_present(LedgerEntry, {
        "kind": kind, "amount": int(amount), "currency": currency, "source": source,
        "occurred_at": at, "business_date": business_date or business_date_of(at),
        "reservation_id": reservation_id, "payment_id": payment_id, "refund_id": refund_id,
        "payout_id": payout_id, "statement_line_id": statement_line_id, "undoes_id": undoes_id,
        "external_ref": (external_ref or None) and str(external_ref)[:100], "dedupe_key": dedupe_key[:160],
        "details": details, "actor_name": (actor.name if actor is not None else "")[:200],
        "request_id": current_request_id(), "created_at": clock.now(),
    }, ["dedupe_key"])


def entry_by_key(dedupe_key: str) -> LedgerEntry | None:
    return db.session.scalar(select(LedgerEntry).where(LedgerEntry.dedupe_key == dedupe_key))


# --- one helper per kind (the dedupe keys live here and nowhere else) -------------------------

def record_payment(payment, *, actor: Actor | None = None, statement_line_id: int | None = None,
                   occurred_at: datetime | None = None, business_date: date | None = None) -> int | None:
    """A completed payment: a card charge (the gateway's word) or a bank deposit (the statement's,
    or ours for a manager's manual mark-as-paid)."""
    if payment.method == "card":
        kind, source = EntryKind.CARD_CHARGE, Source.GATEWAY
    else:
        kind = EntryKind.BANK_DEPOSIT
        source = Source.BANK if statement_line_id is not None else Source.OURS
    if statement_line_id is not None and business_date is None:
        # a deposit belongs to the day the bank booked it, whenever a person decided it
        from app.deposits.models import StatementLine

        business_date = db.session.scalar(select(StatementLine.booked_on).where(StatementLine.id == statement_line_id))
    return record(kind, payment.amount, payment.currency, source=source, dedupe_key=f"payment:{payment.id}",
                  occurred_at=occurred_at or payment.completed_at, business_date=business_date,
                  reservation_id=payment.reservation_id, payment_id=payment.id,
                  statement_line_id=statement_line_id, external_ref=payment.gateway_charge_id, actor=actor,
                  details={"payment": payment.public_id})


def record_card_refund(refund, *, actor: Actor | None = None) -> int | None:
    """A card refund the gateway confirmed."""
    return record(EntryKind.CARD_REFUND, -refund.amount, refund.currency, source=Source.GATEWAY,
                  dedupe_key=f"card_refund:{refund.id}", occurred_at=refund.completed_at,
                  reservation_id=refund.reservation_id, payment_id=refund.payment_id, refund_id=refund.id,
                  external_ref=refund.gateway_refund_id, actor=actor,
                  details={"refund": refund.public_id, "refundSource": refund.source})


def record_payout(payout, *, actor: Actor | None = None) -> int | None:
    """A payout the bank completed: a refund sent to a guest, or a settlement to a partner."""
    kind = EntryKind.REFUND_PAYOUT if payout.refund_id is not None else EntryKind.SETTLEMENT_PAYOUT
    return record(kind, -payout.amount, payout.currency, source=Source.BANK, dedupe_key=f"payout:{payout.id}",
                  occurred_at=payout.completed_at, reservation_id=payout.reservation_id,
                  refund_id=payout.refund_id, payout_id=payout.id, external_ref=payout.bank_reference,
                  actor=actor, details={"payout": payout.public_id, "transferId": payout.transfer_id,
                                        "refundSource": payout.refund.source if payout.refund is not None else None})


def record_payout_return(payout, *, actor: Actor | None = None, statement_line_id: int | None = None,
                         reference: str | None = None) -> int | None:
    """A completed payout came back: undoes its payout row."""
    original = entry_by_key(f"payout:{payout.id}")
    kind = EntryKind.PAYOUT_RETURN
    return record(kind, payout.amount, payout.currency, source=Source.BANK, dedupe_key=f"payout_return:{payout.id}",
                  occurred_at=payout.returned_at, reservation_id=payout.reservation_id, refund_id=payout.refund_id,
                  payout_id=payout.id, statement_line_id=statement_line_id,
                  undoes_id=original.id if original is not None else None, external_ref=reference, actor=actor,
                  details={"payout": payout.public_id})


def record_coupon(coupon, *, reservation_id: int | None, refund_id: int | None = None,
                  actor: Actor | None = None) -> int | None:
    """A coupon given: no cash moves (amount 0); its face value is in `details`."""
    return record(EntryKind.COUPON_ISSUED, 0, coupon.currency or "KRW", source=Source.OURS,
                  dedupe_key=f"coupon:{coupon.id}", reservation_id=reservation_id, refund_id=refund_id,
                  actor=actor, details={"coupon": coupon.code, "kind": coupon.kind, "value": coupon.value})


def record_coupon_redeemed(coupon, reservation, *, list_price: int, discount: int,
                           actor: Actor | None = None) -> int | None:
    """A coupon used on a booking: no cash moves (amount 0); the booking's total is already the
    list price less the discount, both kept in `details` so every won of the price is explained."""
    # Keyed by coupon and booking: a coupon a canceled booking gave back may be used on another one.
    return record(EntryKind.COUPON_REDEEMED, 0, reservation.currency, source=Source.OURS,
                  dedupe_key=f"coupon-redeemed:{coupon.id}:{reservation.id}", reservation_id=reservation.id,
                  actor=actor, details={"coupon": coupon.code, "kind": coupon.kind, "value": coupon.value,
                                        "listPrice": int(list_price), "discount": int(discount),
                                        "total": int(list_price) - int(discount)})


def coupon_redemption_of(reservation_id: int) -> LedgerEntry | None:
    """The latest coupon_redeemed row of a booking (None: no coupon was used on it)."""
    return db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.reservation_id == reservation_id, LedgerEntry.kind == EntryKind.COUPON_REDEEMED)
        .order_by(LedgerEntry.id.desc()).limit(1))


def record_coupon_returned(coupon, reservation, *, reason: str, actor: Actor | None = None) -> int | None:
    """A canceled booking gave its coupon back (usable again until it expires): no cash moves
    (amount 0); undoes the booking's latest coupon_redeemed row, once."""
    redeemed = coupon_redemption_of(reservation.id)
    undone = f"{redeemed.id}" if redeemed is not None else f"{coupon.id}:{reservation.id}"
    return record(EntryKind.COUPON_RETURNED, 0, reservation.currency, source=Source.OURS,
                  dedupe_key=f"coupon-returned:{undone}", reservation_id=reservation.id,
                  undoes_id=redeemed.id if redeemed is not None else None, actor=actor,
                  details={"coupon": coupon.code, "kind": coupon.kind, "value": coupon.value,
                           "discount": int(reservation.discount_amount or 0), "reason": reason})


def record_bank_fee(line, *, payout=None, actor: Actor | None = None) -> int | None:
    """A bank charge on a statement (a debit, so negative), as a charge of the payout it was
    taken for when that is known; filed under the statement's booking date."""
    return record(EntryKind.BANK_FEE, line.amount, line.currency, source=Source.BANK,
                  dedupe_key=f"bank_fee:{line.id}", business_date=line.booked_on,
                  reservation_id=payout.reservation_id if payout is not None else None,
                  refund_id=payout.refund_id if payout is not None else None,
                  payout_id=payout.id if payout is not None else None, statement_line_id=line.id,
                  external_ref=line.bank_ref, actor=actor,
                  details={"statementLine": line.public_id,
                           "payout": payout.public_id if payout is not None else None})


def record_deposit_reversal(payment, *, line, actor: Actor | None = None) -> int | None:
    """The bank took back a deposit that paid a booking (`line` is the reversal on the
    statement): undoes the payment's row, once per payment."""
    original = entry_by_key(f"payment:{payment.id}")
    return record(EntryKind.DEPOSIT_REVERSAL, -payment.amount, payment.currency, source=Source.BANK,
                  dedupe_key=f"deposit_reversal:{payment.id}", business_date=line.booked_on,
                  reservation_id=payment.reservation_id, payment_id=payment.id, statement_line_id=line.id,
                  undoes_id=original.id if original is not None else None, external_ref=line.bank_ref,
                  actor=actor, details={"payment": payment.public_id, "statementLine": line.public_id})


def record_unrelated(line, *, actor: Actor | None = None, undoes_line=None) -> int | None:
    """Bank money that is no booking's (a line a person decided "not ours"); with
    `undoes_line`, the reversal of such a line, undoing its row."""
    undone = entry_by_key(f"unrelated:{undoes_line.id}") if undoes_line is not None else None
    return record(EntryKind.UNRELATED, line.amount, line.currency, source=Source.BANK,
                  dedupe_key=f"unrelated:{line.id}", business_date=line.booked_on, statement_line_id=line.id,
                  undoes_id=undone.id if undone is not None else None, external_ref=line.bank_ref, actor=actor,
                  details={"statementLine": line.public_id})


def record_found_card_charge(*, transaction_id: str, amount: int, currency: str, occurred_at: datetime,
                             business_date: date, order_id: str, actor: Actor | None = None,
                             details: dict[str, Any] | None = None) -> int | None:
    """A capture the gateway made that no payment of ours recorded (a double charge found by
    reconciliation): money that came to us, tied to no booking, so no booking's "paid" changes."""
    return record(EntryKind.CARD_CHARGE, amount, currency, source=Source.GATEWAY,
                  dedupe_key=f"found_charge:{transaction_id}", occurred_at=occurred_at, business_date=business_date,
                  external_ref=transaction_id, actor=actor, details={"order": order_id, **(details or {})})


def record_capture_refund(*, refund_id: str, charge_id: str, amount: int, currency: str,
                          actor: Actor | None = None, details: dict[str, Any] | None = None) -> int | None:
    """The gateway gave a found capture (record_found_card_charge) back to the card: undoes its row."""
    original = entry_by_key(f"found_charge:{charge_id}")
    return record(EntryKind.CARD_REFUND, -amount, currency, source=Source.GATEWAY,
                  dedupe_key=f"capture_refund:{refund_id}", external_ref=refund_id,
                  undoes_id=original.id if original is not None else None, actor=actor,
                  details={"charge": charge_id, **(details or {})})


# --- sums ------------------------------------------------------------------------------------------

def _sum(reservation_id: int, kinds: tuple[str, ...]) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.reservation_id == reservation_id, LedgerEntry.kind.in_(kinds))) or 0)


def paid_amount(reservation_id: int) -> int:
    """What a booking's guest has paid and we kept: charges and deposits less reversals."""
    return _sum(reservation_id, PAID_KINDS)


def paid_amounts(reservation_ids) -> dict[int, int]:
    """paid_amount of many bookings with one grouped query: {reservation id: paid} (absent: nothing paid)."""
    ids = sorted({int(i) for i in reservation_ids})
    out: dict[int, int] = {}
    for i in range(0, len(ids), 1000):
        out.update((rid, int(total)) for rid, total in db.session.execute(
            select(LedgerEntry.reservation_id, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.reservation_id.in_(ids[i:i + 1000]), LedgerEntry.kind.in_(PAID_KINDS))
            .group_by(LedgerEntry.reservation_id)))
    return out


def refunded_amount(reservation_id: int) -> int:
    """What went back to a booking's guest: card refunds and payouts, less payouts that came back."""
    return -_sum(reservation_id, REFUNDED_KINDS)


@dataclass
class MoneySummary:
    """A booking's money as the ledger has it (the reservation page's money box)."""
    total: int
    paid: int
    refunded: int
    entries: list[LedgerEntry]

    @property
    def kept(self) -> int:
        return self.paid - self.refunded

    @property
    def outstanding(self) -> int:
        return max(0, self.total - self.paid)


def money_summary(reservation) -> MoneySummary:
    entries = entries_of(reservation.id)
    paid = sum(e.amount for e in entries if e.kind in PAID_KINDS)
    refunded = -sum(e.amount for e in entries if e.kind in REFUNDED_KINDS)
    return MoneySummary(reservation.total_amount, paid, refunded, entries)


def entries_of(reservation_id: int) -> list[LedgerEntry]:
    """A booking's ledger rows, oldest first (the reservation page's money box)."""
    return list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.reservation_id == reservation_id)
                                   .order_by(LedgerEntry.occurred_at, LedgerEntry.id)))
