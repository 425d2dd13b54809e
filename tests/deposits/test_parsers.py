"""Reading statements: Korean bank CSV exports, MT940 and CAMT.053 (the shapes other tests reuse;
real-shaped files are in test_parsers_*.py)."""
import re
from datetime import date

import pytest

from app.deposits import parsers
from tests.deposits.conftest import MAPPING, korean_csv

D = date(2026, 11, 20)


def test_cp949_csv_with_preamble_totals_and_newest_first_reads_oldest_first():
    raw = korean_csv([(D, "FD7K3M9Q 김민지", 120_000, 0), (D, "수수료", 0, 500),
                      (date(2026, 11, 21), "박철수", 1_234_567, 0)])
    assert raw.decode("cp949") and not _is_utf8(raw)
    parsed = parsers.parse_csv(raw, MAPPING, account="acct")
    lines = parsed.lines
    assert [line.amount for line in lines] == [120_000, -500, 1_234_567]
    assert [line.running_balance for line in lines] == [1_120_000, 1_119_500, 2_354_067]
    assert lines[0].memo == "FD7K3M9Q 김민지" and lines[2].booked_on == date(2026, 11, 21)
    assert parsed.breaks == []
    assert parsed.statements[0].opening == 1_000_000 and parsed.statements[0].closing == 2_354_067


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def test_utf8_csv_is_detected_and_the_columns_are_guessed():
    raw = korean_csv([(D, "홍길동", 50_000, 0)], encoding="utf-8")
    preview = parsers.preview_csv(raw)
    # No booking code in either text column: the more specific name (기재내용) is the memo, 적요 the note.
    assert preview.mapping == {"date": "거래일시", "memo": "기재내용", "withdrawal": "찾으신금액",
                               "deposit": "맡기신금액", "balance": "거래후잔액", "note": "적요"}
    assert parsers.parse_csv(raw, MAPPING, account="a").lines[0].memo == "홍길동"


def test_a_saved_mapping_is_proposed_when_its_columns_exist():
    raw = korean_csv([(D, "홍길동", 50_000, 0)])
    saved = {"date": "거래일시", "memo": "적요", "deposit": "맡기신금액"}
    assert parsers.preview_csv(raw, saved).mapping == saved
    assert parsers.preview_csv(raw, {"date": "없는 열"}).mapping["memo"] == "기재내용"


def test_identical_deposits_get_different_keys_and_a_reimport_the_same_ones():
    raw = korean_csv([(D, "이영희", 50_000, 0), (D, "이영희", 50_000, 0)])
    first = parsers.parse_csv(raw, MAPPING, account="a").lines
    assert first[0].dedupe_key != first[1].dedupe_key
    assert [line.dedupe_key for line in parsers.parse_csv(raw, MAPPING, account="a").lines] == \
        [line.dedupe_key for line in first]


def test_identical_lines_without_a_balance_count_by_their_ordinal():
    lines = [parsers.ParsedLine(D, 50_000, memo="이영희"), parsers.ParsedLine(D, 50_000, memo="이영희")]
    parsers.assign_dedupe_keys(lines)
    assert lines[0].dedupe_key.endswith("#1") and lines[1].dedupe_key.endswith("#2")


def test_a_broken_running_balance_is_named_by_its_row():
    raw = korean_csv([(D, "a", 10_000, 0), (D, "b", 20_000, 0), (D, "c", 30_000, 0)], balances={1: 1_029_000})
    parsed = parsers.parse_csv(raw, MAPPING, account="a")
    assert [(b.expected, b.found) for b in parsed.breaks][0] == (1_030_000, 1_029_000)
    assert parsed.breaks[0].row == 7  # preamble 4 rows + header; newest first: the middle line is file row 7


@pytest.mark.parametrize("bad, fragment", [("2026.13.45", "2026.13.45"), ("어제", "어제")])
def test_an_unreadable_date_names_the_row_and_nothing_is_read(bad, fragment):
    text = korean_csv([(D, "a", 10_000, 0), (D, "b", 20_000, 0)]).decode("cp949")
    text = text.replace("2026.11.20 11:01:00", bad, 1)
    with pytest.raises(parsers.StatementError) as err:
        parsers.parse_csv(text.encode("cp949"), MAPPING, account="a")
    assert err.value.rows and err.value.rows[0][0] == 6 and fragment in err.value.rows[0][1]


def test_a_text_amount_names_the_row():
    text = korean_csv([(D, "a", 10_000, 0), (D, "b", 20_000, 0)]).decode("cp949")
    text = text.replace('"20,000"', "이만원", 1)
    with pytest.raises(parsers.StatementError) as err:
        parsers.parse_csv(text.encode("cp949"), MAPPING, account="a")
    assert [row for row, _what in err.value.rows] == [6]
    assert "이만원" in err.value.rows[0][1]


MT940 = """:20:STMT1
:25:88/1234567890
:28C:00001/001
:60F:C261120KRW1000000,
:61:2611201120C120000,NTRFREF001//BANKREF1
:86:FD7K3M9Q KIM MINJI
:61:2611201120C50000,NTRFREF002//BANKREF2
:86:PARK
:61:2611201120RC50000,NTRFREF003//BANKREF3
:86:REVERSAL OF BANKREF2
:62F:C261120KRW1120000,
-
:20:STMT2
:25:88/1234567890
:28C:00002/001
:60F:C261121KRW1120000,
:61:2611211121D70000,NTRFNONREF
:86:FEE
:61:2611211121C30000,NTRFNONREF
:86:LEE
:62F:C261121KRW1080000,
-
"""


