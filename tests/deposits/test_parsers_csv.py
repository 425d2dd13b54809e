"""Korean banks' CSV exports: the memo column found by where the booking codes are, the note joined
to the memo, dedupe keys that do not depend on the mapping, the encoding, a BOM or the line endings,
and every bad file a clear StatementError."""
import re
from datetime import date
from pathlib import Path

import pytest

from app.deposits import parsers
from tests.deposits.conftest import MAPPING, korean_csv

FILES = Path(__file__).parent / "files"
KB = (FILES / "kb_newest_first_memo_cp949.csv").read_bytes()
KB_MAPPING = {"date": "거래일시", "memo": "메모", "note": "적요", "depositor": "보낸분/받는분",
              "withdrawal": "출금액(원)", "deposit": "입금액(원)", "balance": "잔액(원)"}
D22, D23 = date(2026, 11, 22), date(2026, 11, 23)


def test_the_kb_export_is_cp949_with_crlf_and_newest_first():
    with pytest.raises(UnicodeDecodeError):
        KB.decode("utf-8")
    assert b"\r\n" in KB and parsers.detect_format(KB) == "csv"


def test_the_memo_column_is_the_one_holding_the_booking_codes_and_the_other_text_column_is_the_note():
    preview = parsers.preview_csv(KB)
    assert preview.headers == ["거래일시", "적요", "보낸분/받는분", "메모", "출금액(원)", "입금액(원)", "잔액(원)", "거래점"]
    assert preview.mapping == KB_MAPPING
    assert preview.sample[0][:4] == ["2026.11.23 11:11:11", "타행이체", "정우성", "FD 5H6J7K8L"]
    # With the codes moved to 적요, 적요 becomes the memo.
    swapped = KB.decode("cp949").replace("거래일시,적요,보낸분/받는분,메모", "거래일시,메모,보낸분/받는분,적요")
    assert parsers.preview_csv(swapped.encode("cp949")).mapping["memo"] == "적요"


def test_every_line_oldest_first_with_memo_and_note_joined():
    parsed = parsers.parse_csv(KB, KB_MAPPING, account="999-0001-234560")
    assert parsed.source_format == "csv" and parsed.breaks == []
    [st] = parsed.statements
    assert (st.account, st.opening, st.closing, st.from_date, st.to_date) == (
        "9990001234560", 5_268_000, 5_351_500, D22, D23)
    got = [(line.booked_on, line.amount, line.running_balance, line.memo, line.depositor, line.row)
           for line in st.lines]
    assert got == [
        (D22, 120_000, 5_388_000, "FD7K3M9Q / 타행이체", "김민지", 11),
        (D22, 89_000, 5_477_000, "fd-2b8c4d5e / 모바일", "박철수", 10),
        (D22, -250_000, 5_227_000, "FDT4F2A9C0B1D2E3F4A5B6C 환불 / 인터넷뱅킹", "이영희", 9),
        (D22, -500, 5_226_500, "송금수수료 / 수수료", "", 8),
        (D23, 50_000, 5_276_500, "ATM입금", "홍길동", 7),  # an empty memo: the note alone
        (D23, 75_000, 5_351_500, "FD 5H6J7K8L / 타행이체", "정우성", 6),
    ]
    assert st.opening + sum(line.amount for line in st.lines) == st.closing
    assert all(not (line.pending or line.reversal or line.bank_ref or line.our_ref) for line in st.lines)


def _keys(raw: bytes, mapping: dict, account: str = "999-0001-234560") -> list[str]:
    return [line.dedupe_key for line in parsers.parse_csv(raw, mapping, account=account).lines]


def test_keys_are_the_rows_own_text_whatever_the_mapping_encoding_bom_or_line_endings():
    keys = _keys(KB, KB_MAPPING)
    assert all(re.fullmatch(r"row:[0-9a-f]{40}#1", key) for key in keys) and len(set(keys)) == 6
    text = KB.decode("cp949")
    other_mapping = dict(KB_MAPPING, memo="적요", note="메모", depositor="")
    assert _keys(KB, other_mapping) == keys
    assert _keys(KB, {"date": "거래일시", "memo": "메모", "deposit": "입금액(원)", "withdrawal": "출금액(원)"}) == keys
    assert _keys(b"\xef\xbb\xbf" + text.encode("utf-8"), KB_MAPPING) == keys
    assert _keys(text.replace("\r\n", "\n").encode("utf-8"), KB_MAPPING) == keys
    assert _keys(text.replace("\r\n", "\r").encode("cp949"), KB_MAPPING) == keys
    assert _keys(KB, KB_MAPPING, account="999 0001 234560") == keys
    assert _keys(text.encode("utf-16"), KB_MAPPING) == keys  # Excel's "Unicode text" (UTF-16 with a BOM)


def test_a_re_export_starting_a_day_later_keeps_the_keys_of_the_rows_it_shares():
    text = KB.decode("cp949")
    shorter = "\r\n".join(line for line in text.split("\r\n") if not line.startswith("2026.11.22"))
    assert _keys(shorter.encode("cp949"), KB_MAPPING) == _keys(KB, KB_MAPPING)[4:]


