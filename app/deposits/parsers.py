"""Reading bank statements: Korean banks' CSV exports, MT940 and CAMT.053.

Every parser returns `ParsedStatement`s whose lines are in booking order
(oldest first) with signed integer amounts in minor units (+ money in,
- money out). Bad input raises `StatementError` naming the rows at fault;
nothing is half-read.

Dedupe keys (see models.StatementLine) are made here: the bank's own line id
where the format has one, else date + amount + running balance + memo +
depositor and the ordinal among identical lines of the same file.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision
from flask_babel import lazy_gettext as _l


class StatementError(Exception):
    """The file cannot be read; `rows` lists (row number, what is wrong)."""

    def __init__(self, message, rows: list[tuple[int, str]] | None = None):
        super().__init__(str(message))
        self.message = message
        self.rows = rows or []


@dataclass
class ParsedLine:
    booked_on: date
    amount: int
    memo: str = ""
    depositor: str = ""
    bank_ref: str | None = None
    running_balance: int | None = None
    reversal: bool = False
    row: int = 0
    dedupe_key: str = ""


@dataclass
class ParsedStatement:
    account: str
    currency: str
    lines: list[ParsedLine]
    opening: int | None = None
    closing: int | None = None
    reference: str = ""


@dataclass
class BalanceBreak:
    row: int
    expected: int
    found: int
    what: str  # "chain" (a running balance) or "closing"


@dataclass
class Parsed:
    source_format: str
    statements: list[ParsedStatement]
    breaks: list[BalanceBreak] = field(default_factory=list)

    @property
    def lines(self) -> list[ParsedLine]:
        return [line for st in self.statements for line in st.lines]


def minor_units(value: Decimal, currency: str) -> int:
    exponent = get_currency_precision(currency)
    scaled = value * (10 ** exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError("more decimals than the currency has")
    return int(scaled)


def detect_format(raw: bytes) -> str:
    head = raw[:4000].lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith(b"<?xml") or head.startswith(b"<Document") or b"camt.053" in head:
        return "camt053"
    if re.search(rb"(^|\n):20:", head) and b":61:" in raw or head.startswith(b"{1:"):
        return "mt940"
    return "csv"


def _norm_memo(text: str) -> str:
    return " ".join((text or "").split())


def assign_dedupe_keys(lines: list[ParsedLine]) -> None:
    """The bank's line id, else the line's fields + running balance + ordinal among identical lines."""
    seen: Counter = Counter()
    for line in lines:
        if line.bank_ref:
            line.dedupe_key = f"ref:{line.bank_ref}"[:300]
            continue
        fields = (line.booked_on.isoformat(), str(line.amount),
                  "-" if line.running_balance is None else str(line.running_balance),
                  "R" if line.reversal else "", _norm_memo(line.depositor)[:40], _norm_memo(line.memo)[:150])
        seen[fields] += 1
        line.dedupe_key = ("row:" + "|".join(fields) + f"#{seen[fields]}")[:300]


# --- CSV -------------------------------------------------------------------------------------

#: The columns a person maps on the preview page; the first three are required.
CSV_ROLES = ("date", "memo", "deposit", "withdrawal", "balance", "depositor")
REQUIRED_ROLES = ("date", "memo", "deposit")
ROLE_LABELS = {"date": _l("Date"), "memo": _l("Memo (what the sender wrote)"), "deposit": _l("Money in"),
               "withdrawal": _l("Money out"), "balance": _l("Balance after"), "depositor": _l("Sender's name")}
#: Header words of Korean banks' exports (and English ones), per role, most specific first.
HEADER_WORDS = {
    "date": ("거래일시", "거래일자", "거래일", "일자", "날짜", "date"),
    "deposit": ("입금액", "맡기신금액", "입금", "deposit", "credit", "money in"),
    "withdrawal": ("출금액", "찾으신금액", "출금", "withdrawal", "debit", "money out"),
    "balance": ("거래후잔액", "잔액", "balance"),
    "depositor": ("입금자명", "입금자", "의뢰인", "보낸분", "sender", "depositor"),
    "memo": ("기재내용", "적요", "내용", "메모", "통장표시", "memo", "description", "reference"),
}
TOTAL_WORDS = ("합계", "총계", "소계", "total")


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else CP949 (a superset of EUC-KR)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp949")
    except UnicodeDecodeError as exc:
        raise StatementError(_l("The file is neither UTF-8 nor CP949/EUC-KR text.")) from exc


def _rows(text: str) -> list[list[str]]:
    sample = text[:4000]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _role_of(header: str) -> str | None:
    h = header.replace(" ", "").lower()
    if not h:
        return None
    for role in ("date", "deposit", "withdrawal", "balance", "depositor", "memo"):
        if any(word.replace(" ", "") in h for word in HEADER_WORDS[role]):
            return role
    return None


def find_header(rows: list[list[str]]) -> int:
    """The index of the header row: the first row naming a date, a deposit and one more column."""
    for i, row in enumerate(rows[:40]):
        roles = {_role_of(cell) for cell in row} - {None}
        if {"date", "deposit"} <= roles and len(roles) >= 3:
            return i
    raise StatementError(_l("No header row found: the file needs columns for the date, the money in and the memo."))


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Per role, the column named by its most specific word (기재내용 before 적요)."""
    mapping: dict[str, str] = {}
    for role, words in HEADER_WORDS.items():
        for word in words:
            hit = next((h for h in headers if _role_of(h) == role and word.replace(" ", "") in
                        h.replace(" ", "").lower()), None)
            if hit is not None:
                mapping[role] = hit
                break
    return mapping


