"""Fixed-window request counters in Redis (seed 003's rate limits).

One counter per client per window: `INCR` + `EXPIRE` in one MULTI/EXEC, the
key named after the window's start, so a new window starts from zero without
any clean-up. The window follows `app.core.clock`, so tests move time
instead of sleeping.

Rate limiting must never stop the service: when Redis cannot be reached the
request is let through (fail open) with a warning, and Redis is not tried
again for a few seconds, so an outage costs one failed connection attempt per
process every `SKIP_SECONDS`, not one per request.

The counters live in the app's Redis (REDIS_URL) but go through a client of
their own that gives up at once: the shared client (`redis_connection()`)
retries a lost connection with back-off, which measured here costs about 4 s
per command while Redis is down — far too long to add to every request.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from flask import current_app
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from app.core import clock

log = logging.getLogger(__name__)

SKIP_SECONDS = 5.0
KEY_PREFIX = "ratelimit"
TIMEOUT_SECONDS = 0.25


@dataclass(frozen=True)
class WindowCount:
    """Where a client stands in the current window after this request."""

    limit: int
    count: int
    reset_in: int  # whole seconds until the window ends (≥ 1)

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)


def client_key(kind: str, value: str) -> str:
    """A Redis-safe client name; secrets (tokens) are hashed, never stored."""
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def limiter_connection() -> Redis:
    """A fail-fast client for REDIS_URL (one per process, made lazily; never connects here)."""
    ext = current_app.extensions["frontdesk"]
    url = current_app.config["REDIS_URL"]
    cached = ext.get("ratelimit_redis")
    if cached is None or cached[0] != url:
        conn = Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS,
                              retry=Retry(NoBackoff(), 0))
        cached = ext["ratelimit_redis"] = (url, conn)
    return cached[1]


def _skipping(conn) -> bool:
    state = current_app.extensions["frontdesk"].get("ratelimit_skip")
    return state is not None and state[0] is conn and time.monotonic() < state[1]


def _skip_for_a_while(conn) -> None:
    current_app.extensions["frontdesk"]["ratelimit_skip"] = (conn, time.monotonic() + SKIP_SECONDS)


def count_request(client: str, limit: int, *, window: int = 60) -> WindowCount | None:
    """Count one request of `client` in the current fixed window.

    Returns None when Redis is unavailable (the caller lets the request
    through). Not idempotent by nature: each call is one more request.
    """
    conn = limiter_connection()
    if _skipping(conn):
        return None
    now = clock.now().timestamp()
    start = int(now // window) * window
    key = f"{KEY_PREFIX}:{window}:{client}:{start}"
    try:
        pipe = conn.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, window + 5)
        count, _ = pipe.execute()
    except RedisError as exc:
        _skip_for_a_while(conn)
        log.warning("rate limiting skipped: Redis is unavailable (%s); requests are let through",
                    type(exc).__name__)
        return None
    return WindowCount(limit=limit, count=int(count), reset_in=max(1, math.ceil(start + window - now)))
