"""Reconciliation fixtures: days of their own, card payments on them, settlement files, statement lines.

The sandbox gateway keeps its state in one file for the whole test run (like a real processor,
outside our database transactions), and its settlement file lists every charge of a day. So each
test takes days no other test uses (`new_day()`), and moves the clock there.
"""
from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.core import clock as app_clock
from app.core.actor import Actor
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.payments.gateway import CardDetails
from app.payments.models import Payment
from app.reconcile.models import ReconciliationItem

KST = ZoneInfo("Asia/Seoul")
TEST_ACTOR = Actor.system("test")
CARD = "4242424242424242"
TIMEOUT_CHARGED = "4000000000003220"
_days = itertools.count()


def new_day() -> date:
    """A business date no other test of this run uses (three days apart, so neighbours are free too)."""
    return date(2031, 1, 6) + timedelta(days=4 * next(_days))


def kst(day: date, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=KST)


def card(number: str = CARD) -> CardDetails:
    return CardDetails(number, 12, 2040, "123", "Minji Kim")


def pay_by_card(day: date, *, hour: int = 10, minute: int = 0, second: int = 0, number: str = CARD,
                room_type=None, nights: int = 1):
    """A booking paid by card at that Korean time (the clock is left there). Returns its payment."""
    from app.payments.services import pay_by_card as pay
    from tests.factories import make_reservation

    app_clock.freeze(kst(day, hour, minute, second))
    reservation = make_reservation(room_type, nights=nights, check_in=day + timedelta(days=20))
    outcome = pay(reservation, amount=reservation.total_amount, currency=reservation.currency, card=card(number),
                  idempotency_key=str(uuid.uuid4()))
    return outcome.payment


def file_rows_of(payments, day: date) -> list[dict]:
    """Settlement rows as the gateway would write them for these completed card payments."""
    from app.payments.settlement import APPROVAL, compute_fee

    return [{"record_type": APPROVAL, "transaction_id": p.gateway_charge_id, "order_id": p.public_id,
             "transacted_at": kst(day, 12), "amount": p.amount, "fee": compute_fee(p.amount)} for p in payments]


def store_file(day: date, rows: list[dict], name: str = "upload.csv"):
    from app.payments.settlement import write
    from app.reconcile.services import store_settlement_file

    return store_settlement_file(write(day, rows), origin="uploaded", file_name=name, actor=TEST_ACTOR)


def items(source: str | None = None, *, status: str | None = None) -> list[ReconciliationItem]:
    stmt = select(ReconciliationItem).order_by(ReconciliationItem.id).execution_options(populate_existing=True)
    if source:
        stmt = stmt.where(ReconciliationItem.source == source)
    if status:
        stmt = stmt.where(ReconciliationItem.status == status)
    return list(db.session.scalars(stmt))


def by_type(found) -> dict[str, list[ReconciliationItem]]:
    grouped: dict[str, list[ReconciliationItem]] = {}
    for item in found:
        grouped.setdefault(item.type, []).append(item)
    return grouped


def ledger_sum(day: date, kinds: tuple[str, ...]) -> tuple[int, int]:
    count, total = db.session.execute(select(func.count(), func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.business_date == day, LedgerEntry.kind.in_(kinds))).one()
    return count, int(total)


def fresh(obj):
    from sqlalchemy import inspect

    return db.session.get(type(obj), inspect(obj).identity[0], populate_existing=True)


def statuses(payments) -> list[tuple[str, str]]:
    """(payment status, booking status) of each payment, from the database."""
    out = []
    for p in payments:
        p = db.session.get(Payment, p.id, populate_existing=True)
        out.append((p.status, p.reservation.status))
    return out


def statement_line(booked_on: date, amount: int, *, kind: str, memo: str = "", payout_id: int | None = None,
                   our_ref: str | None = None, status: str = "outgoing", reservation_id: int | None = None,
                   reverses_line_id: int | None = None, pending: bool = False, account: str = "110-123-456789"):
    """A statement line as the import stores it (its own statement), for the bank's side of a day."""
    from app.core.ids import public_id
    from app.deposits.models import BankStatement, StatementLine

    statement = BankStatement(public_id=public_id("stm"), source_format="camt053", account=account,
                              file_name="test.xml", file_sha256=uuid.uuid4().hex * 2, lines_in_file=1, lines_new=1)
    db.session.add(statement)
    db.session.flush()
    line = StatementLine(public_id=public_id("stl"), statement_id=statement.id, account=account,
                         dedupe_key=uuid.uuid4().hex, booked_on=booked_on, amount=amount, memo=memo, kind=kind,
                         payout_id=payout_id, our_ref=our_ref, status=status, reservation_id=reservation_id,
                         reverses_line_id=reverses_line_id, pending=pending, reversal=kind == "reversal")
    db.session.add(line)
    db.session.flush()
    return line


@pytest.fixture
def sandbox(app):
    from app.payments.sandbox import SandboxGateway

    return SandboxGateway.from_config(app.config)


def completed_payout(day: date, amount: int = 120_000, *, hour: int = 11, tail: str | None = None):
    """A settlement payout sent through the sandbox bank at that Korean time (completed unless `tail`
    scripts another answer, e.g. "0007": the bank moved it but the answer was lost)."""
    from app.remittance import decisions, fund
    from app.remittance.policies import BankAccount
    from app.remittance.services import run_payout_attempt

    app_clock.freeze(kst(day, hour))
    fund.top_up_fund(100_000_000, "test top-up", key=fund.new_top_up_key(), actor=TEST_ACTOR)
    number = "1101234567" if tail is None else "110123" + tail
    payout = decisions.create_settlement_payout(amount=amount, currency="KRW", account=BankAccount(
        "004", number, "호텔 정산"), memo="Hotel settlement", actor=TEST_ACTOR)
    run_payout_attempt(payout.id, 1)
    return fresh(payout)
