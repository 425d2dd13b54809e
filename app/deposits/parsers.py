"""Reading bank statements: Korean banks' CSV and Excel exports (.xlsx, .xls and the HTML tables
saved as ".xls"), MT940 and CAMT.053.

Every parser returns `ParsedStatement`s whose lines are in booking order (oldest first) with signed
integer amounts in minor units (+ money in, - money out), pending lines flagged and never counted in
a balance. Bad input raises `StatementError` naming the rows at fault; nothing is half-read. Dedupe
keys (see parse_base) come from the bank's reference with what makes it unique, else from the row's
own text: never from the column mapping, the bank's typed name, the encoding or the line endings.

The format modules are parse_table (tabular exports), parse_sheets (Excel and HTML readers),
parse_mt940 and parse_camt; this module is the one other code imports.
"""
from __future__ import annotations

import re

from app.deposits.parse_base import (BalanceBreak, Parsed, ParsedLine, ParsedStatement,  # noqa: F401
                                     StatementError, assign_dedupe_keys, decode_text, minor_units,
                                     normalize_account)
from app.deposits.parse_base import chain_breaks as _chain_breaks  # noqa: F401
from app.deposits.parse_base import closing_breaks as _closing_breaks  # noqa: F401
from app.deposits.parse_camt import parse_camt053
from app.deposits.parse_mt940 import parse_mt940
from app.deposits.parse_sheets import is_html, is_ole2, is_spreadsheet_xml, is_xlsx
from app.deposits.parse_table import (CSV_ROLES, HEADER_WORDS, REQUIRED_ROLES, ROLE_LABELS,  # noqa: F401
                                      TABULAR_FORMATS, CsvPreview, decode_csv, find_header, guess_mapping,
                                      parse_csv, preview_csv)

__all__ = ["BalanceBreak", "CSV_ROLES", "CsvPreview", "FORMATS", "HEADER_WORDS", "Parsed", "ParsedLine",
           "ParsedStatement", "REQUIRED_ROLES", "ROLE_LABELS", "StatementError", "TABULAR_FORMATS",
           "assign_dedupe_keys", "decode_csv", "decode_text", "detect_format", "find_header", "guess_mapping",
           "minor_units", "normalize_account", "parse", "parse_camt053", "parse_csv", "parse_mt940", "preview_csv"]

FORMATS = ("csv", "xlsx", "xls", "mt940", "camt053")

_STRIP = b" \t\r\n\xef\xbb\xbf"


def detect_format(raw: bytes) -> str:
    """"xlsx", "xls", "csv", "mt940" or "camt053", from the file's content (never its name)."""
    if is_xlsx(raw):
        return "xlsx"
    if is_ole2(raw):
        return "xls"
    head = raw[:4000].lstrip(_STRIP)
    if head.startswith(b"<"):
        if b"camt.053" in head or re.search(rb"<(\w+:)?(Document|BkToCstmrStmt)[\s>]", head):
            return "camt053"
        if is_html(raw) or is_spreadsheet_xml(raw):
            return "xls"
        return "camt053"  # other XML: the CAMT reader says clearly what is missing
    if head.startswith(b"{1:") or (re.search(rb"(^|\n):20:", head) and re.search(rb"\n:(25|60[FM]|61):", raw)):
        return "mt940"
    return "csv"


def parse(raw: bytes, *, source_format: str | None = None, mapping: dict[str, str] | None = None,
          account: str = "", currency: str = "KRW") -> Parsed:
    """Read a statement file. CSV, .xlsx and .xls go through the same tabular flow (recognised by their
    content, so a ".xls" that is really CSV text is read as CSV). Only reads; raises StatementError."""
    fmt = source_format or detect_format(raw)
    if fmt == "mt940":
        return parse_mt940(raw)
    if fmt == "camt053":
        return parse_camt053(raw)
    return parse_csv(raw, mapping or {}, account=account, currency=currency)
