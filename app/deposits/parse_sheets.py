"""Spreadsheet exports as rows of text: .xlsx, .xls (BIFF), the HTML tables and XML spreadsheets
many Korean banks download as ".xls".

Every reader returns sheets, each a list of (row number a person sees, cells as text) with the
empty rows left out. Cells are rendered as a CSV export would show them: dates as
"YYYY-MM-DD HH:MM:SS", whole numbers without ".0", text as given. Hostile files end in a
StatementError with a plain message, never another exception: a zip whose members unpack to more
than MAX_UNZIPPED_BYTES, more than MAX_ROWS rows, anything the Excel libraries raise.
"""
from __future__ import annotations

import codecs
import io
import re
import warnings
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from html.parser import HTMLParser

from flask_babel import lazy_gettext as _l

from app.deposits.parse_base import StatementError, check_text, decode_text

MAX_ROWS = 100_000
MAX_COLUMNS = 64
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024

Row = tuple[int, list[str]]

_HEAD_STRIP = b" \t\r\n\xef\xbb\xbf"


# --- what the bytes are --------------------------------------------------------------------------

def is_xlsx(raw: bytes) -> bool:
    """A zip (PK\\x03\\x04) holding an `xl/` folder."""
    return raw.startswith(b"PK\x03\x04") and b"xl/" in raw


def is_zip(raw: bytes) -> bool:
    return raw.startswith(b"PK\x03\x04")


def is_ole2(raw: bytes) -> bool:
    """The OLE2 compound file of a real .xls (D0 CF 11 E0)."""
    return raw.startswith(b"\xd0\xcf\x11\xe0")


def is_html(raw: bytes) -> bool:
    """An HTML table saved as ".xls": markup with a <table> or <html> near the start."""
    head = raw[:4096].lstrip(_HEAD_STRIP).lower()
    if not head.startswith(b"<"):
        return False
    return bool(re.search(rb"<(html|table|tr)[\s>]", raw[:65536].lower()))


def is_spreadsheet_xml(raw: bytes) -> bool:
    """Excel 2003's XML spreadsheet (SpreadsheetML), also saved as ".xls"."""
    head = raw[:4096].lstrip(_HEAD_STRIP)
    lowered = raw[:8192].lower()
    return head.startswith(b"<") and b"urn:schemas-microsoft-com:office:spreadsheet" in head \
        and b"<workbook" in lowered and b"<html" not in lowered


# --- cells --------------------------------------------------------------------------------------

def cell_text(value) -> str:
    """A cell's value as the bank's CSV export would show it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value:%H:%M:%S}"
    if isinstance(value, date):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    return str(value).strip()


class _Rows:
    """Collects a sheet's non-empty rows, at most MAX_COLUMNS cells wide and MAX_ROWS long."""

    def __init__(self):
        self.rows: list[Row] = []

    def add(self, number: int, values) -> None:
        cells = [cell_text(v) for v in list(values)[:MAX_COLUMNS]]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            return
        if len(self.rows) >= MAX_ROWS:
            raise StatementError(_l("The file has more than %(n)s rows; split it into smaller periods.",
                                    n=f"{MAX_ROWS:,}"), [(number, str(_l("too many rows")))])
        self.rows.append((number, cells))


def _unreadable(kind: str, exc: Exception) -> StatementError:
    return StatementError(_l("This %(kind)s file cannot be read. Download it again from the bank, or save it "
                             "as CSV and upload that.", kind=kind))


# --- .xlsx ----------------------------------------------------------------------------------------

