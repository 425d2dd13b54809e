"""The operating fund and its circuit breaker (seed 001 §5): thresholds, holds, half-open,
closing, held payouts resuming by themselves, the ledger, alerts."""
import logging
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.core.errors import ValidationFailed
from app.extensions import db
from app.remittance import decisions, queries
from app.remittance import fund as fund_service
from app.remittance.models import FundEntry
from app.remittance.states import BreakerState, PayoutStatus
from tests.remittance.conftest import TAILS, TEST_ACTOR, attempts, fresh

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
M = 1_000_000


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.freeze(T0)


def fund():
    return db.session.get(type(fund_service.get_fund()), fund_service.get_fund().id, populate_existing=True)


def test_a_new_fund_is_empty_and_its_breaker_open(settlement, payout_worker, bank):
    assert fund_service.get_fund().balance == 0
    payout = settlement(10_000)
    payout_worker()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.HELD_BY_BREAKER and payout.held_reason == "breaker_open"
    assert attempts(payout) == [] and not bank.has_transfer(payout.transfer_id)


def test_breaker_opens_below_the_floor_and_holds_new_payouts(top_up, settlement, payout_worker, bank):
    top_up(60 * M)
    assert fund().breaker_state == BreakerState.CLOSED
    big = settlement(50 * M + 500_000)
    payout_worker()
    assert fresh(big).status == PayoutStatus.COMPLETED
    assert fund().balance == 9_500_000 and fund().breaker_state == BreakerState.OPEN
    small = settlement(10_000)
    payout_worker()
    small = fresh(small)
    assert small.status == PayoutStatus.HELD_BY_BREAKER and small.held_reason == "breaker_open"
    assert not bank.has_transfer(small.transfer_id)
    assert fund().balance == 9_500_000                 # a held payout takes nothing


def test_half_open_lets_only_small_payouts_through_until_healthy_then_closes_and_held_ones_resume(
        top_up, settlement, payout_worker, drive, bank):
    top_up(60 * M)
    settlement(55 * M)
    payout_worker()                                    # 5M left: OPEN
    small, large = settlement(500_000), settlement(2 * M)
    payout_worker()
    assert {fresh(small).status, fresh(large).status} == {PayoutStatus.HELD_BY_BREAKER}

    top_up(25 * M)                                     # 30M: above the floor, below healthy
    assert fund().breaker_state == BreakerState.HALF_OPEN
    assert drive()["resumed"] == 1
    assert fresh(small).status == PayoutStatus.COMPLETED
    assert fresh(large).status == PayoutStatus.HELD_BY_BREAKER
    assert queries.held_reason_now(fresh(large)) == "half_open_limit"
    assert fund().breaker_state == BreakerState.HALF_OPEN and fund().balance == 29_500_000

    top_up(21 * M)                                     # 50.5M: healthy again
    assert fund().breaker_state == BreakerState.CLOSED
    assert drive()["resumed"] == 1
    large = fresh(large)
    assert large.status == PayoutStatus.COMPLETED
    assert bank.moved(large.transfer_id) == (1, 2 * M)
    assert fund().balance == 48_500_000 and fund().breaker_state == BreakerState.CLOSED  # stays closed


def test_a_held_payout_is_not_rung_while_the_fund_cannot_pay_it(top_up, settlement, payout_worker, drive):
    top_up(60 * M)
    payout = settlement(70 * M)                        # more than the balance
    payout_worker()
    assert fresh(payout).held_reason == "insufficient_fund"
    assert drive()["resumed"] == 0
    top_up(20 * M)
    assert drive()["resumed"] == 1
    assert fresh(payout).status == PayoutStatus.COMPLETED


def test_a_refused_payout_gives_its_money_back_and_the_ledger_adds_up(top_up, settlement, payout_worker):
    top_up(60 * M)
    settlement(1 * M, TAILS["BANK_ERROR"])
    settlement(2 * M)
    payout_worker()
    entries = db.session.scalars(select(FundEntry).order_by(FundEntry.id)).all()
    assert sorted(e.kind for e in entries) == ["payout_debit", "payout_debit", "payout_reversal", "top_up"]
    assert sum(e.amount for e in entries) == fund().balance == 58 * M
    assert entries[-1].balance_after == fund().balance


def test_the_same_top_up_submitted_twice_adds_the_money_once(top_up):
    key = fund_service.new_top_up_key()
    assert fund_service.top_up_fund(5 * M, "transfer from the main account", key=key, actor=TEST_ACTOR)
    assert fund_service.top_up_fund(5 * M, "transfer from the main account", key=key, actor=TEST_ACTOR) is None
    assert fund().balance == 5 * M
    assert db.session.scalar(select(func.count(FundEntry.id))) == 1


@pytest.mark.parametrize("amount, reason, field", [
    (0, "x", "amount"), (-5, "x", "amount"), ("100", "x", "amount"), (True, "x", "amount"),
    (20_000_000_000, "x", "amount"), (5 * M, "  ", "reason"),
])
def test_a_bad_top_up_is_refused_and_changes_nothing(amount, reason, field):
    with pytest.raises(ValidationFailed) as exc:
        fund_service.top_up_fund(amount, reason, key=fund_service.new_top_up_key(), actor=TEST_ACTOR)
    assert field in exc.value.fields
    assert db.session.scalar(select(func.count(FundEntry.id))) == 0


def test_level_changes_are_alerted_in_the_log_and_audited(top_up, settlement, payout_worker, caplog):
    top_up(60 * M)
    caplog.set_level(logging.INFO, logger="app.remittance.fund")
    settlement(15 * M)
    payout_worker()                                    # 45M: warning
    settlement(30 * M)
    payout_worker()                                    # 15M: critical
    settlement(6 * M)
    payout_worker()                                    # 9M: breaker open
    alerts = [(r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(lvl == "WARNING" and "[WARNING] operating fund warning" in msg for lvl, msg in alerts)
    assert any(lvl == "CRITICAL" and "[CRITICAL] operating fund critical" in msg for lvl, msg in alerts)
    assert any(lvl == "CRITICAL" and "[CRITICAL] circuit breaker OPEN" in msg for lvl, msg in alerts)
    changes = db.session.execute(select(AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state).where(
        AuditEvent.entity_type == "operating_fund").order_by(AuditEvent.id)).all()
    assert ("fund.breaker_changed", "closed", "open") in changes
    assert [c[1:] for c in changes if c[0] == "fund.level_changed"] == [
        ("breaker_open", "ok"), ("ok", "warning"), ("warning", "critical"), ("critical", "breaker_open")]


def test_a_returned_payout_credits_the_fund_once_and_needs_a_person(top_up, settlement, payout_worker):
    top_up(60 * M)
    payout = settlement(1 * M)
    payout_worker()
    payout = decisions.mark_returned(fresh(payout), "RTN-20261123-01", TEST_ACTOR, "Return credit on the statement")
    assert payout.status == PayoutStatus.RETURNED and payout.return_reference == "RTN-20261123-01"
    assert fund().balance == 60 * M
    again = decisions.mark_returned(payout.id, "RTN-20261123-01", TEST_ACTOR, "again")   # safe twice
    assert again.status == PayoutStatus.RETURNED and again.returned_at == payout.returned_at
    assert fund().balance == 60 * M
