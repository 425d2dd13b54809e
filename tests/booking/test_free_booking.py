"""A coupon worth the whole price: a ₩0 booking, confirmed at once and paid by the coupon.

No card, no bank transfer, no hold to expire; the coupon's ledger row is the whole money trail
(list price, discount, ₩0). Cancelling it moves no money and opens no refund; the coupon comes
back when the cancellation is free (7 days or more before check-in), not closer to check-in.
"""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.booking.models import Reservation
from app.booking.policies import PAID_BY_COUPON, PAID_BY_COUPON_REASON
from app.booking.services import cancel_reservation, create_reservation, expire_due_holds
from app.booking.states import ReservationStatus
from app.core import clock
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry
from app.ledger.services import money_summary
from app.notifications.models import OutboxMessage
from app.notifications.rendering import message_context, render
from app.payments.models import Payment
from app.refunds.models import Coupon, Refund
from app.remittance.models import Payout
from tests.api.helpers import book, pay_body
from tests.booking.conftest import book_url, form_data
from tests.factories import booking_request, future, inventory, make_coupon, make_coupon_reservation, make_room_type


def _fresh(reservation) -> Reservation:
    return db.session.get(Reservation, reservation.id, populate_existing=True)


def _ledger(reservation) -> list[tuple[str, int]]:
    return [(e.kind, e.amount) for e in db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.reservation_id == reservation.id).order_by(LedgerEntry.id))]


def _coupon(c) -> Coupon:
    return db.session.get(Coupon, c.id, populate_existing=True)


def _events(reservation) -> list[str]:
    return sorted(db.session.scalars(select(OutboxMessage.event + ":" + OutboxMessage.channel).where(
        OutboxMessage.reservation_id == reservation.id)))


@pytest.mark.parametrize("kind,value", [
    ("amount", 200_000),    # exactly the price
    ("amount", 500_000),    # more than the price: never a negative total
    ("percent", 100),
])
def test_a_coupon_worth_the_whole_price_confirms_the_booking_at_once_for_nothing(kind, value):
    room_type = make_room_type(base_price=100_000)
    c = make_coupon(kind=kind, value=value, hotel=room_type.hotel)
    r = make_coupon_reservation(room_type, coupon=c, nights=2)
    db.session.commit()
    r = _fresh(r)
    assert (r.status, r.total_amount, r.discount_amount) == (ReservationStatus.PAID, 0, 200_000)
    assert (r.payment_method, r.hold_expires_at) == (PAID_BY_COUPON, None)
    assert r.paid_at is not None and r.inventory_held
    assert [inventory(room_type, r.check_in + timedelta(days=i)).reserved for i in range(2)] == [1, 1]
    # the money trail: one coupon row, no cash; list price and discount explain every won
    [row] = db.session.scalars(select(LedgerEntry).where(LedgerEntry.reservation_id == r.id)).all()
    assert (row.kind, row.amount, row.source) == (EntryKind.COUPON_REDEEMED, 0, "ours")
    assert (row.details["listPrice"], row.details["discount"], row.details["total"]) == (200_000, 200_000, 0)
    summary = money_summary(r)
    assert (summary.total, summary.paid, summary.refunded, summary.outstanding) == (0, 0, 0, 0)
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.reservation_id == r.id)) == 0
    used = _coupon(c)
    assert used.used_at is not None and used.reservation_id == r.id
    # audited: created, then pending → paid because of the coupon
    events = db.session.execute(select(AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state,
                                       AuditEvent.reason).where(AuditEvent.reservation_id == r.id)
                                .order_by(AuditEvent.id)).all()
    assert ("reservation.status", "pending", "paid", PAID_BY_COUPON_REASON) in events
    assert [e[0] for e in events][0] == "reservation.created"
    # one confirmation, no "please pay" message
    assert _events(r) == ["payment_confirmed:email", "payment_confirmed:sms"]