def xlsx_sheets(raw: bytes) -> list[list[Row]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = archive.infolist()
    except Exception as exc:  # BadZipFile, and worse on a hostile file
        raise _unreadable("Excel", exc) from exc
    if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        raise StatementError(_l("This Excel file unpacks to more than %(mb)s MB; it is not a bank statement.",
                                mb=MAX_UNZIPPED_BYTES // (1024 * 1024)))
    if not any(m.filename.startswith("xl/") for m in members):
        raise StatementError(_l("This zip file is not an Excel workbook."))
    import openpyxl

    sheets = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it ignores
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
            try:
                for sheet in book.worksheets:
                    if hasattr(sheet, "reset_dimensions"):
                        sheet.reset_dimensions()  # a wrong <dimension> must not invent rows
                    rows = _Rows()
                    for number, values in enumerate(sheet.iter_rows(min_row=1, min_col=1, max_col=MAX_COLUMNS,
                                                                    values_only=True), start=1):
                        rows.add(number, values)
                    sheets.append(rows.rows)
            finally:
                book.close()
    except StatementError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a broken or hostile workbook
        raise _unreadable("Excel", exc) from exc
    return sheets


# --- .xls (BIFF) ----------------------------------------------------------------------------------

def xls_sheets(raw: bytes) -> list[list[Row]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=raw, logfile=io.StringIO(), on_demand=True)
        sheets = []
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            rows = _Rows()
            for r in range(sheet.nrows):
                rows.add(r + 1, [_xls_value(cell, book.datemode) for cell in sheet.row_slice(r, 0, MAX_COLUMNS)])
            sheets.append(rows.rows)
            book.unload_sheet(index)
        book.release_resources()
    except StatementError:
        raise
    except Exception as exc:  # XLRDError, CompDocError, struct.error, … on a broken file
        raise _unreadable("Excel (.xls)", exc) from exc
    return sheets


def _xls_value(cell, datemode: int):
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    return cell.value


# --- HTML tables ----------------------------------------------------------------------------------

_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_KOREAN_CHARSETS = {"euc-kr", "euckr", "ks_c_5601-1987", "ks_c_5601", "ksc5601", "x-windows-949", "windows-949",
                    "ms949", "cp949", "uhc"}


def html_text(raw: bytes) -> str:
    """The page's text in its declared charset (EUC-KR and its aliases read as CP949), else as
    decode_text reads any text file."""
    if raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_text(raw)
    found = _CHARSET.search(raw[:4096])
    if found:
        name = found.group(1).decode("ascii", "ignore").lower()
        name = "cp949" if name in _KOREAN_CHARSETS else name
        try:
            codecs.lookup(name)
            return check_text(raw.decode(name))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration: read it as any text file
    return decode_text(raw)


class _TableReader(HTMLParser):
    """Every <tr> of the page in order, cells as text (a colspan keeps the columns aligned)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows = _Rows()
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.span = 1
        self.number = 0
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "tr":
            self._end_row()
            self.row = []
        elif tag in ("td", "th"):
            self._end_cell()
            if self.row is None:
                self.row = []
            self.cell = []
            span = dict(attrs).get("colspan") or "1"
            self.span = min(int(span), MAX_COLUMNS) if span.strip().isdigit() and int(span) > 0 else 1
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag in ("tr", "table"):
            self._end_row()

    def handle_data(self, data):
        if self.cell is not None and not self.skip:
            self.cell.append(data)

    def _end_cell(self):
        if self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.row.extend([""] * (self.span - 1))
        self.cell = None

    def _end_row(self):
        self._end_cell()
        if self.row is not None:
            self.number += 1
            self.rows.add(self.number, self.row[:MAX_COLUMNS])
        self.row = None

    def close(self):
        super().close()
        self._end_row()


def html_sheets(raw: bytes) -> list[list[Row]]:
    reader = _TableReader()
    try:
        reader.feed(html_text(raw))
        reader.close()
    except StatementError:
        raise
    except Exception as exc:  # html.parser is lenient; this is a last guard
        raise _unreadable("HTML", exc) from exc
    return [reader.rows.rows]


# --- Excel 2003 XML spreadsheets ---------------------------------------------------------------------

def spreadsheet_xml_sheets(raw: bytes) -> list[list[Row]]:
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(raw)
        sheets = []
        for sheet in (el for el in root.iter() if _local(el.tag) == "Worksheet"):
            rows = _Rows()
            number = 0
            for row in (el for el in sheet.iter() if _local(el.tag) == "Row"):
                number = _index(row, number + 1)
                values: list = []
                for cell in (c for c in row if _local(c.tag) == "Cell"):
                    at = _index(cell, len(values) + 1)
                    if at > MAX_COLUMNS:
                        break
                    values.extend([None] * (at - 1 - len(values)))
                    data = next((d for d in cell if _local(d.tag) == "Data"), None)
                    values.append(_xml_value(data))
                    values.extend([None] * min(_int(_attr(cell, "MergeAcross")), MAX_COLUMNS))
                rows.add(number, values)
            sheets.append(rows.rows)
    except StatementError:
        raise
    except Exception as exc:  # ParseError, DefusedXmlException, absurd indexes
        raise _unreadable("Excel (XML)", exc) from exc
    return sheets


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attr(el, name: str) -> str:
    return next((v for k, v in el.attrib.items() if _local(k) == name), "")


def _int(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0


def _index(el, default: int) -> int:
    given = _int(_attr(el, "Index"))
    if given > 1_048_576:
        raise ValueError("index out of range")
    return given if given >= default else default


def _xml_value(data):
    if data is None:
        return None
    text = "".join(data.itertext()).strip()
    kind = _attr(data, "Type")
    if kind == "DateTime" and re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", text):
        return datetime.fromisoformat(text[:19])
    if kind == "Number":
        try:
            number = Decimal(text)
        except ArithmeticError:
            return text
        return int(number) if number == number.to_integral_value() else text
    return text
