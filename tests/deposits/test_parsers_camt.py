"""CAMT.053 as banks send it: a payout and its fee sharing one AcctSvcrRef, a pending entry, a
reversed credit, a batch, a returned payout (RvslInd on a credit, RRTN, AC04), and the same
statement re-sent as a DUPL copy."""
from datetime import date
from pathlib import Path

import pytest

from app.deposits import parsers

FILES = Path(__file__).parent / "files"
RAW = (FILES / "camt053_shared_ref_pending_reversal_batch.xml").read_bytes()
DUPL = (FILES / "camt053_shared_ref_pending_reversal_batch_dupl.xml").read_bytes()
ACCT = "9990001234560"
D22, D23 = date(2026, 11, 22), date(2026, 11, 23)
PAYOUT = "FDT9A8B7C6D5E4F3A2B1C0D"


def test_the_statement_with_its_id_sequence_period_and_booked_balances():
    parsed = parsers.parse(RAW)
    assert parsers.detect_format(RAW) == "camt053" and parsed.source_format == "camt053"
    [st] = parsed.statements
    assert (st.account, st.currency, st.statement_id, st.electronic_seq) == (
        ACCT, "KRW", "STMT-9990001234560-20261122", 322)
    assert (st.from_date, st.to_date, st.copy_duplicate) == (D22, D22, False)
    # OPBD and CLBD; the CLAV balance (which counts the pending 99,000) is not a booked balance.
    assert (st.opening, st.closing) == (5_178_500, 5_268_000)
    assert parsed.breaks == []


def test_every_line_with_sign_reversal_pending_references_codes_and_counterparty():
    [st] = parsers.parse(RAW).statements
    got = [(line.booked_on, line.amount, line.reversal, line.pending, line.our_ref, line.bank_code,
            line.return_reason, line.bank_ref, line.memo, line.depositor) for line in st.lines]
    assert got == [
        # Our payout: EndToEndId is our transfer id; the counterparty of a debit is the creditor.
        (D22, -180_000, False, False, PAYOUT, "PMNT/ICDT/DMCT", None, f"{ACCT}/BK20261122-0007",
         f"{PAYOUT} 환불", "최지우"),
        # Its fee shares the AcctSvcrRef.
        (D22, -500, False, False, PAYOUT, "PMNT/ICDT/CHRG", None, f"{ACCT}/BK20261122-0007", "송금수수료", ""),
        # A deposit: EndToEndId NOTPROVIDED is no reference.
        (D22, 75_000, False, False, None, "PMNT/RCDT/DMCT", None, f"{ACCT}/BK20261122-0008",
         "fd-5h6j7k8l 정우성", "정우성"),
        # Pending: kept, flagged, dated by its value date.
        (D23, 99_000, False, True, None, "PMNT/RCDT/DMCT", None, f"{ACCT}/BK20261122-0009", "FD8M9N2P", "한지민"),
        # RvslInd on a DBIT entry: the deposit above taken back; the counterparty is still its payer.
        (D22, -75_000, True, False, None, "PMNT/RCDT/DMCT", None, f"{ACCT}/BK20261122-0010",
         "fd-5h6j7k8l 정우성", "정우성"),
        # A batch: one line per transaction; one without its own reference gets the entry's + its number.
        (D22, 90_000, False, False, None, "PMNT/RCDT/DMCT", None, f"{ACCT}/BK20261122-0011/1", "FD3C4D5E 김민지",
         "김민지"),
        (D22, 120_000, False, False, "SHOP-5521", "PMNT/RCDT/DMCT", None, f"{ACCT}/BK20261122-0011-B", "FD7G8H9J",
         "박철수"),
        # RvslInd on a CRDT entry: a payout returned (AC04: the account is closed); its payee is the counterparty.
        (D22, 60_000, True, False, "FDT1234567890ABCDEF1234", "PMNT/ICDT/RRTN", "AC04", f"{ACCT}/BK20261122-0012",
         "반송 FDT1234567890ABCDEF1234", "오수진"),
    ]
    assert [line.row for line in st.lines] == [1, 2, 3, 4, 5, 6, 6, 7]
    assert [line.direction for line in st.lines] == ["D", "D", "C", "C", "D", "C", "C", "C"]


def test_booked_lines_add_up_from_opening_to_closing_and_pending_ones_do_not_count():
    [st] = parsers.parse(RAW).statements
    assert st.opening + sum(line.amount for line in st.lines if not line.pending) == st.closing
    assert [line.amount for line in st.lines if line.pending] == [99_000]
    counted = parsers.parse(RAW.replace(b"<Sts>PDNG</Sts>", b"<Sts>BOOK</Sts>"))
    assert [(b.expected, b.found, b.what) for b in counted.breaks] == [(5_367_000, 5_268_000, "closing")]