def test_the_same_request_again_replays_the_paid_booking_and_uses_the_coupon_once():
    room_type = make_room_type(base_price=100_000)
    c = make_coupon(kind="percent", value=100, hotel=room_type.hotel)
    req = replace(booking_request(room_type), coupon_code=c.code)
    key = str(uuid.uuid4())
    first = create_reservation(req, idempotency_key=key)
    again = create_reservation(req, idempotency_key=key)
    assert again.replayed and again.body == first.body
    assert first.body["status"] == "paid" and first.body["holdExpiresAt"] is None
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.kind == EntryKind.COUPON_REDEEMED, LedgerEntry.details.is_not(None),
        LedgerEntry.reservation_id == first.reservation.id)) == 1


def test_a_partial_coupon_still_leaves_a_pending_booking_to_pay():
    room_type = make_room_type(base_price=100_000)
    c = make_coupon(value=199_999, hotel=room_type.hotel)
    r = make_coupon_reservation(room_type, coupon=c, nights=2)
    assert (r.status, r.total_amount, r.discount_amount, r.payment_method) == ("pending", 1, 199_999, "card")
    assert r.hold_expires_at is not None
    assert _events(r) == ["booking_received:email"]


def test_the_hold_expiry_never_cancels_a_booking_a_coupon_paid(clock):
    clock.freeze(clock.now())
    r = make_coupon_reservation(make_room_type())
    clock.advance(days=2)
    assert expire_due_holds() == 0
    assert _fresh(r).status == ReservationStatus.PAID


# --- cancelling: no money moves; the coupon comes back when the cancellation is free ----------------------

def test_cancelling_a_free_booking_a_week_ahead_moves_no_money_and_gives_the_coupon_back():
    room_type = make_room_type(base_price=100_000)
    c = make_coupon(kind="amount", value=300_000, hotel=room_type.hotel, days=60)
    r = make_coupon_reservation(room_type, coupon=c, check_in=future(10))
    outcome = cancel_reservation(r.id, actor=Actor.guest(r.guest_email), reason="Plans changed.")
    assert outcome.changed and outcome.refund is None
    r = _fresh(r)
    assert r.status == ReservationStatus.CANCELED and not r.inventory_held
    assert inventory(room_type, r.check_in).reserved == 0
    assert db.session.scalar(select(func.count()).select_from(Refund).where(Refund.reservation_id == r.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Payout).where(Payout.reservation_id == r.id)) == 0
    assert _ledger(r) == [(EntryKind.COUPON_REDEEMED, 0), (EntryKind.COUPON_RETURNED, 0)]
    returned = db.session.scalar(select(LedgerEntry).where(LedgerEntry.reservation_id == r.id,
                                                           LedgerEntry.kind == EntryKind.COUPON_RETURNED))
    redeemed = db.session.scalar(select(LedgerEntry).where(LedgerEntry.reservation_id == r.id,
                                                           LedgerEntry.kind == EntryKind.COUPON_REDEEMED))
    assert returned.undoes_id == redeemed.id
    freed = _coupon(c)
    assert (freed.used_at, freed.reservation_id) == (None, None)
    summary = money_summary(r)
    assert (summary.paid, summary.refunded, summary.kept) == (0, 0, 0)
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.reservation_id == r.id,
                                                               OutboxMessage.event == "booking_canceled"))
    assert message.context["coupon"]["given_back"] is True and message.context["coupon"]["code"] == c.code
    # cancelling again changes nothing, and the coupon is given back once
    assert not cancel_reservation(r.id, actor=Actor.guest(r.guest_email)).changed
    assert len(_ledger(r)) == 2
    # the coupon given back books again, for nothing
    again = make_coupon_reservation(room_type, coupon=freed, check_in=future(20))
    assert (again.status, again.total_amount) == (ReservationStatus.PAID, 0)
    assert _coupon(c).reservation_id == again.id


