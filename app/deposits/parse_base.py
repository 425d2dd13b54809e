"""What every statement parser returns: lines, statements, errors, dedupe keys and balance checks.

Imported by the format modules (parse_table, parse_sheets, parse_mt940, parse_camt); other code
imports these names from `app.deposits.parsers`.

Dedupe keys (models.StatementLine is unique per account by its key) never depend on the column
mapping, the bank's typed name, the encoding, a BOM or the line endings:

* a line with the bank's own reference: ``ref:<account>/<ref>|<amount>|<C or D>|<ordinal>`` where the
  ordinal counts the lines of the same file with the same reference, amount and direction (a payout
  and its fee sharing one `AcctSvcrRef` are two lines);
* a line without one: ``row:<sha1 of the row's own text>#<ordinal among identical rows of the file>``.

Pending (not yet booked) lines end in ``|P``, so the booked copy that comes later is another line.
"""
from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel.numbers import get_currency_precision
from flask_babel import lazy_gettext as _l

MAX_KEY = 300


class StatementError(Exception):
    """The file cannot be read; `rows` lists (row number, what is wrong)."""

    def __init__(self, message, rows: list[tuple[int, str]] | None = None):
        super().__init__(str(message))
        self.message = message
        self.rows = rows or []


@dataclass
class ParsedLine:
    """One movement on the account: `amount` is signed (+ money in, - money out) in minor units."""

    booked_on: date
    amount: int
    memo: str = ""
    depositor: str = ""  # the counterparty: who sent a credit, who received a debit
    bank_ref: str | None = None  # "<account>/<the bank's reference>"
    running_balance: int | None = None
    reversal: bool = False
    row: int = 0
    dedupe_key: str = ""
    pending: bool = False  # not booked yet (CAMT Sts PDNG): never counts in a balance
    our_ref: str | None = None  # the originator's reference (EndToEndId, MT940 customer reference)
    bank_code: str | None = None  # NTRF, NCHG… or PMNT/ICDT/RRTN
    return_reason: str | None = None  # CAMT RtrInf/Rsn/Cd, e.g. AC04
    content: str = field(default="", repr=False)  # the row's own text, for the key of a line without a ref

    @property
    def direction(self) -> str:
        """"C" for money in, "D" for money out: the sign of the amount."""
        return "D" if self.amount < 0 else "C"

    @property
    def counterparty(self) -> str:
        return self.depositor


@dataclass
class ParsedStatement:
    account: str
    currency: str
    lines: list[ParsedLine]
    opening: int | None = None  # booked balances only
    closing: int | None = None
    reference: str = ""
    statement_id: str | None = None  # CAMT Stmt/Id; MT940 :20: + :28C:
    copy_duplicate: bool = False  # CAMT CpyDplctInd DUPL or CODU: a copy of a statement sent before
    from_date: date | None = None
    to_date: date | None = None
    electronic_seq: int | None = None  # CAMT ElctrncSeqNb

    @property
    def booked_lines(self) -> list[ParsedLine]:
        return [line for line in self.lines if not line.pending]


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


#: No statement line is this large (and BIGINT columns end at 9.2e18): a bigger number is a misread.
MAX_AMOUNT = 10 ** 15