def test_mt940_with_a_reversal_and_two_statements():
    parsed = parsers.parse(MT940.encode())
    assert parsed.source_format == "mt940" and len(parsed.statements) == 2
    first, second = parsed.statements
    assert [(line.amount, line.reversal) for line in first.lines] == [(120_000, False), (50_000, False),
                                                                      (-50_000, True)]
    assert first.opening == 1_000_000 and first.closing == 1_120_000
    assert [line.amount for line in second.lines] == [-70_000, 30_000]
    assert parsed.breaks == []
    # The bank's reference with the amount, the direction and its ordinal; the account normalised.
    assert first.lines[0].dedupe_key == "ref:881234567890/BANKREF1|120000|C|1"
    assert first.lines[2].dedupe_key == "ref:881234567890/BANKREF3|50000|D|1"
    # NONREF lines: a hash of the line's own text.
    assert re.fullmatch(r"row:[0-9a-f]{40}#1", second.lines[1].dedupe_key)
    assert second.lines[0].dedupe_key != second.lines[1].dedupe_key


def test_mt940_whose_closing_balance_does_not_add_up_is_flagged():
    parsed = parsers.parse(MT940.replace(":62F:C261121KRW1080000,", ":62F:C261121KRW1090000,").encode())
    assert [(b.expected, b.found, b.what) for b in parsed.breaks] == [(1_080_000, 1_090_000, "closing")]


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><Othr><Id>110123456789</Id></Othr></Id><Ccy>KRW</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="KRW">1000000</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="KRW">1150000</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
<Ntry><NtryRef>E1</NtryRef><Amt Ccy="KRW">120000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
 <BookgDt><Dt>2026-11-20</Dt></BookgDt><AcctSvcrRef>A1</AcctSvcrRef>
 <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>김민지</Nm></Dbtr></RltdPties><RmtInf><Ustrd>FD7K3M9Q</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="KRW">40000</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd><Sts>BOOK</Sts>
 <BookgDt><Dt>2026-11-20</Dt></BookgDt><AcctSvcrRef>A2</AcctSvcrRef><AddtlNtryInf>REVERSAL</AddtlNtryInf></Ntry>
<Ntry><Amt Ccy="KRW">99000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts>
 <BookgDt><Dt>2026-11-20</Dt></BookgDt><AcctSvcrRef>A3</AcctSvcrRef></Ntry>
<Ntry><Amt Ccy="KRW">70000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
 <BookgDt><Dt>2026-11-21</Dt></BookgDt><AcctSvcrRef>A4</AcctSvcrRef>
 <NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>
  <TxDtls><Refs><AcctSvcrRef>A4-1</AcctSvcrRef></Refs><AmtDtls><TxAmt><Amt Ccy="KRW">30000</Amt></TxAmt></AmtDtls><RmtInf><Ustrd>FDAAAA11</Ustrd></RmtInf></TxDtls>
  <TxDtls><Refs><AcctSvcrRef>A4-2</AcctSvcrRef></Refs><AmtDtls><TxAmt><Amt Ccy="KRW">40000</Amt></TxAmt></AmtDtls><RmtInf><Ustrd>FDBBBB22</Ustrd></RmtInf></TxDtls>
 </NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"""


def test_camt053_with_a_reversal_a_pending_entry_and_a_batch():
    parsed = parsers.parse(CAMT.encode())
    assert parsed.source_format == "camt053"
    st = parsed.statements[0]
    assert st.account == "110123456789" and st.opening == 1_000_000 and st.closing == 1_150_000
    assert [(line.amount, line.reversal, line.pending, line.memo) for line in st.lines] == [
        (120_000, False, False, "FD7K3M9Q"), (-40_000, True, False, "REVERSAL"), (99_000, False, True, ""),
        (30_000, False, False, "FDAAAA11"), (40_000, False, False, "FDBBBB22")]
    assert st.lines[0].depositor == "김민지"
    assert [line.bank_ref for line in st.lines] == ["110123456789/A1", "110123456789/A2", "110123456789/A3",
                                                    "110123456789/A4-1", "110123456789/A4-2"]
    assert st.lines[2].dedupe_key == "ref:110123456789/A3|99000|C|1|P"
    assert parsed.breaks == []  # the pending 99,000 is kept, flagged, and not counted


def test_camt053_counting_the_pending_entry_would_break_the_balance():
    parsed = parsers.parse(CAMT.replace("<Sts>PDNG</Sts>", "<Sts>BOOK</Sts>").encode())
    assert [(b.expected, b.found) for b in parsed.breaks] == [(1_249_000, 1_150_000)]


def test_broken_xml_is_a_clear_error():
    with pytest.raises(parsers.StatementError):
        parsers.parse(b"<?xml version='1.0'?><Document><Stmt>")


@pytest.mark.parametrize("typed", ["999-0001-234560", "999 0001 234560", "9990001234560", " 999-0001-234560\n",
                                   "９９９－０００１－２３４５６０"])
def test_one_account_whatever_its_spelling(typed):
    assert parsers.normalize_account(typed) == "9990001234560"


def test_an_iban_keeps_its_letters():
    assert parsers.normalize_account("de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    assert parsers.normalize_account(None) == "" and parsers.normalize_account("-") == ""
