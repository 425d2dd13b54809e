"""ISO 20022 CAMT.053 bank-to-customer statements (any version: v02's `<Sts>BOOK</Sts>` and v08's
`<Sts><Cd>BOOK</Cd></Sts>` alike), read with defusedxml.

Per entry (`Ntry`): CdtDbtInd gives the sign; RvslInd=true marks a reversal (on a DBIT entry it
reverses a credit, on a CRDT entry a debit, e.g. a returned payout); Sts PDNG (and INFO/FUTR, also
not booked) makes the line pending; a batch entry whose transactions carry amounts adding up to the
entry becomes one line per transaction. `our_ref` is the EndToEndId (NOTPROVIDED ignored) else the
InstrId; `bank_code` the BkTxCd domain/family/sub-family ("PMNT/ICDT/RRTN") else its proprietary
code; `return_reason` the RtrInf reason code; the counterparty is the debtor of a credit and the
creditor of a debit (of the original movement for a reversal). Entries are numbered 1… through the
file; that number is the line's row.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from app.deposits.parse_base import (Parsed, ParsedLine, ParsedStatement, StatementError, assign_dedupe_keys,
                                     closing_breaks, is_currency, minor_units, norm_text, normalize_account)

NOT_BOOKED = ("PDNG", "INFO", "FUTR")
_NO_REF = ("", "NOTPROVIDED", "NONREF")


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el, *path):
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if _local(c.tag) == name), None)
    return el


def _children(el, name):
    return [c for c in el if _local(c.tag) == name] if el is not None else []


def _text(el, *path) -> str:
    found = _child(el, *path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _first(*values: str) -> str:
    return next((v for v in values if v), "")


def _ref(text: str) -> str | None:
    return None if text.strip().upper() in _NO_REF else text.strip()


def _amount(el, currency_fallback: str) -> int:
    amt = _child(el, "Amt")
    if amt is None or not (amt.text or "").strip():
        raise ValueError("missing amount")
    currency = amt.get("Ccy") or currency_fallback
    if currency != currency_fallback:
        raise ValueError("an amount in another currency than the account's")
    text = amt.text.strip()
    if not re.fullmatch(r"\d{1,18}(\.\d{1,5})?", text):
        raise ValueError("not an amount")
    return minor_units(Decimal(text), currency)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        return None


def _content(el) -> str:
    """The entry's own text, every element in order, for the key of an entry without a reference."""
    parts = []
    for node in el.iter():
        attrs = ",".join(f"{_local(k)}={v}" for k, v in sorted(node.attrib.items()))
        parts.append(f"{_local(node.tag)}[{attrs}]={norm_text(node.text)}")
    return "\x1f".join(parts)