@dataclass
class CsvPreview:
    headers: list[str]
    sample: list[list[str]]
    mapping: dict[str, str]


def preview_csv(raw: bytes, saved: dict[str, str] | None = None) -> CsvPreview:
    rows = _rows(decode_csv(raw))
    h = find_header(rows)
    headers = rows[h]
    mapping = guess_mapping(headers)
    if saved and all(col in headers for col in saved.values()):
        mapping = dict(saved)
    body = [r for r in rows[h + 1:] if any(r)]
    return CsvPreview(headers, body[:5], mapping)


_DATE = re.compile(r"^\s*(\d{4})[-./]?\s*(\d{1,2})[-./]?\s*(\d{1,2})\.?(?:[ T].*)?$")


def _parse_date(text: str) -> date:
    m = _DATE.match(text)
    if not m:
        raise ValueError(text)
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _parse_amount(text: str, currency: str) -> int:
    cleaned = (text or "").replace(",", "").replace("원", "").replace("₩", "").replace("KRW", "").strip()
    if cleaned in ("", "-", "0"):
        return 0
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", cleaned):
        raise ValueError(text)
    try:
        return minor_units(Decimal(cleaned), currency)
    except (InvalidOperation, ValueError):
        raise ValueError(text) from None


def _is_total_row(row: list[str], date_cell: str) -> bool:
    lowered = " ".join(row).lower()
    return not date_cell or any(word in lowered for word in TOTAL_WORDS)


def parse_csv(raw: bytes, mapping: dict[str, str], *, account: str, currency: str = "KRW") -> Parsed:
    rows = _rows(decode_csv(raw))
    h = find_header(rows)
    headers = rows[h]
    missing = [role for role in REQUIRED_ROLES if not mapping.get(role)]
    if missing:
        raise StatementError(_l("Choose a column for: %(roles)s.",
                                roles=", ".join(str(ROLE_LABELS[r]) for r in missing)))
    index = {}
    for role, column in mapping.items():
        if not column:
            continue
        if column not in headers:
            raise StatementError(_l("The file has no column named “%(column)s”.", column=column))
        index[role] = headers.index(column)

    def cell(row: list[str], role: str) -> str:
        i = index.get(role)
        return row[i] if i is not None and i < len(row) else ""

    lines: list[ParsedLine] = []
    errors: list[tuple[int, str]] = []
    for number, row in enumerate(rows[h + 1:], start=h + 2):
        if not any(row):
            continue
        date_cell = cell(row, "date")
        if _is_total_row(row, date_cell):
            continue
        try:
            booked_on = _parse_date(date_cell)
        except ValueError:
            errors.append((number, str(_l("the date “%(value)s” cannot be read", value=date_cell))))
            continue
        amounts = {}
        for role in ("deposit", "withdrawal", "balance"):
            if role not in index:
                continue
            try:
                amounts[role] = _parse_amount(cell(row, role), currency)
            except ValueError:
                errors.append((number, str(_l("the amount “%(value)s” is not a number", value=cell(row, role)))))
        if len(amounts) != len([r for r in ("deposit", "withdrawal", "balance") if r in index]):
            continue
        amount = amounts.get("deposit", 0) - amounts.get("withdrawal", 0)
        if amount == 0:
            continue  # an information row (e.g. interest of 0)
        balance = amounts.get("balance") if "balance" in index and cell(row, "balance") else None
        lines.append(ParsedLine(booked_on, amount, memo=cell(row, "memo"), depositor=cell(row, "depositor"),
                                running_balance=balance, row=number))
    if errors:
        raise StatementError(_l("Some rows cannot be read; nothing was imported."), errors)
    if not lines:
        raise StatementError(_l("The file has no deposit or withdrawal rows."))
    lines = _chronological(lines)
    breaks = _chain_breaks(lines)
    assign_dedupe_keys(lines)
    opening = closing = None
    if lines[0].running_balance is not None and lines[-1].running_balance is not None:
        opening, closing = lines[0].running_balance - lines[0].amount, lines[-1].running_balance
    return Parsed("csv", [ParsedStatement(account, currency, lines, opening, closing)], breaks)


