"""Is the machinery running? Heartbeats, Redis checks and RQ's failed jobs.

Three sources, so a banner can say in plain words what is wrong:

* RQ's own registries in Redis: the workers (each refreshes its
  `last_heartbeat` every few seconds) and the cron schedulers (`rq cron`
  refreshes its score in `rq:cron_schedulers` once a minute);
* a heartbeat row in the database written every minute by the periodic job
  `health-snapshot` (workers.jobs.health): proof that the clock enqueued a
  job *and* a worker ran it. It survives a Redis restart, so "last seen 12
  minutes ago" can still be said when Redis has forgotten everything;
* Redis itself: reachable? `maxmemory-policy` must be `noeviction`, or Redis
  may silently drop queued jobs when memory runs out;
* the database itself: reachable? (read with the heartbeat row).

Each problem names the one part that is actually missing: the database,
Redis, the worker (no live worker registered in Redis) or the clock (no
recent cron-scheduler heartbeat).

The check is cached for a few seconds per process so pages stay fast. This
module holds no user-facing text: templates turn `Problem.code` into words.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import String
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from app.core import audit, clock
from app.core.actor import Actor, current_actor
from app.core.db import JSONType, UTCDateTime, run_in_transaction, upsert
from app.core.errors import NotFound
from app.extensions import QUEUE_NAMES, db, redis_connection

log = logging.getLogger(__name__)

#: How long without a sign of life before a part counts as stopped.
STALE_AFTER: dict[str, timedelta] = {
    "worker": timedelta(minutes=3),    # RQ workers refresh their heartbeat every few seconds
    "cron": timedelta(minutes=3),      # `rq cron` refreshes its own at least once a minute
    "periodic": timedelta(minutes=5),  # the health-snapshot job runs every minute
}
CACHE_SECONDS = 15
PERIODIC_HEARTBEAT = "periodic-jobs"
CRON_REGISTRY_KEY = "rq:cron_schedulers"
CRON_JOBS_KEY = "rq:cron_jobs"
_JOB_ID = re.compile(r"^[A-Za-z0-9_\-]{1,200}$")


class Heartbeat(db.Model):
    """The last sign of life of one part of the machinery (one row per name)."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


def record_heartbeat(name: str, details: dict[str, Any] | None = None, now: datetime | None = None) -> None:
    """Upsert the heartbeat row `name` (no commit). Safe to run twice."""
    upsert(Heartbeat, [{"name": name, "seen_at": now or clock.now(), "details": details}],
           ["name"], ["seen_at", "details"])


def last_heartbeat(name: str) -> Heartbeat | None:
    return db.session.get(Heartbeat, name, populate_existing=True)


# --- reading Redis ------------------------------------------------------------------

@dataclass
class WorkerInfo:
    name: str
    state: str
    queues: list[str]
    last_heartbeat: datetime | None


@dataclass
class Problem:
    code: str            # db_down | redis_down | redis_eviction | no_worker | no_cron | periodic_stale
    severity: str        # "bad" (red) | "warn"
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class HealthReport:
    checked_at: datetime
    redis_ok: bool = True
    redis_error: str | None = None
    db_ok: bool = True
    db_error: str | None = None
    maxmemory_policy: str | None = None
    workers: list[WorkerInfo] = field(default_factory=list)
    cron_last_seen: datetime | None = None
    periodic_last_seen: datetime | None = None
    periodic_details: dict[str, Any] = field(default_factory=dict)
    queues: dict[str, dict[str, int]] = field(default_factory=dict)
    periodic_jobs: dict[str, datetime | None] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def failed_jobs(self) -> int | None:
        return sum(q["failed"] for q in self.queues.values()) if self.redis_ok else None

    @property
    def live_workers(self) -> list[WorkerInfo]:
        cutoff = self.checked_at - STALE_AFTER["worker"]
        return [w for w in self.workers if w.last_heartbeat and w.last_heartbeat >= cutoff]

    @property
    def is_bad(self) -> bool:
        return any(p.severity == "bad" for p in self.problems)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _read_redis(report: HealthReport) -> None:
    from rq import Queue, Worker
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    conn = redis_connection()
    conn.ping()
    try:
        report.maxmemory_policy = (conn.config_get("maxmemory-policy") or {}).get("maxmemory-policy")
    except RedisError:  # managed Redis services may disable CONFIG; nothing to say then
        report.maxmemory_policy = None
    report.workers = [WorkerInfo(w.name, str(w.get_state()), w.queue_names(), _aware(w.last_heartbeat))
                      for w in Worker.all(connection=conn)]
    scores = [score for _name, score in conn.zrange(CRON_REGISTRY_KEY, 0, -1, withscores=True)]
    report.cron_last_seen = datetime.fromtimestamp(max(scores), timezone.utc) if scores else None
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=conn)
        report.queues[name] = {
            "queued": queue.count,
            "started": StartedJobRegistry(name, connection=conn).get_job_count(cleanup=False),
            "failed": FailedJobRegistry(name, connection=conn).get_job_count(),
        }
    from workers.cron import PERIODIC_JOBS

    enqueued = {(n.decode() if isinstance(n, bytes) else n): s
                for n, s in conn.zrange(CRON_JOBS_KEY, 0, -1, withscores=True)}
    report.periodic_jobs = {name: (datetime.fromtimestamp(enqueued[name], timezone.utc) if name in enqueued else None)
                            for name in PERIODIC_JOBS}


