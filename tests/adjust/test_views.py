"""The adjustment pages: every route by role, the confirm step, crafted posts."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.adjust.models import ReservationNote
from app.booking.services import change_status as raw_change_status
from app.extensions import db
from tests.adjust.conftest import ACTOR, fresh, live_assignments, messages, rooms_of
from tests.factories import future, make_reservation, make_room_type

PAGES = ("status", "change", "rooms", "note")


def test_anonymous_visitors_are_sent_to_sign_in_and_posts_refused(client, paid):
    r = paid()
    for page in PAGES:
        response = client.get(f"/ops/reservations/{r.public_id}/{page}")
        assert response.status_code == 302 and "/auth/login" in response.location
        assert client.post(f"/ops/reservations/{r.public_id}/{page}", data={}).status_code == 401
    assert client.get("/ops/arrivals/assign").status_code == 302
    assert client.post("/ops/arrivals/assign", data={}).status_code == 401
    assert client.get("/ops/rooms").status_code == 302
    assert client.get("/ops/owing").status_code == 302
    assert client.post("/ops/rooms/1/features", data={}).status_code == 401


@pytest.mark.parametrize("role", ["staff", "manager", "admin"])
def test_every_page_opens_for_each_operator_role(client, login_as, paid, role):
    r = paid(check_in=future(1))
    login_as(role)
    for page in PAGES:
        assert client.get(f"/ops/reservations/{r.public_id}/{page}").status_code == 200, page
    page = client.get(f"/ops/reservations/{r.public_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for page_name in PAGES:
        assert f"/ops/reservations/{r.public_id}/{page_name}" in html
    assert 'id="rooms"' in html and 'id="notes"' in html
    assert client.get("/ops/arrivals/assign").status_code == 200
    assert client.get("/ops/rooms").status_code == 200
    assert client.get("/ops/owing").status_code == 200
    assert "/ops/arrivals/assign" in client.get("/ops/arrivals").get_data(as_text=True)
    assert client.get("/ops/reservations/rsv_nope/status").status_code == 404


def test_a_post_without_csrf_is_refused(client, login_as, paid):
    r = paid()
    login_as("staff")
    response = client.post(f"/ops/reservations/{r.public_id}/status",
                           data={"move": "no_show", "reason": "x", "confirmed": "yes"}, csrf=False)
    assert response.status_code == 400 and fresh(r).status == "paid"


def test_staff_cannot_reopen_even_with_a_crafted_post(client, login_as, paid):
    r = paid()
    raw_change_status(r.id, "canceled", actor=ACTOR, reason="By mistake")
    login_as("staff")
    page = client.get(f"/ops/reservations/{r.public_id}/status").get_data(as_text=True)
    assert 'value="reopen"' not in page and "매니저만 할 수 있습니다" in page
    response = client.post(f"/ops/reservations/{r.public_id}/status",
                           data={"move": "reopen", "reason": "Please", "confirmed": "yes"})
    assert response.status_code == 403 and fresh(r).status == "canceled"
    client.post("/auth/logout", data={})
    login_as("manager")
    assert 'value="reopen"' in client.get(f"/ops/reservations/{r.public_id}/status").get_data(as_text=True)
    preview = client.post(f"/ops/reservations/{r.public_id}/status", data={"move": "reopen", "reason": "Mistake"})
    assert preview.status_code == 200 and "🛑" in preview.get_data(as_text=True) and fresh(r).status == "canceled"
    done = client.post(f"/ops/reservations/{r.public_id}/status",
                       data={"move": "reopen", "reason": "Mistake", "confirmed": "yes"})
    assert done.status_code == 302 and fresh(r).status == "paid"


def test_an_illegal_move_posted_is_refused(client, login_as, paid):
    r = paid()
    login_as("admin")
    response = client.post(f"/ops/reservations/{r.public_id}/status",
                           data={"move": "check_out", "reason": "x", "confirmed": "yes"})
    assert response.status_code == 409 and fresh(r).status == "paid"
    response = client.post(f"/ops/reservations/{r.public_id}/status",
                           data={"move": "refund_everything", "reason": "x", "confirmed": "yes"})
    assert response.status_code == 422 and fresh(r).status == "paid"


def test_a_cancellation_goes_through_the_confirm_step_and_a_second_click_does_nothing(client, login_as, paid):
    r = paid()
    login_as("staff")
    preview = client.post(f"/ops/reservations/{r.public_id}/status", data={"move": "cancel_paid", "reason": "Not here"})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and fresh(r).status == "paid"
    assert "confirmed" in body and "200,000" in body
    for _click in range(2):
        done = client.post(f"/ops/reservations/{r.public_id}/status",
                           data={"move": "cancel_paid", "reason": "Not here", "confirmed": "yes"})
        assert done.status_code == 302 and fresh(r).status == "canceled"
    assert len(messages(r, "booking_canceled")) == 1
    without_reason = paid()
    response = client.post(f"/ops/reservations/{without_reason.public_id}/status",
                           data={"move": "cancel_paid", "reason": "", "confirmed": "yes"})
    assert response.status_code == 422 and fresh(without_reason).status == "paid"


def _change(client, r, **values):
    data = {"check_in": r.check_in.isoformat(), "check_out": r.check_out.isoformat(),
            "room_type": str(r.room_type_id), "rooms": str(r.number_of_rooms), "reason": "Guest called"}
    data.update({k: v.isoformat() if hasattr(v, "isoformat") else str(v) for k, v in values.items()})
    return client.post(f"/ops/reservations/{r.public_id}/change", data=data)


def test_a_date_change_shows_the_difference_then_changes(client, login_as, paid):
    r = paid(check_in=future(10), nights=2)
    login_as("staff")
    preview = _change(client, r, check_out=future(13))
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'data-difference="100000"' in body
    assert fresh(r).total_amount == 200_000
    for _click in range(2):                                     # a double click changes it once
        done = _change(client, r, check_out=future(13), confirmed="yes")
        assert done.status_code == 302 and fresh(r).total_amount == 300_000
    assert len(messages(r, "booking_changed")) == 1
    page = client.get(f"/ops/reservations/{r.public_id}").get_data(as_text=True)
    assert 'id="due"' in page and "100,000" in page


def test_a_change_to_sold_out_nights_says_so_and_changes_nothing(client, login_as, paid):
    room_type = make_room_type(rooms=1, percent=100)
    r = paid(room_type, check_in=future(10), nights=2)
    make_reservation(room_type, check_in=future(12), nights=1)
    login_as("staff")
    for confirmed in ("", "yes"):
        response = _change(client, r, check_out=future(13), confirmed=confirmed)
        assert response.status_code == 409
        assert "sold-out" in response.get_data(as_text=True)
    assert fresh(r).check_out == future(12)


def test_a_change_with_bad_input_shows_the_field_error(client, login_as, paid):
    r = paid(check_in=future(10), nights=2)
    login_as("staff")
    assert _change(client, r, check_out=future(9), confirmed="yes").status_code == 422
    assert _change(client, r, rooms=0, confirmed="yes").status_code == 422
    assert _change(client, r).status_code == 422                         # nothing would change
    assert fresh(r).check_out == future(12)


def test_assigning_a_room_through_the_pages(client, login_as, paid):
    room_type = make_room_type(rooms=3)
    rooms = rooms_of(room_type)
    r = paid(room_type)
    login_as("staff")
    page = client.get(f"/ops/reservations/{r.public_id}/rooms").get_data(as_text=True)
    assert all(f'data-room="{x.room_number}"' in page for x in rooms)
    preview = client.post(f"/ops/reservations/{r.public_id}/rooms", data={"rooms": str(rooms[1].id), "reason": "ok"})
    assert preview.status_code == 200 and rooms[1].room_number in preview.get_data(as_text=True)
    assert live_assignments(r) == []
    done = client.post(f"/ops/reservations/{r.public_id}/rooms",
                       data={"rooms": str(rooms[1].id), "reason": "ok", "confirmed": "yes"})
    assert done.status_code == 302 and fresh(r).room_id == rooms[1].id
    other = paid(room_type)
    taken = client.post(f"/ops/reservations/{other.public_id}/rooms",
                        data={"rooms": str(rooms[1].id), "reason": "ok", "confirmed": "yes"})
    assert taken.status_code == 409 and fresh(other).room_id is None


def test_bulk_assignment_from_the_arrivals_list(client, login_as, paid):
    room_type = make_room_type(rooms=2)
    a = paid(room_type, check_in=future(1))
    b = paid(room_type, check_in=future(1))
    login_as("staff")
    preview = client.get("/ops/arrivals/assign")
    body = preview.get_data(as_text=True)
    assert f'data-booking="{a.public_id}"' in body and f'data-booking="{b.public_id}"' in body
    assert fresh(a).room_id is None
    import re

    plan = re.search(r'name="plan"[^>]*value="([^"]+)"', body) or re.search(r'value="([^"]+)"[^>]*name="plan"', body)
    assert client.post("/ops/arrivals/assign", data={"plan": "garbage", "reason": "x"}).status_code == 400
    # first assignments are routine: no reason needed (app.adjust.policies.assignment_needs_reason)
    done = client.post("/ops/arrivals/assign", data={"plan": plan.group(1), "reason": ""})
    assert done.status_code == 302
    assert fresh(a).room_id is not None and fresh(b).room_id is not None and fresh(a).room_id != fresh(b).room_id


def test_private_notes(client, login_as, paid):
    r = paid()
    operator = login_as("staff")
    assert client.post(f"/ops/reservations/{r.public_id}/note", data={"body": ""}).status_code == 422
    assert client.post(f"/ops/reservations/{r.public_id}/note", data={"body": "VIP: 생일 케이크"}).status_code == 302
    note = db.session.scalars(select(ReservationNote).where(ReservationNote.reservation_id == r.id)).one()
    assert note.author_id == operator.id
    page = client.get(f"/ops/reservations/{r.public_id}").get_data(as_text=True)
    assert "VIP: 생일 케이크" in page and operator.name in page


def test_a_canceled_booking_shows_its_room_as_free_again(client, login_as, paid):
    room_type = make_room_type(rooms=2)
    room = rooms_of(room_type)[0]
    r = paid(room_type)
    login_as("staff")
    client.post(f"/ops/reservations/{r.public_id}/rooms", data={"rooms": str(room.id), "reason": "ok", "confirmed": "yes"})
    client.post(f"/ops/reservations/{r.public_id}/status",
                data={"move": "cancel_paid", "reason": "Plans changed", "confirmed": "yes"})
    assert fresh(r).status == "canceled" and live_assignments(r) == []
    page = client.get(f"/ops/reservations/{r.public_id}").get_data(as_text=True)
    assert f'data-room="{room.room_number}"' in page and "다시 빈 객실" in page


def test_room_features_are_seen_by_staff_and_set_by_managers(client, login_as, paid):
    from app.adjust.services import features_by_room

    room_type = make_room_type(rooms=2)
    room = rooms_of(room_type)[0]
    login_as("staff")
    page = client.get(f"/ops/rooms?hotel={room_type.hotel_id}")
    assert page.status_code == 200 and f'data-room="{room.room_number}"' in page.get_data(as_text=True)
    assert client.post(f"/ops/rooms/{room.id}/features", data={"features": "quiet"}).status_code == 403
    assert features_by_room(room_type.hotel_id) == {}
    client.post("/auth/logout", data={})
    login_as("manager")
    assert client.post(f"/ops/rooms/{room.id}/features", data={"features": "quiet"}, csrf=False).status_code == 400
    assert client.post(f"/ops/rooms/{room.id}/features", data={"features": "sauna"}).status_code == 400
    assert client.post(f"/ops/rooms/{room.id}/features", data={"features": "quiet"}).status_code == 302
    assert features_by_room(room_type.hotel_id) == {room.id: {"quiet"}}
    r = paid(room_type, special_requests="quiet room please")
    from app.adjust.services import free_rooms

    assert free_rooms(r)[0].room.id == room.id
    assert client.post(f"/ops/rooms/{room.id}/features", data={}).status_code == 302
    assert features_by_room(room_type.hotel_id) == {}


def test_bookings_owing_a_difference_are_listed_and_counted_on_today(client, login_as, paid):
    from app.adjust import queries
    from app.adjust import services

    r = paid(check_in=future(10), nights=2)
    settled = paid(check_in=future(10), nights=2)
    assert queries.count_owing_a_difference() == 0
    services.change_booking(r.id, check_in=future(10), check_out=future(13), room_type_id=r.room_type_id, rooms=1,
                            actor=ACTOR, reason="One more night")
    services.change_booking(settled.id, check_in=future(10), check_out=future(11), room_type_id=settled.room_type_id,
                            rooms=1, actor=ACTOR, reason="One night less")
    assert queries.count_owing_a_difference() == 1
    assert [(x.id, due) for x, due in queries.list_owing_a_difference()] == [(r.id, 100_000)]
    login_as("staff")
    page = client.get("/ops/owing")
    assert page.status_code == 200 and f'data-booking="{r.public_id}"' in page.get_data(as_text=True)
    assert f'data-booking="{settled.public_id}"' not in page.get_data(as_text=True)
    assert "/ops/owing" in client.get("/ops/").get_data(as_text=True)


def test_the_check_in_confirm_step_warns_when_no_room_is_given(client, login_as, paid, clock):
    from datetime import datetime, time, timedelta, timezone

    r = paid(check_in=future(1))
    clock.freeze(datetime.combine(future(1), time(16)).replace(tzinfo=timezone(timedelta(hours=9))))
    login_as("staff")
    preview = client.post(f"/ops/reservations/{r.public_id}/status", data={"move": "check_in", "reason": "Here"})
    assert preview.status_code == 200 and "아직 배정된 객실이 없습니다" in preview.get_data(as_text=True)
    assert fresh(r).status == "paid"