def _chain_breaks(lines: list[ParsedLine]) -> list[BalanceBreak]:
    breaks = []
    for prev, line in zip(lines, lines[1:]):
        if prev.running_balance is None or line.running_balance is None:
            continue
        expected = prev.running_balance + line.amount
        if expected != line.running_balance:
            breaks.append(BalanceBreak(line.row, expected, line.running_balance, "chain"))
    return breaks


def _chronological(lines: list[ParsedLine]) -> list[ParsedLine]:
    """Banks export newest first: put the oldest first (by date, else by whichever order chains)."""
    if lines[0].booked_on > lines[-1].booked_on:
        return list(reversed(lines))
    if lines[0].booked_on < lines[-1].booked_on:
        return lines
    backwards = list(reversed(lines))
    # One day only: the order whose balances chain best; on a tie, newest first as banks export.
    return lines if len(_chain_breaks(lines)) < len(_chain_breaks(backwards)) else backwards


# --- MT940 ------------------------------------------------------------------------------------

def parse_mt940(raw: bytes) -> Parsed:
    import mt940

    text = decode_csv(raw)
    options = mt940.Options(reversal_sign=True, case_insensitive_marks=True, unbounded_details=True,
                            strip_bom=True, merge_keeps_values=True)
    try:
        blocks = mt940.parse_statements(text, options=options)
    except Exception as exc:  # the library raises many kinds on malformed input
        raise StatementError(_l("This MT940 file cannot be read: %(error)s", error=str(exc)[:200])) from exc
    statements = []
    row = 0
    for block in blocks:
        data = block.data
        opening = data.get("final_opening_balance") or data.get("opening_balance")
        closing = data.get("final_closing_balance") or data.get("closing_balance")
        if opening is None and not block.transactions:
            continue
        currency = (opening.amount.currency if opening is not None else None) or "KRW"
        lines = []
        for tx in block.transactions:
            row += 1
            t = tx.data
            status = (t.get("status") or "").upper()
            try:
                amount = minor_units(t["amount"].amount, currency)
            except ValueError as exc:
                raise StatementError(_l("This MT940 file cannot be read."), [(row, str(exc))]) from exc
            ref = t.get("bank_reference")
            lines.append(ParsedLine(
                booked_on=date(t["date"].year, t["date"].month, t["date"].day), amount=amount,
                memo=_norm_memo(t.get("transaction_details") or t.get("extra_details") or ""),
                bank_ref=f"{data.get('account_identification', '')}/{ref}" if ref and ref.upper() != "NONREF" else None,
                reversal=status.startswith("R"), row=row))
        assign_dedupe_keys(lines)
        statements.append(ParsedStatement(
            account=str(data.get("account_identification") or ""), currency=currency, lines=lines,
            opening=minor_units(opening.amount.amount, currency) if opening is not None else None,
            closing=minor_units(closing.amount.amount, currency) if closing is not None else None,
            reference=str(data.get("transaction_reference") or "")))
    if not statements:
        raise StatementError(_l("No statement found in this MT940 file."))
    return Parsed("mt940", statements, _closing_breaks(statements))


def _closing_breaks(statements: list[ParsedStatement]) -> list[BalanceBreak]:
    breaks = []
    for st in statements:
        if st.opening is None or st.closing is None:
            continue
        expected = st.opening + sum(line.amount for line in st.lines)
        if expected != st.closing:
            last = st.lines[-1].row if st.lines else 0
            breaks.append(BalanceBreak(last, expected, st.closing, "closing"))
    return breaks


# --- CAMT.053 -----------------------------------------------------------------------------------

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


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


def _camt_amount(el, currency_fallback: str) -> tuple[int, str]:
    amt = _child(el, "Amt")
    currency = amt.get("Ccy") if amt is not None and amt.get("Ccy") else currency_fallback
    value = Decimal((amt.text or "").strip()) if amt is not None else None
    if value is None:
        raise ValueError("missing amount")
    return minor_units(value, currency), currency


def _camt_date(el) -> date:
    text = _text(el, "BookgDt", "Dt") or _text(el, "BookgDt", "DtTm") or _text(el, "ValDt", "Dt")
    return _parse_date(text[:10])


