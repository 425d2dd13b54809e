"""Excel exports go through the CSV flow: .xlsx (written here with openpyxl), .xls (written with
xlwt), the HTML table many Korean banks save as ".xls", Excel 2003 XML, and a ".xls" that is CSV text.
Hostile files (a zip bomb, too many rows, broken workbooks) are a clear StatementError."""
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.deposits import parse_sheets, parsers
from app.deposits.models import StatementLine
from app.extensions import db

FILES = Path(__file__).parent / "files"
HEADER = ["거래일시", "적요", "보낸분/받는분", "메모", "출금액(원)", "입금액(원)", "잔액(원)", "거래점"]
#: Newest first, as the bank writes them: (when, kind, who, memo, out, in, balance after).
ROWS = [
    (datetime(2026, 11, 23, 11, 11, 11), "타행이체", "정우성", "FD 5H6J7K8L", 0, 75_000, 5_351_500),
    (datetime(2026, 11, 23, 8, 30), "ATM입금", "홍길동", None, 0, 50_000, 5_276_500),
    (datetime(2026, 11, 22, 13, 2, 45), "수수료", None, "송금수수료", 500, 0, 5_226_500),
    (datetime(2026, 11, 22, 13, 2, 45), "인터넷뱅킹", "이영희", "FDT4F2A9C0B1D2E3F4A5B6C 환불", 250_000, 0, 5_227_000),
    (datetime(2026, 11, 22, 10, 40), "모바일", "박철수", "fd-2b8c4d5e", 0, 89_000, 5_477_000),
    (datetime(2026, 11, 22, 9, 5, 11), "타행이체", "김민지", "FD7K3M9Q", 0, 120_000, 5_388_000),
]
PREAMBLE = [["신한은행 거래내역조회"], ["계좌번호", "999-0001-234560"], []]
MAPPING = {"date": "거래일시", "memo": "메모", "note": "적요", "depositor": "보낸분/받는분",
           "withdrawal": "출금액(원)", "deposit": "입금액(원)", "balance": "잔액(원)"}
D22, D23 = date(2026, 11, 22), date(2026, 11, 23)
#: What every export of ROWS reads as, oldest first: (booked_on, amount, balance, memo, depositor, sheet row).
EXPECTED = [
    (D22, 120_000, 5_388_000, "FD7K3M9Q / 타행이체", "김민지", 10),
    (D22, 89_000, 5_477_000, "fd-2b8c4d5e / 모바일", "박철수", 9),
    (D22, -250_000, 5_227_000, "FDT4F2A9C0B1D2E3F4A5B6C 환불 / 인터넷뱅킹", "이영희", 8),
    (D22, -500, 5_226_500, "송금수수료 / 수수료", "", 7),
    (D23, 50_000, 5_276_500, "ATM입금", "홍길동", 6),
    (D23, 75_000, 5_351_500, "FD 5H6J7K8L / 타행이체", "정우성", 5),
]


