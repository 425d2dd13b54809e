"""What people do with a reconciliation item (policies.ACTIONS). Each commits once, needs a written
reason, is audited, and re-checks under the item's lock that it is still open, so two people (or a
double click) resolve an item once.

- `take_item`: who owns it (any operator of the right role; a manager may hand it to someone).
- `sync_status`: ask the gateway or the bank and record its answer through the existing path
  (payments' apply_charge_result, the card refund's send/check, the payout's attempt), exactly as if
  the answer had come on time. This is the one place reconciliation changes a payment, refund or
  payout: because a person chose it.
- `refund_capture` (manager): a double or unknown capture goes back to the card at the gateway
  (idempotency key `reconcile-<item>`, so pressing twice refunds once); the capture and its refund
  are written to the ledger, tied to no booking.
- `write_off` (manager): the difference is accepted; the audit log records it. No money moves.
- `explained`: closed with the explanation. Nothing else changes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import audit, clock
from app.core.actor import Actor
from app.core.db import end_transaction, run_in_transaction
from app.core.errors import Forbidden, IllegalTransition, NotFound, ValidationFailed
from app.extensions import db
from app.reconcile.models import ReconciliationItem
from app.reconcile.policies import ACTIONS, ItemStatus, actions_for

log = logging.getLogger(__name__)
REASON_LIMIT = 1000


class ItemClosed(IllegalTransition):
    default_message = _l("Someone resolved this item meanwhile; nothing was done twice.")


class NothingToSync(IllegalTransition):
    default_message = _l("There is nothing to bring up to date: the gateway or the bank has no record of it.")


class StillWaiting(IllegalTransition):
    default_message = _l("The gateway or the bank has not answered yet. Nothing changed; try again in a minute.")


@dataclass
class Resolution:
    item: ReconciliationItem
    action: str
    details: dict = field(default_factory=dict)


def get_item(public_id: str) -> ReconciliationItem:
    item = db.session.scalar(select(ReconciliationItem).where(ReconciliationItem.public_id == public_id)) \
        if isinstance(public_id, str) and len(public_id) <= 40 else None
    if item is None:
        raise NotFound()
    return item


def offered_actions(item: ReconciliationItem) -> tuple[str, ...]:
    """The actions this item offers now (none once it is resolved); the first is the recommendation."""
    if item.status != ItemStatus.OPEN:
        return ()
    facts = item.facts or {}
    return actions_for(item.type, can_sync=bool(facts.get("sync")), can_refund=bool(facts.get("refund_capture")))


def _lock(item_id: int) -> ReconciliationItem:
    item = db.session.execute(select(ReconciliationItem).where(ReconciliationItem.id == item_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()
    if item.status != ItemStatus.OPEN:
        raise ItemClosed()
    return item


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": _l("Write the reason in a sentence.")})
    if len(reason) > REASON_LIMIT:
        raise ValidationFailed(fields={"reason": _l("At most %(n)s characters.", n=REASON_LIMIT)})
    return reason


def take_item(public_id: str, owner, *, actor: Actor) -> ReconciliationItem:
    """Make `owner` (an Operator, or None for nobody) the item's owner. Commits; audited; repeating it
    changes nothing."""
    item_id = get_item(public_id).id

    def work() -> ReconciliationItem:
        item = db.session.execute(select(ReconciliationItem).where(ReconciliationItem.id == item_id)
                                  .with_for_update().execution_options(populate_existing=True)).scalar_one()
        new = owner.id if owner is not None else None
        if item.owner_id != new:
            audit.record("reconciliation_item.owner_changed", entity_type="reconciliation_item",
                         entity_id=item.public_id, reservation_id=item.reservation_id, actor=actor,
                         data={"from": item.owner_id, "to": new})
            item.owner_id = new
        return item

    return run_in_transaction(work)


def _close(item_id: int, action: str, reason: str, actor: Actor, details: dict | None = None) -> ReconciliationItem:
    """Inside a transaction: lock, re-check open, resolve, audit."""
    item = _lock(item_id)
    item.status, item.resolution, item.resolution_reason = ItemStatus.RESOLVED, action, reason
    item.resolved_by, item.resolved_at, item.resolution_details = actor.name[:200], clock.now(), details or None
    if item.owner_id is None and actor.is_operator:
        item.owner_id = actor.id
    data = {"type": item.type, "internal": item.internal_amount, "external": item.external_amount,
            "difference": item.difference, **(details or {})}
    audit.record("reconciliation_item.written_off" if action == "write_off" else "reconciliation_item.resolved",
                 entity_type="reconciliation_item", entity_id=item.public_id, reservation_id=item.reservation_id,
                 actor=actor, from_state=ItemStatus.OPEN, to_state=ItemStatus.RESOLVED, reason=reason,
                 data={"action": action, **data})
    return item


def resolve_item(public_id: str, action: str, *, reason: str | None, actor: Actor, is_manager: bool) -> Resolution:
    """Carry out one action on an open item (see the module doc). Commits.

    Raises ValidationFailed (no reason), Forbidden (a manager's action), IllegalTransition (the action is not
    offered, or the item was resolved meanwhile: ItemClosed; the other side had nothing: NothingToSync)."""
    item = get_item(public_id)
    if action not in ACTIONS:
        raise NotFound()
    if ACTIONS[action]["role"] == "manager" and not is_manager:
        raise Forbidden(_l("Only a manager can do this."))
    reason = _reason(reason)
    if item.status != ItemStatus.OPEN:
        raise ItemClosed()
    if action not in offered_actions(item):
        raise IllegalTransition(fields={"action": _l("This action does not fit this item.")})
    if action == "write_off":
        # Four eyes (app.approvals): at or above FOUR_EYES_ABOVE another manager approves first.
        from app.approvals import guard

        guard.require("write_off", abs(item.difference or 0), actor=actor, currency=item.currency or "KRW")
    item_id, facts, money_moved = item.id, dict(item.facts or {}), None
    if action == "sync_status":
        details = _sync(item, facts, actor, reason)
    elif action == "refund_capture":
        details, money_moved = _refund_capture(item, actor)
    else:
        details = {"writtenOff": item.difference} if action == "write_off" else {}

    def work() -> ReconciliationItem | None:
        if money_moved is not None:
            money_moved()  # the gateway gave it back: its ledger rows are written whoever closes the item
        try:
            return _close(item_id, action, reason, actor, details)
        except ItemClosed:
            return None

    closed = run_in_transaction(work)
    if closed is None:
        raise ItemClosed()
    return Resolution(closed, action, details)


# --- asking the other side ---------------------------------------------------------------------------

def _sync(item: ReconciliationItem, facts: dict, actor: Actor, reason: str) -> dict:
    kind = facts.get("sync")
    end_transaction()
    if kind == "charge":
        return _sync_charge(facts["payment_id"], actor)
    if kind == "refund":
        return _sync_refund(facts["refund_id"], actor, reason)
    if kind == "payout":
        return _sync_payout(facts["payout_id"])
    raise NothingToSync()


def _sync_charge(payment_id: int, actor: Actor) -> dict:
    from app.payments.gateway import GatewayTimeout, GatewayUnavailable, get_gateway
    from app.payments.models import Payment
    from app.payments.services import apply_charge_result

    payment = db.session.get(Payment, payment_id)
    key = payment.public_id
    end_transaction()
    try:
        result = get_gateway().retrieve(key)
    except (GatewayTimeout, GatewayUnavailable):
        raise IllegalTransition(fields={"action": _l("The gateway did not answer. Try again in a minute.")}) from None
    if result is None:
        raise NothingToSync()
    payment = apply_charge_result(payment_id, result, actor=actor)
    if payment.status == "pending":
        raise StillWaiting()
    return {"payment": payment.public_id, "paymentStatus": payment.status, "gatewayStatus": result.status}


def _sync_refund(refund_id: int, actor: Actor, reason: str) -> dict:
    """Ask the gateway about the refund's own key and settle it through the card refunds' path; a
    refund the gateway never received is sent with that same key (it refunds a key once). A failed
    refund is first put back to processing, as its page's "send again" does."""
    from app.payments.gateway import GatewayTimeout, GatewayUnavailable, get_gateway
    from app.refunds import card
    from app.refunds.decisions import lock_refund, lock_reservation, send_again
    from app.refunds.models import Refund

    refund = db.session.get(Refund, refund_id)
    status, key, reservation_id = refund.status, card.gateway_key(refund), refund.reservation_id
    end_transaction()
    if status == "failed":
        send_again(refund_id, actor=actor, reason=reason)
    gateway = get_gateway()
    try:
        answer = gateway.refund_status(key) if hasattr(gateway, "refund_status") else None
    except (GatewayTimeout, GatewayUnavailable):
        raise StillWaiting() from None
    if answer is None:
        card.run_card_refund(refund_id)
    else:
        def work() -> None:
            lock_reservation(reservation_id)
            locked = lock_refund(refund_id)
            if locked.status == "processing":
                card.settle(locked, answer, via="reconciliation")

        run_in_transaction(work)
    refund = db.session.get(Refund, refund_id, populate_existing=True)
    if refund.status == "processing":
        raise StillWaiting()
    return {"refund": refund.public_id, "refundStatus": refund.status}


