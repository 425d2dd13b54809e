"""Request durations per route, recorded cheaply, and the figures read from them.

Recording: every request adds its duration to an in-process table keyed by
(minute, route, endpoint, method, status class) — a dict update under a lock,
a few microseconds, no I/O on the request's path. A daemon thread flushes the
table to `request_metrics` every REQUEST_METRICS_FLUSH_SECONDS (default 10 s)
with one upsert per key (the counts are added, so several processes and
several flushes of the same minute sum up), and again when the process exits.
A flush that fails (database down) keeps its rows for the next one.

Reading: `percentile_ms` sums the fixed buckets over the range and
interpolates inside the bucket holding the quantile (as Prometheus'
histogram_quantile does), so p95 over a minute, a day or 30 days is one SUM.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select

from app.core import clock
from app.extensions import db
from app.observability.models import BUCKET_COLUMNS, BUCKETS_MS, RequestMetric

log = logging.getLogger(__name__)

#: Paths never recorded: files, the probes and the scrape itself (they would drown the figures).
UNRECORDED_PREFIXES = ("/static/", "/healthz", "/readyz", "/metrics")
#: A safety valve: past this many distinct keys waiting (a long database outage) new minutes are dropped.
MAX_PENDING_KEYS = 50_000

_N = len(BUCKET_COLUMNS)
_lock = threading.Lock()
# key → [count, total_ms, max_ms, bucket counts…]
_pending: dict[tuple[datetime, str, str, str, str], list[float]] = {}
_flusher_pid: int | None = None


def bucket_index(duration_ms: float) -> int:
    """The index of the bucket a duration falls in (upper bounds inclusive)."""
    for index, bound in enumerate(BUCKETS_MS):
        if duration_ms <= bound:
            return index
    return _N - 1


def record(route: str, endpoint: str, method: str, status: int, duration_ms: float,
           at: datetime | None = None) -> None:
    """Add one request to the in-process table (no I/O; safe from any thread)."""
    at = at or clock.now()
    minute = at.astimezone(timezone.utc).replace(second=0, microsecond=0)
    key = (minute, route[:200], endpoint[:100], method[:10], f"{status // 100}xx")
    index = bucket_index(duration_ms)
    with _lock:
        row = _pending.get(key)
        if row is None:
            if len(_pending) >= MAX_PENDING_KEYS:
                return
            row = _pending[key] = [0, 0.0, 0.0] + [0] * _N
        row[0] += 1
        row[1] += duration_ms
        if duration_ms > row[2]:
            row[2] = duration_ms
        row[3 + index] += 1


def discard_pending() -> None:
    """Forget what was recorded and not flushed (tests start from a clean table)."""
    with _lock:
        _pending.clear()


def pending_count() -> int:
    with _lock:
        return len(_pending)


def _take() -> dict:
    global _pending
    with _lock:
        taken, _pending = _pending, {}
    return taken


def _give_back(rows: dict) -> None:
    with _lock:
        for key, values in rows.items():
            row = _pending.get(key)
            if row is None:
                if len(_pending) < MAX_PENDING_KEYS:
                    _pending[key] = values
                continue
            row[0] += values[0]
            row[1] += values[1]
            row[2] = max(row[2], values[2])
            for i in range(3, 3 + _N):
                row[i] += values[i]


def _upsert_statement(dialect: str, rows: list[dict[str, Any]]):
    table = RequestMetric.__table__
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        greatest = func.greatest
    else:
        from sqlalchemy.dialects.sqlite import insert

        greatest = func.max  # SQLite's two-argument max() is the scalar maximum
    stmt = insert(table).values(rows)
    added = {name: table.c[name] + stmt.excluded[name] for name in ("count", "total_ms", *BUCKET_COLUMNS)}
    added["max_ms"] = greatest(table.c.max_ms, stmt.excluded.max_ms)
    return stmt.on_conflict_do_update(
        index_elements=["minute", "route", "endpoint", "method", "status_class"], set_=added)


def flush(connection=None) -> int:
    """Write the pending rows to `request_metrics` (one upsert); returns how many keys were written.

    Uses its own transaction on the engine (never the request's session) unless
    a `connection` is given. Safe to call at any time and from any thread; a
    failure puts the rows back for the next flush.
    """
    taken = _take()
    if not taken:
        return 0
    rows = []
    for (minute, route, endpoint, method, status_class), values in taken.items():
        row = {"minute": minute, "route": route, "endpoint": endpoint, "method": method,
               "status_class": status_class, "count": int(values[0]), "total_ms": float(values[1]),
               "max_ms": float(values[2])}
        row.update({name: int(values[3 + i]) for i, name in enumerate(BUCKET_COLUMNS)})
        rows.append(row)
    try:
        if connection is not None:
            for start in range(0, len(rows), 500):
                connection.execute(_upsert_statement(connection.dialect.name, rows[start:start + 500]))
        else:
            with db.engine.begin() as conn:
                for start in range(0, len(rows), 500):
                    conn.execute(_upsert_statement(conn.dialect.name, rows[start:start + 500]))
    except Exception as exc:  # noqa: BLE001 - the database may be down; keep the figures for later
        log.warning("could not write request metrics (%s); kept for the next flush", exc.__class__.__name__)
        _give_back(taken)
        return 0
    return len(rows)


def start_flusher(app, interval_seconds: int) -> None:
    """Start (once per process, again after a fork) the daemon thread that flushes every interval."""
    global _flusher_pid
    if interval_seconds <= 0 or _flusher_pid == os.getpid():
        return
    with _lock:
        if _flusher_pid == os.getpid():
            return
        if _flusher_pid is not None:
            _pending.clear()  # inherited from the parent before a fork: the parent writes its own
        _flusher_pid = os.getpid()

    stop = threading.Event()

    def _loop() -> None:
        while not stop.wait(interval_seconds):
            with app.app_context():
                flush()

    def _at_exit() -> None:
        stop.set()
        try:
            with app.app_context():
                flush()
        except Exception:  # noqa: BLE001 - at exit nothing can be reported anyway
            pass

    threading.Thread(target=_loop, name="request-metrics-flusher", daemon=True).start()
    atexit.register(_at_exit)


# --------------------------------------------------------------------------------------------- reading


def _filtered(stmt, since: datetime, until: datetime, path_prefix: str | None):
    stmt = stmt.where(RequestMetric.minute >= since, RequestMetric.minute < until)
    if path_prefix:
        escaped = path_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(RequestMetric.route.like(escaped + "%", escape="\\"))
    return stmt


def histogram(since: datetime, until: datetime, path_prefix: str | None = None) -> tuple[list[int], float]:
    """Bucket counts (non-cumulative, fastest first) over [since, until) and the slowest duration seen."""
    columns = [func.coalesce(func.sum(getattr(RequestMetric, name)), 0) for name in BUCKET_COLUMNS]
    stmt = _filtered(select(*columns, func.coalesce(func.max(RequestMetric.max_ms), 0.0)),
                     since, until, path_prefix)
    row = db.session.execute(stmt).one()
    return [int(v) for v in row[:-1]], float(row[-1])


def quantile_from_buckets(counts: list[int], q: float, slowest_ms: float = 0.0) -> float | None:
    """The q-quantile (0 < q < 1) of a histogram, interpolated linearly inside its bucket; None if empty."""
    total = sum(counts)
    if total == 0:
        return None
    rank = q * total
    cumulative = 0
    for index, count in enumerate(counts):
        if count and cumulative + count >= rank:
            lower = 0.0 if index == 0 else float(BUCKETS_MS[index - 1])
            upper = float(BUCKETS_MS[index]) if index < len(BUCKETS_MS) else max(slowest_ms, lower)
            return lower + (upper - lower) * (rank - cumulative) / count
        cumulative += count
    return float(BUCKETS_MS[-1])


def percentile_ms(since: datetime, until: datetime, q: float = 0.95, path_prefix: str | None = "/v1/") -> float | None:
    """The q-quantile of request durations (ms) over [since, until) for routes under `path_prefix`.

    None when no request was recorded. Reads flushed rows only.
    """
    counts, slowest = histogram(since, until, path_prefix)
    return quantile_from_buckets(counts, q, slowest)


def count_within(since: datetime, until: datetime, limit_ms: int, path_prefix: str | None = None) -> tuple[int, int]:
    """(requests answered within `limit_ms`, all requests); `limit_ms` must be one of BUCKETS_MS."""
    counts, _ = histogram(since, until, path_prefix)
    index = BUCKETS_MS.index(limit_ms)
    return sum(counts[:index + 1]), sum(counts)


def error_rate(since: datetime, until: datetime) -> tuple[int, int]:
    """(5xx answers, all answers) over [since, until)."""
    stmt = _filtered(select(RequestMetric.status_class, func.sum(RequestMetric.count)), since, until, None)
    stmt = stmt.group_by(RequestMetric.status_class)
    by_class = {row[0]: int(row[1] or 0) for row in db.session.execute(stmt)}
    return by_class.get("5xx", 0), sum(by_class.values())


def per_route(since: datetime, until: datetime, limit: int = 50) -> list[dict[str, Any]]:
    """Routes by request count over the range: count, 5xx, average and p95 (for the servers page)."""
    columns = [func.sum(getattr(RequestMetric, name)) for name in BUCKET_COLUMNS]
    stmt = _filtered(select(RequestMetric.endpoint, RequestMetric.route, RequestMetric.method,
                            func.sum(RequestMetric.count), func.sum(RequestMetric.total_ms),
                            func.max(RequestMetric.max_ms), *columns), since, until, None)
    stmt = stmt.group_by(RequestMetric.endpoint, RequestMetric.route, RequestMetric.method)
    stmt = stmt.order_by(func.sum(RequestMetric.count).desc()).limit(limit)
    out = []
    for row in db.session.execute(stmt):
        counts = [int(v or 0) for v in row[6:]]
        total = int(row[3] or 0)
        out.append({"endpoint": row[0], "route": row[1], "method": row[2], "count": total,
                    "avg_ms": (float(row[4] or 0) / total) if total else None,
                    "p95_ms": quantile_from_buckets(counts, 0.95, float(row[5] or 0))})
    return out


def day_bounds(day, tz_name: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a local calendar day."""
    from zoneinfo import ZoneInfo

    start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz_name))
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)
