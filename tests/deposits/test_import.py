"""Importing statements: dedupe, balance checks (and a manager's override), bad rows, auto-confirmation."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.deposits import parsers, services
from app.deposits.models import BankStatement, CsvMapping, LineStatus, StatementLine
from app.extensions import db
from tests.deposits.conftest import (ACCOUNT, MAPPING, TEST_ACTOR, fresh, korean_csv, messages, payments_of, today,
                                     transfer_booking)
from tests.deposits.test_parsers import CAMT, MT940


def line_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StatementLine))


def test_the_same_file_twice_imports_nothing_new(import_csv):
    raw = korean_csv([(today(), "홍길동", 50_000, 0), (today(), "수수료", 0, 500)])
    first = import_csv(raw)
    assert (first.new_lines, first.skipped) == (1, 0) and line_count() == 2
    second = import_csv(raw)
    assert (second.new_lines, second.skipped) == (0, 2) and line_count() == 2


def test_overlapping_exports_add_only_the_lines_not_seen(import_csv):
    d1, d2, d3 = today() - timedelta(days=2), today() - timedelta(days=1), today()
    rows = [(d1, "가", 10_000, 0), (d2, "나", 20_000, 0), (d2, "다", 30_000, 0), (d3, "라", 40_000, 0)]
    import_csv(korean_csv(rows[:3]))
    # The next export starts a day later: the rows it shares are the same rows (same time, same balance).
    exported = korean_csv(rows).decode("cp949").split("\r\n")
    result = import_csv("\r\n".join(row for row in exported if not row.startswith(f"{d1:%Y.%m.%d}")).encode("cp949"))
    assert (result.new_lines, result.skipped) == (1, 2)
    assert sorted(db.session.scalars(select(StatementLine.amount))) == [10_000, 20_000, 30_000, 40_000]


def test_two_identical_deposits_on_the_same_day_both_count(import_csv):
    raw = korean_csv([(today(), "이영희", 50_000, 0), (today(), "이영희", 50_000, 0)])
    assert import_csv(raw).new_lines == 2
    assert import_csv(raw).new_lines == 0
    assert db.session.scalar(select(func.sum(StatementLine.amount))) == 100_000


def test_the_database_refuses_a_second_line_with_the_same_key(import_csv):
    from sqlalchemy.exc import IntegrityError

    import_csv(korean_csv([(today(), "홍길동", 50_000, 0)]))
    line = db.session.scalar(select(StatementLine))
    twin = StatementLine(public_id="sln_twin", statement_id=line.statement_id, account=line.account,
                         dedupe_key=line.dedupe_key, booked_on=line.booked_on, amount=line.amount)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(twin)
            db.session.flush()


def test_a_broken_balance_chain_is_refused_with_its_rows(import_csv):
    raw = korean_csv([(today(), "a", 10_000, 0), (today(), "b", 20_000, 0)], balances={1: 1_031_000})
    with pytest.raises(services.BalanceRefused) as err:
        import_csv(raw)
    assert [(b.expected, b.found) for b in err.value.breaks] == [(1_030_000, 1_031_000)]
    assert line_count() == 0 and db.session.scalar(select(func.count()).select_from(BankStatement)) == 0


def test_a_manager_can_import_a_broken_statement_with_a_reason_which_is_audited(import_csv):
    raw = korean_csv([(today(), "a", 10_000, 0), (today(), "b", 20_000, 0)], balances={1: 1_031_000})
    result = import_csv(raw, override_reason="은행이 수수료 줄을 빠뜨렸음")
    assert result.new_lines == 2
    statement = db.session.scalar(select(BankStatement))
    assert statement.override_reason == "은행이 수수료 줄을 빠뜨렸음" and statement.balance_problems
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "bank_statement.balance_override"))
    assert event.reason == "은행이 수수료 줄을 빠뜨렸음" and event.data["breaks"][0]["found"] == 1_031_000


def test_bad_rows_are_named_and_nothing_is_imported(import_csv):
    text = korean_csv([(today(), "a", 10_000, 0), (today(), "b", 20_000, 0), (today(), "c", 5_000, 0)]
                      ).decode("cp949")
    text = text.replace('"20,000"', "이만원", 1).replace(f"{today():%Y.%m.%d} 10:00:00", "날짜없음", 1)
    with pytest.raises(parsers.StatementError) as err:
        import_csv(text.encode("cp949"))
    assert sorted(row for row, _ in err.value.rows) == [7, 8]  # rows b (amount) and a (date)
    assert line_count() == 0


def test_an_exact_match_is_confirmed_at_import_once(import_csv):
    r = transfer_booking()
    raw = korean_csv([(today(), f"{r.code} 김민지", r.total_amount, 0)])
    result = import_csv(raw)
    assert result.auto_confirmed == 1 and result.needs_decision == 0
    assert fresh(r).status == "paid"
    [payment] = payments_of(r)
    assert payment.status == "completed" and payment.amount == r.total_amount and payment.payer_name == "김민지"
    assert messages(r, "payment_confirmed") == 1
    line = db.session.scalar(select(StatementLine))
    assert (line.status, line.outcome, line.reservation_id) == (LineStatus.DONE, "auto_confirmed", r.id)
    assert import_csv(raw).new_lines == 0 and len(payments_of(r)) == 1


def test_the_csv_mapping_is_remembered_per_bank(import_csv):
    mapping = dict(MAPPING, memo="적요")
    import_csv(korean_csv([(today(), "홍길동", 50_000, 0)]), mapping=mapping)
    assert db.session.scalar(select(CsvMapping.columns).where(CsvMapping.bank == "국민은행"))["memo"] == "적요"


def test_mt940_and_camt_import_with_reversals_left_out_of_matching():
    for raw, fmt in ((MT940.encode(), "mt940"), (CAMT.encode(), "camt053")):
        result = services.import_statement(raw, source_format=fmt, file_name="f", account=ACCOUNT, actor=TEST_ACTOR)
        assert result.skipped == 0
        again = services.import_statement(raw, source_format=fmt, file_name="f", account=ACCOUNT, actor=TEST_ACTOR)
        assert again.new_lines == 0
    outgoing = db.session.scalars(select(StatementLine).where(StatementLine.status == LineStatus.OUTGOING)).all()
    assert sorted(line.amount for line in outgoing) == [-70_000, -50_000, -40_000]
    assert all(line.reversal for line in outgoing if line.amount in (-50_000, -40_000))
    pending = db.session.scalar(select(StatementLine).where(StatementLine.amount == 99_000))  # CAMT Sts=PDNG
    assert (pending.kind, pending.status, pending.pending, pending.payment_ids) == ("pending", "pending", True, None)