def check_health(now: datetime | None = None) -> HealthReport:
    """Read every source and list the problems (uncached; see cached_health)."""
    now = now or clock.now()
    report = HealthReport(checked_at=now)
    try:  # Redis first, so no database transaction of ours is open while we wait for it
        _read_redis(report)
    except RedisError as exc:
        report.redis_ok, report.redis_error = False, f"{type(exc).__name__}: {exc}"[:300]
    try:
        beat = last_heartbeat(PERIODIC_HEARTBEAT)
    except SQLAlchemyError as exc:
        report.db_ok, report.db_error = False, f"{type(exc).__name__}: {exc}"[:300]
        beat = None
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass
    if beat is not None:
        report.periodic_last_seen, report.periodic_details = beat.seen_at, dict(beat.details or {})
    report.problems = find_problems(report)
    return report


def find_problems(report: HealthReport) -> list[Problem]:
    """Pure: what is wrong, most important first. When the database or Redis is down, the
    stale heartbeats that follow from it are not named as well."""
    now = report.checked_at
    problems: list[Problem] = []
    if not report.db_ok:
        problems.append(Problem("db_down", "bad", {"error": report.db_error}))
    if not report.redis_ok:
        return problems + [Problem("redis_down", "bad", {"error": report.redis_error})]
    seen_worker = max((w.last_heartbeat for w in report.workers if w.last_heartbeat), default=None)
    last_worker = seen_worker or _parse(report.periodic_details.get("worker_seen_at"))
    if not report.live_workers:
        problems.append(Problem("no_worker", "bad", {"last_seen": last_worker}))
    cron_fresh = report.cron_last_seen is not None and report.cron_last_seen >= now - STALE_AFTER["cron"]
    if not cron_fresh:
        problems.append(Problem("no_cron", "bad", {"last_seen": report.cron_last_seen}))
    periodic_fresh = (report.periodic_last_seen is not None
                      and report.periodic_last_seen >= now - STALE_AFTER["periodic"])
    if not periodic_fresh and not problems and report.db_ok:
        problems.append(Problem("periodic_stale", "bad", {"last_seen": report.periodic_last_seen}))
    if report.maxmemory_policy not in (None, "noeviction"):
        problems.append(Problem("redis_eviction", "warn", {"policy": report.maxmemory_policy}))
    return problems


def _parse(value: Any) -> datetime | None:
    try:
        return _aware(datetime.fromisoformat(value)) if value else None
    except (TypeError, ValueError):
        return None


_cache_lock = threading.Lock()
_cache: dict[str, Any] = {}


def cached_health() -> HealthReport:
    """check_health(), reused for CACHE_SECONDS within this process."""
    with _cache_lock:
        entry = _cache.get("report")
        if entry is not None and time.monotonic() - entry[0] < CACHE_SECONDS:
            return entry[1]
    report = check_health()
    with _cache_lock:
        _cache["report"] = (time.monotonic(), report)
    return report


def clear_health_cache() -> None:
    with _cache_lock:
        _cache.clear()


def banners_enabled() -> bool:
    """On everywhere except in tests (which switch it on with HEALTH_BANNERS=True):
    a test run has no workers, and every page would say so."""
    return bool(current_app.config.get("HEALTH_BANNERS", not current_app.testing))


def banner_problems() -> list[Problem]:
    """The problems to show on every back-office page (cached; never raises)."""
    if not banners_enabled():
        return []
    try:
        return cached_health().problems
    except Exception:  # a health check must never break the page it decorates
        log.exception("health check failed")
        return []


# --- the periodic snapshot --------------------------------------------------------------

