"""`flask statements import FILE`: a real file in, every line and the counts out (JSON with --json),
the format detected, the remembered or guessed column mapping used, and a bad file refused with a
JSON error, a non-zero exit code and nothing imported."""
from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.deposits.models import BankStatement, CsvMapping, StatementLine
from app.extensions import db
from tests.deposits.conftest import ACCOUNT, fresh, korean_csv, today, transfer_booking
from tests.deposits.test_parsers import MT940


def lines_stored() -> int:
    return db.session.scalar(select(func.count()).select_from(StatementLine))


def run(runner, path, *args):
    return runner.invoke(args=["statements", "import", str(path), *args])


@pytest.fixture
def statement(tmp_path):
    """A Korean bank's CSV export (cp949) paying one booking exactly, with an unknown deposit and a fee."""
    r = transfer_booking()
    path = tmp_path / "거래내역.csv"
    path.write_bytes(korean_csv([(today(), f"{r.code} 김민지", r.total_amount, 0), (today(), "모르는입금", 12_345, 0),
                                 (today(), "송금수수료", 0, 500)]))
    return r, path


def test_import_prints_every_line_and_the_counts_as_json(runner, statement):
    r, path = statement
    result = run(runner, path, "--account", ACCOUNT, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert (body["format"], body["alreadyImported"], body["account"]) == ("csv", False, "110123456789")
    assert body["importID"].startswith("imp_") and len(body["statements"]) == 1
    assert body["counts"]["depositsMatched"] == 1 and body["counts"]["decisionsNeeded"] == 1
    assert sum(body["counts"].values()) == len(body["lines"]) == 3
    by_amount = {line["amount"]: line for line in body["lines"]}
    assert by_amount[r.total_amount]["outcome"] == "auto_confirmed"
    assert by_amount[r.total_amount]["bookingCode"] == r.code and by_amount[r.total_amount]["lineID"].startswith("sln_")
    assert (by_amount[12_345]["outcome"], by_amount[12_345]["problem"]) == ("needs_decision", "unknown")
    assert by_amount[-500]["kind"] in ("fee", "other") and by_amount[-500]["outcome"] != "needs_decision"
    assert fresh(r).status == "paid" and lines_stored() == 3


def test_the_same_file_again_imports_nothing_and_says_so(runner, statement):
    r, path = statement
    assert run(runner, path, "--account", ACCOUNT, "--json").exit_code == 0
    again = run(runner, path, "--account", ACCOUNT, "--json")
    assert again.exit_code == 0
    body = json.loads(again.output)
    assert body["alreadyImported"] is True and body["importID"] is None and body["statements"] == []
    assert body["counts"]["duplicates"] == 3 and {line["outcome"] for line in body["lines"]} == {"duplicate"}
    assert lines_stored() == 3 and db.session.scalar(select(func.count()).select_from(BankStatement)) == 1


def test_without_json_it_prints_plain_lines(runner, statement):
    r, path = statement
    result = run(runner, path, "--account", ACCOUNT)
    assert result.exit_code == 0, result.output
    assert "3 lines, imported." in result.output and "auto_confirmed " + r.code in result.output
    assert "needs_decision (unknown)" in result.output


def _xlsx(rows, header=("거래일시", "적요", "입금자명", "보낸분", "출금액", "입금액", "잔액")) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def excel(tmp_path):
    """An .xlsx export paying one booking; the sender's name differs between its two name columns."""
    r = transfer_booking()
    when = datetime.combine(today(), datetime.min.time()).replace(hour=10)
    path = tmp_path / "export.xlsx"
    path.write_bytes(_xlsx([(when, r.code, "김민지", "김민지엄마", 0, r.total_amount, 1_000_000 + r.total_amount)]))
    return r, path


def test_an_excel_file_is_detected_and_its_columns_guessed(runner, excel):
    r, path = excel
    result = run(runner, path, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["format"] == "xlsx" and body["counts"]["depositsMatched"] == 1
    assert fresh(r).status == "paid"
    assert db.session.scalar(select(StatementLine.depositor)) == "김민지"  # the guess: 입금자명


def test_the_banks_remembered_mapping_is_used(runner, excel):
    r, path = excel
    remembered = {"date": "거래일시", "memo": "적요", "depositor": "보낸분", "withdrawal": "출금액",
                  "deposit": "입금액", "balance": "잔액"}
    db.session.add(CsvMapping(bank="신한은행", columns=remembered))
    db.session.flush()
    result = run(runner, path, "--bank", "신한은행", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["depositsMatched"] == 1 and fresh(r).status == "paid"
    assert db.session.scalar(select(StatementLine.depositor)) == "김민지엄마"  # the remembered column
    assert db.session.scalar(select(CsvMapping.columns).where(CsvMapping.bank == "신한은행")) == remembered


def test_an_mt940_file_with_the_format_given(runner, tmp_path):
    path = tmp_path / "statement.sta"
    path.write_text(MT940)
    result = run(runner, path, "--format", "mt940", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["format"] == "mt940" and len(body["lines"]) == lines_stored() > 0


def test_a_file_without_the_required_columns_is_refused_with_the_columns_named(runner, tmp_path):
    path = tmp_path / "no-memo.csv"
    path.write_text("거래일시,입금액,출금액,잔액\n2026.12.07 10:00,89000,0,1089000\n", encoding="utf-8")
    result = run(runner, path, "--json")
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert body["error"]["code"] == "validation_error" and "Memo" in body["error"]["message"]
    assert body["missingColumns"] == ["memo"] and body["headers"] == ["거래일시", "입금액", "출금액", "잔액"]
    assert "mapping.memo" in body["error"]["fields"]
    assert lines_stored() == 0
    no_header = tmp_path / "no-money-in.csv"
    no_header.write_text("거래일시,기재내용,출금액\n2026.12.07 10:00,FD7K3M9Q,500\n", encoding="utf-8")
    refused = run(runner, no_header, "--json")
    assert refused.exit_code == 1 and "money in" in json.loads(refused.output)["error"]["message"]


def test_a_file_with_unreadable_rows_names_them_and_imports_nothing(runner, tmp_path):
    text = korean_csv([(today(), "a", 10_000, 0), (today(), "b", 20_000, 0)]).decode("cp949")
    path = tmp_path / "bad.csv"
    path.write_bytes(text.replace('"20,000"', "이만원", 1).encode("cp949"))
    result = run(runner, path, "--json")
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert [p["row"] for p in body["problems"]] == [6] and "이만원" in body["problems"][0]["problem"]
    assert lines_stored() == 0
    plain = run(runner, path)
    assert plain.exit_code == 1 and "Nothing was imported" in plain.output and "row 6" in plain.output


def test_a_statement_whose_balances_do_not_add_up_is_refused_with_the_rows(runner, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(korean_csv([(today(), "a", 10_000, 0), (today(), "b", 20_000, 0)], balances={1: 1_031_000}))
    result = run(runner, path, "--account", ACCOUNT, "--json")
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert [(b["expected"], b["found"]) for b in body["breaks"]] == [(1_030_000, 1_031_000)]
    assert lines_stored() == 0


def test_a_missing_file_or_an_unknown_format_is_a_usage_error(runner, tmp_path):
    assert run(runner, tmp_path / "nope.csv").exit_code == 2
    path = tmp_path / "x.csv"
    path.write_text("a")
    assert run(runner, path, "--format", "pdf").exit_code == 2
