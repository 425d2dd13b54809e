"""Waiting out a Redis outage: one clear log line, capped back-off, carry on.

The worker (workers.worker.FrontdeskWorker) and the clock (workers.clock)
use this instead of exiting when Redis stops answering, so neither needs a
supervisor to come back: they wait, and resume when Redis answers again.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

#: What "Redis is unreachable" looks like from redis-py (a refused or dropped connection, a timeout).
REDIS_DOWN: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError)

#: Back-off between two pings while Redis is down: 1 s, doubling, at most this long.
MAX_DELAY_SECONDS = 30.0


def backoff_delays(first: float = 1.0, cap: float = MAX_DELAY_SECONDS):
    """1, 2, 4, … seconds, never more than `cap` (an endless generator)."""
    delay = first
    while True:
        yield min(delay, cap)
        delay = min(delay * 2, cap)


def wait_for_redis(connection: Redis, log: logging.Logger, who: str, error: BaseException | None = None, *,
                   cap: float = MAX_DELAY_SECONDS, should_stop: Callable[[], bool] = lambda: False) -> float:
    """Block until `connection` answers PING again; return how long it took (seconds).

    Logs one warning when the wait starts and one line when Redis is back, never
    a line per attempt. Returns early (without Redis) when `should_stop()` is
    true; signal handlers that raise (rq's StopRequested) interrupt the sleep.
    """
    started = time.monotonic()
    reason = f"{type(error).__name__}: {error}" if error is not None else "no answer"
    log.warning("%s: Redis is not answering (%s); waiting for it, retrying at most every %d s",
                who, str(reason)[:200], int(cap))
    for delay in backoff_delays(cap=cap):
        if should_stop():
            return time.monotonic() - started
        time.sleep(delay)
        try:
            connection.ping()
            break
        except REDIS_DOWN:
            continue
    waited = time.monotonic() - started
    log.warning("%s: Redis answers again after %d s; carrying on", who, round(waited))
    return waited