def record_health_snapshot(*, worker_name: str | None = None, enqueued_at: datetime | None = None) -> dict[str, Any]:
    """Write the `periodic-jobs` heartbeat with what the queues look like. Commits.

    Called every minute by the health-snapshot job; running it twice only
    refreshes the row.
    """
    now = clock.now()
    details: dict[str, Any] = {"worker": worker_name, "worker_seen_at": now.isoformat(),
                               "enqueued_at": enqueued_at.isoformat() if enqueued_at else None}
    try:
        report = HealthReport(checked_at=now)
        _read_redis(report)
        details["queues"] = report.queues
        details["workers"] = len(report.live_workers)
    except RedisError as exc:
        details["redis_error"] = str(exc)[:200]
    run_in_transaction(lambda: record_heartbeat(PERIODIC_HEARTBEAT, details, now))
    return details


# --- failed jobs --------------------------------------------------------------------------

@dataclass
class FailedJob:
    queue: str
    job_id: str
    func_name: str | None
    args: str
    error: str | None
    failed_at: datetime | None
    request_id: str | None


def _last_line(text: str | None) -> str | None:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else None


def list_failed_jobs(limit_per_queue: int = 200) -> list[FailedJob]:
    """RQ's failed-job registry of every queue, oldest first (they expire after 7 days)."""
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    conn = redis_connection()
    found: list[FailedJob] = []
    for name in QUEUE_NAMES:
        ids = FailedJobRegistry(name, connection=conn).get_job_ids(0, limit_per_queue - 1)
        for job_id, job in zip(ids, Job.fetch_many(ids, connection=conn)):
            if job is None:
                found.append(FailedJob(name, job_id, None, "", None, None, None))
                continue
            result = job.latest_result()
            error = result.exc_string if result is not None and result.type == result.Type.FAILED else None
            try:
                args = ", ".join(repr(a) for a in job.args)[:120]
            except Exception:  # arguments that no longer unpickle
                args = "?"
            found.append(FailedJob(name, job.id, job.func_name, args, _last_line(error),
                                   _aware(job.ended_at), (job.meta or {}).get("request_id")))
    return sorted(found, key=lambda j: j.failed_at or datetime.min.replace(tzinfo=timezone.utc))


def get_failed_job(queue: str, job_id: str) -> FailedJob:
    """One failed job, or NotFound (also for a malformed queue name or id)."""
    if queue not in QUEUE_NAMES or not isinstance(job_id, str) or not _JOB_ID.match(job_id):
        raise NotFound()
    for job in list_failed_jobs():
        if job.queue == queue and job.job_id == job_id:
            return job
    raise NotFound()


def failed_job_counts() -> dict[str, int]:
    """Failed jobs per queue (raises RedisError when Redis is down)."""
    from rq.registry import FailedJobRegistry

    conn = redis_connection()
    return {name: FailedJobRegistry(name, connection=conn).get_job_count() for name in QUEUE_NAMES}


def _failed_registry(queue: str):
    from rq.registry import FailedJobRegistry

    return FailedJobRegistry(queue, connection=redis_connection())


def requeue_failed_job(queue: str, job_id: str, *, actor: Actor | None = None) -> FailedJob:
    """Put a failed job back on its queue (a worker runs it again). Audited, commits.

    Every job here is safe to run twice; requeueing one that is no longer in
    the failed list raises NotFound and changes nothing.
    """
    from rq.exceptions import InvalidJobOperation, NoSuchJobError

    job = get_failed_job(queue, job_id)
    try:
        _failed_registry(queue).requeue(job_id)
    except (InvalidJobOperation, NoSuchJobError):
        raise NotFound() from None
    _audit_job("job.requeued", job, actor)
    return job


def delete_failed_job(queue: str, job_id: str, *, actor: Actor | None = None) -> FailedJob:
    """Remove a failed job for good (it is not run). Audited, commits."""
    from rq.exceptions import NoSuchJobError

    job = get_failed_job(queue, job_id)
    registry = _failed_registry(queue)
    try:
        registry.remove(job_id, delete_job=True)
    except NoSuchJobError:
        registry.remove(job_id)
    _audit_job("job.deleted", job, actor)
    return job


def _audit_job(action: str, job: FailedJob, actor: Actor | None) -> None:
    actor = actor or current_actor()

    def work() -> None:
        audit.record(action, entity_type="job", entity_id=job.job_id, actor=actor,
                     data={"queue": job.queue, "function": job.func_name, "error": job.error,
                           "job_request_id": job.request_id})

    run_in_transaction(work)
    clear_health_cache()
