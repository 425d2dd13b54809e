"""MT940 as banks send it: two statements in one file, RC and RD, NONREF, multi-line :86:, a
supplementary details line with the counterparty, Korean text in UTF-8 and CP949, CRLF."""
from datetime import date
from pathlib import Path

import pytest

from app.deposits import parsers

FILES = Path(__file__).parent / "files"
RAW = (FILES / "mt940_two_statements_rc_rd.sta").read_bytes()
ACCT = "9990001234560"
D20, D21 = date(2026, 11, 20), date(2026, 11, 21)


def test_the_file_is_detected_as_mt940_in_every_encoding():
    assert b"\r\n" in RAW
    cp949 = RAW.decode("utf-8").encode("cp949")
    for raw in (RAW, cp949, b"\xef\xbb\xbf" + RAW, RAW.replace(b"\r\n", b"\n")):
        assert parsers.detect_format(raw) == "mt940"


def test_two_statements_with_their_balances_ids_and_dates():
    parsed = parsers.parse(RAW)
    assert parsed.source_format == "mt940" and parsed.breaks == []
    first, second = parsed.statements
    assert (first.account, first.currency, first.opening, first.closing) == (ACCT, "KRW", 5_000_000, 4_869_500)
    assert (second.account, second.opening, second.closing) == (ACCT, 4_869_500, 5_178_500)
    assert (first.statement_id, second.statement_id) == ("FD20261120/00320/001", "FD20261121/00321/001")
    assert (first.from_date, first.to_date, second.from_date, second.to_date) == (D20, D20, D21, D21)
    assert not first.copy_duplicate and first.electronic_seq is None


def test_every_line_with_its_sign_reversal_references_and_memo():
    first, second = parsers.parse(RAW).statements
    got = [(line.booked_on, line.amount, line.reversal, line.pending, line.our_ref, line.bank_code, line.bank_ref,
            line.memo, line.depositor) for line in first.lines + second.lines]
    assert got == [
        (D20, 120_000, False, False, None, "NTRF", f"{ACCT}/2611200001", "FD7K3M9Q 김민지 인터넷뱅킹 입금", ""),
        (D20, 89_000, False, False, None, "NTRF", f"{ACCT}/2611200002", "FD2B8C4D 박철수", ""),
        # RC: the reversal of a credit is money out.
        (D20, -89_000, True, False, None, "NTRF", f"{ACCT}/2611200003", "입금취소 2611200002 박철수", ""),
        # Our payout: the customer reference is ours, the supplementary details line names the payee.
        (D20, -250_000, False, False, "RFD-20261120", "NTRF", f"{ACCT}/2611200004",
         "FDT4F2A9C0B1D2E3F4A5B6C 환불 이영희", "LEE YOUNGHEE"),
        (D20, -500, False, False, "RFD-20261120", "NCHG", f"{ACCT}/2611200005",
         "송금수수료 FDT4F2A9C0B1D2E3F4A5B6C", ""),
        # RD: the reversal of a debit (the payout came back) is money in.
        (D21, 250_000, True, False, "RFD-20261120", "NRTI", f"{ACCT}/2611210001",
         "반송 FDT4F2A9C0B1D2E3F4A5B6C 수취계좌 오류", "LEE YOUNGHEE"),
        (D21, 30_000, False, False, None, "NTRF", None, "이순신", ""),
        (D21, 30_000, False, False, None, "NTRF", None, "이순신", ""),
        (D21, -1_000, False, False, None, "NMSC", f"{ACCT}/2611210004", "기타 출금", ""),
    ]
    # Rows are the file's line numbers of each :61:.
    assert [line.row for line in first.lines + second.lines] == [5, 8, 10, 12, 15, 23, 27, 29, 31]


def test_booked_lines_add_up_from_opening_to_closing():
    for st in parsers.parse(RAW).statements:
        assert st.opening + sum(line.amount for line in st.lines) == st.closing


