"""The gateway's settlement file: written and read back, refused when it does not add up, written by the
sandbox for each day; and the memo of the gateway's next-day credit."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.core import clock as app_clock
from app.payments import settlement
from app.payments.settlement import SettlementFileError, compute_fee, parse, settlement_date_in, settlement_memo, write
from tests.reconcile.conftest import card, kst, new_day, pay_by_card

DAY = date(2026, 12, 7)


def rows():
    return [{"record_type": "APPROVAL", "transaction_id": "ch_1", "order_id": "pay_1", "transacted_at": kst(DAY, 9),
             "amount": 120_000, "fee": 3_000},
            {"record_type": "CANCEL", "transaction_id": "re_1", "order_id": "pay_1", "original_transaction_id": "ch_1",
             "transacted_at": kst(DAY, 15), "amount": -50_000, "fee": 0}]


def test_a_written_file_reads_back_with_its_totals():
    parsed = parse(write(DAY, rows()))
    assert parsed.business_date == DAY and parsed.currency == "KRW" and parsed.count == 2
    assert (parsed.total_amount, parsed.total_fee, parsed.total_net) == (70_000, 3_000, 67_000)
    approval, cancel = parsed.rows
    assert (approval.record_type, approval.transaction_id, approval.order_id, approval.net) == \
        ("APPROVAL", "ch_1", "pay_1", 117_000)
    assert (cancel.record_type, cancel.original_transaction_id, cancel.amount) == ("CANCEL", "ch_1", -50_000)
    assert approval.transacted_at == kst(DAY, 9)


def test_bom_and_lf_line_endings_are_read_the_same():
    raw = write(DAY, rows())
    assert parse(b"\xef\xbb\xbf" + raw.replace(b"\r\n", b"\n")).rows == parse(raw).rows


@pytest.mark.parametrize("change, problem", [
    (lambda raw: raw.rsplit(b"\r\nTOTAL", 1)[0] + b"\r\n", "TOTAL row is missing"),
    (lambda raw: raw.replace(b",70000,3000,67000,KRW", b",70001,3000,67001,KRW"), "rows add up to"),
    (lambda raw: raw.replace(b"TOTAL,2026-12-07,2,", b"TOTAL,2026-12-07,3,"), "rows add up to"),
    (lambda raw: raw.replace(b",120000,3000,117000,", b",120000,3000,117001,"), "is not amount"),
    (lambda raw: raw.replace(b"CANCEL,2026-12-07,re_1", b"CANCEL,2026-12-07,ch_1"), "also on row"),
    (lambda raw: raw.replace(b"APPROVAL,2026-12-07,ch_1,pay_1,,2026-12-07T09:00:00+09:00,120000",
                             b"APPROVAL,2026-12-07,ch_1,pay_1,,2026-12-07T09:00:00+09:00,-120000"), "positive"),
    (lambda raw: raw.replace(b"2026-12-07T09:00:00+09:00", b"2026-12-07T09:00:00"), "with an offset"),
    (lambda raw: raw.replace(b"CANCEL,2026-12-07", b"CANCEL,2026-12-08"), "more than one business date"),
    (lambda raw: raw.replace(b"APPROVAL,", b"REFUND,", 1), "unknown record type"),
])
def test_a_file_that_does_not_add_up_is_refused_with_the_row(change, problem):
    with pytest.raises(SettlementFileError) as refused:
        parse(change(write(DAY, rows())))
    assert any(problem in what for _row, what in refused.value.problems), refused.value.problems


@pytest.mark.parametrize("raw", [b"", b"\xff\xfe\x00a", b"hello,world\r\n", "거래일시,금액\r\n".encode("cp949")])
def test_what_is_not_a_settlement_file_is_refused(raw):
    with pytest.raises(SettlementFileError):
        parse(raw)


def test_the_fee_is_two_and_a_half_percent_rounded_half_up():
    assert [compute_fee(a) for a in (100_000, 10, 20, 19)] == [2_500, 0, 1, 0]


def test_the_sandbox_writes_the_days_approvals_and_cancels(app, sandbox):
    day = new_day()
    early = pay_by_card(day, hour=0, minute=0, second=1)
    late = pay_by_card(day, hour=23, minute=59, second=59)
    pay_by_card(day + timedelta(days=1), hour=0, minute=0, second=0)              # the next day: not in it
    app_clock.freeze(kst(day, 18))
    refund = sandbox.refund(idempotency_key="refund-test", charge_id=early.gateway_charge_id, amount=1_000,
                            currency="KRW")
    parsed = parse(sandbox.settlement_file(day))
    assert [(r.record_type, r.transaction_id, r.order_id, r.amount) for r in parsed.rows] == [
        ("APPROVAL", early.gateway_charge_id, early.public_id, early.amount),
        ("CANCEL", refund.refund_id, early.public_id, -1_000),
        ("APPROVAL", late.gateway_charge_id, late.public_id, late.amount)]
    assert parsed.rows[0].fee == compute_fee(early.amount) and parsed.rows[1].fee == 0
    assert parsed.rows[1].original_transaction_id == early.gateway_charge_id
    declined = sandbox.charge(idempotency_key="declined-one", amount=5_000, currency="KRW",
                              card=card("4000000000000002"))
    assert declined.status == "declined"
    assert len(parse(sandbox.settlement_file(day)).rows) == 3                      # declines are not settled


@pytest.mark.parametrize("memo, expected", [
    (settlement_memo(DAY), DAY), ("SANDBOXPG 정산 2026-12-07", DAY), ("sandboxpg정산20261207 외", DAY),
    ("입금 SANDBOXPG 정산 20261207", DAY), ("SANDBOXPG 정산 20261332", None), ("정산 20261207", None),
    ("XSANDBOXPG 정산 20261207", None), ("SANDBOXPG 정산 202612071", None), ("", None), (None, None),
])
def test_the_credits_memo_names_its_settlement_date(memo, expected):
    assert settlement_date_in(memo) == expected


def test_the_memo_is_what_settlement_date_in_reads():
    assert settlement_memo(DAY) == "SANDBOXPG 정산 20261207" and settlement.SETTLEMENT_MEMO_NAMES == ("SANDBOXPG",)
