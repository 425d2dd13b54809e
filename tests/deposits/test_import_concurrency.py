"""Imports running at the same moment, with real commits from several connections: the same file
twice stores each line once and pays once; two files with the same deposit pay the booking once."""
from datetime import date

import pytest
from sqlalchemy import func, select

from app.booking.models import Reservation
from app.deposits import services
from app.deposits.models import BankStatement, StatementLine
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.notifications.models import OutboxMessage
from app.payments.models import Payment
from tests.concurrency import at_once, second_app
from tests.deposits.money import TEST_ACTOR, booking, mt940, seoul

pytestmark = pytest.mark.committing

DAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def race_app(app):
    with second_app(app, pool_size=8, max_overflow=0, pool_timeout=60) as other:
        yield other


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _booking(clock):
    clock.freeze(seoul(2026, 11, 20, 9))
    r = booking("FD7K3M9Q", 120_000)
    rid = r.id
    db.session.commit()
    clock.freeze(seoul(2026, 11, 20, 18))
    return rid


def _run(race_app, files: list[bytes]):
    def run(i):
        return services.import_statement(files[i], source_format="mt940", file_name=f"f{i}", account="",
                                         actor=TEST_ACTOR)

    return at_once(race_app, len(files), run)


def _paid_once(rid):
    assert db.session.scalar(select(Reservation.status).where(Reservation.id == rid)) == "paid"
    assert count(Payment, Payment.reservation_id == rid, Payment.status == "completed") == 1
    assert count(LedgerEntry, LedgerEntry.reservation_id == rid) == 1
    assert count(OutboxMessage, OutboxMessage.reservation_id == rid, OutboxMessage.event == "payment_confirmed",
                 OutboxMessage.channel == "email") == 1


def test_the_same_file_imported_twice_at_once_stores_each_line_once_and_pays_once(race_app, clock):
    rid = _booking(clock)
    raw = mt940([(DAY, [("C", 120_000, "B1", "FD7K3M9Q 김민지"), ("D", 3_000, "B2", "카드대금")])])
    results = _run(race_app, [raw, raw])
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(sum(r.counts.values()) - r.counts["duplicates"] for r in results) == [0, 2]
    assert sorted(r.counts["duplicates"] for r in results) == [0, 2]
    assert sorted(r.run is None for r in results) == [False, True]   # the second one wrote nothing at all
    assert count(StatementLine) == 2 and count(BankStatement) == 1
    _paid_once(rid)


def test_two_files_with_the_same_deposit_at_once_pay_the_booking_once(race_app, clock):
    rid = _booking(clock)
    first = mt940([(DAY, [("C", 120_000, "B1", "FD7K3M9Q 김민지")])])
    second = mt940([(DAY, [("C", 120_000, "X9", "FD7K3M9Q 김민지")])], account="110-999-000000")
    results = _run(race_app, [first, second])
    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(r.counts["deposits_matched"] for r in results) == [0, 1]
    assert sorted(r.counts["decisions_needed"] for r in results) == [0, 1]   # the other finds it paid already
    _paid_once(rid)
