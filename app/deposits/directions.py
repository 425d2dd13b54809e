"""Which way money moved on a statement line, read from the line alone (pure rules, no database).

The import (app.deposits.importing) starts from `first_kind` and then looks things up:

* a pending entry (CAMT Sts=PDNG) is only shown: it pays nothing and is in no balance;
* money out that the bank marks a reversal is a credit taken back (app.deposits.reversals);
* money in that the bank marks a reversal or a return is a payout of ours coming back
  (app.deposits.outgoing), when the payout is found;
* money in whose memo names a card gateway's settlement is that gateway paying out card money;
* any other money in is a deposit that may pay a booking (app.deposits.matching);
* any other money out is one of our payouts (found by our transfer id wherever the bank
  wrote it), a bank fee (a small debit with a fee text, a fee code, or the payout's
  reference), or something else.
"""
from __future__ import annotations

import re

from app.deposits.models import LineKind

#: Words of a bank's fee in a memo (compared in lower case).
FEE_WORDS = ("수수료", "fee", "charge", "commission")
#: Transaction codes of a fee: MT940 types, CAMT sub-families (the last part of "PMNT/ICDT/CHRG").
FEE_CODES = ("NCHG", "NCOM", "CHRG", "COMM", "FEES")
#: Transaction codes of a returned transfer: MT940 NRTI, CAMT sub-families RRTN (return) and
#: RPCR (reversal due to a payment cancellation request).
RETURN_CODES = ("NRTI", "RRTN", "RPCR")
#: The largest debit that may be a bank's fee, in minor units of the currency; others: DEFAULT_FEE_LIMIT.
FEE_LIMITS = {"KRW": 50_000, "JPY": 5_000}
DEFAULT_FEE_LIMIT = 5_000
#: Our payout transfer ids (app.remittance.services.new_transfer_id): "FDT" + 20 hexadecimal digits.
TRANSFER_ID = re.compile(r"(?<![0-9A-Z])FDT[0-9A-F]{20}(?![0-9A-Z])")


def transfer_ids_in(*texts: str | None) -> list[str]:
    """Our transfer ids written anywhere in these texts, first seen first, each once."""
    found: list[str] = []
    for text in texts:
        for tid in TRANSFER_ID.findall((text or "").upper()):
            if tid not in found:
                found.append(tid)
    return found


def transfer_ids_of(line) -> list[str]:
    """Where a bank may write our reference: EndToEndId / MT940 reference, the memo, the counterparty."""
    return transfer_ids_in(getattr(line, "our_ref", None), line.memo, line.depositor)


def _code_parts(line) -> set[str]:
    code = (getattr(line, "bank_code", None) or "").upper()
    return {part for part in code.replace(" ", "/").split("/") if part}


def has_fee_text(line) -> bool:
    text = f"{line.memo} {line.depositor}".lower()
    return any(word in text for word in FEE_WORDS) or bool(_code_parts(line) & set(FEE_CODES))


def is_small(amount: int, currency: str) -> bool:
    """Small enough to be a bank's fee."""
    return 0 < abs(amount) <= FEE_LIMITS.get(currency, DEFAULT_FEE_LIMIT)


def is_return(line) -> bool:
    """Money in that undoes money we sent: a reversed debit, a return reason or a return code."""
    return line.amount > 0 and (bool(line.reversal) or bool(getattr(line, "return_reason", None))
                                or bool(_code_parts(line) & set(RETURN_CODES)))


def first_kind(line) -> str:
    """The kind a line has before anything is looked up (see the module doc).

    DEPOSIT for money in, OTHER for money out: the import then finds out whether
    money out is a payout or a fee, and whether a return's payout exists.
    """
    from app.payments.settlement import settlement_date_in

    if getattr(line, "pending", False):
        return LineKind.PENDING
    if line.amount < 0:
        return LineKind.REVERSAL if line.reversal else LineKind.OTHER
    if is_return(line):
        return LineKind.PAYOUT_RETURN
    if settlement_date_in(line.memo) is not None:
        return LineKind.GATEWAY_SETTLEMENT
    return LineKind.DEPOSIT


def bank_ref_tail(bank_ref: str | None) -> str:
    """The bank's own reference without our account in front ("9990001234560/2611200002" → "2611200002")."""
    return (bank_ref or "").split("/", 1)[-1]
