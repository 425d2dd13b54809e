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


def _seed(room_type_ids: list[int], hotel_id: int) -> dict[tuple[int, object], int]:
    """N pending card bookings whose hold ended a minute ago, written in bulk."""
    held: Counter = Counter()
    rows = []
    for i in range(N):
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