def test_a_shared_reference_makes_two_keys_and_the_pending_key_differs_from_its_booked_copy():
    [st] = parsers.parse(RAW).statements
    keys = [line.dedupe_key for line in st.lines]
    assert keys[:2] == [f"ref:{ACCT}/BK20261122-0007|180000|D|1", f"ref:{ACCT}/BK20261122-0007|500|D|1"]
    assert keys[3] == f"ref:{ACCT}/BK20261122-0009|99000|C|1|P"
    assert len(set(keys)) == len(keys)
    booked = parsers.parse(RAW.replace(b"<Sts>PDNG</Sts>", b"<Sts>BOOK</Sts>")).statements[0].lines[3]
    assert (booked.pending, booked.dedupe_key) == (False, f"ref:{ACCT}/BK20261122-0009|99000|C|1")


def test_entries_sharing_reference_amount_and_direction_count_by_their_ordinal():
    fee = RAW.split(b"<Ntry>")[2].split(b"</Ntry>")[0]
    twice = RAW.replace(b"<Ntry>" + fee + b"</Ntry>", b"<Ntry>" + fee + b"</Ntry><Ntry>" + fee + b"</Ntry>", 1)
    lines = parsers.parse(twice).statements[0].lines
    assert [line.dedupe_key for line in lines[1:3]] == [f"ref:{ACCT}/BK20261122-0007|500|D|1",
                                                         f"ref:{ACCT}/BK20261122-0007|500|D|2"]


def test_the_same_file_again_and_its_dupl_copy_give_the_same_keys():
    original = parsers.parse(RAW).statements[0]
    again = parsers.parse(RAW).statements[0]
    [copy] = parsers.parse(DUPL).statements
    assert copy.copy_duplicate is True and copy.statement_id == original.statement_id
    assert [line.dedupe_key for line in again.lines] == [line.dedupe_key for line in original.lines]
    assert [line.dedupe_key for line in copy.lines] == [line.dedupe_key for line in original.lines]


def test_an_entry_without_any_reference_gets_a_key_from_its_own_content():
    raw = RAW.replace(b"<AcctSvcrRef>BK20261122-0008</AcctSvcrRef>", b"")
    line = parsers.parse(raw).statements[0].lines[2]
    assert line.bank_ref is None and line.dedupe_key.startswith("row:") and line.dedupe_key.endswith("#1")
    assert parsers.parse(raw).statements[0].lines[2].dedupe_key == line.dedupe_key
    other = parsers.parse(raw.replace("정우성</Nm>".encode(), "정우성 </Nm>".encode(), 1)).statements[0].lines[2]
    assert other.dedupe_key == line.dedupe_key  # whitespace is not content
    changed = parsers.parse(raw.replace(b"<Amt Ccy=\"KRW\">75000</Amt>", b"<Amt Ccy=\"KRW\">75001</Amt>", 1))
    assert changed.statements[0].lines[2].dedupe_key != line.dedupe_key


def test_a_v08_status_code_and_a_proprietary_bank_code_are_read():
    raw = RAW.replace(b"<Sts>PDNG</Sts>", b"<Sts><Cd>PDNG</Cd></Sts>").replace(
        b"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>CHRG</SubFmlyCd></Fmly></Domn></BkTxCd>",
        b"<BkTxCd><Prtry><Cd>FEE-01</Cd></Prtry></BkTxCd>")
    lines = parsers.parse(raw).statements[0].lines
    assert lines[3].pending is True and lines[1].bank_code == "FEE-01"


@pytest.mark.parametrize("old, new", [
    (b"<Amt Ccy=\"KRW\">75000</Amt>", b"<Amt Ccy=\"KRW\">seventy</Amt>"),
    (b"<Amt Ccy=\"KRW\">75000</Amt>", b"<Amt Ccy=\"KRW\">1E+999999</Amt>"),
    (b"<Amt Ccy=\"KRW\">75000</Amt>", b"<Amt Ccy=\"KRW\">75000.5</Amt>"),
    (b"<Amt Ccy=\"KRW\">75000</Amt>", b"<Amt Ccy=\"USD\">75000</Amt>"),
    (b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>BOOK</Sts>\n        <BookgDt><Dt>2026-11-22</Dt></BookgDt>\n"
     b"        <ValDt><Dt>2026-11-22</Dt></ValDt>\n        <AcctSvcrRef>BK20261122-0008",
     b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>BOOK</Sts>\n        <BookgDt><Dt>yesterday</Dt></BookgDt>\n"
     b"        <AcctSvcrRef>BK20261122-0008"),
])
def test_an_unreadable_entry_is_named_and_nothing_is_read(old, new):
    assert old in RAW
    with pytest.raises(parsers.StatementError) as err:
        parsers.parse(RAW.replace(old, new, 1))
    assert [row for row, _what in err.value.rows] == [3]


@pytest.mark.parametrize("raw", [
    b"<?xml version='1.0'?><Document><Stmt>",
    b"<?xml version='1.0'?><!DOCTYPE d [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;'>]><Document>&b;</Document>",
    b"<?xml version='1.0'?><Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'></Document>",
    "<?xml version='1.0' encoding='UTF-8'?><Document><Stmt>\udcff".encode("utf-8", "surrogateescape"),
])
def test_broken_or_hostile_xml_is_a_statement_error(raw):
    assert parsers.detect_format(raw) == "camt053"
    with pytest.raises(parsers.StatementError):
        parsers.parse(raw)