def _sync_payout(payout_id: int) -> dict:
    from app.remittance.models import Payout
    from app.remittance.services import run_payout_attempt

    payout = db.session.get(Payout, payout_id)
    number, status = payout.attempt_count, payout.status
    end_transaction()
    if status == "transferring":
        run_payout_attempt(payout_id, number)
    payout = db.session.get(Payout, payout_id, populate_existing=True)
    if payout.status == "transferring":
        raise StillWaiting()
    return {"payout": payout.public_id, "payoutStatus": payout.status}


def _refund_capture(item: ReconciliationItem, actor: Actor):
    """Give a capture back to the card (the network call outside any transaction). Returns what to
    record and a function writing the capture and its refund to the ledger (no commit)."""
    from app.ledger.services import record_capture_refund, record_found_card_charge
    from app.payments.gateway import GatewayTimeout, GatewayUnavailable, get_gateway

    row = dict(item.external or {})
    charge_id, amount, currency = row.get("transactionId"), row.get("amount"), row.get("currency") or item.currency
    if not charge_id or not isinstance(amount, int) or amount <= 0:
        raise IllegalTransition(fields={"action": _l("This action does not fit this item.")})
    key, public = f"reconcile-{item.public_id}", item.public_id
    business_date = date.fromisoformat(row["businessDate"])
    occurred_at = datetime.fromisoformat(row["transactedAt"])
    end_transaction()
    try:
        result = get_gateway().refund(idempotency_key=key, charge_id=charge_id, amount=amount, currency=currency)
    except (GatewayTimeout, GatewayUnavailable):
        raise IllegalTransition(fields={"action": _l("The gateway did not answer. Try again in a minute; "
                                                     "nothing is given back twice.")}) from None
    if result.status != "succeeded":
        def refused() -> None:
            audit.record("reconciliation_item.refund_refused", entity_type="reconciliation_item",
                         entity_id=public, actor=actor, reason=result.failure_code,
                         data={"charge": charge_id, "amount": amount})
        run_in_transaction(refused)
        raise IllegalTransition(fields={"action": _l("The gateway refused to give it back (%(code)s). Ask the "
                                                     "gateway, then mark the item as explained.",
                                                     code=result.failure_code or "?")})

    def ledger() -> None:
        record_found_card_charge(transaction_id=charge_id, amount=amount, currency=currency, occurred_at=occurred_at,
                                 business_date=business_date, order_id=row.get("orderId") or "", actor=actor,
                                 details={"reconciliationItem": public})
        record_capture_refund(refund_id=result.refund_id, charge_id=charge_id, amount=amount, currency=currency,
                              actor=actor, details={"reconciliationItem": public})

    return {"gatewayRefund": result.refund_id, "amount": amount}, ledger