@pytest.mark.parametrize("days", [6, 1, 0])
def test_cancelling_a_free_booking_closer_than_a_week_keeps_the_coupon_used(days):
    from tests.factories import same_day_morning

    room_type = make_room_type(base_price=100_000)
    c = make_coupon(kind="percent", value=100, hotel=room_type.hotel)
    with same_day_morning():
        r = make_coupon_reservation(room_type, coupon=c, check_in=future(days))
        outcome = cancel_reservation(r.id, actor=Actor.guest(r.guest_email))
    assert outcome.refund is None
    assert _ledger(r) == [(EntryKind.COUPON_REDEEMED, 0)]
    assert _coupon(c).reservation_id == r.id
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.reservation_id == r.id,
                                                            OutboxMessage.event == "booking_canceled"))
    assert message.context["coupon"] == {"code": c.code, "given_back": False, "expired": False, "days": 7}


def test_an_unpaid_booking_with_a_partial_coupon_gives_it_back_when_canceled_or_when_its_hold_ends(clock):
    room_type = make_room_type(base_price=100_000)
    first, second = (make_coupon(value=50_000, hotel=room_type.hotel) for _ in range(2))
    canceled = make_coupon_reservation(room_type, coupon=first, check_in=future(2))
    cancel_reservation(canceled.id, actor=Actor.guest(canceled.guest_email))
    assert _coupon(first).reservation_id is None   # never paid: back even 2 days before check-in
    expiring = make_coupon_reservation(room_type, coupon=second)
    clock.advance(minutes=16)
    assert expire_due_holds() == 1
    assert expire_due_holds() == 0
    assert _fresh(expiring).status == ReservationStatus.CANCELED
    assert _coupon(second).reservation_id is None and _coupon(second).used_at is None
    assert _ledger(expiring) == [(EntryKind.COUPON_REDEEMED, 0), (EntryKind.COUPON_RETURNED, 0)]


def test_an_expired_coupon_is_not_given_back(clock):
    room_type = make_room_type(base_price=100_000)
    c = make_coupon(kind="percent", value=100, hotel=room_type.hotel, days=3)
    r = make_coupon_reservation(room_type, coupon=c, check_in=future(20))
    clock.advance(days=4)
    cancel_reservation(r.id, actor=Actor.guest(r.guest_email))
    assert _ledger(r) == [(EntryKind.COUPON_REDEEMED, 0)]
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.reservation_id == r.id,
                                                            OutboxMessage.event == "booking_canceled"))
    assert message.context["coupon"]["expired"] is True and message.context["coupon"]["given_back"] is False


def test_a_paid_booking_with_a_partial_coupon_canceled_a_week_ahead_refunds_what_was_paid_and_gives_the_coupon_back():
    from app.payments.gateway import CardDetails
    from app.payments.services import pay_by_card

    room_type = make_room_type(base_price=100_000)
    c = make_coupon(value=50_000, hotel=room_type.hotel)
    r = make_coupon_reservation(room_type, coupon=c, check_in=future(10))
    pay_by_card(r, amount=r.total_amount, currency=r.currency,
                card=CardDetails("4242424242424242", 12, clock.now().year + 2, "123", "Minji Kim"),
                idempotency_key=str(uuid.uuid4()))
    outcome = cancel_reservation(r.id, actor=Actor.guest(r.guest_email))
    assert outcome.refund.amount == 150_000          # all that was paid, never the list price
    assert _coupon(c).reservation_id is None


# --- the pages -------------------------------------------------------------------------------------------

def test_the_booking_form_with_a_full_coupon_confirms_without_asking_for_a_card(client):
    room_type = make_room_type(base_price=100_000)
    c = make_coupon(kind="amount", value=250_000, hotel=room_type.hotel)
    check_in = future(12)
    response = client.post(book_url(room_type, check_in),
                           data=form_data(check_in, coupon_code=c.code, payment_method="bank_transfer"))
    assert response.status_code == 303
    r = db.session.scalar(select(Reservation).where(
        Reservation.public_id == response.headers["Location"].rsplit("/", 1)[-1]))
    assert (r.status, r.total_amount, r.payment_method) == ("paid", 0, PAID_BY_COUPON)
    # no bank-transfer order was opened for ₩0
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.reservation_id == r.id)) == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your booking is confirmed" in page and "there is nothing to pay" in page
    assert "₩200,000" in page and "−₩200,000" in page and 'data-due="0"' in page and c.code in page
    assert 'name="number"' not in page and "Pay by bank transfer" not in page   # no card form, no transfer
    # the cancel page says what happens to money and coupon
    cancel_page = client.get(response.headers["Location"] + "/cancel").get_data(as_text=True)
    assert "Your coupon paid the whole price: no money was taken, so none is refunded." in cancel_page
    assert 'data-coupon="comes-back"' in cancel_page
    done = client.post(response.headers["Location"] + "/cancel", data={})
    assert done.headers["Location"].endswith("/canceled")
    canceled = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "no money was taken" in canceled and 'data-coupon="given-back"' in canceled and c.code in canceled


