"""Changing dates, room type and number of rooms: all or nothing, the price
difference collected or refunded, sold-out nights leave everything untouched."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.adjust import services
from app.core.errors import SoldOut, ValidationFailed
from app.extensions import db
from app.refunds.models import Refund
from tests.adjust.conftest import ACTOR, fresh, live_assignments, messages, rooms_of
from tests.factories import future, inventory, make_reservation, make_room_type


def _reserved(room_type, start, nights):
    return [inventory(room_type, start + timedelta(days=i)).reserved for i in range(nights)]


def test_a_change_to_sold_out_nights_leaves_the_booking_and_the_inventory_untouched(paid):
    room_type = make_room_type(rooms=1, percent=100)
    r = paid(room_type, check_in=future(10), nights=2)
    make_reservation(room_type, check_in=future(12), nights=1)          # night 12 is full now
    before = _reserved(room_type, future(10), 3)
    assert before == [1, 1, 1]
    preview = services.preview_change(r.id, check_in=future(10), check_out=future(13), room_type_id=room_type.id,
                                      rooms=1)
    assert preview.full_nights == [future(12)]
    with pytest.raises(SoldOut):
        services.change_booking(r.id, check_in=future(10), check_out=future(13), room_type_id=room_type.id, rooms=1,
                                actor=ACTOR, reason="Guest wants one more night")
    after = fresh(r)
    assert (after.check_in, after.check_out, after.total_amount, after.status) == (future(10), future(12), 200_000,
                                                                                   "paid")
    assert _reserved(room_type, future(10), 3) == before
    assert messages(r, "booking_changed") == []


def test_moving_the_same_nights_counts_the_booking_s_own_rooms_as_free(paid):
    room_type = make_room_type(rooms=1, percent=100)
    r = paid(room_type, check_in=future(10), nights=2)
    preview = services.preview_change(r.id, check_in=future(11), check_out=future(13), room_type_id=room_type.id,
                                      rooms=1)
    assert preview.full_nights == [] and (preview.nights_freed, preview.nights_taken) == (1, 1)
    services.change_booking(r.id, check_in=future(11), check_out=future(13), room_type_id=room_type.id, rooms=1,
                            actor=ACTOR, reason="Arrives a day later")
    assert _reserved(room_type, future(10), 3) == [0, 1, 1]


def test_a_higher_price_is_left_to_pay_and_the_guest_is_told(paid):
    from app.booking.services import outstanding_amount

    room_type = make_room_type(base_price=100_000)
    r = paid(room_type, check_in=future(10), nights=2)
    preview = services.preview_change(r.id, check_in=future(10), check_out=future(13), room_type_id=room_type.id,
                                      rooms=1)
    assert (preview.old_total, preview.new_total, preview.difference, preview.to_collect) == (
        200_000, 300_000, 100_000, 100_000)
    assert preview.refund_amount == 0 and (preview.nights_freed, preview.nights_taken) == (0, 1)
    outcome = services.change_booking(r.id, check_in=future(10), check_out=future(13), room_type_id=room_type.id,
                                      rooms=1, actor=ACTOR, reason="One more night")
    assert outcome.refund is None
    after = fresh(r)
    assert after.total_amount == 300_000 and outstanding_amount(after) == 100_000
    assert len(messages(r, "booking_changed")) == 1
    assert db.session.scalars(select(Refund).where(Refund.reservation_id == r.id)).all() == []


def test_a_lower_price_opens_a_refund_request_for_the_difference(paid):
    room_type = make_room_type(base_price=100_000)
    other = make_room_type(room_type.hotel, base_price=70_000)
    r = paid(room_type, check_in=future(10), nights=3)
    preview = services.preview_change(r.id, check_in=future(10), check_out=future(12), room_type_id=other.id,
                                      rooms=1)
    assert (preview.old_total, preview.new_total, preview.refund_amount) == (300_000, 140_000, 160_000)
    assert (preview.nights_freed, preview.nights_taken) == (3, 2)
    outcome = services.change_booking(r.id, check_in=future(10), check_out=future(12), room_type_id=other.id, rooms=1,
                                      actor=ACTOR, reason="Cheaper room, shorter stay")
    refund = outcome.refund
    assert refund is not None and refund.amount == 160_000 and refund.status == "requested"
    assert refund.source == "modification"
    assert inventory(room_type, future(10)).reserved == 0 and inventory(other, future(10)).reserved == 1


def test_a_change_releases_the_rooms_given_for_the_old_stay(paid):
    room_type = make_room_type()
    r = paid(room_type, check_in=future(10), nights=2)
    services.assign_rooms(r.id, [rooms_of(room_type)[0].id], actor=ACTOR, reason="Ready")
    services.change_booking(r.id, check_in=future(11), check_out=future(13), room_type_id=room_type.id, rooms=1,
                            actor=ACTOR, reason="Later")
    assert live_assignments(r) == [] and fresh(r).room_id is None


def test_a_change_that_makes_no_sense_is_refused(paid):
    room_type = make_room_type(max_occupancy=2)
    r = paid(room_type, check_in=future(10), nights=2, rooms=2, guests=4)
    with pytest.raises(ValidationFailed) as exc:
        services.preview_change(r.id, check_in=future(12), check_out=future(10), room_type_id=room_type.id, rooms=2)
    assert "check_out" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.preview_change(r.id, check_in=future(10), check_out=future(12), room_type_id=room_type.id, rooms=1)
    assert "rooms" in exc.value.fields
