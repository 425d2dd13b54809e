"""A booking a coupon paid in full (₩0) with real RQ workers (burst mode): the hold expiry job never
cancels it, an unpaid booking's coupon comes back when its hold ends (the job run twice gives it back
once), and the guest's emails reach a real SMTP server saying there is nothing to pay."""
from __future__ import annotations

import email
import email.policy
from datetime import datetime, timezone

from sqlalchemy import select

from app.booking.models import Reservation
from app.booking.services import cancel_reservation
from app.booking.states import ReservationStatus
from app.core.actor import Actor
from app.extensions import db, get_queue
from app.ledger.models import EntryKind, LedgerEntry
from app.refunds.models import Coupon
from tests.factories import future, inventory, make_coupon, make_coupon_reservation, make_room_type

T0 = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)


def _fresh(reservation_id: int) -> Reservation:
    return db.session.execute(select(Reservation).where(Reservation.id == reservation_id)
                              .execution_options(populate_existing=True)).scalar_one()


def _kinds(reservation_id: int) -> list[str]:
    return list(db.session.scalars(select(LedgerEntry.kind).where(LedgerEntry.reservation_id == reservation_id)
                                   .order_by(LedgerEntry.id)))


def test_the_expiry_job_never_cancels_a_free_booking_and_gives_an_unpaid_one_its_coupon_back_once(clock, run_worker):
    clock.freeze(T0)
    room_type = make_room_type(base_price=100_000, rooms=3)
    free = make_coupon_reservation(room_type, nights=2)
    partial_coupon = make_coupon(value=80_000, hotel=room_type.hotel)
    unpaid = make_coupon_reservation(room_type, coupon=partial_coupon, nights=2)
    free_id, unpaid_id, coupon_id, night = free.id, unpaid.id, partial_coupon.id, free.check_in
    assert inventory(room_type, night).reserved == 2
    clock.advance(hours=30)   # past both holds a card or a bank transfer would have
    jobs = [get_queue("high").enqueue("workers.jobs.booking.expire_holds", job_id=f"booking-expire-free-{i}")
            for i in (1, 2)]
    run_worker(["high"])
    assert [job.latest_result().return_value for job in jobs] == [1, 0]
    assert _fresh(free_id).status == ReservationStatus.PAID
    assert _fresh(unpaid_id).status == ReservationStatus.CANCELED
    assert inventory(_fresh(free_id).room_type, night).reserved == 1
    coupon = db.session.get(Coupon, coupon_id, populate_existing=True)
    assert (coupon.used_at, coupon.reservation_id) == (None, None)
    assert _kinds(unpaid_id) == [EntryKind.COUPON_REDEEMED, EntryKind.COUPON_RETURNED]
    assert _kinds(free_id) == [EntryKind.COUPON_REDEEMED]


def _mails(smtp_server, address: str) -> list:
    found = []
    for m in smtp_server.messages:
        if address in m["to"]:
            parsed = email.message_from_bytes(m["message"].as_bytes(), policy=email.policy.default)
            found.append((str(parsed["Subject"]), parsed.get_content()))
    return found


def test_the_guest_gets_a_confirmation_with_nothing_to_pay_and_a_cancellation_giving_the_coupon_back(
        smtp_server, run_worker):
    room_type = make_room_type(base_price=100_000)
    coupon = make_coupon(kind="amount", value=250_000, hotel=room_type.hotel)
    r = make_coupon_reservation(room_type, coupon=coupon, email="free@example.com", language="ko",
                                check_in=future(12), phone="")
    reservation_id, code, coupon_code = r.id, r.display_code, coupon.code
    run_worker(["default"])
    [(subject, body)] = _mails(smtp_server, "free@example.com")
    assert "쿠폰으로 예약이 확정되었습니다" in subject and code in subject
    assert "정가: ₩200,000" in body and "쿠폰 할인: -₩200,000" in body and "결제하실 금액: ₩0" in body
    cancel_reservation(reservation_id, actor=Actor.guest("free@example.com"), reason="Plans changed.")
    run_worker(["default"])
    [_, (subject, body)] = _mails(smtp_server, "free@example.com")
    assert "예약이 취소되었습니다" in subject
    assert "환불할 금액도 없습니다" in body and "쿠폰을 돌려드렸습니다" in body and coupon_code in body
