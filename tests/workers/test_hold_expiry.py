"""Hold expiry: unpaid holds end, their rooms come back exactly once, the guest is told."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.booking.models import Reservation
from app.booking.services import (EXPIRY_BATCH, HOLD_EXPIRED_REASON, NO_DEPOSIT_REASON, cancel_unpaid_bank_transfers,
                                  expire_due_holds, mark_paid)
from app.booking.states import ReservationStatus
from app.core.audit import AuditEvent
from app.extensions import db, get_queue
from app.notifications.models import OutboxMessage
from app.payments.models import Payment
from app.payments.services import start_bank_transfer
from app.payments.states import PaymentStatus
from tests.factories import future, inventory, make_paid_reservation, make_reservation, make_room_type

T0 = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)


def _fresh(reservation) -> Reservation:
    """The reservation re-read (a job's session cleanup may have detached the test's copy)."""
    reservation_id = reservation if isinstance(reservation, int) else db.inspect(reservation).identity[0]
    return db.session.execute(select(Reservation).where(Reservation.id == reservation_id)
                              .execution_options(populate_existing=True)).scalar_one()


def _reserved(room_type, reservation) -> list[int]:
    r = _fresh(reservation)
    return [inventory(r.room_type, r.check_in + timedelta(days=i)).reserved for i in range(r.nights)]


def _status_events(reservation) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.reservation_id == reservation.id, AuditEvent.action == "reservation.status")))


def test_hold_expiry_frees_inventory_once_when_the_job_runs_twice(clock, run_worker):
    clock.freeze(T0)
    room_type = make_room_type(rooms=3)
    reservation = make_reservation(room_type, rooms=2, nights=2)
    assert _reserved(room_type, reservation) == [2, 2]
    clock.advance(minutes=15)
    jobs = [get_queue("high").enqueue("workers.jobs.booking.expire_holds", job_id=f"booking-expire-test-{i}")
            for i in (1, 2)]
    run_worker(["high"])
    assert [job.latest_result().return_value for job in jobs] == [1, 0]
    r = _fresh(reservation)
    assert r.status == ReservationStatus.CANCELED and r.cancel_reason == HOLD_EXPIRED_REASON
    assert r.inventory_held is False
    assert _reserved(room_type, reservation) == [0, 0]
    [event] = _status_events(r)
    assert (event.from_state, event.to_state, event.reason, event.actor_name) == (
        "pending", "canceled", HOLD_EXPIRED_REASON, "hold-expiry")
    events = db.session.execute(select(OutboxMessage.event, OutboxMessage.channel).where(
        OutboxMessage.reservation_id == r.id, OutboxMessage.event == "hold_expired")).all()
    assert sorted(events) == [("hold_expired", "email"), ("hold_expired", "sms")]
    assert expire_due_holds() == 0  # a third run changes nothing either
    assert _reserved(room_type, reservation) == [0, 0]


def test_a_hold_ends_at_its_expiry_time_not_before(clock):
    clock.freeze(T0)
    room_type = make_room_type()
    reservation = make_reservation(room_type)
    clock.advance(minutes=14, seconds=59)
    assert expire_due_holds() == 0
    assert _fresh(reservation).status == ReservationStatus.PENDING
    clock.advance(seconds=1)
    assert expire_due_holds() == 1
    assert _fresh(reservation).status == ReservationStatus.CANCELED


def test_a_paid_booking_is_never_expired(clock):
    clock.freeze(T0)
    room_type = make_room_type()
    reservation = make_paid_reservation(room_type)
    clock.advance(hours=2)
    assert expire_due_holds() == 0 and cancel_unpaid_bank_transfers() == 0
    r = _fresh(reservation)
    assert r.status == ReservationStatus.PAID and _reserved(room_type, r) == [1, 1]


def test_bank_transfers_are_canceled_only_after_their_24_hour_hold(clock):
    clock.freeze(T0)
    room_type = make_room_type()
    card = make_reservation(room_type)
    transfer = make_reservation(room_type, method="bank_transfer")
    start_bank_transfer(transfer, amount=transfer.total_amount, currency=transfer.currency,
                        idempotency_key="bt-order-1")
    clock.advance(minutes=20)
    assert expire_due_holds() == 1  # the card hold only
    assert _fresh(card).status == ReservationStatus.CANCELED
    assert _fresh(transfer).status == ReservationStatus.PENDING
    clock.advance(hours=23, minutes=39, seconds=59)
    assert cancel_unpaid_bank_transfers() == 0
    clock.advance(seconds=1)
    assert cancel_unpaid_bank_transfers() == 1
    r = _fresh(transfer)
    assert r.status == ReservationStatus.CANCELED and r.cancel_reason.startswith("No deposit within 24 hours")
    assert r.cancel_reason == NO_DEPOSIT_REASON
    assert _reserved(room_type, r) == [0, 0]
    order = db.session.scalar(select(Payment).where(Payment.reservation_id == r.id))
    db.session.refresh(order)
    assert order.status == PaymentStatus.CANCELED
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.reservation_id == r.id)).all()
    assert "payment.canceled" in actions
    assert cancel_unpaid_bank_transfers() == 0


def test_many_expired_holds_are_canceled_in_batches_with_exact_inventory(clock):
    clock.freeze(T0)
    room_types = [make_room_type(rooms=8), make_room_type(rooms=8)]
    reservations = [make_reservation(room_types[i % 2], rooms=1 + i % 2, nights=1 + i % 3, check_in=future(10 + i))
                    for i in range(7)]
    keep = make_reservation(room_types[0], rooms=1, nights=3, check_in=future(11))
    clock.advance(minutes=10)
    late = make_reservation(room_types[1], rooms=1, nights=2, check_in=future(12))  # its hold ends later
    clock.advance(minutes=5)
    mark_paid(keep.id)  # paid just in time
    db.session.commit()
    assert expire_due_holds(batch_size=3) == 7
    for r in reservations:
        assert _fresh(r).status == ReservationStatus.CANCELED
    assert _fresh(late).status == ReservationStatus.PENDING
    # every night's `reserved` equals the rooms of the bookings still holding it (invariant 1)
    for rt in room_types:
        holding = db.session.scalars(select(Reservation).where(
            Reservation.room_type_id == rt.id, Reservation.status.in_(["pending", "paid"]))).all()
        for day in range(8, 20):
            night = future(day)
            expected = sum(r.number_of_rooms for r in holding if r.check_in <= night < r.check_out)
            assert inventory(rt, night).reserved == expected
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.event == "hold_expired")) == 14  # email + SMS each


def test_expiry_rejects_a_nonsense_batch_size():
    with pytest.raises(ValueError):
        expire_due_holds(batch_size=0)
    assert EXPIRY_BATCH >= 100
