"""/v1/payments and the gateway's webhook endpoint.

Card details are checked here (Luhn, expiry, CVC) before anything is
recorded; they then live only in memory (`CardDetails`) on their way to the
gateway. Nothing in this module logs a request body.
"""
from __future__ import annotations

import re
from typing import Any

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import ServiceUnavailable

from app.api import bp
from app.api.auth import bearer_token, check_reservation_access
from app.api.common import field_text, json_body, reject_unknown
from app.booking.queries import get_reservation_by_public_id
from app.core import clock
from app.core.errors import Unauthorized, ValidationFailed
from app.core.idempotency import MAX_KEY_LENGTH
from app.payments.gateway import CardDetails, GatewayTimeout, GatewayUnavailable, luhn_ok
from app.payments.services import get_payment, pay_by_card, payment_body, start_bank_transfer
from app.payments.states import PaymentMethod
from app.payments.webhooks import SIGNATURE_HEADER, charge_reference, handle_charge_webhook, signature_valid

PAYMENT_FIELDS = {"reservationID", "paymentMethod", "amount", "currency", "paymentDetails", "idempotencyKey"}
CARD_FIELDS = {"cardNumber", "expMonth", "expYear", "cvc", "holderName"}
_CARD_SEPARATORS = re.compile(r"[ \-]")
_CVC = re.compile(r"^[0-9]{3,4}$")


def parse_card(details: Any, errors: dict[str, Any]) -> CardDetails | None:
    """The card as typed, checked without the gateway; messages never repeat the number."""
    if not isinstance(details, dict):
        errors["paymentDetails"] = _l("Required for a card: cardNumber, expMonth, expYear, cvc, holderName.")
        return None
    prefix = "paymentDetails."
    before = len(errors)
    for name in sorted(set(details) - CARD_FIELDS):
        errors[prefix + name] = _l("Unknown field.")
    raw = details.get("cardNumber")
    number = _CARD_SEPARATORS.sub("", raw) if isinstance(raw, str) else ""
    if not luhn_ok(number):
        errors[prefix + "cardNumber"] = _l("This is not a valid card number. Check the digits.")
    month, year = details.get("expMonth"), details.get("expYear")
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        errors[prefix + "expMonth"] = _l("The expiry month, a whole number from 1 to 12.")
        month = None
    now = clock.now()
    if isinstance(year, int) and not isinstance(year, bool) and 0 <= year <= 99:
        year += 2000  # "27" on the card
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2099:
        errors[prefix + "expYear"] = _l("The expiry year, such as %(year)s.", year=now.year + 2)
        year = None
    if month and year and (year, month) < (now.year, now.month):
        errors[prefix + "expYear"] = _l("This card has expired.")
    cvc = details.get("cvc")
    if not isinstance(cvc, str) or not _CVC.match(cvc):
        errors[prefix + "cvc"] = _l("The 3 or 4 digits on the back of the card, as text.")
    holder = field_text(details.get("holderName"), prefix + "holderName", errors, limit=100)
    if len(errors) > before:
        return None
    return CardDetails(number, month, year, cvc, holder or "")


@bp.post("/payments")
def create_payment_endpoint():
    """Pay what a reservation owes, by card (201 completed/failed, or pending on a
    gateway timeout) or by bank transfer (201 pending with deposit instructions)."""
    if not bearer_token():
        raise Unauthorized(_l("Send the reservation's access token or an operator token (Authorization: Bearer …)."))
    data = json_body()
    errors: dict[str, Any] = {}
    reject_unknown(data, PAYMENT_FIELDS, errors)
    reservation_id = data.get("reservationID")
    if not isinstance(reservation_id, str) or not reservation_id:
        errors["reservationID"] = _l("Required: the reservation's id.")
    key = request.headers.get("Idempotency-Key") or data.get("idempotencyKey")
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        errors["idempotencyKey"] = _l("Required: a unique key per payment (header Idempotency-Key), "
                                      "at most %(n)s characters.", n=MAX_KEY_LENGTH)
    method = data.get("paymentMethod")
    if not isinstance(method, str) or method not in set(PaymentMethod):
        errors["paymentMethod"] = _l("One of card, bank_transfer.")
    amount, currency = data.get("amount"), data.get("currency")
    if isinstance(amount, dict) and currency is None:  # a money object is accepted too
        amount, currency = amount.get("amount"), amount.get("currency")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        errors["amount"] = _l("The amount owed, in whole minor units (no decimals).")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        errors["currency"] = _l("A 3-letter currency code such as KRW.")
    card = parse_card(data.get("paymentDetails"), errors) if method == PaymentMethod.CARD else None
    if errors:
        raise ValidationFailed(fields=errors)
    reservation = get_reservation_by_public_id(reservation_id)
    check_reservation_access(reservation)
    if method == PaymentMethod.CARD:
        outcome = pay_by_card(reservation, amount=amount, currency=currency, card=card, idempotency_key=key)
    else:
        outcome = start_bank_transfer(reservation, amount=amount, currency=currency, idempotency_key=key)
    return jsonify(outcome.body), 201


@bp.get("/payments/<payment_id>")
def get_payment_endpoint(payment_id: str):
    payment = get_payment(payment_id)
    check_reservation_access(payment.reservation)
    return jsonify(payment_body(payment))


@bp.post("/webhooks/gateway")
def gateway_webhook_endpoint():
    """The gateway says a charge changed: verify the signature, then ask the gateway."""
    body = request.get_data(cache=True)
    if not signature_valid(body, request.headers.get(SIGNATURE_HEADER)):
        raise Unauthorized(_l("The webhook signature is missing or wrong."))
    reference = charge_reference(request.get_json(silent=True))
    if reference is None:
        raise ValidationFailed(_l("The webhook does not name a charge (data.idempotencyKey)."))
    try:
        outcome = handle_charge_webhook(reference)
    except (GatewayTimeout, GatewayUnavailable) as exc:
        raise ServiceUnavailable() from exc
    payment = outcome.payment
    return jsonify({"received": True, "paymentID": payment.public_id if payment else None,
                    "status": payment.status if payment else None, "changed": outcome.changed})
