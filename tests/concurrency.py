"""Real concurrency in tests: a second app on the same database, with its own
connection pool (as another web or job worker would have), and threads that
each take their own connection and are released together."""
from __future__ import annotations

import threading
from contextlib import contextmanager

from app import create_app
from app.extensions import db


@contextmanager
def second_app(app, *, test_client_class=None, **pool_options):
    """Another app on `app`'s database; pool_options (pool_size, max_overflow,
    pool_timeout…) size its pool so every thread gets a connection."""
    config: dict = {"TESTING": True}
    if pool_options:
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.update(pool_options)
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    other = create_app(config)
    if test_client_class is not None:
        other.test_client_class = test_client_class
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()


def at_once(app, count: int, action, *, ready=None, wait: float = 30, join: float = 120) -> list:
    """Run action(i) for i in range(count), each in its own thread and app context,
    all released by one barrier; returns the results, or the exception each raised.

    ready(i), when given, runs in the thread before the release (signing in, a
    preview page) and action is then called as action(i, what_ready_returned)."""
    db.session.remove()          # this thread's transaction ends (on SQLite it would hold the write lock)
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        with app.app_context():
            try:
                prepared = ready(i) if ready is not None else None
                db.session.remove()
                barrier.wait(timeout=wait)
                results[i] = action(i) if ready is None else action(i, prepared)
            except Exception as exc:  # noqa: BLE001 — collected and asserted on by the test
                results[i] = exc
                barrier.abort()  # the others stop waiting for a thread that will not come
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=join)
    assert not any(t.is_alive() for t in threads), "a concurrent thread hung"
    return results
