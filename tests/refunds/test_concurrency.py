"""Two operators at once, for real: threads with their own database connections,
released together, committing (on PostgreSQL the reservation row lock decides; on
SQLite BEGIN IMMEDIATE). One refund, never more than was paid."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.core.actor import Actor
from app.core.errors import DomainError
from app.extensions import db
from app.payments.gateway import get_gateway
from app.refunds import decisions
from app.refunds.models import Refund
from app.refunds.services import request_refund
from app.refunds.states import COMMITTED, RefundStatus
from tests.concurrency import at_once, second_app
from tests.factories import make_operator
from tests.refunds.conftest import cancelled_request, paid_booking

pytestmark = pytest.mark.committing


@pytest.fixture(scope="module")
def race_app(app):
    with second_app(app, pool_size=4, max_overflow=0, pool_timeout=60) as other:
        yield other


def race(race_app, *actions) -> list:
    """Each action in its own thread, released at once; results or exceptions."""
    return at_once(race_app, len(actions), lambda i: actions[i]())


def operators(role: str = "staff", n: int = 2) -> list[Actor]:
    made = [Actor.operator(make_operator(role)) for _ in range(n)]
    db.session.commit()
    return made


def committed_total(reservation_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.reservation_id == reservation_id, Refund.status.in_([s.value for s in COMMITTED]))) or 0


def test_two_operators_approving_the_same_refund_refund_once(race_app, run_worker):
    refund = cancelled_request(days=10)
    refund_id, reservation_id = refund.id, refund.reservation_id
    a, b = operators()
    results = race(race_app, *(lambda actor=actor: decisions.approve_refund(refund_id, actor=actor,
                                                                            may_override=False) for actor in (a, b)))
    assert sum(isinstance(r, Refund) for r in results) == 1
    assert sum(isinstance(r, decisions.AlreadyDecided) for r in results) == 1
    run_worker(queues=("high",))
    refund = db.session.get(Refund, refund_id)
    assert refund.status == RefundStatus.COMPLETED
    assert get_gateway().refunded_total(refund.payment.gateway_charge_id) == refund.amount
    assert committed_total(reservation_id) == refund.payment.amount


def test_two_operators_opening_and_approving_a_refund_of_one_booking_refund_once(race_app, run_worker):
    reservation = paid_booking(days=10)
    reservation_id, paid = reservation.id, reservation.total_amount
    a, b = operators("manager")          # choosing "our fault" is a manager's decision (app.approvals)

    def open_and_approve(actor):
        refund = decisions.open_refund(reservation_id, our_fault="overbooking", note="overbooked", actor=actor)
        return decisions.approve_refund(refund.id, actor=actor, may_override=False)

    results = race(race_app, lambda: open_and_approve(a), lambda: open_and_approve(b))
    assert sum(isinstance(r, Refund) for r in results) == 1, results
    assert all(isinstance(r, (Refund, DomainError)) for r in results), results
    run_worker(queues=("high",))
    refunds = list(db.session.scalars(select(Refund).where(Refund.reservation_id == reservation_id)))
    assert len(refunds) == 1 and refunds[0].status == RefundStatus.COMPLETED
    assert get_gateway().refunded_total(refunds[0].payment.gateway_charge_id) == paid


def test_two_managers_approving_two_requests_never_refund_more_than_was_paid(race_app):
    first = cancelled_request(days=10)
    reservation = first.reservation
    second = request_refund(reservation, source="operator", requested_reason="asked twice",
                            actor=Actor.system("test"))
    db.session.commit()
    ids, reservation_id, paid = (first.id, second.id), reservation.id, reservation.total_amount
    a, b = operators("manager")
    results = race(race_app, *(lambda rid=rid, actor=actor: decisions.approve_refund(
        rid, actor=actor, may_override=True, amount=paid - 1000, reason="agreed") for rid, actor in zip(ids, (a, b))))
    assert sum(isinstance(r, Refund) for r in results) == 1, results
    assert committed_total(reservation_id) <= paid
