"""Gateway webhooks: receiving them (POST /v1/webhooks/gateway) and, for the
sandbox gateway, delivering them.

A webhook only tells us *which* charge changed. We never trust its body for
the outcome: we ask the gateway (`retrieve`) and record what it says through
`apply_charge_result`, which leaves a payment that is no longer pending as it
is. Receiving the same webhook twice therefore changes nothing the second time.

The sandbox gateway queues its webhooks in its own store;
`deliver_sandbox_webhooks` (a periodic job) posts them, signed, to our own
endpoint, as a real processor would.
"""
from __future__ import annotations

import hmac
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.core.actor import Actor
from app.core.db import end_transaction
from app.extensions import db
from app.payments.gateway import get_gateway, uses_sandbox_gateway
from app.payments.models import Payment
from app.payments.services import apply_charge_result
from app.payments.states import PaymentMethod, PaymentStatus

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Sandbox-Signature"
WEBHOOK_PATH = "/v1/webhooks/gateway"
DELIVERY_TIMEOUT_SECONDS = 10
DELIVERY_BUDGET_SECONDS = 45  # a run must end before the next one starts (every minute)
DELIVERY_BATCH = 500


def signature_valid(body: bytes, signature: str | None) -> bool:
    """The HMAC-SHA256 of the raw body with the shared secret, compared in constant time."""
    if not signature or not current_app.config.get("GATEWAY_WEBHOOK_SECRET"):
        return False
    from app.payments.sandbox import SandboxGateway

    expected = SandboxGateway.from_config(current_app.config).sign(body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


@dataclass
class WebhookOutcome:
    payment: Payment | None
    changed: bool


def charge_reference(payload: Any) -> str | None:
    """The payment id the gateway knows the charge by (our public payment id), or None."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        return None
    key = payload["data"].get("idempotencyKey")
    return key if isinstance(key, str) and 0 < len(key) <= 40 else None


def handle_charge_webhook(payment_public_id: str) -> WebhookOutcome:
    """Settle the card payment a webhook points at by asking the gateway. Commits.

    Safe to run twice (and in any order with the settlement sweep and the
    paying request itself): only a pending payment is changed. Raises
    GatewayTimeout/GatewayUnavailable when the gateway cannot be asked, so the
    sender retries later.
    """
    payment = db.session.scalar(select(Payment).where(Payment.public_id == payment_public_id))
    if payment is None or payment.method != PaymentMethod.CARD:
        log.warning("webhook for an unknown charge ignored", extra={"payment": payment_public_id})
        end_transaction()
        return WebhookOutcome(None, False)
    if payment.status != PaymentStatus.PENDING:
        end_transaction()
        return WebhookOutcome(payment, False)
    payment_id = payment.id
    end_transaction()  # no transaction is held across the network call
    result = get_gateway().retrieve(payment_public_id)
    if result is None:
        log.warning("webhook for a charge the gateway does not know", extra={"payment": payment_public_id})
        return WebhookOutcome(db.session.get(Payment, payment_id), False)
    payment = apply_charge_result(payment_id, result, actor=Actor.system("gateway-webhook"))
    log.info("payment settled by webhook", extra={"payment": payment_public_id, "status": payment.status})
    return WebhookOutcome(payment, payment.status != PaymentStatus.PENDING)


def deliver_sandbox_webhooks() -> int:
    """Post the sandbox gateway's undelivered webhooks to PUBLIC_BASE_URL + /v1/webhooks/gateway.

    Each is signed like the gateway signs it and marked delivered on a 2xx
    answer; otherwise its attempt is counted and it is tried again next run.
    Stops early when our endpoint cannot be reached or asks us to slow down
    (429). Touches no Frontdesk table. Safe to run twice: a webhook delivered
    twice is harmless (see handle_charge_webhook). Returns how many were delivered.
    """
    if not uses_sandbox_gateway():
        return 0
    from app.payments.sandbox import SandboxGateway

    end_transaction()
    gateway = SandboxGateway.from_config(current_app.config)
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + WEBHOOK_PATH
    deadline = time.monotonic() + DELIVERY_BUDGET_SECONDS
    delivered = 0
    for webhook_id, body in gateway.undelivered_webhooks(limit=DELIVERY_BATCH):
        if time.monotonic() > deadline:
            break
        status = _post(url, body, gateway.sign(body))
        ok = status is not None and 200 <= status < 300
        gateway.mark_webhook(webhook_id, ok)
        if ok:
            delivered += 1
            continue
        log.warning("webhook not delivered", extra={"webhook": webhook_id, "status": status, "url": url})
        if status is None or status == 429:
            break  # unreachable or throttled: the rest would fail the same way
    return delivered


def _post(url: str, body: bytes, signature: str) -> int | None:
    """POST one webhook; the HTTP status, or None when nothing answered."""
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", SIGNATURE_HEADER: signature, "User-Agent": "sandbox-gateway"})
    try:
        with urllib.request.urlopen(req, timeout=DELIVERY_TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code
    except (urllib.error.URLError, OSError):
        return None

