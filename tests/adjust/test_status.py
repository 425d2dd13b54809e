"""Status moves from the back office: along the one transition table, with a
reason, manager-only where it matters."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from app.adjust import policies, services
from app.booking.states import TRANSITIONS
from app.core.audit import AuditEvent
from app.core.errors import Forbidden, IllegalTransition, SoldOut, ValidationFailed
from app.extensions import db
from app.refunds.models import Refund
from tests.adjust.conftest import ACTOR, fresh, live_assignments, messages, rooms_of
from tests.factories import future, inventory, make_reservation, make_room_type


def _on_day(clock, day, hour=16):
    """Freeze the clock at `hour` (Seoul) on `day`."""
    clock.freeze(datetime.combine(day, time(hour)).replace(tzinfo=timezone(timedelta(hours=9))).astimezone(
        timezone.utc))


def test_every_offered_move_is_in_the_transition_table():
    for move in policies.STATUS_MOVES:
        assert move.target in TRANSITIONS[move.source]
    assert {m.key for m in policies.moves_from("checked_out")} == set()
    assert {m.key for m in policies.moves_from("refunded")} == set()


def test_check_in_then_check_out_frees_the_room(paid, clock):
    room_type = make_room_type(rooms=2)
    r = paid(room_type, check_in=future(1), nights=2)
    room = rooms_of(room_type)[0]
    services.assign_rooms(r.id, [room.id], actor=ACTOR, reason="Ready")
    with pytest.raises(ValidationFailed):                  # arrives tomorrow: not yet
        services.change_status(r.id, "check_in", actor=ACTOR, operator_role="staff", reason="At the desk")
    _on_day(clock, future(1))
    services.change_status(r.id, "check_in", actor=ACTOR, operator_role="staff", reason="At the desk")
    assert fresh(r).status == "checked_in"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.reservation_id == r.id,
                                                        AuditEvent.to_state == "checked_in")).one()
    assert event.reason == "At the desk"
    services.change_status(r.id, "check_out", actor=ACTOR, operator_role="staff", reason="Left early")
    assert fresh(r).status == "checked_out" and live_assignments(r) == []


def test_an_illegal_move_is_refused_and_changes_nothing(paid):
    r = paid()
    with pytest.raises(IllegalTransition):
        services.change_status(r.id, "check_out", actor=ACTOR, operator_role="admin", reason="Try")
    with pytest.raises(IllegalTransition):
        services.change_status(r.id, "cancel_unpaid", actor=ACTOR, operator_role="admin", reason="Try")
    assert fresh(r).status == "paid"


def test_a_no_show_frees_the_nights_and_opens_a_refund_request(paid, clock):
    room_type = make_room_type()
    r = paid(room_type, check_in=future(3))
    with pytest.raises(ValidationFailed):                  # not a no-show before the arrival day
        services.change_status(r.id, "no_show", actor=ACTOR, operator_role="staff", reason="Did not come")
    assert fresh(r).status == "paid"
    _on_day(clock, future(3), hour=23)
    services.change_status(r.id, "no_show", actor=ACTOR, operator_role="staff", reason="Did not come")
    after = fresh(r)
    assert after.status == "canceled" and after.cancel_reason == "Did not come"
    assert inventory(room_type, future(3)).reserved == 0
    assert db.session.scalars(select(Refund).where(Refund.reservation_id == r.id)).one().source == "operator"
    assert len(messages(r, "booking_canceled")) == 1


def test_reopening_is_for_managers_and_only_when_we_hold_the_money(paid):
    room_type = make_room_type(rooms=1, percent=100)
    unpaid = make_reservation(room_type, check_in=future(20))
    services.change_status(unpaid.id, "cancel_unpaid", actor=ACTOR, operator_role="staff", reason="Asked to cancel")
    with pytest.raises(Forbidden):
        services.change_status(unpaid.id, "reopen", actor=ACTOR, operator_role="staff", reason="Oops")
    with pytest.raises(ValidationFailed):                  # nothing was paid
        services.change_status(unpaid.id, "reopen", actor=ACTOR, operator_role="manager", reason="Oops")
    assert fresh(unpaid).status == "canceled"

    r = paid(room_type, check_in=future(10))
    from app.booking.services import change_status as raw_change_status

    raw_change_status(r.id, "canceled", actor=ACTOR, reason="Canceled by mistake")   # no refund requested
    assert services.reopen_blocker(fresh(r)) is None
    assert "reopen" not in [m.key for m in services.offered_moves(fresh(r), "staff")]
    assert "reopen" in [m.key for m in services.offered_moves(fresh(r), "manager")]
    other = paid(room_type, check_in=future(10))           # took the only room meanwhile
    with pytest.raises(SoldOut):
        services.change_status(r.id, "reopen", actor=ACTOR, operator_role="manager", reason="Mistake")
    assert fresh(r).status == "canceled" and inventory(room_type, future(10)).reserved == 1
    services.change_status(other.id, "cancel_paid", actor=ACTOR, operator_role="staff", reason="Gone")
    services.change_status(r.id, "reopen", actor=ACTOR, operator_role="manager", reason="Canceled by mistake")
    assert fresh(r).status == "paid" and inventory(room_type, future(10)).reserved == 1


def test_a_canceled_booking_with_a_refund_request_cannot_be_reopened(paid):
    r = paid()
    services.change_status(r.id, "cancel_paid", actor=ACTOR, operator_role="staff", reason="Plans changed")
    assert db.session.scalars(select(Refund).where(Refund.reservation_id == r.id)).one().source == "customer"
    assert services.reopen_blocker(fresh(r)) is not None
    with pytest.raises(ValidationFailed):
        services.change_status(r.id, "reopen", actor=ACTOR, operator_role="admin", reason="Came after all")


def test_a_reason_is_required(paid):
    r = paid()
    with pytest.raises(ValidationFailed):
        services.change_status(r.id, "cancel_paid", actor=ACTOR, operator_role="staff", reason="  ")
    assert fresh(r).status == "paid"


def test_giving_the_same_rooms_twice_does_it_once(paid):
    from app.core.audit import AuditEvent as Event

    room_type = make_room_type(rooms=2)
    room = rooms_of(room_type)[0]
    r = paid(room_type)
    services.assign_rooms(r.id, [room.id], actor=ACTOR, reason="Ready")
    services.assign_rooms(r.id, [room.id], actor=ACTOR, reason="Ready")
    assert len(live_assignments(r)) == 1 and len(messages(r, "room_assigned")) == 1
    assert len(db.session.scalars(select(Event).where(Event.reservation_id == r.id,
                                                      Event.action == "reservation.room_assigned")).all()) == 1
