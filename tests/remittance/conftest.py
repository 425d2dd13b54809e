"""Remittance fixtures: the sandbox bank, the operating fund, payouts and refunds to pay out.

Account numbers pick the sandbox bank's answer by their last four digits
(see app/remittance/sandbox_bank.py): GOOD succeeds, the others fail as named.
"""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from app.core.actor import Actor
from app.extensions import db
from app.remittance import decisions, fund as fund_service
from app.remittance.models import Payout, PayoutAttempt
from app.remittance.policies import BankAccount
from app.remittance.sandbox_bank import SandboxBank

GOOD = "1101234567"
TAILS = {"INVALID_ACCOUNT": "0001", "CLOSED_ACCOUNT": "0002", "DORMANT_ACCOUNT": "0003", "NAME_MISMATCH": "0004",
         "LIMIT_EXCEEDED": "0005", "BANK_ERROR": "0006", "TIMEOUT_MOVED": "0007", "TIMEOUT_LOST": "0008"}
TEST_ACTOR = Actor.system("test")


def account(tail: str | None = None, *, bank: str = "004", holder: str = "홍길동") -> BankAccount:
    """A sandbox account: GOOD, or one whose last four digits script the bank's answer."""
    return BankAccount(bank, GOOD if tail is None else "110123" + tail, holder)


def fresh(obj):
    """The row again, from the database (works on objects a worker's session left detached)."""
    return db.session.get(type(obj), inspect(obj).identity[0], populate_existing=True)


def attempts(payout: Payout) -> list[PayoutAttempt]:
    return list(db.session.scalars(select(PayoutAttempt).where(PayoutAttempt.payout_id == inspect(payout).identity[0])
                                   .order_by(PayoutAttempt.number).execution_options(populate_existing=True)))


@pytest.fixture(autouse=True)
def _own_sandbox_state(app, tmp_path, monkeypatch):
    """Each remittance test has sandboxes of its own (their state files under tmp_path), and so
    do the worker processes it starts: one test's killed worker cannot leave the next test a
    locked or half-written bank file."""
    state = str(tmp_path / "sandbox")
    monkeypatch.setitem(app.config, "SANDBOX_STATE_DIR", state)
    monkeypatch.setenv("SANDBOX_STATE_DIR", state)


@pytest.fixture
def bank(app) -> SandboxBank:
    return SandboxBank.from_config(app.config)


@pytest.fixture
def top_up(app):
    """top_up(amount) → puts money in the operating fund (as a manager would)."""

    def _top_up(amount: int = 100_000_000, reason: str = "test top-up"):
        return fund_service.top_up_fund(amount, reason, key=fund_service.new_top_up_key(), actor=TEST_ACTOR)

    return _top_up


@pytest.fixture
def settlement(app):
    """settlement(amount, tail) → a committed settlement payout, its first attempt enqueued."""

    def _make(amount: int = 120_000, tail: str | None = None, **kwargs) -> Payout:
        return decisions.create_settlement_payout(amount=amount, currency="KRW", account=account(tail, **kwargs),
                                                  memo="Hotel settlement", actor=TEST_ACTOR)

    return _make


@pytest.fixture
def approved_refund(app):
    """approved_refund() → a refund (approved) of a booking paid by bank transfer.

    There is no approval service yet (the refunds issue adds it), so the
    decision is written as that service would: along the refund table.
    """
    from app.payments.services import record_completed_payment
    from app.refunds.services import request_refund
    from app.refunds.states import RefundStatus, next_state
    from tests.factories import make_reservation

    def _make(**kwargs):
        reservation = make_reservation(method="bank_transfer", **kwargs)
        record_completed_payment(reservation, method="bank_transfer", amount=reservation.total_amount,
                                 actor=TEST_ACTOR, payer_name="KIM MINJI", reference=reservation.code)
        db.session.commit()
        refund = request_refund(reservation, source="customer", requested_reason="Plans changed.", actor=TEST_ACTOR)
        refund.status = next_state(refund.status, RefundStatus.APPROVED)
        db.session.commit()
        return refund

    return _make


@pytest.fixture
def payout_worker(run_worker):
    """payout_worker() → a real RQ worker, burst mode, on the `high` queue (payments, payouts).

    Customer messages wait on `default` for the notifications worker (not exercised here).
    """
    return lambda: run_worker(queues=("high",))


@pytest.fixture
def drive(app, payout_worker):
    """drive() → one minute's sweep, then a burst worker runs whatever it rang."""
    from app.remittance.sweep import sweep_payouts

    def _drive():
        result = sweep_payouts()
        payout_worker()
        return result

    return _drive
