"""The worker class named in the Procfile: builds the app before forking, and
outlives Redis outages.

rq's own Worker retries a refused connection only while it waits for a job;
anywhere else in its loop (a heartbeat after a job, the maintenance tasks, the
suspension check, watching a work horse) a redis ConnectionError or TimeoutError
ends the process ("found an unhandled exception, quitting"). And when Redis comes
back empty, rq never registers the worker again, so the back office sees no
worker although one is running. FrontdeskWorker waits such an outage out (one
log line, capped back-off; workers.resilience), registers itself again and
carries on with the same PID.

A PostgreSQL outage needs nothing here: a job that cannot reach the database
fails in its work horse, the worker stays up, and the minute sweeps and the
outbox relay (workers/cron.py) enqueue the work again once the database is back.
"""
from __future__ import annotations

import logging
import os

from rq import Worker, worker_registration
from rq.scheduler import RQScheduler
from rq.worker import WorkerStatus
from sqlalchemy.orm import configure_mappers

from workers import get_app
from workers.resilience import REDIS_DOWN, wait_for_redis

log = logging.getLogger(__name__)


def alerts_watchdog(who: str) -> None:
    """Run the alert engine here if its periodic job has not run for minutes (the clock may be
    gone; app.alerts.watchdog). Never lets a problem stop the process."""
    from app.alerts.watchdog import tick
    from app.extensions import db

    try:
        with get_app().app_context():
            try:
                tick(who)
            finally:
                db.session.remove()
    except Exception:  # the database may be down too: the next maintenance tries again
        log.exception("%s: the alert watchdog failed", who)


class FrontdeskScheduler(RQScheduler):
    """rq's scheduler process (`--with-scheduler`: jobs put off with `enqueue_at`, such as the
    payout and refund-check retries), which waits out a Redis outage instead of dying with
    a traceback and waiting for the worker's maintenance to start it again."""

    def work(self):
        while True:
            try:
                return super().work()
            except REDIS_DOWN as exc:
                wait_for_redis(self.connection, log, f"scheduler (pid {os.getpid()})", exc,
                               should_stop=lambda: self._stop_requested)
                if self._stop_requested:
                    return None
                self.acquire_locks()  # Redis may have come back empty: the locks are ours again


class FrontdeskWorker(Worker):
    def work(self, *args, **kwargs):
        get_app()  # import and configure once; each work horse inherits it
        # Configure the ORM mappers here too: otherwise every forked work horse pays
        # for it on its first query (measured: it halved payout throughput).
        configure_mappers()
        return super().work(*args, **kwargs)

    # --- surviving Redis ---------------------------------------------------------------

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None, log_format=None):
        """As rq's, with FrontdeskScheduler (rq names its scheduler class inline)."""
        options = {k: v for k, v in (("date_format", date_format), ("log_format", log_format)) if v is not None}
        self.scheduler = FrontdeskScheduler(
            self.queues, connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            serializer=self.serializer, **options)
        try:
            self.scheduler.acquire_locks()
        except REDIS_DOWN as exc:
            # Redis went away while the worker was starting: the maintenance tasks start the
            # scheduler (it has no locks yet) once Redis answers again.
            log.warning("worker %s: Redis went away before the scheduler started (%s); it starts "
                        "when Redis is back", self.name, exc)
            return
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()

    def _await_redis(self, error: BaseException) -> None:
        """Wait until Redis answers, then put this worker back in rq's registry."""
        wait_for_redis(self.connection, log, f"worker {self.name} (pid {os.getpid()})", error,
                       should_stop=lambda: self._stop_requested)
        if not self._stop_requested:
            self._register_again()

    def _register_again(self) -> None:
        """Write this worker's hash and registry entries again (Redis may have come back empty)."""
        try:
            with self.connection.pipeline() as pipeline:
                pipeline.hset(self.key, mapping=self.serialize())
                if self.get_state():
                    pipeline.hset(self.key, "state", self.get_state())
                worker_registration.register(self, pipeline)
                pipeline.expire(self.key, self.worker_ttl + 60)
                pipeline.execute()
        except REDIS_DOWN as exc:  # gone again already: the next heartbeat waits again
            log.warning("worker %s: could not register again (%s)", self.name, exc)

    def heartbeat(self, timeout=None, pipeline=None):
        """rq's heartbeat in one round trip; on a lost Redis, wait for it instead of dying.

        When the worker's hash had vanished (Redis restarted or flushed), the worker is
        registered again, so the back office's "live workers" counts it.
        """
        if pipeline is not None or self.is_horse:
            return super().heartbeat(timeout, pipeline)
        try:
            with self.connection.pipeline() as own:
                super().heartbeat(timeout, own)
                created = own.execute()[0]  # HSET answers 1 when the field (so the hash) was new
        except REDIS_DOWN as exc:
            self._await_redis(exc)
            return None
        if created:
            log.warning("worker %s: Redis had forgotten this worker; registered again", self.name)
            self._register_again()
        return None

    def check_for_suspension(self, burst: bool):
        try:
            return super().check_for_suspension(burst)
        except REDIS_DOWN as exc:
            self._await_redis(exc)
            return None

    def run_maintenance_tasks(self):
        try:
            super().run_maintenance_tasks()
        except REDIS_DOWN as exc:
            self._await_redis(exc)
        alerts_watchdog(f"worker {self.name}")
        return None

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        while True:
            try:
                return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            except REDIS_DOWN as exc:
                self._await_redis(exc)
                if self._stop_requested:
                    return None

    def execute_job(self, job, queue):
        """Run the job in a work horse; if Redis goes away meanwhile, let the horse end
        (it is bounded by the job's timeout), then wait for Redis. The job's own
        bookkeeping may be lost with Redis; every job is safe to run twice and the
        sweeps enqueue whatever is still due."""
        try:
            return super().execute_job(job, queue)
        except REDIS_DOWN as exc:
            if self._horse_pid:
                self.wait_for_horse()
                self._horse_pid = 0
            self.executions.clear()
            log.warning("worker %s: lost Redis while job %s ran; the sweeps enqueue it again if it "
                        "did not finish", self.name, job.id)
            self._await_redis(exc)
            try:
                self.set_state(WorkerStatus.IDLE)
            except REDIS_DOWN:
                pass
            return None

    def _pubsub_exception_handler(self, exc, pubsub, pubsub_thread):
        # rq logs an error every 2 s for the whole outage; the main loop already said it once.
        if isinstance(exc, REDIS_DOWN):
            import time

            time.sleep(2.0)
            return
        return super()._pubsub_exception_handler(exc, pubsub, pubsub_thread)

    def teardown(self):
        try:
            super().teardown()
        except REDIS_DOWN as exc:  # stopping while Redis is away: nothing left to unregister from
            log.warning("worker %s: stopped while Redis was unreachable (%s)", self.name, exc)
