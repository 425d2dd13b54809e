"""Plain words for ledger rows, for operators' pages (the money box, reconciliation)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.ledger.models import EntryKind, Source

KIND_LABELS = {
    EntryKind.CARD_CHARGE: _l("Card payment"),
    EntryKind.CARD_REFUND: _l("Card refund"),
    EntryKind.BANK_DEPOSIT: _l("Bank deposit"),
    EntryKind.DEPOSIT_REVERSAL: _l("Deposit reversed by the bank"),
    EntryKind.REFUND_PAYOUT: _l("Refund sent to a bank account"),
    EntryKind.PAYOUT_RETURN: _l("Sent refund came back"),
    EntryKind.SETTLEMENT_PAYOUT: _l("Payment to a partner"),
    EntryKind.BANK_FEE: _l("Bank fee"),
    EntryKind.UNRELATED: _l("Not a booking's money"),
    EntryKind.COUPON_ISSUED: _l("Coupon given (no money moved)"),
    EntryKind.COUPON_REDEEMED: _l("Coupon discount taken off the price (no money moved)"),
    EntryKind.COUPON_RETURNED: _l("Coupon given back to the guest (no money moved)"),
}
#: A refund paid back because the guest paid too much reads differently.
OVERPAYMENT_LABEL = _l("Over-payment returned")

SOURCE_LABELS = {
    Source.OURS: _l("recorded by us"),
    Source.GATEWAY: _l("confirmed by the card company"),
    Source.BANK: _l("confirmed by the bank"),
}


def kind_label(entry) -> str:
    details = entry.details or {}
    if entry.kind in (EntryKind.CARD_REFUND, EntryKind.REFUND_PAYOUT) and details.get("refundSource") == "overpayment":
        return str(OVERPAYMENT_LABEL)
    return str(KIND_LABELS.get(entry.kind, entry.kind))


def source_label(source: str) -> str:
    return str(SOURCE_LABELS.get(source, source))
