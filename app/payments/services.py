"""Payment use cases: card charges through the gateway, bank-transfer orders.

A card payment is two transactions around one network call:

1. record the attempt (`pending`) with its idempotency key, commit;
2. call the gateway with the payment's own id as the gateway's idempotency
   key (so a retry never charges twice), outside any transaction;
3. apply the result: `completed` moves the reservation to `paid` (guarded);
   `declined`/`failed` leave the booking pending until its hold expires;
   a timeout leaves the payment `pending` until the gateway's webhook or the
   settlement sweep (`settle_pending_card_payments`) tells us what happened.

Money that arrives for a booking that is no longer pending (its hold expired
meanwhile) is never kept silently: a refund is opened for it (case C).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.booking.models import Reservation
from app.booking.services import mark_paid, outstanding_amount
from app.booking.states import ReservationStatus
from app.core import audit, clock, idempotency
from app.core.actor import Actor, current_actor
from app.core.context import current_request_id
from app.core.db import end_transaction, run_in_transaction
from app.core.errors import IdempotencyInProgress, IllegalTransition, NotFound, ValidationFailed
from app.core.ids import public_id
from app.extensions import db
from app.payments.gateway import CardDetails, ChargeResult, GatewayTimeout, GatewayUnavailable, get_gateway
from app.payments.models import Payment
from app.payments.states import PaymentMethod, PaymentStatus, next_state

log = logging.getLogger(__name__)

IDEMPOTENCY_SCOPE = "payments"
IN_FLIGHT_GRACE = timedelta(seconds=30)


@dataclass
class PaymentOutcome:
    payment: Payment
    body: dict[str, Any]
    replayed: bool


def payment_body(payment: Payment) -> dict[str, Any]:
    """The API representation of a payment (API.md)."""
    body: dict[str, Any] = {
        "paymentID": payment.public_id,
        "reservationID": payment.reservation.public_id,
        "paymentMethod": payment.method,
        "status": payment.status,
        "amount": payment.amount,
        "currency": payment.currency,
        "createdAt": payment.created_at.isoformat().replace("+00:00", "Z"),
    }
    if payment.method == PaymentMethod.CARD:
        body["card"] = {"last4": payment.card_last4, "brand": payment.card_brand}
    if payment.failure_code:
        body["failure"] = {"code": payment.failure_code, "message": payment.failure_message}
    if payment.method == PaymentMethod.BANK_TRANSFER:
        body["depositInstructions"] = deposit_instructions(payment.reservation, payment.amount)
    if payment.refunded_amount:
        body["refundedAmount"] = payment.refunded_amount
    return body


def deposit_instructions(reservation: Reservation, amount: int) -> dict[str, Any]:
    cfg = current_app.config
    return {
        "bankName": cfg["DEPOSIT_BANK_NAME"],
        "accountNumber": cfg["DEPOSIT_ACCOUNT_NUMBER"],
        "accountHolder": cfg["DEPOSIT_ACCOUNT_HOLDER"],
        "amount": {"amount": amount, "currency": reservation.currency},
        "reference": reservation.code,
        "payBy": reservation.hold_expires_at.isoformat().replace("+00:00", "Z")
        if reservation.hold_expires_at else None,
    }


def _check_payable(reservation: Reservation, amount: Any, currency: Any) -> int:
    if reservation.status not in (ReservationStatus.PENDING, ReservationStatus.PAID):
        raise IllegalTransition(fields={"reservationID": f"A {reservation.status} booking cannot be paid."})
    if reservation.status == ReservationStatus.PENDING and reservation.hold_expires_at is not None \
            and reservation.hold_expires_at <= clock.now():
        # The sweep may not have run yet, but the hold is over: take no money for it.
        raise IllegalTransition(fields={"reservationID": "The hold on this booking has ended; book again."})
    due = outstanding_amount(reservation)
    if due <= 0:
        raise IllegalTransition(fields={"reservationID": "Nothing is owed on this booking."})
    errors = {}
    if isinstance(amount, bool) or not isinstance(amount, int):
        errors["amount"] = "A whole number of minor units."
    elif amount != due:
        errors["amount"] = f"Must equal the amount owed: {due}."
    if currency != reservation.currency:
        errors["currency"] = f"Must be {reservation.currency}."
    if errors:
        raise ValidationFailed(fields=errors)
    return due


def _replay(row: idempotency.IdempotencyKey, fp: str) -> PaymentOutcome:
    idempotency.check_replay(row, fp)
    payment = db.session.scalar(select(Payment).where(Payment.public_id == row.resource_id))
    if payment is None:
        raise IdempotencyInProgress()
    if row.response_body is not None:
        return PaymentOutcome(payment, row.response_body, True)
    if payment.status == PaymentStatus.PENDING and payment.method == PaymentMethod.CARD \
            and clock.now() - payment.created_at < IN_FLIGHT_GRACE:
        raise IdempotencyInProgress()
    return PaymentOutcome(payment, payment_body(payment), True)


def _claim(reservation: Reservation, method: str, amount: int, key: str, fp: str,
           extra: dict[str, Any] | None = None) -> Payment:
    """Transaction 1: the payment row and its idempotency key. Commits."""
    cfg = current_app.config

    def work() -> Payment:
        try:
            key_row = idempotency.claim(IDEMPOTENCY_SCOPE, key, fp, cfg["IDEMPOTENCY_TTL_HOURS"])
        except IntegrityError as exc:
            raise _Duplicate() from exc
        payment = Payment(public_id=public_id("pay"), reservation_id=reservation.id, method=method,
                          amount=amount, currency=reservation.currency, status=PaymentStatus.PENDING,
                          request_id=current_request_id(), **(extra or {}))
        db.session.add(payment)
        db.session.flush()
        key_row.resource_id = payment.public_id
        audit.record("payment.started", entity_type="payment", entity_id=payment.public_id,
                     reservation_id=reservation.id, to_state=PaymentStatus.PENDING,
                     data={"method": method, "amount": amount})
        return payment

    return run_in_transaction(work)


class _Duplicate(Exception):
    pass


def pay_by_card(reservation: Reservation, *, amount: Any, currency: Any, card: CardDetails,
                idempotency_key: str, actor: Actor | None = None) -> PaymentOutcome:
    """Charge the amount owed to a card through the gateway. See the module doc."""
    key = idempotency.validate_key(idempotency_key)
    fp = idempotency.fingerprint({"reservationID": reservation.public_id, "paymentMethod": "card",
                                  "amount": amount, "currency": currency, "last4": card.last4,
                                  "exp": [card.exp_month, card.exp_year]})
    existing = idempotency.find(IDEMPOTENCY_SCOPE, key)
    if existing is not None:
        return _replay(existing, fp)
    _check_payable(reservation, amount, currency)
    try:
        payment = _claim(reservation, PaymentMethod.CARD, amount, key, fp,
                         {"gateway": current_app.config["PAYMENT_GATEWAY"], "card_last4": card.last4})
    except _Duplicate:
        existing = idempotency.find(IDEMPOTENCY_SCOPE, key)
        if existing is None:
            raise IdempotencyInProgress()
        return _replay(existing, fp)
    payment_id, payment_key, code = payment.id, payment.public_id, reservation.code
    end_transaction()  # no transaction is held across the network call
    gateway = get_gateway()
    try:
        result = gateway.charge(idempotency_key=payment_key, amount=amount, currency=currency,
                                card=card, description=f"Booking {code}")
    except GatewayTimeout:
        log.warning("gateway timeout; payment left pending", extra={"payment": payment_key})
        result = None
    except GatewayUnavailable as exc:
        result = ChargeResult("failed", failure_code="gateway_unavailable", failure_message=str(exc))
    payment = apply_charge_result(payment_id, result, actor=actor, store_response_for=key)
    return PaymentOutcome(payment, payment_body(payment), False)


def apply_charge_result(payment_id: int, result: ChargeResult | None, *, actor: Actor | None = None,
                        store_response_for: str | None = None) -> Payment:
    """Transaction 2: record what the gateway said. Commits. Safe to run twice:
    a payment that is no longer pending is left as it is."""
    actor = actor or current_actor()

    def work() -> Payment:
        payment = db.session.execute(select(Payment).where(Payment.id == payment_id).with_for_update()
                                     .execution_options(populate_existing=True)).scalar_one()
        if result is not None and payment.status == PaymentStatus.PENDING:
            payment.gateway_charge_id = result.charge_id
            payment.card_token = result.card_token
            payment.card_last4 = result.last4 or payment.card_last4
            payment.card_brand = result.brand
            if result.succeeded:
                _complete(payment, actor)
            else:
                payment.status = next_state(payment.status, PaymentStatus.FAILED)
                payment.failure_code = result.failure_code
                payment.failure_message = result.failure_message
                audit.record("payment.failed", entity_type="payment", entity_id=payment.public_id,
                             reservation_id=payment.reservation_id, actor=actor,
                             from_state=PaymentStatus.PENDING, to_state=PaymentStatus.FAILED,
                             reason=result.failure_code)
        if store_response_for is not None and (result is not None or payment.status != PaymentStatus.PENDING):
            row = idempotency.find(IDEMPOTENCY_SCOPE, store_response_for)
            if row is not None and row.response_body is None:
                row.response_status = 201
                row.response_body = payment_body(payment)
        return payment

    return run_in_transaction(work)


def _complete(payment: Payment, actor: Actor, *, statement_line_id: int | None = None) -> None:
    """pending → completed with its ledger row, and the booking → paid; money for a
    booking that is no longer pending gets a refund request instead (no commit)."""
    from app.ledger.services import record_payment
    from app.refunds.policies import OurFault
    from app.refunds.services import request_refund

    payment.status = next_state(payment.status, PaymentStatus.COMPLETED)
    payment.completed_at = clock.now()
    record_payment(payment, actor=actor, statement_line_id=statement_line_id)
    audit.record("payment.completed", entity_type="payment", entity_id=payment.public_id,
                 reservation_id=payment.reservation_id, actor=actor, from_state=PaymentStatus.PENDING,
                 to_state=PaymentStatus.COMPLETED, data={"amount": payment.amount})
    reservation, moved = mark_paid(payment.reservation_id, actor=actor, reason=f"payment {payment.public_id}")
    if not moved and reservation.status != ReservationStatus.PAID:
        db.session.flush()
        request_refund(reservation, source="late_payment", our_fault=OurFault.HOLD_EXPIRED_WHILE_PAYING,
                       requested_reason="Payment arrived after the booking was canceled.", actor=actor)


def record_completed_payment(reservation: Reservation, *, method: str, amount: int, actor: Actor,
                             payer_name: str | None = None, reference: str | None = None,
                             details: dict[str, Any] | None = None,
                             statement_line_id: int | None = None) -> Payment:
    """A payment that already happened (a matched bank deposit, a manager's
    manual mark-as-paid): completed at once. No commit."""
    payment = Payment(public_id=public_id("pay"), reservation_id=reservation.id, method=method, amount=amount,
                      currency=reservation.currency, status=PaymentStatus.PENDING, payer_name=payer_name,
                      deposit_reference=reference, details=details, request_id=current_request_id())
    db.session.add(payment)
    db.session.flush()
    _complete(payment, actor, statement_line_id=statement_line_id)
    return payment


def start_bank_transfer(reservation: Reservation, *, amount: Any, currency: Any, idempotency_key: str,
                        actor: Actor | None = None) -> PaymentOutcome:
    """A bank-transfer order: `pending`, with the deposit instructions. One open
    order per booking: asking again returns the same one."""
    key = idempotency.validate_key(idempotency_key)
    fp = idempotency.fingerprint({"reservationID": reservation.public_id, "paymentMethod": "bank_transfer",
                                  "amount": amount, "currency": currency})
    existing = idempotency.find(IDEMPOTENCY_SCOPE, key)
    if existing is not None:
        return _replay(existing, fp)
    _check_payable(reservation, amount, currency)
    open_order = db.session.scalar(select(Payment).where(
        Payment.reservation_id == reservation.id, Payment.method == PaymentMethod.BANK_TRANSFER,
        Payment.status == PaymentStatus.PENDING))
    if open_order is not None:
        return PaymentOutcome(open_order, payment_body(open_order), True)
    try:
        payment = _claim(reservation, PaymentMethod.BANK_TRANSFER, amount, key, fp,
                         {"deposit_reference": reservation.code})
    except _Duplicate:
        existing = idempotency.find(IDEMPOTENCY_SCOPE, key)
        if existing is None:
            raise IdempotencyInProgress()
        return _replay(existing, fp)
    body = payment_body(payment)

    def store() -> None:
        row = idempotency.find(IDEMPOTENCY_SCOPE, key)
        row.response_status = 201
        row.response_body = body

    run_in_transaction(store)
    return PaymentOutcome(payment, body, False)


def cancel_pending_payments(reservation: Reservation, actor: Actor | None = None) -> None:
    """Close open bank-transfer orders of a canceled booking (no commit)."""
    for payment in db.session.scalars(select(Payment).where(
            Payment.reservation_id == reservation.id, Payment.status == PaymentStatus.PENDING,
            Payment.method == PaymentMethod.BANK_TRANSFER)):
        payment.status = next_state(payment.status, PaymentStatus.CANCELED)
        audit.record("payment.canceled", entity_type="payment", entity_id=payment.public_id,
                     reservation_id=reservation.id, actor=actor, from_state=PaymentStatus.PENDING,
                     to_state=PaymentStatus.CANCELED)


def settle_pending_card_payments(older_than: timedelta = timedelta(minutes=1)) -> int:
    """Ask the gateway about card payments still pending (timeouts). Safe to run twice."""
    cutoff = clock.now() - older_than
    ids = db.session.scalars(select(Payment.id).where(
        Payment.status == PaymentStatus.PENDING, Payment.method == PaymentMethod.CARD,
        Payment.created_at <= cutoff).order_by(Payment.id)).all()
    db.session.rollback()
    settled = 0
    gateway = get_gateway()
    for payment_id in ids:
        payment = db.session.get(Payment, payment_id)
        payment_key, created_at = payment.public_id, payment.created_at
        end_transaction()
        try:
            result = gateway.retrieve(payment_key)
        except (GatewayTimeout, GatewayUnavailable):
            continue
        if result is None:
            if clock.now() - created_at > timedelta(minutes=10):
                result = ChargeResult("failed", failure_code="not_received",
                                      failure_message="The gateway never received this charge.")
            else:
                continue
        apply_charge_result(payment_id, result, actor=Actor.system("payment-settlement"))
        settled += 1
    return settled


def get_payment(public: str) -> Payment:
    payment = db.session.scalar(select(Payment).where(Payment.public_id == public)) if isinstance(public, str) \
        else None
    if payment is None:
        raise NotFound()
    return payment
