"""A bank transfer paid in part is never canceled as "no deposit": at the end of its window it becomes
a decision (ask for the rest / accept / cancel and refund), the guest is told the truth, and the ledger
keeps every won."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.booking.services import NO_DEPOSIT_REASON, cancel_unpaid_bank_transfers
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.core.errors import IllegalTransition, ValidationFailed
from app.deposits import services, shortfall
from app.deposits.models import StatementLine
from app.extensions import db
from app.ledger.models import LedgerEntry
from app.ledger.services import paid_amount
from app.notifications.models import OutboxMessage
from app.notifications.rendering import message_context, render
from app.refunds.models import Refund
from tests.deposits.conftest import TEST_ACTOR, fresh, korean_csv, messages, today, transfer_booking
from tests.factories import future, inventory, make_room_type

#: 10:00 in Seoul on 7 December 2026.
T0 = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)
MANAGER = Actor.system("manager-in-test")


def booking_of_89000(room_type=None, **kwargs):
    """A pending bank transfer of ₩89,000 (2 nights at ₩44,500)."""
    room_type = room_type or make_room_type(base_price=44_500)
    r = transfer_booking(room_type, **kwargs)
    assert r.total_amount == 89_000
    return r


def pay_part(import_csv, r, amount: int):
    """A deposit of `amount` naming the booking, recorded as a partial payment by a person."""
    import_csv(korean_csv([(today(), f"{r.code} 김민지", amount, 0)]), file_name=f"part-{amount}.csv")
    line = db.session.scalar(select(StatementLine).where(StatementLine.amount == amount))
    assert line.problem == "short"
    services.decide(line.public_id, "partial", actor=TEST_ACTOR)
    assert paid_amount(r.id) == amount


def outbox(r, event: str, channel: str = "email") -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.reservation_id == r.id, OutboxMessage.event == event, OutboxMessage.channel == channel)
        .order_by(OutboxMessage.id)))


def text_of(message: OutboxMessage) -> str:
    rendered = render(message.event, message.language, message.channel, message_context(message))
    return (rendered.subject or "") + "\n" + rendered.body


def audit_of(r, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.reservation_id == r.id,
                                                            AuditEvent.action == action)))


def end_window():
    """Move past the 24-hour window and run the automatic check."""
    from app.core import clock

    clock.advance(timedelta(hours=25))
    return cancel_unpaid_bank_transfers()


@pytest.fixture
def short(clock, import_csv):
    """A ₩89,000 booking with ₩88,999 paid, whose window has ended."""
    clock.freeze(T0)
    r = booking_of_89000()
    pay_part(import_csv, r, 88_999)
    assert end_window() == 0
    return fresh(r)


def test_a_booking_paid_88999_of_89000_is_held_for_a_decision_not_canceled(short):
    r = short
    assert (r.status, r.cancel_reason, r.inventory_held) == ("pending", None, True)
    assert r.payment_shortfall_at is not None
    assert [inventory(r.room_type, r.check_in + timedelta(days=i)).reserved for i in range(r.nights)] == [1, 1]
    # the ledger keeps exactly the one deposit; no refund, nothing written off
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.reservation_id == r.id)).all()
    assert [(e.kind, e.amount) for e in entries] == [("bank_deposit", 88_999)]
    assert db.session.scalar(select(func.count()).select_from(Refund).where(Refund.reservation_id == r.id)) == 0
    # the guest is told the truth, not "nothing arrived"
    assert messages(r, "hold_expired") == 0
    [email] = outbox(r, "payment_shortfall")
    assert len(outbox(r, "payment_shortfall", "sms")) == 1
    assert email.context == {"expected": 89_000, "received": 88_999, "missing": 1, "currency": "KRW"}
    ko = text_of(email)
    assert "₩88,999" in ko and "₩89,000" in ko and "부족한 금액: ₩1" in ko
    assert "예약은 취소하지 않고 그대로 잡아 두었습니다" in ko and "확인되지 않아" not in ko
    [event] = audit_of(r, "reservation.payment_shortfall")
    assert event.data == {"total": 89_000, "paid": 88_999, "missing": 1, "currency": "KRW"}
    assert event.actor_name == "bank-transfer-auto-cancel"


def test_running_the_check_again_marks_and_tells_once(short):
    r = short
    flagged = r.payment_shortfall_at
    assert cancel_unpaid_bank_transfers() == 0
    assert cancel_unpaid_bank_transfers(short.payment_shortfall_at + timedelta(days=3)) == 0
    assert fresh(r).payment_shortfall_at == flagged and fresh(r).status == "pending"
    assert len(outbox(r, "payment_shortfall")) == 1 and len(audit_of(r, "reservation.payment_shortfall")) == 1


def test_today_counts_it_and_the_list_shows_the_oldest_first_with_its_due_time(short, clock, import_csv):
    later = booking_of_89000()
    pay_part(import_csv, later, 50_000)
    assert end_window() == 0
    found = shortfall.count_shortfalls()
    assert found.count == 2 and found.oldest.reservation.id == short.id
    first, second = shortfall.list_shortfalls()
    assert (first.reservation.id, first.paid, first.missing) == (short.id, 88_999, 1)
    assert (second.reservation.id, second.paid, second.missing) == (later.id, 50_000, 39_000)
    assert first.due == first.flagged_at + shortfall.DECIDE_WITHIN


def test_only_the_bookings_with_money_are_held_and_the_rest_are_canceled_batch_after_batch(clock, import_csv):
    clock.freeze(T0)
    room_type = make_room_type(base_price=44_500)
    nothing_a, part, nothing_b = (booking_of_89000(room_type), booking_of_89000(room_type),
                                  booking_of_89000(room_type))
    pay_part(import_csv, part, 30_000)
    clock.advance(hours=25)
    assert cancel_unpaid_bank_transfers(batch_size=1) == 2
    assert fresh(nothing_a).status == fresh(nothing_b).status == "canceled"
    assert fresh(nothing_a).cancel_reason == NO_DEPOSIT_REASON
    assert messages(nothing_a, "hold_expired") == 1 and messages(part, "hold_expired") == 0
    assert fresh(part).status == "pending" and fresh(part).payment_shortfall_at is not None


def test_a_deposit_still_waiting_for_a_decision_keeps_the_booking_until_it_is_decided(clock, import_csv):
    clock.freeze(T0)
    r = booking_of_89000()
    import_csv(korean_csv([(today(), f"{r.code} 김민지", 88_999, 0)]))  # nobody decided it yet
    line = db.session.scalar(select(StatementLine))
    assert line.problem == "short"
    assert end_window() == 0
    assert fresh(r).status == "pending" and fresh(r).payment_shortfall_at is None
    assert messages(r, "hold_expired") == 0 and not outbox(r, "payment_shortfall")
    services.decide(line.public_id, "not_ours", actor=TEST_ACTOR, reason="다른 예약의 돈으로 확인됨")
    assert cancel_unpaid_bank_transfers() == 1
    assert fresh(r).status == "canceled" and messages(r, "hold_expired") == 1


def test_asking_for_the_rest_extends_the_window_and_tells_the_exact_amount_and_account(short, clock, app):
    r = short
    now = clock.now()
    done = shortfall.decide(r.public_id, "ask_rest", actor=TEST_ACTOR, days=3)
    r = fresh(r)
    assert done.deadline == now + timedelta(days=3) == r.hold_expires_at
    assert (r.status, r.payment_shortfall_at) == ("pending", None)
    [email] = outbox(r, "payment_rest_requested")
    assert email.context["missing"] == 1 and email.context["due"] == done.deadline.isoformat()
    ko = text_of(email)
    assert "남은 금액: ₩1" in ko and app.config["DEPOSIT_ACCOUNT_NUMBER"] in ko and r.code in ko
    assert "2026년 12월 11일 (금) 11:00" in ko  # 3 days after 11:00 KST on the 8th
    [event] = audit_of(r, "reservation.shortfall_rest_requested")
    assert event.data["days"] == 3 and event.data["missing"] == 1
    assert shortfall.count_shortfalls().count == 0
    # the booking is not canceled before its new deadline …
    assert cancel_unpaid_bank_transfers(now + timedelta(days=2)) == 0 and fresh(r).payment_shortfall_at is None
    # … and if the rest does not come, a person decides again and the guest is told again
    clock.advance(days=3, seconds=1)
    assert cancel_unpaid_bank_transfers() == 0
    assert fresh(r).status == "pending" and fresh(r).payment_shortfall_at is not None
    assert len(outbox(r, "payment_shortfall")) == 2


def test_the_rest_arriving_confirms_the_booking_by_itself(short, import_csv):
    r = short
    shortfall.decide(r.public_id, "ask_rest", actor=TEST_ACTOR, days=2)
    result = import_csv(korean_csv([(today(), f"{r.code} 김민지", 1, 0)]), file_name="rest.csv")
    assert result.auto_confirmed == 1
    assert fresh(r).status == "paid" and paid_amount(r.id) == 89_000
    assert messages(r, "payment_confirmed") == 1


def test_ask_for_the_rest_needs_days_that_end_before_check_in(clock, import_csv):
    clock.freeze(T0)
    r = booking_of_89000(check_in=future(4))
    pay_part(import_csv, r, 88_999)
    end_window()
    most = shortfall.max_extension_days(clock.now(), r.check_in, "Asia/Seoul")
    assert most == 2  # 11:00 on the 8th → the 11th starts in 2 days 13 hours
    for days in (None, 0, most + 1):
        with pytest.raises(ValidationFailed):
            shortfall.decide(r.public_id, "ask_rest", actor=TEST_ACTOR, days=days)
    assert fresh(r).payment_shortfall_at is not None and not outbox(r, "payment_rest_requested")


def test_a_manager_accepts_the_shortfall_with_a_reason_and_it_is_written_off(short):
    r = short
    with pytest.raises(IllegalTransition):
        shortfall.decide(r.public_id, "accept", actor=TEST_ACTOR, reason="은행 수수료", is_manager=False)
    with pytest.raises(ValidationFailed):
        shortfall.decide(r.public_id, "accept", actor=MANAGER, reason="  ", is_manager=True)
    assert fresh(r).status == "pending"
    shortfall.decide(r.public_id, "accept", actor=MANAGER, reason="은행 수수료 1원 차이", is_manager=True)
    r = fresh(r)
    assert (r.status, r.payment_shortfall_at) == ("paid", None)
    assert paid_amount(r.id) == 88_999  # the ledger keeps what was paid, nothing invented
    assert [e.kind for e in db.session.scalars(select(LedgerEntry).where(LedgerEntry.reservation_id == r.id))] \
        == ["bank_deposit"]
    [event] = audit_of(r, "reservation.shortfall_written_off")
    assert event.reason == "은행 수수료 1원 차이" and event.data["written_off"] == 1 and event.data["paid"] == 88_999
    assert messages(r, "payment_confirmed") == 1


def test_cancel_and_refund_frees_the_rooms_and_opens_a_refund_of_everything_paid(short):
    r = short
    with pytest.raises(ValidationFailed):
        shortfall.decide(r.public_id, "cancel_refund", actor=TEST_ACTOR)
    done = shortfall.decide(r.public_id, "cancel_refund", actor=TEST_ACTOR, reason="고객이 나머지 입금을 거절함")
    r = fresh(r)
    assert (r.status, r.payment_shortfall_at, r.inventory_held) == ("canceled", None, False)
    assert r.cancel_reason == shortfall.CANCEL_REASON  # the person's reason stays internal
    assert [inventory(r.room_type, r.check_in + timedelta(days=i)).reserved for i in range(r.nights)] == [0, 0]
    [refund] = db.session.scalars(select(Refund).where(Refund.reservation_id == r.id)).all()
    assert refund.id == done.refund.id
    assert (refund.amount, refund.source, refund.status, refund.requested_reason) == (
        88_999, "shortfall", "requested", "고객이 나머지 입금을 거절함")
    [email] = outbox(r, "shortfall_canceled")
    ko = text_of(email)
    assert "₩88,999" in ko and "모두 돌려드립니다" in ko and "고객이 나머지" not in ko
    assert messages(r, "refund_requested") == 1 and messages(r, "booking_canceled") == 0
    [event] = audit_of(r, "reservation.shortfall_canceled")
    assert event.data["refund"] == refund.public_id and event.data["refund_amount"] == 88_999
    # the refund then goes through the usual decision: staff approve the recommended amount
    from app.refunds.decisions import approve_refund

    approved = approve_refund(refund.id, actor=TEST_ACTOR, may_override=False)
    assert approved.amount == 88_999 and approved.status == "awaiting_account"


def test_a_decision_is_made_once(short):
    r = short
    shortfall.decide(r.public_id, "ask_rest", actor=TEST_ACTOR, days=1)
    for choice, kwargs in (("ask_rest", {"days": 2}), ("cancel_refund", {"reason": "두 번째"}),
                           ("accept", {"reason": "두 번째", "is_manager": True})):
        with pytest.raises(shortfall.AlreadyDecided):
            shortfall.decide(r.public_id, choice, actor=TEST_ACTOR, **kwargs)
    assert fresh(r).status == "pending" and len(outbox(r, "payment_rest_requested")) == 1
    assert db.session.scalar(select(func.count()).select_from(Refund).where(Refund.reservation_id == r.id)) == 0


def test_an_over_payment_and_a_second_payment_are_refunded_to_the_payer_in_the_ledger(clock, import_csv):
    clock.freeze(T0)
    over, twice = booking_of_89000(), booking_of_89000()
    import_csv(korean_csv([(today(), f"{over.code} 김민지", 90_000, 0), (today(), f"{twice.code} 김민지", 89_000, 0)]))
    line = db.session.scalar(select(StatementLine).where(StatementLine.amount == 90_000))
    services.decide(line.public_id, "overpaid", actor=TEST_ACTOR)
    assert fresh(over).status == "paid" and paid_amount(over.id) == 90_000
    [extra] = db.session.scalars(select(Refund).where(Refund.reservation_id == over.id)).all()
    assert extra.amount == 1_000 and extra.source == "overpayment"
    assert fresh(twice).status == "paid"
    import_csv(korean_csv([(today(), f"{twice.code} 김민지", 89_000, 0), (today(), "둘째 줄", 10, 0)]),
               file_name="again.csv")
    second = db.session.scalars(select(StatementLine).where(StatementLine.amount == 89_000)
                                .order_by(StatementLine.id)).all()[-1]
    assert second.problem == "already_paid"
    services.decide(second.public_id, "refund_payer", actor=TEST_ACTOR, reason="같은 예약에 두 번 입금")
    assert [(e.kind, e.amount) for e in db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.reservation_id == twice.id).order_by(LedgerEntry.id))] == [
        ("bank_deposit", 89_000), ("bank_deposit", 89_000)]
    [back] = db.session.scalars(select(Refund).where(Refund.reservation_id == twice.id)).all()
    assert back.amount == 89_000
    assert end_window() == 0 and shortfall.count_shortfalls().count == 0  # paid bookings are never held
