"""The clock process: `python -m workers.clock [--url REDIS_URL]` (Procfile `clock`).

It runs rq's cron scheduler with the periodic jobs of workers/cron.py, like
`rq cron workers/cron.py` does, but outlives Redis: rq's scheduler loop ends on
a redis ConnectionError, and nothing started it again (no outbox relay, no payout
sweep until someone restarted the process). Here the same scheduler is started
again once Redis answers (one log line, capped back-off; workers.resilience),
keeping each job's last run time, so interval jobs that fell due during the
outage run at once. Stops cleanly on SIGTERM/SIGINT.

The clock only enqueues, with one exception: a watchdog thread that, about once a
minute, runs the alert engine itself when no worker has run its periodic job for
minutes (app.alerts.watchdog), so "no worker is running" still reaches a person.
A PostgreSQL outage only makes that thread log and try again a minute later.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from redis import Redis
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from workers.resilience import MAX_DELAY_SECONDS, REDIS_DOWN, wait_for_redis

log = logging.getLogger("workers.clock")

#: The periodic jobs, as rq's cron loader reads them.
CRON_CONFIG = "workers.cron"


def connect(url: str) -> Redis:
    """A client that fails fast instead of hanging when Redis is away."""
    return Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)


def build_scheduler(connection: Redis, logging_level: str = "INFO") -> CronScheduler:
    scheduler = CronScheduler(connection=connection, logging_level=logging_level)
    scheduler.load_config_from_file(CRON_CONFIG)
    return scheduler


def _stop(signum, _frame):
    raise StopRequested()


def run_clock(scheduler: CronScheduler, *, cap: float = MAX_DELAY_SECONDS) -> None:
    """Run `scheduler` until SIGTERM/SIGINT, waiting out every Redis outage.

    Returns when a stop was requested. Enqueueing twice is harmless (every
    periodic job is safe to run twice), so restarting after an outage is safe.
    """
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    who = f"clock {scheduler.name} (pid {os.getpid()})"
    while True:
        try:
            scheduler.start()  # returns on a stop request; raises when Redis goes away
            return
        except REDIS_DOWN as exc:
            try:
                wait_for_redis(scheduler.connection, log, who, exc, cap=cap)
            except StopRequested:
                log.warning("%s: stopped while Redis was unreachable", who)
                return
        except StopRequested:  # a signal between two iterations of rq's loop
            return


def start_alerts_watchdog(every: float, stop: threading.Event) -> threading.Thread:
    """A daemon thread calling workers.worker.alerts_watchdog every `every` seconds until `stop`."""
    from workers.worker import alerts_watchdog

    def loop() -> None:
        while not stop.wait(every):
            alerts_watchdog(f"clock (pid {os.getpid()})")

    thread = threading.Thread(target=loop, name="alerts-watchdog", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.clock", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("REDIS_URL"), help="Redis URL (default: $REDIS_URL)")
    parser.add_argument("--logging-level", default=os.environ.get("LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("set REDIS_URL or pass --url")
    from app.config import env_bool
    from app.core.logging import configure_logging

    configure_logging(args.logging_level.upper(), env_bool("LOG_JSON", True))
    stop = threading.Event()
    start_alerts_watchdog(float(os.environ.get("ALERT_WATCHDOG_SECONDS", "60")), stop)
    try:
        run_clock(build_scheduler(connect(args.url), args.logging_level.upper()))
    finally:
        stop.set()
    return 0


if __name__ == "__main__":
    sys.exit(main())