def parse_camt053(raw: bytes) -> Parsed:
    """Every `Stmt` of the file. Only reads; raises StatementError naming the entries at fault."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(raw)
    except (ElementTree.ParseError, DefusedXmlException, ValueError, LookupError) as exc:
        raise StatementError(_l("This CAMT.053 file cannot be read: %(error)s", error=str(exc)[:200])) from exc
    statements: list[ParsedStatement] = []
    errors: list[tuple[int, str]] = []
    row = 0
    for stmt in root.iter():
        if _local(stmt.tag) != "Stmt":
            continue
        statement, row = _statement(stmt, row, errors)
        if statement is not None:
            statements.append(statement)
    if errors:
        raise StatementError(_l("Some entries cannot be read; nothing was imported."), errors)
    if not statements:
        raise StatementError(_l("No statement (Stmt) found in this CAMT.053 file."))
    assign_dedupe_keys([line for st in statements for line in st.lines])
    return Parsed("camt053", statements, closing_breaks(statements))


def _statement(stmt, row: int, errors: list) -> tuple[ParsedStatement | None, int]:
    acct = _child(stmt, "Acct")
    account = normalize_account(_first(_text(acct, "Id", "IBAN"), _text(acct, "Id", "Othr", "Id")))
    first_amt = _child(_child(stmt, "Bal"), "Amt")
    currency = _first(_text(acct, "Ccy"), first_amt.get("Ccy", "") if first_amt is not None else "", "KRW")
    if not is_currency(currency):
        errors.append((row + 1, str(_l("the currency “%(value)s” is not a currency code", value=currency[:20]))))
        currency = "KRW"
    opening = closing = None
    try:
        for bal in _children(stmt, "Bal"):
            code = _first(_text(bal, "Tp", "CdOrPrtry", "Cd"), _text(bal, "Tp", "Cd"))
            value = _amount(bal, currency)
            if _text(bal, "CdtDbtInd") == "DBIT":
                value = -value
            if code in ("OPBD", "PRCD") and opening is None:
                opening = value
            elif code == "CLBD":
                closing = value  # booked balances only: CLAV/ITAV count pending money too
    except (ValueError, InvalidOperation):
        errors.append((row + 1, str(_l("A balance of statement %(id)s cannot be read.", id=_text(stmt, "Id")[:40]))))
    lines: list[ParsedLine] = []
    for entry in _children(stmt, "Ntry"):
        row += 1
        try:
            lines.extend(_entry_lines(entry, account, currency, row))
        except (ValueError, InvalidOperation):
            errors.append((row, str(_l("the amount, the direction (in or out) or the date cannot be read"))))
    seq = _text(stmt, "ElctrncSeqNb")
    dates = [line.booked_on for line in lines]
    return ParsedStatement(
        account=account, currency=currency, lines=lines, opening=opening, closing=closing,
        reference=_text(stmt, "Id")[:100], statement_id=_text(stmt, "Id")[:100] or None,
        copy_duplicate=_text(stmt, "CpyDplctInd").upper() in ("DUPL", "CODU"),
        from_date=_day(_text(stmt, "FrToDt", "FrDtTm")) or (min(dates) if dates else None),
        to_date=_day(_text(stmt, "FrToDt", "ToDtTm")) or (max(dates) if dates else None),
        electronic_seq=int(seq) if seq.isdigit() and len(seq) <= 18 else None), row


def _entry_lines(entry, account: str, currency: str, row: int) -> list[ParsedLine]:
    amount = _amount(entry, currency)
    indicator = _text(entry, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise ValueError(f"CdtDbtInd {indicator!r}")
    sign = -1 if indicator == "DBIT" else 1
    status = _first(_text(entry, "Sts", "Cd"), _text(entry, "Sts")).upper()
    pending = status in NOT_BOOKED
    booked_text = _first(_text(entry, "BookgDt", "Dt"), _text(entry, "BookgDt", "DtTm"),
                         _text(entry, "ValDt", "Dt"), _text(entry, "ValDt", "DtTm"))
    booked_on = _day(booked_text)
    if booked_on is None:
        raise ValueError(f"date {booked_text[:20]!r}")
    reversal = _text(entry, "RvslInd").lower() in ("true", "1")
    entry_ref = _ref(_text(entry, "AcctSvcrRef"))
    details = [tx for d in _children(entry, "NtryDtls") for tx in _children(d, "TxDtls")]
    parts = _batch(details, currency, amount) if len(details) > 1 else None
    # The counterparty is on the other side of the original movement: a reversed credit's payer.
    credit_origin = (sign > 0) != reversal

    def line(tx, part: int, ref: str | None, content: str, memo: str) -> ParsedLine:
        return ParsedLine(
            booked_on, sign * part, memo=memo, depositor=_party(tx, credit_origin),
            bank_ref=f"{account}/{ref}" if ref else None, reversal=reversal, row=row, pending=pending,
            our_ref=_our_ref(tx), bank_code=_bank_code(tx, entry), return_reason=_return_reason(tx),
            content=content)

    if parts is None:
        tx = details[0] if details else None
        ref = _ref(_text(tx, "Refs", "AcctSvcrRef")) if tx is not None and len(details) == 1 else None
        memo = norm_text(" ".join(_memo(d) for d in details)) or norm_text(_text(entry, "AddtlNtryInf"))
        return [line(tx, amount, ref or entry_ref, _content(entry), memo)]
    out = []
    for i, (tx, part) in enumerate(parts, start=1):
        ref = _ref(_text(tx, "Refs", "AcctSvcrRef")) or (f"{entry_ref}/{i}" if entry_ref else None)
        out.append(line(tx, part, ref, f"{_content(entry)}\x1e{i}",
                        _memo(tx) or norm_text(_text(entry, "AddtlNtryInf"))))
    return out


def _batch(details, currency: str, total: int) -> list | None:
    """A batch entry's transactions with their own amounts, when they add up to the entry."""
    parts = []
    for tx in details:
        amt_el = _child(tx, "AmtDtls", "TxAmt")
        amt_el = amt_el if amt_el is not None else tx
        try:
            parts.append((tx, _amount(amt_el, currency)))
        except (ValueError, InvalidOperation):
            return None
    return parts if sum(p for _tx, p in parts) == total else None


def _memo(tx) -> str:
    if tx is None:
        return ""
    rmt = _child(tx, "RmtInf")
    texts = [t.text.strip() for t in _children(rmt, "Ustrd") if t.text]
    texts += [_text(s, "CdtrRefInf", "Ref") for s in _children(rmt, "Strd")]
    return norm_text(" ".join(t for t in texts if t)) or norm_text(_text(tx, "AddtlTxInf"))


def _party(tx, credit_origin: bool) -> str:
    if tx is None:
        return ""
    role = "Dbtr" if credit_origin else "Cdtr"
    return norm_text(_first(_text(tx, "RltdPties", role, "Nm"), _text(tx, "RltdPties", role, "Pty", "Nm")))


def _our_ref(tx) -> str | None:
    if tx is None:
        return None
    found = _ref(_text(tx, "Refs", "EndToEndId")) or _ref(_text(tx, "Refs", "InstrId"))
    return found[:100] if found else None


def _bank_code(tx, entry) -> str | None:
    for el in (tx, entry):
        code = _child(el, "BkTxCd") if el is not None else None
        if code is None:
            continue
        domain = [_text(code, "Domn", "Cd"), _text(code, "Domn", "Fmly", "Cd"),
                  _text(code, "Domn", "Fmly", "SubFmlyCd")]
        if all(domain):
            return "/".join(domain)
        if _text(code, "Prtry", "Cd"):
            return _text(code, "Prtry", "Cd")[:40]
    return None


def _return_reason(tx) -> str | None:
    if tx is None:
        return None
    return _first(_text(tx, "RtrInf", "Rsn", "Cd"), _text(tx, "RtrInf", "Rsn", "Prtry"))[:20] or None
