"""Card refunds at the gateway: the send, the scheduled status checks, and the safety net.

A card refund is `processing` from its approval until the gateway's answer is recorded:

1. the send job (`refunds-card-<id>`) sends it with the refund's idempotency key
   (`gateway_key`); an answer settles it: `completed` or `failed`;
2. no answer (a timeout, or the gateway unavailable): the outcome is unknown. The
   refund's next check is written on it (`next_check_at`, policies.REFUND_CHECK_DELAYS)
   and a check job is enqueued for that very moment with RQ's enqueue_at
   (`refunds-check-<id>-<n>`, the worker runs `--with-scheduler`);
3. a check asks the gateway about the key (`refund_status`): an answer settles it; "never
   received" sends it again with the same key (the gateway refunds a key once, so this is
   safe); still no answer → the next check. When the last check has no answer either, the
   refund is `failed` and waits for a person ("Send again" on its page);
4. every minute the safety net (`sweep_card_refunds`, workers/cron.py) rings the checks
   that are due but were not rung (Redis lost the job, the scheduler was down).

Approving already writes the first check time, so a send job that never ran (Redis was
down at the approval) is caught by the safety net too. No transaction is open during a
gateway call; every answer is applied under the reservation's and the refund's locks,
after re-checking that the refund is still `processing`, so a job run twice, a check
racing the send job or two checks at once settle the refund once.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import and_, or_, select

from app.core import audit, clock
from app.core.db import end_transaction, run_in_transaction
from app.core.jobs import job_id_for
from app.extensions import db
from app.ledger.services import record_card_refund
from app.refunds.decisions import (
    SYSTEM,
    _move,
    count_refunded,
    lock_refund,
    lock_reservation,
    on_refund_completed,
)
from app.refunds.models import Refund
from app.refunds.policies import MAX_REFUND_CHECKS, next_check_at
from app.refunds.states import RefundStatus

log = logging.getLogger(__name__)

CHECK_JOB = "workers.jobs.refunds.run_refund_check"
R = RefundStatus
#: A processing refund with no check time (written before checks existed) is picked up
#: by the safety net once it has been left alone this long.
UNSCHEDULED_AFTER = timedelta(minutes=1)


def gateway_key(refund: Refund) -> str:
    """The gateway's idempotency key: derived from our refund, so a retry refunds once."""
    return f"refund-{refund.public_id}"


def check_job_id(refund_id: int, number: int) -> str:
    """`refunds-check-<refund>-<n>`: one RQ job id per check."""
    return job_id_for("refunds", "check", f"{refund_id}-{number}")


def ring_check(refund: Refund) -> None:
    """Enqueue the refund's next check for its `next_check_at`, once the transaction commits."""
    from app.remittance.doorbell import schedule_after_commit

    schedule_after_commit(CHECK_JOB, refund.id, refund.checks + 1, job_id=check_job_id(refund.id, refund.checks + 1),
                          queue="high", at=refund.next_check_at)


# --- the send job -------------------------------------------------------------------------------


def run_card_refund(refund_id: int) -> str:
    """The job `refunds-card-<id>`: send a processing card refund to the gateway and record the
    answer ("completed" / "failed"), or schedule its first check ("unknown"). Safe to run twice."""
    from app.payments.gateway import GatewayTimeout, GatewayUnavailable, get_gateway

    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.status != R.PROCESSING or refund.payment is None:
        return "nothing"
    key, charge_id = gateway_key(refund), refund.payment.gateway_charge_id
    amount, currency = refund.amount, refund.currency
    end_transaction()                                   # no transaction open during the network call
    try:
        result = get_gateway().refund(idempotency_key=key, charge_id=charge_id, amount=amount, currency=currency)
    except (GatewayTimeout, GatewayUnavailable) as exc:
        log.warning("card refund %s: no answer from the gateway (%s); it will be asked", refund_id, exc)
        result = None
    return run_in_transaction(lambda: _after_send(refund_id, result))


def _after_send(refund_id: int, result) -> str:
    locked = _lock(refund_id)
    if locked.status != R.PROCESSING:
        return "nothing"
    if result is not None:
        return settle(locked, result, via="answer")
    if locked.checks and locked.next_check_at is not None:
        return "unknown"        # sent again by a person while checks run: their schedule stands
    return _schedule_next(locked, reason="no_answer")


# --- the checks -----------------------------------------------------------------------------------