def parse_camt053(raw: bytes) -> Parsed:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(raw)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise StatementError(_l("This CAMT.053 file cannot be read: %(error)s", error=str(exc)[:200])) from exc
    statements = []
    row = 0
    for stmt in root.iter():
        if _local(stmt.tag) != "Stmt":
            continue
        acct = _child(stmt, "Acct")
        account = _text(acct, "Id", "IBAN") or _text(acct, "Id", "Othr", "Id")
        currency = _text(acct, "Ccy") or "KRW"
        opening = closing = None
        try:
            for bal in _children(stmt, "Bal"):
                code = _text(bal, "Tp", "CdOrPrtry", "Cd")
                value, _ccy = _camt_amount(bal, currency)
                if _text(bal, "CdtDbtInd") == "DBIT":
                    value = -value
                if code in ("OPBD", "PRCD") and opening is None:
                    opening = value
                elif code == "CLBD":
                    closing = value
        except (ValueError, InvalidOperation) as exc:
            raise StatementError(_l("A balance of statement %(id)s cannot be read.", id=_text(stmt, "Id"))) from exc
        lines: list[ParsedLine] = []
        errors: list[tuple[int, str]] = []
        for entry in _children(stmt, "Ntry"):
            row += 1
            status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")
            if status == "PDNG":
                continue  # not booked yet: it comes again, booked, on a later statement
            try:
                amount, _ccy = _camt_amount(entry, currency)
                booked_on = _camt_date(entry)
            except (ValueError, InvalidOperation):
                errors.append((row, str(_l("the amount or the booking date cannot be read"))))
                continue
            sign = -1 if _text(entry, "CdtDbtInd") == "DBIT" else 1
            reversal = _text(entry, "RvslInd").lower() == "true"
            entry_ref = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
            details = [tx for d in _children(entry, "NtryDtls") for tx in _children(d, "TxDtls")]
            parts = _camt_batch(details, currency, amount) if len(details) > 1 else None
            if parts is None:
                tx = details[0] if details else None
                ref = (_text(tx, "Refs", "AcctSvcrRef") if tx is not None else "") or entry_ref
                lines.append(ParsedLine(booked_on, sign * amount, memo=_camt_memo(tx, entry),
                                        depositor=_camt_party(tx), bank_ref=f"{account}/{ref}" if ref else None,
                                        reversal=reversal, row=row))
            else:
                for i, (tx, part) in enumerate(parts, start=1):
                    ref = _text(tx, "Refs", "AcctSvcrRef") or (f"{entry_ref}/{i}" if entry_ref else "")
                    lines.append(ParsedLine(booked_on, sign * part, memo=_camt_memo(tx, entry),
                                            depositor=_camt_party(tx), bank_ref=f"{account}/{ref}" if ref else None,
                                            reversal=reversal, row=row))
        if errors:
            raise StatementError(_l("Some entries cannot be read; nothing was imported."), errors)
        assign_dedupe_keys(lines)
        statements.append(ParsedStatement(account, currency, lines, opening, closing, _text(stmt, "Id")))
    if not statements:
        raise StatementError(_l("No statement (Stmt) found in this CAMT.053 file."))
    return Parsed("camt053", statements, _closing_breaks(statements))


def _camt_batch(details, currency: str, total: int) -> list | None:
    """A batch entry's transactions with their own amounts, when they add up to the entry."""
    parts = []
    for tx in details:
        amt_el = _child(tx, "AmtDtls", "TxAmt")
        amt_el = amt_el if amt_el is not None else tx
        try:
            part, _ccy = _camt_amount(amt_el, currency)
        except (ValueError, InvalidOperation):
            return None
        parts.append((tx, part))
    return parts if sum(p for _tx, p in parts) == total else None


def _camt_memo(tx, entry) -> str:
    texts = [t.text.strip() for t in _children(_child(tx, "RmtInf"), "Ustrd") if t.text] if tx is not None else []
    return _norm_memo(" ".join(texts) or _text(entry, "AddtlNtryInf"))


def _camt_party(tx) -> str:
    if tx is None:
        return ""
    return _text(tx, "RltdPties", "Dbtr", "Nm") or _text(tx, "RltdPties", "Dbtr", "Pty", "Nm")


def parse(raw: bytes, *, source_format: str | None = None, mapping: dict[str, str] | None = None,
          account: str = "", currency: str = "KRW") -> Parsed:
    fmt = source_format or detect_format(raw)
    if fmt == "mt940":
        return parse_mt940(raw)
    if fmt == "camt053":
        return parse_camt053(raw)
    return parse_csv(raw, mapping or {}, account=account, currency=currency)
