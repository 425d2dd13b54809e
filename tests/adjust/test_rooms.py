"""Room assignment: suggestions, one booking per room per night, the exclusion
constraint, multi-room bookings, stale assignments, tomorrow's arrivals."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.adjust import services
from app.booking.services import cancel_reservation
from app.core.db import is_postgres
from app.core.errors import IllegalTransition, ValidationFailed
from app.extensions import db
from tests.adjust.conftest import ACTOR, add_feature, fresh, live_assignments, messages, rooms_of
from tests.factories import future, make_reservation, make_room_type


def test_suggestions_skip_maintenance_and_occupied_rooms_and_honour_high_floor(paid):
    room_type = make_room_type(rooms=8)                      # floors 2,2,2,2,3,3,3,3
    rooms = rooms_of(room_type)
    rooms[7].status = "maintenance"                          # the last top-floor room
    db.session.flush()
    other = paid(room_type, check_in=future(9), nights=3)    # overlaps one night
    services.assign_rooms(other.id, [rooms[6].id], actor=ACTOR, reason="Ready")
    r = paid(room_type, check_in=future(11), nights=2, special_requests="High floor please")
    suggested = services.free_rooms(r)
    numbers = [s.room.room_number for s in suggested]
    assert rooms[7].room_number not in numbers and rooms[6].room_number not in numbers
    assert [s.room.floor for s in suggested[:2]] == [3, 3]
    assert suggested[0].meets == ["high_floor"]
    assert len(suggested) == 6


def test_a_quiet_request_puts_quiet_rooms_first(paid):
    room_type = make_room_type(rooms=4)
    rooms = rooms_of(room_type)
    add_feature(rooms[2], "quiet")
    r = paid(room_type, special_requests="조용한 방 부탁드려요")
    first = services.free_rooms(r)[0]
    assert first.room.id == rooms[2].id and first.meets == ["quiet"]


def test_assigning_gives_the_rooms_queues_the_message_and_sets_the_first_room(paid):
    room_type = make_room_type(rooms=4)
    rooms = rooms_of(room_type)
    r = paid(room_type, rooms=2, guests=2)
    services.assign_rooms(r.id, [rooms[1].id, rooms[0].id], actor=ACTOR, reason="Family wants adjoining rooms")
    assert sorted(a.room_id for a in live_assignments(r)) == [rooms[0].id, rooms[1].id]
    assert fresh(r).room_id == rooms[0].id
    [message] = messages(r, "room_assigned")
    assert message.context["room_number"] == f"{rooms[0].room_number}, {rooms[1].room_number}"  # every room, in the message
    assert message.context["room_numbers"] == [rooms[0].room_number, rooms[1].room_number]


def test_one_booking_per_room_per_night(paid):
    room_type = make_room_type(rooms=3)
    room = rooms_of(room_type)[0]
    a = paid(room_type, check_in=future(10), nights=3)
    b = paid(room_type, check_in=future(12), nights=2)       # overlaps night 12
    c = paid(room_type, check_in=future(13), nights=2)       # starts the day a leaves
    services.assign_rooms(a.id, [room.id], actor=ACTOR, reason="Ready")
    with pytest.raises(services.RoomTaken):
        services.assign_rooms(b.id, [room.id], actor=ACTOR, reason="Ready")
    assert live_assignments(b) == [] and fresh(b).room_id is None
    services.assign_rooms(c.id, [room.id], actor=ACTOR, reason="Ready")     # back to back is fine
    assert fresh(c).room_id == room.id


def test_the_wrong_number_of_rooms_or_a_room_under_maintenance_is_refused(paid):
    room_type = make_room_type(rooms=3)
    rooms = rooms_of(room_type)
    r = paid(room_type, rooms=2, guests=2)
    with pytest.raises(ValidationFailed):
        services.assign_rooms(r.id, [rooms[0].id], actor=ACTOR, reason="x")
    rooms[1].status = "maintenance"
    db.session.flush()
    with pytest.raises(ValidationFailed):
        services.assign_rooms(r.id, [rooms[0].id, rooms[1].id], actor=ACTOR, reason="x")
    other_type_room = rooms_of(make_room_type(room_type.hotel))[0]
    with pytest.raises(ValidationFailed):
        services.assign_rooms(r.id, [rooms[0].id, other_type_room.id], actor=ACTOR, reason="x")
    pending = make_reservation(room_type)
    with pytest.raises(IllegalTransition):
        services.assign_rooms(pending.id, [rooms[2].id], actor=ACTOR, reason="x")
    assert live_assignments(r) == []


def test_a_canceled_booking_s_room_can_be_given_again(paid):
    room_type = make_room_type(rooms=2)
    room = rooms_of(room_type)[0]
    a = paid(room_type, check_in=future(10))
    services.assign_rooms(a.id, [room.id], actor=ACTOR, reason="Ready")
    cancel_reservation(a.id, actor=ACTOR, reason="Plans changed")            # through the API path: row left
    b = paid(room_type, check_in=future(10))
    assert room.id in [s.room.id for s in services.free_rooms(b)]
    services.assign_rooms(b.id, [room.id], actor=ACTOR, reason="Ready")
    assert live_assignments(a) == [] and [x.room_id for x in live_assignments(b)] == [room.id]


def test_reassigning_releases_the_previous_room(paid):
    room_type = make_room_type(rooms=2)
    first, second = rooms_of(room_type)
    r = paid(room_type)
    services.assign_rooms(r.id, [first.id], actor=ACTOR, reason="Ready")
    services.assign_rooms(r.id, [second.id], actor=ACTOR, reason="Guest asked for another view")
    assert [x.room_id for x in live_assignments(r)] == [second.id] and fresh(r).room_id == second.id
    assert len(messages(r, "room_assigned")) == 2


def test_an_overlapping_assignment_is_refused_by_the_database_itself(paid):
    """PostgreSQL: the exclusion constraint refuses a raw INSERT that skips the
    service. SQLite has no such constraint: the service's locked check refuses it."""
    room_type = make_room_type(rooms=2)
    room = rooms_of(room_type)[0]
    a = paid(room_type, check_in=future(10), nights=3)
    b = paid(room_type, check_in=future(11), nights=3)
    services.assign_rooms(a.id, [room.id], actor=ACTOR, reason="Ready")
    if is_postgres():
        with pytest.raises(IntegrityError) as exc:
            with db.session.begin_nested():
                db.session.execute(text(
                    "INSERT INTO room_assignments (reservation_id, room_id, check_in, check_out, assigned_at, "
                    "assigned_by) VALUES (:r, :room, :a, :b, now(), 'raw')"),
                    {"r": b.id, "room": room.id, "a": future(11), "b": future(14)})
        assert "ex_room_assignments_room_night" in str(exc.value)
        # a released row does not count; back-to-back stays do not overlap
        with db.session.begin_nested():
            db.session.execute(text(
                "INSERT INTO room_assignments (reservation_id, room_id, check_in, check_out, assigned_at, assigned_by,"
                " released_at) VALUES (:r, :room, :a, :b, now(), 'raw', now())"),
                {"r": b.id, "room": room.id, "a": future(11), "b": future(14)})
            db.session.execute(text(
                "INSERT INTO room_assignments (reservation_id, room_id, check_in, check_out, assigned_at, "
                "assigned_by) VALUES (:r, :room, :a, :b, now(), 'raw')"),
                {"r": b.id, "room": room.id, "a": future(13), "b": future(14)})
    else:
        with pytest.raises(services.RoomTaken):
            services.assign_rooms(b.id, [room.id], actor=ACTOR, reason="Ready")
    assert [x.room_id for x in live_assignments(a)] == [room.id]