def test_the_cancel_page_of_a_free_booking_close_to_check_in_says_the_coupon_is_kept(client):
    room_type = make_room_type(base_price=100_000)
    c = make_coupon(kind="percent", value=100, hotel=room_type.hotel)
    check_in = future(3)
    response = client.post(book_url(room_type, check_in), data=form_data(check_in, coupon_code=c.code))
    page = client.get(response.headers["Location"] + "/cancel").get_data(as_text=True)
    assert 'data-coupon="kept"' in page and "7 days or more before check-in" in page


# --- the confirmation email ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,words", [
    ("ko", ("쿠폰으로 예약이 확정되었습니다", "정가: ₩200,000", "쿠폰 할인: -₩200,000", "결제하실 금액: ₩0")),
    ("ja", ("クーポンでご予約が確定しました", "通常料金：₩200,000", "クーポン割引：-₩200,000", "お支払い金額：₩0")),
    ("en", ("nothing to pay", "List price: ₩200,000", "Coupon discount: -₩200,000", "To pay: ₩0")),
])
def test_the_confirmation_email_states_list_price_discount_and_nothing_to_pay(lang, words):
    r = make_coupon_reservation(make_room_type(base_price=100_000), language=lang)
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.reservation_id == r.id,
                                                            OutboxMessage.channel == "email"))
    rendered = render(message.event, lang, "email", message_context(message))
    text = rendered.subject + "\n" + rendered.body
    for word in words:
        assert word in text, (word, text)


# --- the /v1 API ------------------------------------------------------------------------------------------

def test_the_api_confirms_a_fully_couponed_booking_at_once(client):
    room_type = make_room_type(base_price=100_000)
    c = make_coupon(kind="percent", value=100, hotel=room_type.hotel)
    key = str(uuid.uuid4())
    response = book(client, room_type, key=key, couponCode=c.code.lower())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "paid" and body["holdExpiresAt"] is None
    assert body["totalPrice"] == {"amount": 0, "currency": "KRW"}
    assert body["discount"] == {"amount": 200_000, "currency": "KRW"}
    assert body["accessToken"].startswith("rat_")
    assert book(client, room_type, key=key, couponCode=c.code.lower()).get_json() == body   # replayed
    token = {"Authorization": f"Bearer {body['accessToken']}"}
    got = client.get(f"/v1/reservations/{body['reservationID']}", headers=token).get_json()
    assert (got["status"], got["paymentMethod"], got["amountDue"]["amount"], got["payments"]) == \
        ("paid", "coupon", 0, [])
    zero = client.post("/v1/payments", json=pay_body(body), headers={**token, "Idempotency-Key": str(uuid.uuid4())})
    assert zero.status_code == 422 and "amount" in zero.get_json()["error"]["fields"]   # ₩0 is no payment
    pay = client.post("/v1/payments", json=pay_body(body, amount=200_000),
                      headers={**token, "Idempotency-Key": str(uuid.uuid4())})
    assert pay.status_code == 409 and pay.get_json()["error"]["code"] == "invalid_transition"   # nothing owed
    canceled = client.delete(f"/v1/reservations/{body['reservationID']}", headers=token).get_json()
    assert canceled["status"] == "canceled" and canceled["refund"] is None