def test_the_mt940_library_signs_rc_negative_and_rd_positive():
    """What mt-940 does with reversal_sign=True (our own mark → sign rule must agree with it)."""
    import mt940

    options = mt940.Options(reversal_sign=True)
    assert mt940.models.Amount("100", "RC", "KRW", options=options).amount < 0
    assert mt940.models.Amount("100", "RD", "KRW", options=options).amount > 0
    assert mt940.models.Amount("100", "RC", "KRW").amount > 0  # without the option RC would be money in


def test_keys_use_the_bank_reference_with_amount_direction_and_ordinal_else_the_line_text():
    lines = parsers.parse(RAW).lines
    assert [line.dedupe_key for line in lines[:3]] == [
        f"ref:{ACCT}/2611200001|120000|C|1", f"ref:{ACCT}/2611200002|89000|C|1", f"ref:{ACCT}/2611200003|89000|D|1"]
    twins = lines[6:8]
    assert twins[0].dedupe_key.startswith("row:") and twins[0].dedupe_key.endswith("#1")
    assert twins[1].dedupe_key == twins[0].dedupe_key[:-1] + "2"  # identical lines count by their ordinal
    assert len({line.dedupe_key for line in lines}) == len(lines)


def test_the_same_file_in_cp949_lf_or_with_a_bom_gives_the_same_lines_and_keys():
    expected = [(line.dedupe_key, line.amount, line.memo) for line in parsers.parse(RAW).lines]
    cp949 = RAW.decode("utf-8").encode("cp949")
    for raw in (cp949, RAW.replace(b"\r\n", b"\n"), b"\xef\xbb\xbf" + RAW):
        assert [(line.dedupe_key, line.amount, line.memo) for line in parsers.parse(raw).lines] == expected


def test_a_closing_balance_that_does_not_add_up_names_the_last_line():
    raw = RAW.replace(b":62F:C261121KRW5178500,", b":62F:C261121KRW5178000,")
    parsed = parsers.parse(raw)
    assert [(b.row, b.expected, b.found, b.what) for b in parsed.breaks] == [(31, 5_178_500, 5_178_000, "closing")]


@pytest.mark.parametrize("bad, row", [
    (b":60F:C261120KRW4869500,", b":60F:X261120KRW4869500,"),
    (b":61:2611211121D1000,NMSCNONREF//2611210004", b":61:ZZZ"),
])
def test_an_unreadable_field_is_a_statement_error_naming_its_line(bad, row):
    with pytest.raises(parsers.StatementError) as err:
        parsers.parse(RAW.replace(bad, row))
    [(number, what)] = err.value.rows
    assert number == RAW.replace(b"\r\n", b"\n").split(b"\n").index(bad) + 1
    assert row.decode()[4:] in what or row.decode()[5:] in what


def test_an_amount_with_decimals_the_currency_has_not_names_its_line():
    with pytest.raises(parsers.StatementError) as err:
        parsers.parse(RAW.replace(b"C120000,NTRF", b"C120000,5NTRF"))
    assert [number for number, _what in err.value.rows] == [5]


def test_a_statement_without_lines_still_has_its_balances():
    raw = b":20:EMPTY\r\n:25:999-0001-234560\r\n:28C:1/1\r\n:60F:C261122KRW100,\r\n:62F:C261122KRW100,\r\n-\r\n"
    assert parsers.detect_format(raw) == "mt940"
    [st] = parsers.parse(raw).statements
    assert (st.lines, st.opening, st.closing, st.from_date, st.to_date) == ([], 100, 100, date(2026, 11, 22),
                                                                           date(2026, 11, 22))


def test_a_file_in_its_swift_envelope_reads_the_same():
    text = RAW.decode("utf-8")
    blocks = [part for part in text.split("-\r\n") if part.strip()]
    wrapped = "".join("{1:F01KOEXKRSEAXXX0000000000}{2:O9400000261120KOEXKRSEAXXX00000000002611200000N}{4:\r\n"
                      + block + "-}{5:{CHK:123456789ABC}}\r\n" for block in blocks).encode()
    assert parsers.detect_format(wrapped) == "mt940"
    assert [(line.dedupe_key, line.amount) for line in parsers.parse(wrapped).lines] == \
        [(line.dedupe_key, line.amount) for line in parsers.parse(RAW).lines]
