"""Routine room assignment needs no reason; moving a guest off a room they already have does
(app.adjust.policies.assignment_needs_reason). A room under maintenance, a room another booking
has and a room of another type are refused with or without a reason. The note is internal:
it never reaches the guest's "room assigned" message."""
from __future__ import annotations

import pytest

from app.adjust import services
from app.adjust.policies import assignment_needs_reason
from app.core.errors import ValidationFailed
from app.extensions import db
from tests.adjust.conftest import ACTOR, fresh, live_assignments, messages, rooms_of
from tests.factories import make_room_type

NOTE = "VIP 고객 요청으로 전망 좋은 방으로 이동 — 내부용"


def url(r):
    return f"/ops/reservations/{r.public_id}/rooms"


def test_the_rule_as_a_table():
    assert not assignment_needs_reason([], [1])            # first assignment: routine
    assert not assignment_needs_reason([1, 2], [2, 1])     # the same rooms again
    assert assignment_needs_reason([1], [2])               # a move
    assert assignment_needs_reason([1, 2], [1, 3])         # one of two rooms moves


def test_a_first_assignment_needs_no_reason_a_move_does(paid):
    room_type = make_room_type(rooms=2)
    first, second = rooms_of(room_type)
    r = paid(room_type)
    services.assign_rooms(r.id, [first.id], actor=ACTOR)                       # no reason: fine
    assert fresh(r).room_id == first.id
    with pytest.raises(ValidationFailed) as refused:
        services.assign_rooms(r.id, [second.id], actor=ACTOR, reason="  ")
    assert "reason" in refused.value.fields
    assert [a.room_id for a in live_assignments(r)] == [first.id]              # nothing changed
    services.assign_rooms(r.id, [second.id], actor=ACTOR, reason=NOTE)
    assert fresh(r).room_id == second.id


def test_overrides_that_are_not_allowed_stay_refused_even_with_a_reason(paid):
    room_type = make_room_type(rooms=3)
    rooms = rooms_of(room_type)
    rooms[0].status = "maintenance"
    db.session.flush()
    r, other = paid(room_type), paid(room_type)
    services.assign_rooms(other.id, [rooms[1].id], actor=ACTOR)
    with pytest.raises(ValidationFailed):
        services.assign_rooms(r.id, [rooms[0].id], actor=ACTOR, reason=NOTE)   # under maintenance
    with pytest.raises(services.RoomTaken):
        services.assign_rooms(r.id, [rooms[1].id], actor=ACTOR, reason=NOTE)   # another booking's room
    downgrade = rooms_of(make_room_type(room_type.hotel, rooms=1))[0]
    with pytest.raises(ValidationFailed):
        services.assign_rooms(r.id, [downgrade.id], actor=ACTOR, reason=NOTE)  # another room type
    assert live_assignments(r) == []


def test_the_pages_ask_for_a_reason_only_for_a_move(client, login_as, paid, run_worker):
    room_type = make_room_type(rooms=2)
    first, second = rooms_of(room_type)
    r = paid(room_type)
    login_as("staff")
    form = client.get(url(r)).get_data(as_text=True)
    assert "내부 메모" in form and "고객에게 보내지 않습니다" in form
    confirm = client.post(url(r), data={"rooms": str(first.id), "reason": ""})
    assert confirm.status_code == 200 and "사유:" not in confirm.get_data(as_text=True)
    assert client.post(url(r), data={"rooms": str(first.id), "reason": "", "confirmed": "yes"}).status_code == 302
    assert fresh(r).room_id == first.id
    move = client.post(url(r), data={"rooms": str(second.id), "reason": "", "confirmed": "yes"})   # crafted
    assert move.status_code == 422 and "사유를 적어 주세요" in move.get_data(as_text=True)
    assert fresh(r).room_id == first.id
    done = client.post(url(r), data={"rooms": str(second.id), "reason": NOTE, "confirmed": "yes"})
    assert done.status_code == 302 and fresh(r).room_id == second.id
    ids = [m.id for m in messages(r, "room_assigned")]
    run_worker(["default"])
    from app.notifications.models import OutboxMessage

    for i in ids:
        m = db.session.get(OutboxMessage, i, populate_existing=True)
        assert NOTE not in (m.body or "") and NOTE not in str(m.context)