def run_refund_check(refund_id: int, number: int) -> str:
    """The job `refunds-check-<id>-<n>`: check `number` of a refund whose outcome is unknown.

    Asks the gateway about the refund's key; never received → sends it again with the same key.
    Returns "completed" / "failed" (settled), "unknown" (the next check is scheduled), "gave_up"
    (the checks are used up: `failed`, for a person) or "nothing" (not due, or already done).
    Safe to run twice and concurrently with the send job: the gateway refunds a key once and
    the answer is applied under lock, once.
    """
    from app.payments.gateway import GatewayTimeout, GatewayUnavailable, get_gateway

    plan = run_in_transaction(lambda: _due_check(refund_id, number))
    if plan is None:
        return "nothing"
    key, charge_id, amount, currency = plan
    gateway, resent = get_gateway(), False
    try:
        result = gateway.refund_status(key)
        if result is None:
            # The gateway never received it: send it again; the same key cannot refund twice.
            resent = True
            log.warning("card refund %s never reached the gateway; sending it again", refund_id)
            result = gateway.refund(idempotency_key=key, charge_id=charge_id, amount=amount, currency=currency)
    except (GatewayTimeout, GatewayUnavailable) as exc:
        log.warning("card refund %s: check %s got no answer (%s)", refund_id, number, exc)
        result = None
    return run_in_transaction(lambda: _after_check(refund_id, number, result, resent))


def _due_check(refund_id: int, number: int) -> tuple[str, str, int, str] | None:
    """What the check needs, if check `number` is the refund's next one and is due (read only)."""
    refund = db.session.get(Refund, refund_id, populate_existing=True)
    if refund is None or refund.status != R.PROCESSING or refund.payment is None or refund.checks != number - 1:
        return None
    if refund.next_check_at is not None and refund.next_check_at > clock.now():
        return None
    return gateway_key(refund), refund.payment.gateway_charge_id, refund.amount, refund.currency


def _after_check(refund_id: int, number: int, result, resent: bool) -> str:
    locked = _lock(refund_id)
    if locked.status != R.PROCESSING:
        return "nothing"
    if result is not None:
        return settle(locked, result, via="resend" if resent else "check")
    if locked.checks != number - 1:   # another run of this check already counted it
        return "nothing"
    locked.checks = number
    return _schedule_next(locked, reason="resent_no_answer" if resent else "no_answer")


def _schedule_next(refund: Refund, *, reason: str) -> str:
    """No answer yet: write the next check time and ring it for then; or, the checks used
    up, the refund fails for a person. No commit."""
    when = next_check_at(refund.checks, clock.now())
    if when is None:
        refund.next_check_at = None
        refund.failure_message = (f"no_answer: the card company did not answer after {MAX_REFUND_CHECKS} checks; "
                                  f"the refund may not have happened")
        _move(refund, R.FAILED, actor=SYSTEM, reason="no_answer", data={"checks": refund.checks})
        log.warning("[WARNING] card refund %s: no answer after %s checks; a person must look", refund.public_id,
                    refund.checks, extra={"alert": "WARNING", "refund": refund.public_id})
        return "gave_up"
    refund.next_check_at = when
    audit.record("refund.check_scheduled", entity_type="refund", entity_id=refund.public_id,
                 reservation_id=refund.reservation_id, actor=SYSTEM, reason=reason,
                 data={"checks_done": refund.checks, "next_check_at": when.isoformat()})
    ring_check(refund)
    return "unknown"


# --- applying the gateway's answer --------------------------------------------------------------


def settle(refund: Refund, result, *, via: str) -> str:
    """Record the gateway's answer on a locked processing refund. No commit."""
    refund.next_check_at = None
    if result.status == "succeeded":
        refund.gateway_refund_id = result.refund_id
        _move(refund, R.COMPLETED, actor=SYSTEM, data={"gateway_refund_id": result.refund_id, "via": via,
                                                      "checks": refund.checks})
        record_card_refund(refund, actor=SYSTEM)
        count_refunded(refund)
        on_refund_completed(refund, actor=SYSTEM)
        return "completed"
    refund.failure_message = f"{result.failure_code}: {result.failure_message}"
    _move(refund, R.FAILED, actor=SYSTEM, reason=result.failure_code, data={"via": via})
    return "failed"


def _lock(refund_id: int) -> Refund:
    """The refund's booking, then the refund, locked in that order (as everywhere)."""
    current = db.session.get(Refund, refund_id)
    lock_reservation(current.reservation_id)
    return lock_refund(refund_id)


# --- the safety net ---------------------------------------------------------------------------------


def sweep_card_refunds(limit: int = 500) -> dict[str, int]:
    """Every minute: ring the checks of processing card refunds that are due (their job was
    lost, or the scheduler is late or down). Safe to run twice and alongside the scheduler:
    ringing is idempotent per job id and every check re-checks the database."""
    from app.remittance.doorbell import enqueue_due

    now = clock.now()
    due = db.session.execute(select(Refund.id, Refund.checks).where(
        Refund.status == R.PROCESSING,
        or_(Refund.next_check_at <= now,
            and_(Refund.next_check_at.is_(None), Refund.updated_at <= now - UNSCHEDULED_AFTER)))
        .order_by(Refund.next_check_at).limit(limit)).all()
    end_transaction()
    rung = sum(1 for rid, checks in due
               if enqueue_due(CHECK_JOB, rid, checks + 1, job_id=check_job_id(rid, checks + 1), queue="high"))
    if rung:
        log.info("card refund sweep: %s checks rung", rung)
    return {"rung": rung}
