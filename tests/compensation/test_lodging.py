"""Lodging compensation within seed 000's tiers: coupons, a free night, an upgrade, and booking an
offered alternative for the guest."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.booking.models import BookingConflict, ConflictResolution, Reservation
from app.core import clock
from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry
from app.notifications.models import OutboxMessage
from app.refunds import lodging
from app.refunds.compensation import AlreadyCompensated
from app.refunds.models import Compensation, Coupon, CouponKind
from app.refunds.policies import LODGING_COMPENSATION_TIERS, LodgingOption, check_lodging_choice, lodging_tier
from tests.factories import future, make_operator, make_room_type


def conflicts_of(email: str, n: int, *, language: str = "ko", alternatives=None):
    room_type = make_room_type(base_price=120_000)
    upgrade = make_room_type(room_type.hotel, base_price=180_000, name="스위트")
    made = []
    for i in range(n):
        check_in = future(20 + i)
        offers = alternatives if alternatives is not None else [{
            "kind": "room_type", "hotelID": str(room_type.hotel_id), "hotelName": room_type.hotel.name,
            "roomTypeID": str(upgrade.id), "roomTypeName": upgrade.name, "checkInDate": check_in.isoformat(),
            "checkOutDate": (check_in + timedelta(days=2)).isoformat(),
            "totalPrice": {"amount": 360_000, "currency": "KRW"}}]
        conflict = BookingConflict(hotel_id=room_type.hotel_id, room_type_id=room_type.id, check_in=check_in,
                                   check_out=check_in + timedelta(days=2), number_of_rooms=1,
                                   guest_name="지현 오", guest_email=email, guest_phone="010-3456-7890",
                                   language=language, full_nights=[check_in.isoformat()], alternatives=offers,
                                   created_at=clock.now() - timedelta(days=n - i))
        db.session.add(conflict)
        db.session.flush()
        made.append(conflict)
    db.session.commit()
    return made


@pytest.fixture
def operator():
    op = make_operator("manager")
    db.session.commit()
    return Actor.operator(op)


def test_tier_table_grows_with_repeat_conflicts_and_refuses_beyond():
    first, second, third = lodging_tier(1), lodging_tier(2), lodging_tier(5)
    assert LodgingOption.UPGRADE not in first.options and LodgingOption.FREE_NIGHT not in first.options
    assert LodgingOption.UPGRADE in second.options and LodgingOption.FREE_NIGHT not in second.options
    assert LodgingOption.FREE_NIGHT in third.options and third.priority
    assert first.max_percent < second.max_percent < third.max_percent
    assert check_lodging_choice(first, LodgingOption.COUPON_PERCENT, first.max_percent) is None
    assert check_lodging_choice(first, LodgingOption.COUPON_PERCENT, first.max_percent + 1) == "percent_beyond_tier"
    assert check_lodging_choice(first, LodgingOption.COUPON_AMOUNT, first.max_amount + 1) == "amount_beyond_tier"
    assert check_lodging_choice(first, LodgingOption.COUPON_AMOUNT, 0) == "amount_beyond_tier"
    assert check_lodging_choice(second, LodgingOption.FREE_NIGHT, None) == "option_beyond_tier"
    assert len(LODGING_COMPENSATION_TIERS) == 3
    with pytest.raises(ValueError):
        lodging_tier(0)


def test_a_coupon_within_the_tier_is_given_once_for_the_hotel(operator):
    (conflict,) = conflicts_of("jihyun@example.com", 1)
    comp = lodging.give_coupon(conflict.id, option=LodgingOption.COUPON_AMOUNT, value=30_000, actor=operator,
                               note="전화로 사과드림")
    coupon = db.session.get(Coupon, comp.coupon_id)
    assert (coupon.kind, coupon.value, coupon.hotel_id) == (CouponKind.AMOUNT, 30_000, conflict.hotel_id)
    assert coupon.expires_at > clock.now() + timedelta(days=150)
    assert db.session.get(BookingConflict, conflict.id, populate_existing=True).resolution == \
        ConflictResolution.RESOLVED
    assert db.session.scalar(select(LedgerEntry.kind).where(
        LedgerEntry.dedupe_key == f"coupon:{coupon.id}")) == EntryKind.COUPON_ISSUED
    (message,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.event == "booking_conflict_apology"))
    assert message.language == "ko"
    assert "₩30,000" in message.context["compensation"]["description"]
    assert coupon.code in message.context["compensation"]["description"]   # the guest can redeem it
    assert "전화로" not in str(message.context)   # the internal note never reaches the guest
    with pytest.raises(AlreadyCompensated):
        lodging.give_coupon(conflict.id, option=LodgingOption.COUPON_AMOUNT, value=10_000, actor=operator)


def test_beyond_the_tier_is_refused_and_gives_nothing(operator):
    (conflict,) = conflicts_of("first@example.com", 1)
    for option, value in ((LodgingOption.COUPON_PERCENT, 11), (LodgingOption.COUPON_AMOUNT, 30_001),
                          (LodgingOption.FREE_NIGHT, None)):
        with pytest.raises(ValidationFailed):
            lodging.give_coupon(conflict.id, option=option, value=value, actor=operator)
    with pytest.raises(ValidationFailed):
        lodging.book_alternative(conflict.id, alternative=0, upgrade=True, actor=operator)
    db.session.rollback()
    assert db.session.scalar(select(Compensation.id).where(Compensation.conflict_id == conflict.id)) is None
    assert db.session.scalar(select(Coupon.id).where(Coupon.guest_email == "first@example.com")) is None


def test_a_free_night_from_the_third_conflict_is_a_coupon_worth_one_night(operator):
    made = conflicts_of("third@example.com", 3, language="ja")
    comp = lodging.give_coupon(made[-1].id, option=LodgingOption.FREE_NIGHT, value=None, actor=operator)
    coupon = db.session.get(Coupon, comp.coupon_id)
    assert (coupon.kind, coupon.value) == (CouponKind.AMOUNT, 120_000)
    assert comp.priority is True
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.event == "booking_conflict_apology"))
    assert message.language == "ja" and "120,000" in message.context["compensation"]["description"]


def test_booking_the_alternative_as_an_upgrade_costs_the_original_price(operator):
    made = conflicts_of("second@example.com", 2, language="en")
    conflict = made[-1]
    outcome = lodging.book_alternative(conflict.id, alternative=0, upgrade=True, actor=operator, note="upgrade")
    r = db.session.get(Reservation, outcome.reservation.id, populate_existing=True)
    assert r.channel == "operator" and r.language == "en" and r.guest_email == "second@example.com"
    assert r.room_type_id == int(conflict.alternatives[0]["roomTypeID"])
    assert (r.total_amount, r.discount_amount) == (240_000, 120_000)   # 2 nights at ₩120,000, not ₩180,000
    redeemed = db.session.scalar(select(LedgerEntry).where(LedgerEntry.reservation_id == r.id,
                                                           LedgerEntry.kind == EntryKind.COUPON_REDEEMED))
    assert redeemed.details["listPrice"] == 360_000 and redeemed.details["discount"] == 120_000
    assert db.session.get(BookingConflict, conflict.id, populate_existing=True).resolution == \
        ConflictResolution.RESOLVED
    assert db.session.scalar(select(OutboxMessage.language).where(
        OutboxMessage.reservation_id == r.id, OutboxMessage.event == "booking_received")) == "en"
    with pytest.raises(AlreadyCompensated):
        lodging.book_alternative(conflict.id, alternative=0, actor=operator)


def test_booking_an_alternative_at_its_own_price_and_bad_choices(operator):
    (conflict,) = conflicts_of("plain@example.com", 1)
    for bad in (-1, 1, 2**40):
        with pytest.raises(ValidationFailed):
            lodging.book_alternative(conflict.id, alternative=bad, actor=operator)
    outcome = lodging.book_alternative(conflict.id, alternative=0, actor=operator)
    r = db.session.get(Reservation, outcome.reservation.id)
    assert (r.total_amount, r.discount_amount) == (360_000, 0)
    assert r.guest_last_name == "오" and r.guest_first_name == "지현"
