"""When the minute's alert evaluation does not happen, the processes still alive do it.

The alert engine runs as a periodic job: the clock enqueues it and a worker runs it. So when the
clock stops, nothing would ever report "no clock", and when every worker stops, nothing would
report "no worker" (and nothing would send the message). Each long-running process therefore
asks, about once a minute, when the engine last ran (the heartbeat row `alerts-evaluate`, written
by every evaluation): if that was more than STALE_AFTER ago, it runs the evaluation itself and
sends the alert messages that are due directly, with the same exactly-once send as the job
(a worker may be missing). Both the worker (workers.worker.FrontdeskWorker's maintenance) and the
clock (workers.clock) call tick(); running it twice at once is harmless (each alert opens once,
each message is claimed once).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from app.core import clock
from app.core.db import run_in_transaction
from app.extensions import db

log = logging.getLogger(__name__)

#: The heartbeat row every evaluation writes.
HEARTBEAT = "alerts-evaluate"
#: The engine runs every minute; three minutes without a run means its job is not being run.
STALE_AFTER = timedelta(minutes=3)
#: At most this many alert messages sent directly per tick (the rest at the next tick).
SEND_AT_MOST = 50


def record_evaluated(totals: dict[str, int], now: datetime | None = None) -> None:
    from app.ops.health import record_heartbeat

    run_in_transaction(lambda: record_heartbeat(HEARTBEAT, dict(totals), now=now))


def last_evaluated() -> datetime | None:
    from app.ops.health import last_heartbeat

    row = last_heartbeat(HEARTBEAT)
    db.session.rollback()
    return row.seen_at if row is not None else None


def evaluation_is_stale(now: datetime | None = None) -> bool:
    seen = last_evaluated()
    return seen is None or (now or clock.now()) - seen > STALE_AFTER


def send_due_alert_messages(now: datetime | None = None, limit: int = SEND_AT_MOST) -> dict[str, int]:
    """Send the alert messages that are due, here and now (no worker needed)."""
    from app.notifications.delivery import send_message
    from app.notifications.models import OutboxMessage, OutboxStatus

    now = now or clock.now()
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.event.like("alert.%"),
               or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.id).limit(limit)).all()
    db.session.rollback()
    outcomes: dict[str, int] = {}
    for message_id in ids:
        outcome = send_message(message_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def tick(who: str, now: datetime | None = None) -> bool:
    """Run the evaluation (and send its messages) if nobody has for STALE_AFTER. True if it ran."""
    from app.alerts import services

    if not evaluation_is_stale(now):
        return False
    log.warning("%s: the alert engine has not run for %s minutes; running it here",
                who, int(STALE_AFTER.total_seconds() // 60), extra={"alert": "WARNING"})
    services.evaluate(now)
    sent = send_due_alert_messages(now)
    log.info("%s: alert messages sent directly: %s", who, sent)
    return True