def test_the_openapi_document_describes_the_free_booking(client):
    doc = client.get("/v1/openapi.json").get_json()
    schema = doc["components"]["schemas"]
    assert "coupon" in schema["Reservation"]["properties"]["paymentMethod"]["enum"]
    assert "whole price" in schema["ReservationRequest"]["properties"]["couponCode"]["description"]


# --- a change of stay, and a booking revived by a late deposit -----------------------------------------------

@pytest.mark.parametrize("kind,value,nights,total,discount", [
    ("percent", 100, 3, 0, 300_000),          # a 100 % coupon: still nothing to pay for a longer stay
    ("amount", 250_000, 1, 0, 100_000),       # shorter: the discount is capped by the new price
    ("amount", 250_000, 3, 50_000, 250_000),  # longer than the coupon covers: the difference is owed
])
def test_changing_the_stay_of_a_free_booking_keeps_its_coupon_on_the_new_price(kind, value, nights, total, discount):
    from app.booking.services import modify_reservation, outstanding_amount

    room_type = make_room_type(base_price=100_000)
    c = make_coupon(kind=kind, value=value, hotel=room_type.hotel)
    r = make_coupon_reservation(room_type, coupon=c, nights=2, check_in=future(10))
    outcome = modify_reservation(r.id, check_out=future(10) + timedelta(days=nights), reason="longer or shorter")
    r = _fresh(r)
    assert (r.total_amount, r.discount_amount, outcome.refund) == (total, discount, None)
    assert outstanding_amount(r) == total
    rows = db.session.scalars(select(LedgerEntry).where(LedgerEntry.reservation_id == r.id)
                              .order_by(LedgerEntry.id)).all()
    assert [(e.kind, e.amount) for e in rows] == [(EntryKind.COUPON_REDEEMED, 0)] * 2
    assert rows[1].undoes_id == rows[0].id
    assert (rows[1].details["listPrice"], rows[1].details["discount"]) == (nights * 100_000, discount)


def test_a_booking_revived_by_a_late_deposit_takes_its_coupon_again_while_it_is_free(clock):
    from app.booking.services import cancel_unpaid_bank_transfers, revive_reservation

    room_type = make_room_type(base_price=100_000)
    c = make_coupon(value=50_000, hotel=room_type.hotel)
    r = make_coupon_reservation(room_type, coupon=c, method="bank_transfer", check_in=future(20))
    clock.advance(hours=25)
    assert cancel_unpaid_bank_transfers() == 1
    assert _coupon(c).reservation_id is None              # never paid: the coupon came back
    revive_reservation(r.id, actor=Actor.system("test"))   # the deposit arrived after all
    db.session.commit()
    assert _coupon(c).reservation_id == r.id
    assert [k for k, _ in _ledger(r)] == [EntryKind.COUPON_REDEEMED, EntryKind.COUPON_RETURNED,
                                          EntryKind.COUPON_REDEEMED]
    # canceled again a week ahead, the coupon comes back again (once)
    cancel_reservation(r.id, actor=Actor.guest(r.guest_email))
    assert _coupon(c).reservation_id is None
    assert [k for k, _ in _ledger(r)][-1] == EntryKind.COUPON_RETURNED


def test_a_revived_booking_whose_coupon_went_elsewhere_keeps_its_price_and_says_so(clock):
    from app.booking.services import cancel_unpaid_bank_transfers, revive_reservation

    room_type = make_room_type(base_price=100_000)
    c = make_coupon(value=50_000, hotel=room_type.hotel)
    r = make_coupon_reservation(room_type, coupon=c, method="bank_transfer", check_in=future(20))
    clock.advance(hours=25)
    cancel_unpaid_bank_transfers()
    other = make_coupon_reservation(room_type, coupon=_coupon(c), check_in=future(25))
    revive_reservation(r.id, actor=Actor.system("test"))
    db.session.commit()
    assert _coupon(c).reservation_id == other.id
    assert (_fresh(r).status, _fresh(r).total_amount) == (ReservationStatus.PAID, 150_000)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.reservation_id == r.id,
                                                             AuditEvent.action == "coupon.not_taken_again"))
