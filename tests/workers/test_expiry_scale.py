"""Hold expiry at volume: set-based batches, not one booking at a time.

The suite runs it with 3,000 expired holds; set FRONTDESK_EXPIRY_SCALE=100000
to measure the brief's 100,000 (see the report for the numbers).
"""
from __future__ import annotations

import os
import secrets
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select, text

from app.booking.models import Reservation
from app.booking.services import expire_due_holds
from app.catalog.models import InventoryNight
from app.core.audit import AuditEvent
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests.factories import future, make_room_type

N = int(os.environ.get("FRONTDESK_EXPIRY_SCALE", "3000"))
T0 = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)


def _seed(room_type_ids: list[int], hotel_id: int, n: int = N) -> dict[tuple[int, object], int]:
    """n pending card bookings whose hold ended a minute ago, written in bulk."""
    held: Counter = Counter()
    rows = []
    for i in range(n):
        rt = room_type_ids[i % len(room_type_ids)]
        check_in = future(5 + i % 300)
        nights = 1 + i % 3
        for d in range(nights):
            held[(rt, check_in + timedelta(days=d))] += 1
        rows.append(dict(public_id=f"rsv_scale{i:07d}", code=f"SC{i:07d}", hotel_id=hotel_id, room_type_id=rt,
                         check_in=check_in, check_out=check_in + timedelta(days=nights), number_of_rooms=1,
                         number_of_guests=1, guest_first_name="Minji", guest_last_name="Kim",
                         guest_email=f"scale{i}@example.com", guest_phone="+82 10-1234-5678", language="ko",
                         special_requests="", payment_method="card", status="pending", total_amount=100000,
                         currency="KRW", hold_expires_at=T0 - timedelta(minutes=1), inventory_held=True,
                         access_salt=secrets.token_hex(8), channel="api", created_at=T0 - timedelta(minutes=16),
                         updated_at=T0 - timedelta(minutes=16)))
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Reservation), rows[start:start + 5000])
    db.session.execute(text("UPDATE inventory_nights SET reserved = :n WHERE room_type_id = :rt AND night = :night"),
                       [{"n": n, "rt": rt, "night": night} for (rt, night), n in held.items()])
    db.session.commit()
    return dict(held)


@pytest.mark.committing
@pytest.mark.slow
def test_thousands_of_expired_holds_are_canceled_in_batches_quickly(clock):
    clock.freeze(T0)
    room_types = [make_room_type(rooms=20) for _ in range(4)]
    ids, hotel_id = [rt.id for rt in room_types], room_types[0].hotel_id
    held = _seed(ids, hotel_id)
    db.session.remove()

    started = time.perf_counter()
    assert expire_due_holds() == N
    elapsed = time.perf_counter() - started
    print(f"\n{N} expired holds canceled in {elapsed:.1f} s ({N / elapsed:.0f}/s) on {db.engine.dialect.name}")

    assert db.session.scalar(select(func.count()).select_from(Reservation).where(
        Reservation.status == "canceled", Reservation.inventory_held.is_(False))) == N
    assert db.session.scalar(select(func.coalesce(func.sum(InventoryNight.reserved), 0)).where(
        InventoryNight.room_type_id.in_(ids))) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "reservation.status", AuditEvent.reason == "Hold expired")) == N
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.event == "hold_expired")) == 2 * N
    assert sum(held.values()) > N
    assert expire_due_holds() == 0


def _counts(ids: list[int]) -> tuple[int, int, int, int]:
    """(canceled with rooms given back, rooms still held, hold-expiry audit events, hold_expired messages)."""
    return (db.session.scalar(select(func.count()).select_from(Reservation).where(
                Reservation.status == "canceled", Reservation.inventory_held.is_(False))),
            db.session.scalar(select(func.coalesce(func.sum(InventoryNight.reserved), 0)).where(
                InventoryNight.room_type_id.in_(ids))),
            db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "reservation.status", AuditEvent.reason == "Hold expired")),
            db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.event == "hold_expired")))


@pytest.mark.committing
def test_a_backlog_brings_in_a_helper_job_that_takes_batches_alongside(clock, run_worker, monkeypatch):
    """The periodic job finds more than one batch due: it enqueues the helper job once, on its
    own queue; a real RQ worker runs both, and every hold is canceled exactly once."""
    from rq.job import Job

    from app.booking import services
    from app.extensions import get_queue, redis_connection
    from workers.jobs.booking import HELPER_JOB_ID

    monkeypatch.setattr(services, "EXPIRY_BATCH", 100)
    clock.freeze(T0)
    room_types = [make_room_type(rooms=20) for _ in range(3)]
    ids = [rt.id for rt in room_types]
    _seed(ids, room_types[0].hotel_id, 450)
    db.session.remove()
    get_queue("high").enqueue("workers.jobs.booking.expire_holds", job_id="test-expire-main")
    run_worker(["high"])
    main, helper = (Job.fetch(i, connection=redis_connection()) for i in ("test-expire-main", HELPER_JOB_ID))
    assert main.get_status() == "finished" and helper.get_status() == "finished"
    assert helper.origin == "high"
    assert main.return_value() + helper.return_value() == 450
    assert _counts(ids) == (450, 0, 450, 900)


@pytest.mark.committing
def test_two_expiries_at_once_split_the_holds_and_cancel_each_once(app, clock):
    """The periodic job and its helper in two threads, each with its own connection: PostgreSQL's
    SKIP LOCKED gives each batch different bookings (SQLite runs one writer at a time)."""
    import threading

    clock.freeze(T0)
    room_types = [make_room_type(rooms=20) for _ in range(6)]
    ids = [rt.id for rt in room_types]
    _seed(ids, room_types[0].hotel_id, 2000)
    db.session.remove()
    results: list[int] = []
    errors: list[BaseException] = []
    helper_started = threading.Event()

    def helper() -> None:
        try:
            with app.app_context():
                helper_started.set()
                results.append(expire_due_holds(batch_size=150))
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads: list[threading.Thread] = []

    def call_a_helper() -> None:
        thread = threading.Thread(target=helper)
        threads.append(thread)
        thread.start()
        helper_started.wait(10)

    results.append(expire_due_holds(batch_size=150, on_backlog=call_a_helper))
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(threads) == 1 and len(results) == 2
    assert sum(results) == 2000
    if db.engine.dialect.name == "postgresql":
        assert min(results) > 0  # both took batches
    assert _counts(ids) == (2000, 0, 2000, 4000)
