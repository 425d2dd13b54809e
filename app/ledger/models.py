"""LedgerEntry: one row per movement of money, never updated or deleted.

A correction, a reversal or a return is a new row pointing at what it undoes
(`undoes_id`). Each row names what it belongs to (booking, payment, refund,
payout, statement line, gateway transaction) and where the truth came from
(`source`). "Paid", "refunded" and "outstanding" are sums over these rows
(app.ledger.services), never stored fields that drift.

Sign: + money that came to us, - money that left us. KRW is integer won.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONType, UTCDateTime, utcnow_default
from app.extensions import db


class EntryKind:
    CARD_CHARGE = "card_charge"            # + the gateway took a card payment
    CARD_REFUND = "card_refund"            # - the gateway paid (part of) a card payment back
    BANK_DEPOSIT = "bank_deposit"          # + a bank transfer from a guest paid a booking
    DEPOSIT_REVERSAL = "deposit_reversal"  # - the bank reversed a deposit (a credit taken back)
    REFUND_PAYOUT = "refund_payout"        # - a payout sent a refund to a guest's account
    PAYOUT_RETURN = "payout_return"        # + a sent payout came back (account closed, …)
    SETTLEMENT_PAYOUT = "settlement_payout"  # - a payout to a partner (hotel)
    BANK_FEE = "bank_fee"                  # - the bank charged a fee (of a payout, usually)
    UNRELATED = "unrelated"                # ± bank money that is not a booking's (decided "not ours")
    COUPON_ISSUED = "coupon_issued"        # 0 cash; `details.value` holds the coupon's face value
    # 0 cash; the booking's total is already reduced: `details` holds the coupon, the list price
    # and the discount in won (a discount is money not asked for, never money that moved).
    COUPON_REDEEMED = "coupon_redeemed"
    # 0 cash; a canceled booking gave its coupon back (usable again): undoes its coupon_redeemed row.
    COUPON_RETURNED = "coupon_returned"


#: Kinds whose sum is what a booking has paid (charges and deposits, less reversals).
PAID_KINDS = (EntryKind.CARD_CHARGE, EntryKind.BANK_DEPOSIT, EntryKind.DEPOSIT_REVERSAL)
#: Kinds whose (negated) sum is what went back to a booking's guest (refunds, less returns).
REFUNDED_KINDS = (EntryKind.CARD_REFUND, EntryKind.REFUND_PAYOUT, EntryKind.PAYOUT_RETURN)
KINDS = (EntryKind.CARD_CHARGE, EntryKind.CARD_REFUND, EntryKind.BANK_DEPOSIT, EntryKind.DEPOSIT_REVERSAL,
         EntryKind.REFUND_PAYOUT, EntryKind.PAYOUT_RETURN, EntryKind.SETTLEMENT_PAYOUT, EntryKind.BANK_FEE,
         EntryKind.UNRELATED, EntryKind.COUPON_ISSUED, EntryKind.COUPON_REDEEMED, EntryKind.COUPON_RETURNED)


class Source:
    OURS = "ours"        # our own action (an operator's manual mark-as-paid, a coupon)
    GATEWAY = "gateway"  # the card gateway's answer, webhook or settlement file
    BANK = "bank"        # the bank's answer or its statement


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)  # signed: + in, - out
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # The business day (Asia/Seoul by default) reconciliation files it under.
    business_date: Mapped[date] = mapped_column(Date, nullable=False)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), index=True)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id"), index=True)
    statement_line_id: Mapped[int | None] = mapped_column(ForeignKey("statement_lines.id"), index=True)
    # The row this one undoes (a reversal, a return).
    undoes_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    # The gateway's transaction id (charge or refund) or the bank's reference.
    external_ref: Mapped[str | None] = mapped_column(String(100), index=True)
    # Makes each movement once: "charge:<payment id>", "payout:<payout id>", …
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True, nullable=False)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    actor_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)

    reservation = relationship("Reservation")
    payment = relationship("Payment")
    refund = relationship("Refund")
    payout = relationship("Payout")
    statement_line = relationship("StatementLine")

    __table_args__ = (
        CheckConstraint("kind IN ('card_charge', 'card_refund', 'bank_deposit', 'deposit_reversal', "
                        "'refund_payout', 'payout_return', 'settlement_payout', 'bank_fee', 'unrelated', "
                        "'coupon_issued', 'coupon_redeemed', 'coupon_returned')", name="kind_known"),
        CheckConstraint("source IN ('ours', 'gateway', 'bank')", name="source_known"),
        Index("ix_ledger_entries_business_date_kind", "business_date", "kind"),
    )

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.kind} {self.amount} {self.currency} {self.dedupe_key}>"
