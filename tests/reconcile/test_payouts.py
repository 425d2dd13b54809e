"""Payout reconciliation: payouts, returns and bank fees in our ledger against the bank statement."""
from __future__ import annotations

from datetime import timedelta

from app.core import clock as app_clock
from app.ledger.services import record_bank_fee
from app.reconcile import services
from app.reconcile.policies import (
    AMOUNT_MISMATCH,
    EXTERNAL_ONLY,
    INTERNAL_ONLY,
    STATUS_MISMATCH,
    TIMING_MISMATCH,
)
from tests.reconcile.conftest import by_type, completed_payout, items, kst, ledger_sum, new_day, statement_line

PAYOUT_KINDS = ("refund_payout", "settlement_payout", "payout_return", "bank_fee")


def reconcile(day):
    return services.reconcile_day(day, "payouts", trigger="schedule")


def test_a_payout_and_its_fee_on_the_statement_match_and_the_totals_add_up(app):
    day = new_day()
    payout = completed_payout(day, 120_000)
    assert payout.status == "completed"
    line = statement_line(day, -120_000, kind="payout", payout_id=payout.id, our_ref=payout.transfer_id)
    fee = statement_line(day, -500, kind="fee", payout_id=payout.id, memo="이체수수료")
    record_bank_fee(fee, payout=payout)
    app_clock.freeze(kst(day + timedelta(days=1), 6, 30))

    run = reconcile(day)

    assert items("payouts") == [] and (run.matched_count, run.total_count) == (2, 2)
    assert (run.internal_count, run.internal_amount) == ledger_sum(day, PAYOUT_KINDS) == (2, -120_500)
    assert (run.external_count, run.external_amount) == (2, line.amount + fee.amount)


def test_a_line_naming_our_transfer_id_only_in_its_memo_still_matches(app):
    day = new_day()
    payout = completed_payout(day, 80_000)
    statement_line(day, -80_000, kind="other", memo=f"이체 {payout.transfer_id}")
    app_clock.freeze(kst(day + timedelta(days=1), 6, 30))

    run = reconcile(day)

    assert items("payouts") == [] and run.matched_count == 1


def test_a_payout_with_no_line_is_internal_only_and_an_unknown_debit_is_external_only(app):
    day = new_day()
    payout = completed_payout(day, 70_000)
    stranger = statement_line(day, -33_000, kind="other", memo="알 수 없는 출금")
    app_clock.freeze(kst(day + timedelta(days=1) + timedelta(days=2), 6, 30))

    reconcile(day)

    found = by_type(items("payouts"))
    assert [i.natural_key for i in found[INTERNAL_ONLY]] == [f"payouts:payout:{payout.id}"]
    assert found[INTERNAL_ONLY][0].internal_amount == -70_000
    assert [i.natural_key for i in found[EXTERNAL_ONLY]] == [f"payouts:line:{stranger.id}"]
    assert found[EXTERNAL_ONLY][0].external["lines"][0]["memo"] == "알 수 없는 출금"


def test_a_payout_booked_by_the_bank_the_next_day_is_timing_and_clears_the_day_after(app):
    day = new_day()
    payout = completed_payout(day, 90_000, hour=23)
    app_clock.freeze(kst(day + timedelta(days=1), 6, 30))
    reconcile(day)
    [first] = items("payouts")
    assert first.type == INTERNAL_ONLY                       # the next day's statement is not there yet

    statement_line(day + timedelta(days=1), -90_000, kind="payout", payout_id=payout.id)
    app_clock.freeze(kst(day + timedelta(days=2), 6, 30))
    reconcile(day + timedelta(days=1))

    [item] = items("payouts")
    assert item.id == first.id and item.type == TIMING_MISMATCH
    assert (item.status, item.resolution, item.business_date) == ("resolved", "cleared", day)
    reconcile(day)
    assert [(i.id, i.status, i.type) for i in items("payouts")] == [(first.id, "resolved", TIMING_MISMATCH)]


def test_a_different_amount_on_the_statement_is_an_amount_mismatch(app):
    day = new_day()
    payout = completed_payout(day, 60_000)
    statement_line(day, -59_000, kind="payout", payout_id=payout.id)

    reconcile(day)

    [item] = items("payouts")
    assert (item.type, item.internal_amount, item.external_amount) == (AMOUNT_MISMATCH, -60_000, -59_000)


def test_money_the_bank_moved_for_a_payout_we_still_think_is_in_flight_is_a_status_mismatch(app):
    day = new_day()
    payout = completed_payout(day, 45_000, tail="0007")       # moved, but the bank's answer was lost
    assert payout.status == "transferring"
    statement_line(day, -45_000, kind="payout", payout_id=payout.id)

    reconcile(day)

    [item] = items("payouts")
    assert item.type == STATUS_MISMATCH and item.facts["sync"] == "payout"
    assert item.internal["payout"]["status"] == "transferring"
    from tests.reconcile.conftest import fresh
    assert fresh(payout).status == "transferring"              # reconciling changed nothing


def test_pending_lines_never_count(app):
    day = new_day()
    app_clock.freeze(kst(day + timedelta(days=1), 6, 30))
    statement_line(day, -10_000, kind="other", pending=True, status="pending")
    run = reconcile(day)
    assert items("payouts") == [] and (run.external_count, run.total_count, run.match_rate) == (0, 0, None)
