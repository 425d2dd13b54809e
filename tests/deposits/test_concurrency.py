"""Two operators confirming the same deposit at once: paid once, one payment, one message."""
import pytest
from sqlalchemy import func, select

from app.booking.models import Reservation
from app.core.actor import Actor
from app.deposits import services
from app.deposits.models import StatementLine
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.payments.models import Payment
from tests.concurrency import at_once, second_app
from tests.deposits.conftest import ACCOUNT, MAPPING, TEST_ACTOR, korean_csv, today, transfer_booking

pytestmark = pytest.mark.committing


@pytest.fixture(scope="module")
def race_app(app):
    with second_app(app, pool_size=8, max_overflow=0, pool_timeout=60) as other:
        yield other


def _setup(memo_of):
    r = transfer_booking()
    raw = korean_csv([(today(), memo_of(r), r.total_amount, 0), (today(), memo_of(r), r.total_amount, 0)])
    services.import_statement(raw, source_format="csv", file_name="s.csv", account=ACCOUNT, mapping=MAPPING,
                              actor=TEST_ACTOR)
    lines = db.session.scalars(select(StatementLine).order_by(StatementLine.id)).all()
    return r.id, [line.public_id for line in lines]


def _counts(reservation_id):
    status = db.session.scalar(select(Reservation.status).where(Reservation.id == reservation_id))
    payments = db.session.scalar(select(func.count()).select_from(Payment).where(
        Payment.reservation_id == reservation_id, Payment.status == "completed"))
    confirmations = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.reservation_id == reservation_id, OutboxMessage.event == "payment_confirmed",
        OutboxMessage.channel == "email"))
    return status, payments, confirmations


def test_two_operators_confirming_the_same_line_at_once_pay_once(race_app):
    reservation_id, (line_id, _twin) = _setup(lambda r: "박철수")  # no code: a person confirms
    code = db.session.scalar(select(Reservation.code).where(Reservation.id == reservation_id))
    db.session.remove()

    def confirm(i):
        return services.decide(line_id, "confirm", actor=Actor("operator", None, f"op{i}@x"), code=code,
                               reason=f"operator {i}: 남편이 입금")

    results = at_once(race_app, 4, confirm)
    decided = [r for r in results if isinstance(r, services.Decision)]
    refused = [r for r in results if isinstance(r, services.AlreadyDecided)]
    assert len(decided) == 1 and len(refused) == 3, results
    assert _counts(reservation_id) == ("paid", 1, 1)


def test_the_same_deposit_seen_twice_pays_the_booking_once(race_app):
    # Two identical deposits for one booking: the first confirms it, the second finds it paid.
    reservation_id, (first, second) = _setup(lambda r: "박철수")
    code = db.session.scalar(select(Reservation.code).where(Reservation.id == reservation_id))
    db.session.remove()
    results = at_once(race_app, 2, lambda i: services.decide((first, second)[i], "confirm", actor=TEST_ACTOR,
                                                          code=code, reason="확인"))
    assert sum(isinstance(r, services.Decision) for r in results) == 1, results
    assert _counts(reservation_id) == ("paid", 1, 1)
