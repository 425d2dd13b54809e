"""A card payment completing in the same instant as the hold expires.

Two threads, each with its own database connection, released together by a
barrier and committing for real: one pays through `pay_by_card`, the other
runs the expiry. Whatever the interleaving, the booking ends paid (rooms
held, nothing refunded) or canceled (rooms freed; any money taken gets a
refund request) — never paid with its rooms freed.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from app.booking.models import Reservation
from app.booking.services import expire_due_holds
from app.booking.states import ReservationStatus
from app.catalog.models import InventoryNight
from app.core.errors import DomainError
from app.extensions import db
from app.payments.gateway import CardDetails
from app.payments.models import Payment
from app.payments.services import pay_by_card, settle_pending_card_payments
from app.payments.states import PaymentStatus
from app.refunds.models import Refund
from tests.factories import future, inventory, make_reservation, make_room_type

T0 = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)
ROUNDS = 8
#: The expiry thread waits this long after the barrier, so rounds cover every interleaving.
EXPIRY_DELAYS = (0, 0.01, 0.03, 0.06, 0.1, 0.15, 0.25, 0.5)


def _card(number="4242424242424242"):
    return CardDetails(number, 12, 2099, "123", "Minji Kim")


def _connect() -> None:
    """Open this thread's database connection, waiting while the shared server is full."""
    for attempt in range(200):
        try:
            db.session.execute(text("SELECT 1"))
            db.session.rollback()
            return
        except OperationalError as exc:
            db.session.rollback()
            if "too many clients" not in str(exc) or attempt == 199:
                raise
            time.sleep(0.05)


def _run_together(app, pay, expire) -> dict:
    barrier = threading.Barrier(2)
    results: dict = {}

    def run(name, action):
        with app.app_context():
            try:
                _connect()  # hold a pooled connection before the barrier: the race is about our logic
                barrier.wait(timeout=30)
                results[name] = action()
            except Exception as exc:  # noqa: BLE001 — inspected by the test
                results[name] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=("pay", pay)), threading.Thread(target=run, args=("expire", expire))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def _reserved(room_type_id: int, night) -> int:
    return db.session.scalar(select(InventoryNight.reserved).where(
        InventoryNight.room_type_id == room_type_id, InventoryNight.night == night))


def _outcome(reservation_id: int) -> str:
    r = db.session.execute(select(Reservation).where(Reservation.id == reservation_id)
                           .execution_options(populate_existing=True)).scalar_one()
    payments = db.session.scalars(select(Payment).where(Payment.reservation_id == r.id)).all()
    taken = sum(p.amount for p in payments if p.status == PaymentStatus.COMPLETED)
    refunds = db.session.scalars(select(Refund).where(Refund.reservation_id == r.id)).all()
    if r.status == ReservationStatus.PAID:
        assert r.inventory_held is True, "paid with its rooms freed"
        assert taken == r.total_amount and not refunds
        return "paid"
    assert r.status == ReservationStatus.CANCELED and r.inventory_held is False
    if taken:
        assert [(f.amount, f.status) for f in refunds] == [(taken, "requested")]
        return "canceled and refunded"
    assert not refunds
    return "canceled, nothing charged"


@pytest.mark.committing
def test_payment_and_expiry_in_the_same_instant_never_pay_for_freed_rooms(thread_app, clock):
    clock.freeze(T0)
    room_type = make_room_type(rooms=2)
    reservations = []
    for i in range(ROUNDS):  # one a minute, so each round has exactly one hold ending
        reservations.append(make_reservation(room_type, check_in=future(20 + 3 * i), nights=2))
        clock.advance(minutes=1)
    rounds = [(r.id, r.hold_expires_at) for r in reservations]
    room_type_id = room_type.id
    db.session.remove()
    outcomes = Counter()
    for i, (reservation_id, hold_expires_at) in enumerate(rounds):
        # The guest presses "pay" a millisecond before the hold ends (a payment asked for after it is
        # refused outright); the sweep runs at the instant it ends, while the charge is in flight.
        clock.freeze(hold_expires_at - timedelta(milliseconds=1))
        def pay(rid=reservation_id):
            r = db.session.get(Reservation, rid)
            return pay_by_card(r, amount=r.total_amount, currency=r.currency, card=_card(),
                               idempotency_key=str(uuid.uuid4())).body["status"]

        def expire(delay=EXPIRY_DELAYS[i % len(EXPIRY_DELAYS)], at=hold_expires_at):
            time.sleep(delay)
            return expire_due_holds(at)

        results = _run_together(thread_app, pay, expire)
        for name, value in results.items():
            assert not isinstance(value, Exception) or isinstance(value, DomainError), (name, value)
        outcomes[_outcome(reservation_id)] += 1
        db.session.remove()
    print("outcomes:", dict(outcomes))
    assert sum(outcomes.values()) == ROUNDS
    # Every night's count equals the rooms of the bookings that still hold it (invariant 1).
    holding = db.session.scalars(select(Reservation).where(Reservation.status == ReservationStatus.PAID)).all()
    for i in range(ROUNDS):
        for night in (future(20 + 3 * i), future(21 + 3 * i)):
            expected = sum(r.number_of_rooms for r in holding if r.check_in <= night < r.check_out)
            assert _reserved(room_type_id, night) == expected


def test_money_arriving_after_the_hold_expired_is_refunded_not_kept(clock):
    """The deterministic version of the race's middle case: the charge is in
    flight (gateway timeout) when the hold expires; it completes later."""
    clock.freeze(T0)
    room_type = make_room_type()
    r = make_reservation(room_type)
    outcome = pay_by_card(r, amount=r.total_amount, currency=r.currency, card=_card("4000000000003220"),
                          idempotency_key="late-pay-1")
    assert outcome.body["status"] == "pending"
    clock.advance(minutes=15)
    assert expire_due_holds() == 1
    clock.advance(minutes=2)
    assert settle_pending_card_payments() == 1
    assert _outcome(r.id) == "canceled and refunded"
    assert inventory(room_type, r.check_in).reserved == 0


def test_a_payment_that_wins_the_lock_keeps_the_booking(clock):
    clock.freeze(T0)
    r = make_reservation(make_room_type())
    hold_ends = r.hold_expires_at
    clock.freeze(hold_ends - timedelta(milliseconds=1))
    assert pay_by_card(r, amount=r.total_amount, currency=r.currency, card=_card(),
                       idempotency_key="win-1").body["status"] == "completed"
    assert expire_due_holds(hold_ends) == 0
    assert _outcome(r.id) == "paid"


def test_a_payment_asked_for_after_the_hold_ended_takes_no_money(clock):
    clock.freeze(T0)
    r = make_reservation(make_room_type())
    clock.freeze(r.hold_expires_at)
    with pytest.raises(DomainError):
        pay_by_card(r, amount=r.total_amount, currency=r.currency, card=_card(), idempotency_key="late-1")
    assert expire_due_holds() == 1
    assert _outcome(r.id) == "canceled, nothing charged"