def minor_units(value: Decimal, currency: str) -> int:
    """`value` in the currency's minor units; ValueError for more decimals than it has or an absurd size."""
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise ValueError("not a plausible amount")
    exponent = get_currency_precision(currency)
    scaled = value * (10 ** exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError("more decimals than the currency has")
    return int(scaled)


def is_currency(code: str) -> bool:
    """An ISO 4217-shaped code (three capital letters), as the currency columns hold."""
    return len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


def normalize_account(text: str | None) -> str:
    """One identity per account: letters and digits only, upper case ("999-0001-234560",
    "999 0001 234560" and "9990001234560" are the same; an IBAN keeps its letters)."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def norm_text(text: str | None) -> str:
    """Whitespace collapsed to single spaces, Unicode in NFC (a Mac re-save writes NFD Hangul)."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def row_content(cells) -> str:
    """A row's own text for its dedupe key: every cell normalised, trailing empty cells dropped."""
    parts = [norm_text(str(c)) for c in cells]
    while parts and not parts[-1]:
        parts.pop()
    return "\x1f".join(parts)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _fields_of(line: ParsedLine) -> str:
    """For lines built without their row's text (older callers): the line's own fields."""
    return row_content((line.booked_on.isoformat(), line.amount,
                        "-" if line.running_balance is None else line.running_balance,
                        "R" if line.reversal else "", line.depositor, line.memo))


def assign_dedupe_keys(lines: list[ParsedLine]) -> None:
    """Set each line's dedupe_key (see the module docstring); pass all lines of one file at once
    so the ordinals count the whole file. Changes only the lines; the same lines give the same keys."""
    seen: Counter = Counter()
    for line in lines:
        pending = "|P" if line.pending else ""
        if line.bank_ref:
            basis = ("ref", line.bank_ref, abs(line.amount), line.direction, line.pending)
            seen[basis] += 1
            tail = f"|{abs(line.amount)}|{line.direction}|{seen[basis]}{pending}"
            key = f"ref:{line.bank_ref}{tail}"
            if len(key) > MAX_KEY:  # an absurdly long reference: its hash keeps the key unique
                key = f"ref:sha1:{_digest(line.bank_ref)}{tail}"
        else:
            digest = _digest(line.content or _fields_of(line))
            basis = ("row", digest, line.pending)
            seen[basis] += 1
            key = f"row:{digest}#{seen[basis]}{pending}"
        line.dedupe_key = key


# --- text --------------------------------------------------------------------------------------

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _row_at(raw: bytes, offset: int) -> int:
    return raw[:offset].count(b"\n") + 1


def decode_text(raw: bytes) -> str:
    """The file's text: UTF-8 or UTF-16 by their BOM, else UTF-8 when it decodes, else CP949 (a
    superset of EUC-KR). An empty file, bytes that are none of these, or a NUL character is a
    StatementError naming the row."""
    if not raw.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe"):
        raise StatementError(_l("The file is empty."))
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            body = raw[len(bom):]
            try:
                text = body.decode(encoding)
            except UnicodeDecodeError as exc:
                row = _row_at(body, exc.start) if encoding == "utf-8" else 0
                raise StatementError(_l("The file says it is %(encoding)s text but is not.", encoding="UTF-8"
                                        if encoding == "utf-8" else "UTF-16"),
                                     [(row, str(_l("bytes that are not text")))] if row else None) from exc
            return check_text(text)
    try:
        return check_text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    try:
        return check_text(raw.decode("cp949"))
    except UnicodeDecodeError as exc:
        raise StatementError(_l("The file is neither UTF-8 nor CP949/EUC-KR text."),
                             [(_row_at(raw, exc.start), str(_l("bytes that are not text")))]) from exc


def check_text(text: str) -> str:
    at = text.find("\x00")
    if at >= 0:
        raise StatementError(_l("The file contains NUL characters: it is not a text statement."),
                             [(text.count("\n", 0, at) + 1, str(_l("a NUL character")))])
    if not text.strip():
        raise StatementError(_l("The file is empty."))
    return text


# --- balances ----------------------------------------------------------------------------------

def chain_breaks(lines: list[ParsedLine]) -> list[BalanceBreak]:
    """Booked lines (oldest first) whose running balance is not the previous one plus the amount."""
    booked = [line for line in lines if not line.pending]
    breaks = []
    for prev, line in zip(booked, booked[1:]):
        if prev.running_balance is None or line.running_balance is None:
            continue
        expected = prev.running_balance + line.amount
        if expected != line.running_balance:
            breaks.append(BalanceBreak(line.row, expected, line.running_balance, "chain"))
    return breaks


def closing_breaks(statements: list[ParsedStatement]) -> list[BalanceBreak]:
    """Statements whose opening balance plus their booked lines is not their closing balance."""
    breaks = []
    for st in statements:
        if st.opening is None or st.closing is None:
            continue
        expected = st.opening + sum(line.amount for line in st.booked_lines)
        if expected != st.closing:
            last = st.lines[-1].row if st.lines else 0
            breaks.append(BalanceBreak(last, expected, st.closing, "closing"))
    return breaks
