"""Korean banks' tabular exports: CSV/TSV text, .xlsx, .xls and the HTML tables saved as ".xls".

All go through one flow: read the rows (read_table), find the header row, guess which column is
which (a person checks it on the preview page), then parse. Rows come newest first from most banks;
lines are returned oldest first with signed amounts and the running balance checked.

A row's dedupe key comes from the row's own cells (see parse_base), never from the mapping.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from app.deposits import parse_sheets
from app.deposits.parse_base import (Parsed, ParsedLine, ParsedStatement, StatementError, assign_dedupe_keys,
                                     chain_breaks, decode_text, minor_units, norm_text, normalize_account,
                                     row_content)

#: The columns a person maps on the preview page; the first three are required.
CSV_ROLES = ("date", "memo", "deposit", "withdrawal", "balance", "depositor", "note")
REQUIRED_ROLES = ("date", "memo", "deposit")
ROLE_LABELS = {"date": _l("Date"), "memo": _l("Memo (what the sender wrote)"), "deposit": _l("Money in"),
               "withdrawal": _l("Money out"), "balance": _l("Balance after"), "depositor": _l("Sender's name"),
               "note": _l("More text (for example the kind of transfer)")}
#: Header words of Korean banks' exports (and English ones), per role, most specific first. A header
#: takes the role of the longest word it contains ("보낸분통장표시" is a memo, "보낸분" a name).
HEADER_WORDS = {
    "date": ("거래일시", "거래일자", "거래일", "일자", "날짜", "date"),
    "deposit": ("입금액", "맡기신금액", "입금", "deposit", "credit", "money in"),
    "withdrawal": ("출금액", "찾으신금액", "출금", "withdrawal", "debit", "money out"),
    "balance": ("거래후잔액", "잔액", "balance"),
    "depositor": ("입금자명", "입금자", "의뢰인", "보낸분", "sender", "depositor"),
    "memo": ("기재내용", "송금메모", "받는분통장표시", "보낸분통장표시", "통장표시", "메모", "적요", "내용", "memo",
             "description", "reference"),
    "note": ("비고", "note", "remarks"),
}
TEXT_ROLES = ("memo", "note")
#: Headers of a running row number ("No.", "순번"): its position in this export, not the row's content, so it
#: is left out of the dedupe key (an export starting a day later renumbers the same rows).
COUNTER_HEADERS = ("no", "#", "순번", "번호", "일련번호", "연번", "seq")
TOTAL_WORDS = ("합계", "총계", "소계", "total")
TABULAR_FORMATS = ("csv", "xlsx", "xls")
#: What a booking code or one of our transfer ids looks like in a memo (to find the memo column).
CODE_LIKE = re.compile(r"FDT[0-9A-F]{20}|FD[-\s]?[0-9A-Z]{6,8}", re.IGNORECASE)


@dataclass
class Table:
    source_format: str  # csv | xlsx | xls
    rows: list[tuple[int, list[str]]]  # (row number in the file, cells), empty rows left out


def decode_csv(raw: bytes) -> str:
    """Kept for older callers: the text of a CSV file (see parse_base.decode_text)."""
    return decode_text(raw)


def _text_rows(text: str) -> list[tuple[int, list[str]]]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # CRLF, LF and old Macs' CR alike
    sample = text[:4000]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            cells = [cell.strip() for cell in row]
            if any(cells):
                rows.append((number, cells))
    except csv.Error as exc:
        raise StatementError(_l("This file cannot be read as CSV."),
                             [(reader.line_num, str(exc)[:200])]) from exc
    return rows


def read_table(raw: bytes) -> Table:
    """The rows of any tabular export, recognised by its content (not its file name)."""
    if parse_sheets.is_xlsx(raw):
        return _sheet_table("xlsx", parse_sheets.xlsx_sheets(raw))
    if parse_sheets.is_ole2(raw):
        return _sheet_table("xls", parse_sheets.xls_sheets(raw))
    if parse_sheets.is_spreadsheet_xml(raw):
        return _sheet_table("xls", parse_sheets.spreadsheet_xml_sheets(raw))
    if parse_sheets.is_html(raw):
        return _sheet_table("xls", parse_sheets.html_sheets(raw))
    if parse_sheets.is_zip(raw):
        raise StatementError(_l("This zip file is not an Excel workbook."))
    return Table("csv", _text_rows(decode_text(raw)))


def _sheet_table(source_format: str, sheets: list) -> Table:
    """The first sheet that has a header row (a workbook may start with a cover sheet)."""
    for rows in sheets:
        try:
            find_header(rows)
        except StatementError:
            continue
        return Table(source_format, rows)
    return Table(source_format, sheets[0] if sheets else [])


def _cells(row) -> list[str]:
    """A row given as (number, cells) or as bare cells."""
    return row[1] if isinstance(row, tuple) else row


def _role_of(header: str) -> str | None:
    """The role of the longest header word in `header`; between words as long, the one ending later
    (a Korean compound ends in what it is: "입금내용" is a memo, "입금액" an amount)."""
    h = header.replace(" ", "").lower()
    if not h:
        return None
    best, score = None, (0, 0)
    for role, words in HEADER_WORDS.items():
        for word in words:
            w = word.replace(" ", "")
            at = h.rfind(w)
            if at >= 0 and (len(w), at + len(w)) > score:
                best, score = role, (len(w), at + len(w))
    return best


def find_header(rows) -> int:
    """The index of the header row: the first row naming a date, a deposit and one more column."""
    for i, row in enumerate(rows[:40]):
        roles = {_role_of(cell) for cell in _cells(row)} - {None}
        if {"date", "deposit"} <= roles and len(roles) >= 3:
            return i
    if not rows:
        raise StatementError(_l("The file has no rows."))
    raise StatementError(_l("No header row found: the file needs columns for the date, the money in and the memo."))


def _word_rank(header: str, role: str) -> int:
    h = header.replace(" ", "").lower()
    words = HEADER_WORDS[role]
    return next((i for i, w in enumerate(words) if w.replace(" ", "") in h), len(words))


def guess_mapping(headers: list[str], body: list[list[str]] | None = None) -> dict[str, str]:
    """Per role, the column named by its most specific word. For the memo, the text column where
    booking codes or transfer ids occur most often in `body`; the next text column is the note."""
    mapping: dict[str, str] = {}
    for role in HEADER_WORDS:
        if role in TEXT_ROLES:
            continue
        named = [h for h in headers if _role_of(h) == role]
        if named:
            mapping[role] = min(named, key=lambda h: _word_rank(h, role))
    texts = [(i, h) for i, h in enumerate(headers) if _role_of(h) in TEXT_ROLES]

    def hits(i: int) -> int:
        return sum(1 for row in body or [] if i < len(row) and CODE_LIKE.search(row[i]))

    ranked = sorted(texts, key=lambda ih: (-hits(ih[0]), TEXT_ROLES.index(_role_of(ih[1])),
                                           _word_rank(ih[1], _role_of(ih[1])), ih[0]))
    for role, (_i, header) in zip(TEXT_ROLES, ranked):
        mapping[role] = header
    return mapping


@dataclass
class CsvPreview:
    headers: list[str]
    sample: list[list[str]]
    mapping: dict[str, str]
    source_format: str = "csv"


def preview_csv(raw: bytes, saved: dict[str, str] | None = None) -> CsvPreview:
    """The header, the first rows and a proposed mapping (the saved one when its columns exist) of any
    tabular export. Only reads."""
    table = read_table(raw)
    h = find_header(table.rows)
    headers = table.rows[h][1]
    body = [cells for _n, cells in table.rows[h + 1:]]
    if not body:
        raise StatementError(_l("The file has no deposit or withdrawal rows."))
    mapping = guess_mapping(headers, body)
    if saved and all(col in headers for col in saved.values()):
        mapping = dict(saved)
    return CsvPreview(headers, body[:5], mapping, table.source_format)


_DATE = re.compile(r"^\s*(\d{4})[-./]?\s*(\d{1,2})[-./]?\s*(\d{1,2})\.?(?:[ T].*)?$")


def parse_date(text: str) -> date:
    m = _DATE.match(text)
    if not m:
        raise ValueError(text)
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def parse_amount(text: str, currency: str) -> int:
    cleaned = (text or "").replace(",", "").replace("원", "").replace("₩", "").replace("KRW", "").strip()
    if cleaned in ("", "-", "0"):
        return 0
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", cleaned) or len(cleaned) > 30:
        raise ValueError(text)
    try:
        return minor_units(Decimal(cleaned), currency)
    except (InvalidOperation, ValueError):
        raise ValueError(text) from None


def _is_total_row(row: list[str], date_cell: str) -> bool:
    lowered = " ".join(row).lower()
    return not date_cell or any(word in lowered for word in TOTAL_WORDS)


def _memo(memo: str, note: str) -> str:
    """The memo column's text, then " / " and the note column's text when it says something else."""
    memo, note = memo.strip(), note.strip()
    if not note or norm_text(note) == norm_text(memo):
        return memo
    return f"{memo} / {note}" if memo else note


def parse_csv(raw: bytes, mapping: dict[str, str], *, account: str, currency: str = "KRW") -> Parsed:
    """Read any tabular export with the mapping a person checked. Bad rows raise StatementError
    naming each row; nothing is half-read. Only reads."""
    table = read_table(raw)
    h = find_header(table.rows)
    headers = table.rows[h][1]
    missing = [role for role in REQUIRED_ROLES if not (mapping or {}).get(role)]
    if missing:
        raise StatementError(_l("Choose a column for: %(roles)s.",
                                roles=", ".join(str(ROLE_LABELS[r]) for r in missing)))
    index = {}
    for role, column in mapping.items():
        if not column or role not in CSV_ROLES:
            continue
        if column not in headers:
            raise StatementError(_l("The file has no column named “%(column)s”.", column=column))
        index[role] = headers.index(column)

    def cell(row: list[str], role: str) -> str:
        i = index.get(role)
        return row[i] if i is not None and i < len(row) else ""

    counters = {i for i, header in enumerate(headers) if header.replace(" ", "").replace(".", "").lower()
                in COUNTER_HEADERS}
    lines: list[ParsedLine] = []
    errors: list[tuple[int, str]] = []
    money_roles = [r for r in ("deposit", "withdrawal", "balance") if r in index]
    for number, row in table.rows[h + 1:]:
        date_cell = cell(row, "date")
        if _is_total_row(row, date_cell):
            continue
        try:
            booked_on = parse_date(date_cell)
        except ValueError:
            errors.append((number, str(_l("the date “%(value)s” cannot be read", value=date_cell[:60]))))
            continue
        amounts = {}
        for role in money_roles:
            try:
                amounts[role] = parse_amount(cell(row, role), currency)
            except ValueError:
                errors.append((number, str(_l("the amount “%(value)s” is not a number", value=cell(row, role)[:60]))))
        if len(amounts) != len(money_roles):
            continue
        amount = amounts.get("deposit", 0) - amounts.get("withdrawal", 0)
        if amount == 0:
            continue  # an information row (e.g. interest of 0)
        balance = amounts.get("balance") if "balance" in index and cell(row, "balance") else None
        lines.append(ParsedLine(booked_on, amount, memo=_memo(cell(row, "memo"), cell(row, "note")),
                                depositor=cell(row, "depositor"), running_balance=balance, row=number,
                                content=row_content(c for i, c in enumerate(row) if i not in counters)))
    if errors:
        raise StatementError(_l("Some rows cannot be read; nothing was imported."), errors)
    if not lines:
        raise StatementError(_l("The file has no deposit or withdrawal rows."))
    lines = _chronological(lines)
    breaks = chain_breaks(lines)
    assign_dedupe_keys(lines)
    opening = closing = None
    if lines[0].running_balance is not None and lines[-1].running_balance is not None:
        opening, closing = lines[0].running_balance - lines[0].amount, lines[-1].running_balance
    statement = ParsedStatement(normalize_account(account), currency, lines, opening, closing,
                                from_date=lines[0].booked_on, to_date=lines[-1].booked_on)
    return Parsed(table.source_format, [statement], breaks)


def _chronological(lines: list[ParsedLine]) -> list[ParsedLine]:
    """Banks export newest first: put the oldest first (by date, else by whichever order chains)."""
    if lines[0].booked_on > lines[-1].booked_on:
        return list(reversed(lines))
    if lines[0].booked_on < lines[-1].booked_on:
        return lines
    backwards = list(reversed(lines))
    # One day only: the order whose balances chain best; on a tie, newest first as banks export.
    return lines if len(chain_breaks(lines)) < len(chain_breaks(backwards)) else backwards