def xlsx(rows=ROWS, *, cover: bool = True, floats: bool = False) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    first = book.active
    if cover:
        first.title = "안내"
        first.append(["이 파일은 인터넷뱅킹에서 내려받은 거래내역입니다."])
        sheet = book.create_sheet("거래내역")
    else:
        sheet = first
    for row in PREAMBLE + [HEADER]:
        sheet.append(row)
    for when, kind, who, memo, out, inn, balance in rows:
        money = [float(v) for v in (out, inn, balance)] if floats else [out, inn, balance]
        sheet.append([when, kind, who, memo, *money, "여의도"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls(rows=ROWS) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("거래내역")
    when_style = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    for r, row in enumerate(PREAMBLE + [HEADER]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    for r, (when, kind, who, memo, out, inn, balance) in enumerate(rows, start=len(PREAMBLE) + 1):
        sheet.write(r, 0, when, when_style)
        for c, value in enumerate([kind, who, memo, out, inn, balance, "여의도"], start=1):
            if value is not None:
                sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _read(raw: bytes):
    parsed = parsers.parse(raw, source_format=parsers.detect_format(raw), mapping=parsers.preview_csv(raw).mapping,
                           account="999-0001-234560")
    return parsed, [(line.booked_on, line.amount, line.running_balance, line.memo, line.depositor, line.row)
                    for line in parsed.lines]


def test_an_xlsx_export_reads_like_the_csv_with_its_own_sheet_and_rows():
    raw = xlsx()
    assert raw.startswith(b"PK\x03\x04") and parsers.detect_format(raw) == "xlsx"
    preview = parsers.preview_csv(raw)
    assert (preview.source_format, preview.headers, preview.mapping) == ("xlsx", HEADER, MAPPING)
    assert preview.sample[0] == ["2026-11-23 11:11:11", "타행이체", "정우성", "FD 5H6J7K8L", "0", "75000", "5351500",
                                 "여의도"]
    parsed, lines = _read(raw)
    assert parsed.source_format == "xlsx" and lines == EXPECTED and parsed.breaks == []
    [st] = parsed.statements
    assert (st.account, st.opening, st.closing) == ("9990001234560", 5_268_000, 5_351_500)
    assert st.opening + sum(line.amount for line in st.lines) == st.closing


def test_xlsx_keys_are_stable_unique_and_do_not_depend_on_the_cover_sheet_or_float_cells():
    keys = [line.dedupe_key for line in _read(xlsx())[0].lines]
    assert len(set(keys)) == 6 and all(key.startswith("row:") for key in keys)
    assert [line.dedupe_key for line in _read(xlsx())[0].lines] == keys
    assert [line.dedupe_key for line in _read(xlsx(cover=False))[0].lines] == keys
    assert [line.dedupe_key for line in _read(xlsx(floats=True))[0].lines] == keys


def test_an_xls_export_reads_the_same_and_gives_the_same_keys_as_the_xlsx():
    raw = xls()
    assert raw.startswith(b"\xd0\xcf\x11\xe0") and parsers.detect_format(raw) == "xls"
    assert parsers.preview_csv(raw).mapping == MAPPING
    parsed, lines = _read(raw)
    assert parsed.source_format == "xls" and lines == EXPECTED and parsed.breaks == []
    assert [line.dedupe_key for line in parsed.lines] == [line.dedupe_key for line in _read(xlsx())[0].lines]


def test_an_html_table_saved_as_xls_in_euc_kr():
    raw = (FILES / "shinhan_html_table_euckr.xls").read_bytes()
    assert parsers.detect_format(raw) == "xls"
    preview = parsers.preview_csv(raw)
    assert preview.headers == ["거래일자", "거래시간", "적요", "출금(원)", "입금(원)", "내용", "잔액(원)", "거래점"]
    assert preview.mapping == {"date": "거래일자", "deposit": "입금(원)", "withdrawal": "출금(원)", "balance": "잔액(원)",
                               "memo": "내용", "note": "적요"}
    parsed, lines = _read(raw)
    assert parsed.source_format == "xls" and parsed.breaks == []
    assert lines == [
        (D22, 120_000, 5_388_000, "FD7K3M9Q 김민지 / 타행이체", "", 8),  # <br> is a space
        (D22, -250_000, 5_138_000, "FDT4F2A9C0B1D2E3F4A5B6C 환불 / 인터넷뱅킹", "", 7),
        (D23, 50_000, 5_188_000, "ATM입금", "", 6),
        (D23, 75_000, 5_263_000, "FD5H6J7K8L 정우성 & 가족 / 타행이체", "", 5),  # &nbsp; and &amp;
    ]
    keys = [line.dedupe_key for line in parsed.lines]
    assert len(set(keys)) == 4 and [line.dedupe_key for line in _read(raw)[0].lines] == keys
    utf8 = raw.decode("cp949").replace("charset=euc-kr", "charset=utf-8").encode("utf-8")
    assert [line.dedupe_key for line in _read(utf8)[0].lines] == keys


def test_a_xls_that_is_really_tab_separated_text_is_read_as_csv():
    text = "\r\n".join(["\t".join(HEADER)] + ["\t".join([f"{w:%Y.%m.%d %H:%M:%S}", k, p or "", m or "", f"{o:,}",
                                                          f"{i:,}", f"{b:,}", "여의도"])
                                              for w, k, p, m, o, i, b in ROWS])
    raw = text.encode("cp949")
    assert parsers.detect_format(raw) == "csv"
    parsed, lines = _read(raw)
    assert parsed.source_format == "csv"
    assert [line[:5] for line in lines] == [line[:5] for line in EXPECTED]


def test_an_excel_2003_xml_spreadsheet():
    cells = "".join(f'<Cell><Data ss:Type="String">{h}</Data></Cell>' for h in HEADER)
    body = ('<Row><Cell><Data ss:Type="DateTime">2026-11-22T09:05:11.000</Data></Cell>'
            '<Cell><Data ss:Type="String">타행이체</Data></Cell><Cell><Data ss:Type="String">김민지</Data></Cell>'
            '<Cell><Data ss:Type="String">FD7K3M9Q</Data></Cell><Cell><Data ss:Type="Number">0</Data></Cell>'
            '<Cell><Data ss:Type="Number">120000</Data></Cell>'
            '<Cell ss:Index="7"><Data ss:Type="Number">5388000</Data></Cell></Row>')
    raw = ('<?xml version="1.0" encoding="UTF-8"?><?mso-application progid="Excel.Sheet"?>'
           '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
           'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="거래내역"><Table>'
           f'<Row><Cell ss:MergeAcross="3"><Data ss:Type="String">거래내역조회</Data></Cell></Row>'
           f'<Row ss:Index="3">{cells}</Row>{body}</Table></Worksheet></Workbook>').encode()
    assert parsers.detect_format(raw) == "xls"
    parsed, lines = _read(raw)
    assert lines == [(D22, 120_000, 5_388_000, "FD7K3M9Q / 타행이체", "김민지", 4)]


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (51 * 1024 * 1024))
    raw = out.getvalue()
    assert len(raw) < 200_000 and parsers.detect_format(raw) == "xlsx"
    with pytest.raises(parsers.StatementError) as err:
        parsers.preview_csv(raw)
    assert "50 MB" in str(err.value.message)


@pytest.mark.parametrize("make", [xlsx, xls, lambda rows: _html(rows)])
def test_more_rows_than_the_limit_is_a_statement_error_naming_the_row(monkeypatch, make):
    monkeypatch.setattr(parse_sheets, "MAX_ROWS", 8)
    raw = make(ROWS + ROWS[:2])
    with pytest.raises(parsers.StatementError) as err:
        parsers.preview_csv(raw)
    assert "more than 8 rows" in str(err.value.message)
    assert err.value.rows and err.value.rows[0][1] == "too many rows"
    monkeypatch.setattr(parse_sheets, "MAX_ROWS", 100_000)
    assert parsers.preview_csv(raw).mapping["memo"] == "메모"


def _html(rows) -> bytes:
    cells = "".join(f"<th>{h}</th>" for h in HEADER)
    body = "".join(f"<tr><td>{w}</td><td>{k}</td><td>{p or ''}</td><td>{m or ''}</td><td>{o}</td><td>{i}</td>"
                   f"<td>{b}</td><td>여의도</td></tr>" for w, k, p, m, o, i, b in rows)
    return f"<html><meta charset='utf-8'><table><tr>{cells}</tr>{body}</table></html>".encode()


@pytest.mark.parametrize("raw", [
    b"PK\x03\x04" + b"\0" * 30 + b"xl/workbook.xml",  # a truncated download
    None,  # a zip with an xl/ folder whose workbook is garbage (built below)
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 600,  # an OLE2 header and then nothing sane
    b"PK\x03\x04 a zip that is no workbook",
    "laughs",  # a workbook whose XML expands entities (openpyxl reads it through defusedxml)
])
def test_a_broken_excel_file_is_a_plain_statement_error(raw):
    if raw is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types")
            archive.writestr("xl/workbook.xml", "<<<not xml")
        raw = out.getvalue()
    elif raw == "laughs":
        good = zipfile.ZipFile(io.BytesIO(xlsx()))
        out = io.BytesIO()
        sheet = "xl/worksheets/sheet2.xml"
        entities = '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        cell = '<row r="99"><c r="A99" t="inlineStr"><is><t>&b;</t></is></c></row>'
        laughs = good.read(sheet).decode().replace("<worksheet", entities + "<worksheet", 1).replace(
            "<sheetData>", "<sheetData>" + cell, 1)
        with zipfile.ZipFile(out, "w") as archive:
            for member in good.infolist():
                archive.writestr(member, laughs.encode() if member.filename == sheet else good.read(member))
        raw = out.getvalue()
        assert b"<!ENTITY" in zipfile.ZipFile(io.BytesIO(raw)).read(sheet)
    with pytest.raises(parsers.StatementError):
        parsers.preview_csv(raw)
    with pytest.raises(parsers.StatementError):
        parsers.parse(raw, source_format=parsers.detect_format(raw), mapping=MAPPING, account="a")


def test_an_xlsx_is_uploaded_mapped_and_imported_through_the_pages(client, login_as):
    login_as("staff")
    raw = xlsx()
    page = client.post("/ops/deposits/upload", data={"statement": (io.BytesIO(raw), "거래내역.xlsx"), "bank": "신한은행",
                                                     "account": "999-0001-234560"},
                       content_type="multipart/form-data")
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body[:2000]
    assert 'name="source_format" value="xlsx"' in body
    assert '<option selected value="메모">메모</option>' in body or '<option value="메모" selected>메모</option>' in body
    import base64

    done = client.post("/ops/deposits/import", data={
        "content": base64.b64encode(raw).decode(), "file_name": "거래내역.xlsx", "source_format": "xlsx",
        "bank": "신한은행", "account": "999-0001-234560", "confirmed": "yes",
        **{f"map_{role}": column for role, column in MAPPING.items()}})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    stored = db.session.scalars(select(StatementLine.amount).order_by(StatementLine.id)).all()
    assert stored == [line[1] for line in EXPECTED]
