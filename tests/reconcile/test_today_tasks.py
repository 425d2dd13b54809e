"""Today counts tasks, not rows: one booking with several urgent differences is one task."""
from __future__ import annotations

from datetime import timedelta

from app.core import clock as app_clock
from app.extensions import db
from app.reconcile.models import ReconciliationItem, ReconciliationRun
from app.reconcile.queries import URGENT_TYPES, urgent_items
from tests.factories import make_paid_reservation, make_room_type


def _item(run, n: int, reservation_id: int | None) -> ReconciliationItem:
    now = app_clock.now()
    return ReconciliationItem(public_id=f"rci_task{n}", natural_key=f"task-{n}", source="gateway",
                              business_date=run.business_date, run_id=run.id, type=URGENT_TYPES[0],
                              reservation_id=reservation_id, due_at=now - timedelta(hours=1))


def test_one_booking_with_three_differences_is_one_task(app):
    r = make_paid_reservation(make_room_type())
    other = make_paid_reservation(make_room_type())
    run = ReconciliationRun(business_date=app_clock.now().date(), source="gateway", status="completed",
                            started_at=app_clock.now())
    db.session.add(run)
    db.session.flush()
    db.session.add_all([_item(run, 1, r.id), _item(run, 2, r.id), _item(run, 3, r.id),   # one booking
                        _item(run, 4, other.id),                                         # another booking
                        _item(run, 5, None), _item(run, 6, None)])                       # no booking: each
    db.session.commit()
    assert urgent_items().count == 4
