"""The outbox relay: nothing is lost when Redis is down, restarted or evicts keys.

RQ is only the doorbell; the outbox row is the work. Every minute the relay

1. takes back messages left `sending` longer than the lease (their worker
   died mid-send): they go back to `pending` and are sent again with the
   same Message-ID, or to `failed` when that was the last allowed try;
2. rings the doorbell for every `pending` message that is due and has no
   live job: one job id per try, `notifications-send-<message id>-<tries so
   far>`. A job for this try that is still queued, scheduled or running is
   left alone (so the relay never piles up duplicates behind a busy worker);
   a job that is gone (Redis restarted, key evicted) or ended is enqueued
   again. A new try gets a new id, so a retry never overwrites the record of
   the previous try in RQ's registries. Should a duplicate job slip through
   anyway, the worker's guarded claim (`pending → sending`) makes it a no-op.

The relay reads due messages in pages of RELAY_BATCH within a time budget,
and checks and enqueues them pipelined, so a backlog of 100,000 costs seconds
per run. Bulk inserts (hold expiry) do not wait for it: they queue one
fan-out job per batch (`ring_doorbells`) that a worker runs right away.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import or_, select, update

from app.core import audit, clock
from app.core.actor import Actor
from app.core.context import current_request_id
from app.core.db import run_in_transaction
from app.core.jobs import job_id_for
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.policies import MAX_ATTEMPTS, RELAY_BATCH, RELAY_TIME_BUDGET_SECONDS, SENDING_LEASE
from app.notifications.states import OutboxStatus, next_state

log = logging.getLogger(__name__)

SEND_JOB = "workers.jobs.notifications.send_message"
RING_JOB = "workers.jobs.notifications.ring_doorbells"
SEND_QUEUE = "default"
SEND_JOB_TIMEOUT = 300  # seconds; RQ kills a try that takes longer (well inside SENDING_LEASE)
_LIVE = {"queued", "started", "scheduled", "deferred"}
_CHUNK = 500


def send_job_id(message_id: int, tries_so_far: int) -> str:
    """The RQ job id of one try of one message."""
    return job_id_for("notifications", "send", f"{message_id}-{tries_so_far}")


def ring_doorbells(messages: list[tuple[int, int, str | None]]) -> int:
    """Enqueue a send job for each (message id, tries so far, request id) that
    has no live job. Returns how many were enqueued; 0 when Redis is down
    (the next relay run tries again). Safe to call twice."""
    from rq import Queue
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    from app.extensions import get_queue, redis_connection

    if not messages:
        return 0
    try:
        conn = redis_connection()
        queue = get_queue(SEND_QUEUE)
        failed_key = FailedJobRegistry(SEND_QUEUE, connection=conn).key
        enqueued = 0
        for start in range(0, len(messages), _CHUNK):
            chunk = messages[start:start + _CHUNK]
            ids = [send_job_id(message_id, tries) for message_id, tries, _ in chunk]
            with conn.pipeline(transaction=False) as pipe:
                for job_id in ids:
                    pipe.hget(Job.key_for(job_id), "status")
                statuses = pipe.execute()
            todo = [(item, job_id) for item, job_id, status in zip(chunk, ids, statuses)
                    if (status.decode() if isinstance(status, bytes) else status) not in _LIVE]
            if not todo:
                continue
            datas = [Queue.prepare_data(SEND_JOB, args=(message_id,), job_id=job_id, timeout=SEND_JOB_TIMEOUT,
                                        result_ttl=3600, failure_ttl=7 * 24 * 3600,
                                        meta={"request_id": request_id or current_request_id()})
                     for (message_id, _tries, request_id), job_id in todo]
            with conn.pipeline() as pipe:
                # A job that crashed is run again now: its old failure is no longer "to do".
                pipe.zrem(failed_key, *[job_id for _, job_id in todo])
                queue.enqueue_many(datas, pipeline=pipe)
                pipe.execute()
            enqueued += len(todo)
        return enqueued
    except RedisError as exc:
        log.warning("could not enqueue %d notification jobs (%s); the relay will retry", len(messages), exc)
        return 0


def _recover_abandoned(now: datetime, limit: int) -> int:
    """Step 1 of the relay (see module doc). Commits."""
    cutoff = now - SENDING_LEASE
    actor = Actor.system("outbox-relay")

    def work() -> int:
        stuck = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.reservation_id)
            .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at <= cutoff)
            .order_by(OutboxMessage.claimed_at).limit(limit)).all()
        recovered = 0
        for message_id, attempts, reservation_id in stuck:
            give_up = attempts >= MAX_ATTEMPTS
            target = OutboxStatus.FAILED if give_up else OutboxStatus.PENDING
            next_state(OutboxStatus.SENDING, target)
            note = (f"The worker stopped while sending try {attempts}; we cannot tell whether it arrived. "
                    + ("No tries left: check with the guest before sending again." if give_up
                       else "Sending again with the same Message-ID."))
            changed = db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.SENDING,
                       OutboxMessage.attempts == attempts, OutboxMessage.claimed_at <= cutoff)
                .values(status=target, last_error=note, next_attempt_at=None if give_up else now, updated_at=now)
                .execution_options(synchronize_session=False)).rowcount
            if changed:
                recovered += 1
                audit.record("notification.abandoned", entity_type="notification", entity_id=message_id,
                             reservation_id=reservation_id, actor=actor, from_state=OutboxStatus.SENDING,
                             to_state=target, reason=note)
        return recovered

    return run_in_transaction(work)


def ring_for_reservations(event: str, reservation_ids: list[int]) -> int:
    """Ring the doorbells of the `event` messages of these bookings that are
    still due and pending (the fan-out job queued after a bulk insert, e.g.
    hold expiry). Safe to run twice."""
    now = clock.now()
    rows = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.request_id)
        .where(OutboxMessage.reservation_id.in_(reservation_ids), OutboxMessage.event == event,
               OutboxMessage.status == OutboxStatus.PENDING,
               or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.id)).all()
    db.session.rollback()
    return ring_doorbells([(row.id, row.attempts, row.request_id) for row in rows])


def relay_outbox(now: datetime | None = None, *, page: int = RELAY_BATCH,
                 time_budget: float = RELAY_TIME_BUDGET_SECONDS) -> dict[str, Any]:
    """Take back abandoned messages and ring the doorbell for every due one
    without a live job, page by page (a backlog of 100,000 is a few seconds of
    pipelined lookups), within a time budget. Safe to run twice."""
    now = now or clock.now()
    started = time.monotonic()
    recovered = _recover_abandoned(now, page)
    due = enqueued = 0
    after = 0
    while True:
        rows = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.request_id)
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.id > after,
                   or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
            .order_by(OutboxMessage.id).limit(page)).all()
        db.session.rollback()  # nothing held while talking to Redis
        due += len(rows)
        enqueued += ring_doorbells([(row.id, row.attempts, row.request_id) for row in rows])
        if len(rows) < page or time.monotonic() - started > time_budget:
            break
        after = rows[-1].id
    if recovered or enqueued:
        log.info("outbox relay", extra={"recovered": recovered, "due": due, "enqueued": enqueued})
    return {"recovered": recovered, "due": due, "enqueued": enqueued}
