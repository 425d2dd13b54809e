"""`flask reconcile --date … [--gateway-file …] [--json]`: what a script runs at night, printing JSON."""
from __future__ import annotations

import json
from datetime import timedelta

from app.core import clock as app_clock
from app.payments.settlement import write
from app.reconcile import services
from tests.reconcile.conftest import file_rows_of, items, kst, new_day, pay_by_card


def test_reconcile_a_day_with_its_file_prints_json_and_running_it_again_changes_nothing(app, runner, tmp_path):
    day = new_day()
    paid, other = pay_by_card(day), pay_by_card(day, hour=15)
    rows = file_rows_of([paid, other], day)
    rows[1]["amount"] += 10
    path = tmp_path / "settlement.csv"
    path.write_bytes(write(day, rows))
    app_clock.freeze(kst(day + timedelta(days=1), 6))

    result = runner.invoke(args=["reconcile", "--date", day.isoformat(), "--gateway-file", str(path), "--json"])

    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["settlementFile"]["rows"] == 2 and body["settlementFile"]["alreadyStored"] is False
    gateway = next(r for r in body["runs"] if r["source"] == "gateway")
    assert (gateway["matched"], gateway["total"], gateway["external"]["amount"]) == (
        1, 2, paid.amount + other.amount + 10)
    assert [r["status"] for r in body["runs"]] == ["completed", "completed", "completed"]
    assert [i["type"] for i in body["openItems"]] == ["AMOUNT_MISMATCH"]

    second = runner.invoke(args=["reconcile", "--date", day.isoformat(), "--gateway-file", str(path), "--json"])
    assert json.loads(second.output)["settlementFile"]["alreadyStored"] is True
    assert len(items("gateway")) == 1 and services.get_run(day, "gateway").times_run == 2


def test_bad_dates_and_files_exit_with_a_json_error(app, runner, tmp_path):
    day = new_day()
    app_clock.freeze(kst(day, 12))
    bad = runner.invoke(args=["reconcile", "--date", "2026-02-30", "--json"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in json.loads(bad.output)["error"]["message"]
    path = tmp_path / "cut.csv"
    path.write_bytes(b"record_type,business_date\r\n")
    cut = runner.invoke(args=["reconcile", "--date", day.isoformat(), "--gateway-file", str(path), "--json"])
    assert cut.exit_code == 2 and json.loads(cut.output)["error"]["message"]
    assert services.get_run(day, "gateway") is None


def test_a_source_that_cannot_run_says_why_and_the_exit_code_is_not_zero(app, runner):
    day = new_day()
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    result = runner.invoke(args=["reconcile", "--date", day.isoformat(), "--source", "gateway"])
    assert result.exit_code == 1 and "gateway: not reconciled" in result.output
