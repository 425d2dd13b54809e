"""Card payments through the sandbox gateway (its own state file, like a remote processor)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.booking.services import cancel_reservation
from app.booking.states import ReservationStatus
from app.core.errors import IdempotencyConflict, IllegalTransition, ValidationFailed
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.payments.gateway import CardDetails, get_gateway
from app.payments.models import Payment
from app.payments.services import pay_by_card, settle_pending_card_payments, start_bank_transfer
from app.payments.states import PaymentStatus
from app.refunds.models import Refund
from tests.factories import make_reservation

APPROVE = "4242424242424242"
DECLINE = "4000000000000002"
TIMEOUT_CHARGED = "4000000000003220"
TIMEOUT_NOT_CHARGED = "4000000000003238"


def card(number=APPROVE):
    return CardDetails(number, 12, 2099, "123", "Minji Kim")


def pay(reservation, number=APPROVE, key="pay-1", amount=None):
    return pay_by_card(reservation, amount=reservation.total_amount if amount is None else amount,
                       currency=reservation.currency, card=card(number), idempotency_key=key)


def test_approved_card_pays_the_booking_and_tells_the_guest():
    r = make_reservation()
    outcome = pay(r)
    assert outcome.body["status"] == "completed"
    assert outcome.body["card"] == {"last4": "4242", "brand": "visa"}
    db.session.refresh(r)
    assert r.status == ReservationStatus.PAID and r.hold_expires_at is None
    events = db.session.scalars(select(OutboxMessage.event).where(OutboxMessage.reservation_id == r.id)).all()
    assert "payment_confirmed" in events


def test_card_number_is_never_stored():
    r = make_reservation()
    pay(r)
    payment = db.session.scalar(select(Payment).where(Payment.reservation_id == r.id))
    stored = " ".join(str(getattr(payment, c.key)) for c in Payment.__table__.columns)
    assert APPROVE not in stored and payment.card_last4 == "4242" and payment.card_token.startswith("tok_")
    assert "4242424242424242" not in repr(card())


def test_declined_card_leaves_the_booking_pending():
    r = make_reservation()
    outcome = pay(r, DECLINE)
    assert outcome.body["status"] == "failed"
    assert outcome.body["failure"]["code"] == "card_declined"
    db.session.refresh(r)
    assert r.status == ReservationStatus.PENDING
    assert pay(r, APPROVE, key="second-try").body["status"] == "completed"


def test_same_key_replays_and_never_charges_twice():
    r = make_reservation()
    first = pay(r, key="k")
    second = pay(r, key="k")
    assert second.replayed and second.body == first.body
    assert get_gateway().charges_for(first.payment.public_id) == 1
    with pytest.raises(IdempotencyConflict):
        pay_by_card(r, amount=r.total_amount, currency=r.currency,
                    card=CardDetails("5555555555554444", 12, 2099, "123"), idempotency_key="k")


def test_amount_must_equal_what_is_owed():
    r = make_reservation()
    with pytest.raises(ValidationFailed) as exc:
        pay(r, amount=r.total_amount - 1)
    assert "amount" in exc.value.fields


def test_paid_booking_cannot_be_paid_again():
    r = make_reservation()
    pay(r)
    with pytest.raises(IllegalTransition):
        pay(r, key="again")


def test_timeout_is_settled_by_asking_the_gateway(clock):
    r = make_reservation()
    outcome = pay(r, TIMEOUT_CHARGED)
    assert outcome.body["status"] == "pending"
    clock.advance(minutes=2)
    assert settle_pending_card_payments() == 1
    db.session.refresh(r)
    assert r.status == ReservationStatus.PAID


def test_timeout_without_charge_fails_after_ten_minutes(clock):
    r = make_reservation()
    pay(r, TIMEOUT_NOT_CHARGED)
    clock.advance(minutes=2)
    assert settle_pending_card_payments() == 0
    clock.advance(minutes=10)
    assert settle_pending_card_payments() == 1
    payment = db.session.scalar(select(Payment).where(Payment.reservation_id == r.id))
    assert payment.status == PaymentStatus.FAILED and payment.failure_code == "not_received"


def test_money_for_a_canceled_booking_opens_a_refund(clock):
    r = make_reservation()
    pay(r, TIMEOUT_CHARGED)
    cancel_reservation(r.id, reason="hold expired")
    clock.advance(minutes=2)
    settle_pending_card_payments()
    db.session.refresh(r)
    assert r.status == ReservationStatus.CANCELED
    refund = db.session.scalar(select(Refund).where(Refund.reservation_id == r.id))
    assert refund.amount == r.total_amount and refund.policy_case == "C"


def test_bank_transfer_gives_instructions_once():
    r = make_reservation(method="bank_transfer")
    first = start_bank_transfer(r, amount=r.total_amount, currency="KRW", idempotency_key="bt-1")
    again = start_bank_transfer(r, amount=r.total_amount, currency="KRW", idempotency_key="bt-2")
    assert first.body["status"] == "pending"
    assert first.body["depositInstructions"]["reference"] == r.code
    assert again.payment.id == first.payment.id
    assert r.hold_expires_at - r.created_at == timedelta(hours=24)


def test_no_money_is_taken_once_the_hold_has_ended(clock):
    r = make_reservation()
    clock.advance(minutes=16)  # the expiry sweep has not run yet
    with pytest.raises(IllegalTransition):
        pay(r)
    assert db.session.scalar(select(Payment.id).where(Payment.reservation_id == r.id)) is None