def test_tomorrow_s_arrivals_get_rooms_by_plan(paid, clock):
    room_type = make_room_type(rooms=3)
    rooms = rooms_of(room_type)                               # floors 2, 2, 2
    rooms[2].floor = 9
    db.session.flush()
    tomorrow = future(1)
    high = paid(room_type, check_in=tomorrow, special_requests="high floor")
    plain = paid(room_type, check_in=tomorrow, rooms=2, guests=2)
    later = paid(room_type, check_in=future(5))               # not tomorrow: not in the plan
    plan = services.plan_tomorrow()
    by_booking = {line.reservation.id: line for line in plan}
    assert set(by_booking) == {high.id, plain.id}
    assert [x.id for x in by_booking[high.id].rooms] == [rooms[2].id]
    assert sorted(x.id for x in by_booking[plain.id].rooms) == [rooms[0].id, rooms[1].id]
    result = services.assign_plan([(line.reservation.public_id, [x.id for x in line.rooms]) for line in plan],
                                  actor=ACTOR, reason="Morning check")
    assert len(result.assigned) == 2 and result.failed == []
    assert fresh(high).room_id == rooms[2].id and len(live_assignments(plain)) == 2
    assert fresh(later).room_id is None
    assert services.plan_tomorrow() == []


def test_a_plan_line_whose_room_was_taken_meanwhile_is_reported_and_the_rest_assigned(paid):
    room_type = make_room_type(rooms=3)
    first, second, _third = rooms_of(room_type)
    a = paid(room_type, check_in=future(1))
    b = paid(room_type, check_in=future(1))
    plan = services.plan_tomorrow()
    lines = [(line.reservation.public_id, [x.id for x in line.rooms]) for line in plan]
    assert lines == [(a.public_id, [first.id]), (b.public_id, [second.id])]
    meanwhile = paid(room_type, check_in=future(1))
    services.assign_rooms(meanwhile.id, [second.id], actor=ACTOR, reason="By hand, at the desk")
    result = services.assign_plan(lines, actor=ACTOR, reason="Morning check")
    assert result.assigned == [a.code]
    assert [code for code, _why in result.failed] == [b.code]
    assert fresh(a).room_id == first.id and fresh(b).room_id is None
    assert [x.room_id for x in live_assignments(meanwhile)] == [second.id]


def test_suggestions_do_not_offer_a_room_planned_for_an_overlapping_stay(paid):
    room_type = make_room_type(rooms=1)
    a = paid(room_type, check_in=future(1))
    plan = services.plan_tomorrow()
    assert len(plan) == 1 and len(plan[0].rooms) == 1
    room = plan[0].rooms[0]
    assert services.free_rooms(a, spans={room.id: [(future(1), future(2))]}) == []
    assert [s.room.id for s in services.free_rooms(a, spans={room.id: [(future(3), future(4))]})] == [room.id]


def test_the_room_assigned_message_names_the_room_and_the_booking_page_shows_it(paid, client, login_as):
    from app.notifications.rendering import message_context, render

    room_type = make_room_type(rooms=2)
    room = rooms_of(room_type)[1]
    r = paid(room_type)
    services.assign_rooms(r.id, [room.id], actor=ACTOR, reason="Ready")
    [message] = messages(r, "room_assigned")
    rendered = render(message.event, "ko", message.channel, message_context(message))
    assert f"{room.room_number}호" in rendered.body
    login_as("staff")
    page = client.get(f"/ops/reservations/{r.public_id}").get_data(as_text=True)
    facts = page[page.index('id="facts"'):page.index('id="actions"')]
    assert f"{room.room_number}호" in facts                  # Reservation.room_id is the first room