def test_identical_rows_without_a_balance_count_by_their_ordinal():
    rows = "거래일시,메모,입금액\n2026.11.22,이영희,50000\n2026.11.22,이영희,50000\n2026.11.22,김영희,50000\n"
    mapping = {"date": "거래일시", "memo": "메모", "deposit": "입금액"}
    lines = parsers.parse_csv(rows.encode(), mapping, account="a").lines
    twins = [line.dedupe_key for line in lines if line.memo == "이영희"]
    [other] = [line.dedupe_key for line in lines if line.memo == "김영희"]
    assert twins[0][:-1] == twins[1][:-1] and sorted(key[-2:] for key in twins) == ["#1", "#2"]
    assert other.endswith("#1") and other[:-2] != twins[0][:-2]


def test_header_words_take_the_longest_match():
    mapping = parsers.guess_mapping(["거래일자", "입금자명", "입금액", "보낸분통장표시", "받는분통장표시"])
    assert mapping["depositor"] == "입금자명" and mapping["deposit"] == "입금액"
    assert {mapping["memo"], mapping["note"]} == {"보낸분통장표시", "받는분통장표시"}
    # As long a word each: the one the header ends with.
    assert parsers.guess_mapping(["거래일", "입금액", "입금내용"]) == {"date": "거래일", "deposit": "입금액",
                                                                   "memo": "입금내용"}


@pytest.mark.parametrize("raw, fragment", [
    (b"", "empty"),
    (b"\xef\xbb\xbf\r\n \r\n", "empty"),
    ("거래일시,적요,입금액,잔액\r\n".encode("cp949"), "no deposit"),
    ("거래일시,적요,입금액,잔액\r\n2026.11.22,a\x00b,1000,1000\r\n".encode("utf-8"), "NUL"),
    (b"\xef\xbb\xbf" + "거래일시,적요,입금액\r\n2026.11.22,".encode() + b"\xff\xfe\xc0,1000\r\n", "UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL"),
    (b"PK\x03\x04 not a workbook", "zip"),
    (b"just,some,words\r\nno,header,here\r\n", "header"),
])
def test_a_file_that_is_not_a_statement_is_a_clear_error(raw, fragment):
    with pytest.raises(parsers.StatementError) as err:
        parsers.preview_csv(raw)
    with pytest.raises(parsers.StatementError):
        parsers.parse(raw, mapping={"date": "거래일시", "memo": "적요", "deposit": "입금액"}, account="a")
    assert fragment.lower() in str(err.value.message).lower()


def test_nul_and_bad_bytes_name_their_row():
    with pytest.raises(parsers.StatementError) as err:
        parsers.preview_csv("거래일시,적요,입금액\r\n2026.11.22,a,1\r\n2026.11.22,a\x00,1\r\n".encode())
    assert [row for row, _what in err.value.rows] == [3]
    with pytest.raises(parsers.StatementError) as err:
        parsers.preview_csv(b"\xef\xbb\xbf" + "거래일시,적요,입금액\n2026.11.22,a,1\n".encode() + b"\xc0\xc0,1\n")
    assert [row for row, _what in err.value.rows] == [3]


def test_a_cell_larger_than_the_csv_module_allows_is_a_statement_error():
    raw = ("거래일시,적요,입금액\r\n2026.11.22,\"" + "가" * 200_000 + "\",1000\r\n").encode()
    with pytest.raises(parsers.StatementError) as err:
        parsers.preview_csv(raw)
    assert err.value.rows and err.value.rows[0][0] == 2


def test_an_absurd_amount_names_its_row():
    raw = korean_csv([(D22, "a", 10_000, 0)]).decode("cp949").replace('"10,000"', "99999999999999999999", 1)
    with pytest.raises(parsers.StatementError) as err:
        parsers.parse_csv(raw.encode("cp949"), MAPPING, account="a")
    assert [row for row, _what in err.value.rows] == [6]


def test_a_running_row_number_column_is_not_part_of_the_key():
    text = KB.decode("cp949").replace("거래일시,적요", "No.,거래일시,적요")
    lines = text.split("\r\n")
    numbered = [f"{i},{line}" if line.startswith("2026.") else line for i, line in enumerate(lines)]
    keys = _keys("\r\n".join(numbered).encode("cp949"), KB_MAPPING)
    assert keys == _keys(KB, KB_MAPPING)
    renumbered = [f"{i + 7},{line}" if line.startswith("2026.") else line for i, line in enumerate(lines)]
    assert _keys("\r\n".join(renumbered).encode("cp949"), KB_MAPPING) == keys


def test_the_same_export_imported_again_with_another_mapping_bank_and_encoding_adds_nothing():
    from sqlalchemy import func, select

    from app.deposits import services
    from app.deposits.models import StatementLine
    from app.extensions import db
    from tests.deposits.conftest import TEST_ACTOR

    def stored() -> list[tuple[int, str]]:
        return db.session.execute(select(StatementLine.amount, StatementLine.dedupe_key)
                                  .order_by(StatementLine.id)).all()

    services.import_statement(KB, source_format="csv", file_name="kb.csv", account="999-0001-234560", bank="국민은행",
                              mapping=KB_MAPPING, actor=TEST_ACTOR)
    first = stored()
    assert [amount for amount, _key in first] == [120_000, 89_000, -250_000, -500, 50_000, 75_000]
    again = b"\xef\xbb\xbf" + KB.decode("cp949").replace("\r\n", "\n").encode("utf-8")
    services.import_statement(again, source_format="csv", file_name="kb (1).csv", account="999 0001 234560",
                              bank="KB", mapping=dict(KB_MAPPING, memo="적요", note="", depositor=""),
                              actor=TEST_ACTOR)
    assert stored() == first
    assert db.session.scalar(select(func.count()).select_from(StatementLine)) == 6
