"""SWIFT MT940 statements (one file may hold several), read with the mt-940 library.

Per `:61:` line: the mark C/D/RC/RD gives the sign (RC, a reversed credit, is money out; RD, a
reversed debit such as a returned payout, is money in; both are reversals), the transaction type
(NTRF, NCHG…) is `bank_code`, the customer reference (before `//`, NONREF ignored) is `our_ref`,
the bank reference (after `//`) the line's bank reference, a supplementary details line the
counterparty; the `:86:` text (its lines joined with spaces) is the memo. Lines carry the file's
line number of their `:61:` as their row.
"""
from __future__ import annotations

import logging
from datetime import date

from flask_babel import lazy_gettext as _l

from app.deposits.parse_base import (Parsed, ParsedLine, ParsedStatement, StatementError, assign_dedupe_keys,
                                     closing_breaks, decode_text, is_currency, minor_units, norm_text,
                                     normalize_account, row_content)

_NO_REF = ("", "NONREF")


def _ref(value) -> str | None:
    text = str(value or "").strip()
    return None if text.upper() in _NO_REF else text


def _date(value) -> date | None:
    return date(value.year, value.month, value.day) if value is not None else None


def _error_row(text: str, exc: Exception) -> list[tuple[int, str]]:
    """The file line of the field the library could not read (it raises RuntimeError(msg, tag, value))."""
    args = getattr(exc, "args", ())
    if len(args) >= 3 and isinstance(args[2], str):
        tag_id, value = getattr(args[1], "id", ""), args[2].split("\n", 1)[0]
        for number, line in enumerate(text.split("\n"), start=1):
            if line.upper().startswith(f":{tag_id}:".upper()) and value in line:
                return [(number, str(_l("the field :%(tag)s: “%(value)s” cannot be read", tag=tag_id,
                                        value=value[:60])))]
    return []


def parse_mt940(raw: bytes) -> Parsed:
    """Every statement of the file, lines in file order. Only reads; raises StatementError."""
    import mt940

    # The library logs every regex attempt (no-match at ERROR): noise for a file a person uploaded.
    logging.getLogger("mt940").setLevel(logging.CRITICAL)

    text = decode_text(raw).replace("\r\n", "\n").replace("\r", "\n")
    options = mt940.Options(reversal_sign=True, case_insensitive_marks=True, unbounded_details=True,
                            strip_bom=True, merge_keeps_values=True)
    try:
        blocks = mt940.parse_statements(text, options=options)
    except Exception as exc:  # the library raises many kinds on malformed input
        raise StatementError(_l("This MT940 file cannot be read."), _error_row(text, exc)) from exc
    rows = [number for number, line in enumerate(text.split("\n"), start=1) if line.startswith(":61:")]
    statements: list[ParsedStatement] = []
    errors: list[tuple[int, str]] = []
    seen = 0
    for block in blocks:
        data = block.data
        opening = (data.get("final_opening_balance") or data.get("intermediate_opening_balance")
                   or data.get("opening_balance"))
        closing = (data.get("final_closing_balance") or data.get("intermediate_closing_balance")
                   or data.get("closing_balance"))
        if opening is None and closing is None and not block.transactions:
            continue
        balance = opening if opening is not None else closing
        currency = (balance.amount.currency if balance is not None else None) or "KRW"
        if not is_currency(currency):
            errors.append((rows[seen] if seen < len(rows) else 0,
                           str(_l("the currency “%(value)s” is not a currency code", value=currency[:20]))))
            continue
        account = normalize_account(data.get("account_identification"))
        lines = []
        for tx in block.transactions:
            row = rows[seen] if seen < len(rows) else seen + 1
            seen += 1
            try:
                lines.append(_line(tx.data, account, currency, row))
            except (ValueError, KeyError, TypeError, AttributeError):
                errors.append((row, str(_l("the amount or the booking date cannot be read"))))
        try:
            open_amount = minor_units(opening.amount.amount, currency) if opening is not None else None
            close_amount = minor_units(closing.amount.amount, currency) if closing is not None else None
        except (ValueError, ArithmeticError):
            errors.append((rows[seen - 1] if seen and seen <= len(rows) else 0,
                           str(_l("a balance has more decimals than the currency allows"))))
            continue
        dates = [line.booked_on for line in lines]
        number = "/".join(str(p) for p in (data.get("statement_number"), data.get("sequence_number")) if p)
        reference = str(data.get("transaction_reference") or "")
        statements.append(ParsedStatement(
            account=account, currency=currency, lines=lines, opening=open_amount, closing=close_amount,
            reference=reference[:100], statement_id="/".join(p for p in (reference, number) if p)[:100] or None,
            from_date=min(dates) if dates else _date(getattr(opening, "date", None)),
            to_date=_date(getattr(closing, "date", None)) or (max(dates) if dates else None)))
    if errors:
        raise StatementError(_l("Some lines cannot be read; nothing was imported."), errors)
    if not statements:
        raise StatementError(_l("No statement found in this MT940 file."))
    assign_dedupe_keys([line for st in statements for line in st.lines])
    return Parsed("mt940", statements, closing_breaks(statements))


def _line(t: dict, account: str, currency: str, row: int) -> ParsedLine:
    mark = str(t.get("status") or "").upper()
    if mark not in ("C", "D", "RC", "RD"):
        raise ValueError(f"mark {mark!r}")
    # RC (reversal of a credit) is money out, RD (reversal of a debit, e.g. a returned payout) money in.
    sign = 1 if mark in ("C", "RD") else -1
    amount = sign * abs(minor_units(t["amount"].amount, currency))
    booked = t.get("entry_date") or t["date"]  # the booking date when given, else the value date
    details = norm_text(t.get("transaction_details"))
    extra = norm_text(t.get("extra_details"))
    bank_ref = _ref(t.get("bank_reference"))
    content = row_content((account, t["date"], t.get("entry_date") or "", mark, t.get("funds_code") or "",
                           t["amount"].amount, t.get("id") or "", t.get("customer_reference") or "",
                           t.get("bank_reference") or "", extra, details))
    return ParsedLine(
        booked_on=_date(booked), amount=amount, memo=details or extra,
        depositor=extra or norm_text(t.get("applicant_name")),
        bank_ref=f"{account}/{bank_ref}" if bank_ref else None, reversal=mark.startswith("R"), row=row,
        our_ref=_ref(t.get("customer_reference")), bank_code=(str(t.get("id") or "").strip() or None),
        content=content)
