"""What operators and guests see when a part is missing.

The back office's banner names the part that is actually missing — the database,
Redis, the worker or the clock — each in its own plain words; and a request
while the database is unreachable gets a clear 503 page (or the API's error
shape), never a 500, from a web process that keeps running.
"""
from __future__ import annotations

import re

import pytest
from flask import render_template
from flask_babel import force_locale
from rq import Worker
from rq.cron import CronScheduler

from app import create_app
from app.extensions import db, get_queue
from app.ops import health
from tests.conftest import CSRFClient


@pytest.fixture(scope="module")
def app_without_database(app, tmp_path_factory):
    """The same application whose database cannot be reached (same dialect, nothing listening)."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        url = "postgresql+psycopg://postgres@127.0.0.1:1/unreachable"
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('gone')}/no-such-directory/frontdesk.sqlite3"
    down = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": app.config["REDIS_URL"]})
    down.test_client_class = CSRFClient
    yield down
    with down.app_context():
        db.engine.dispose()


def _codes(page: str) -> set[str]:
    return set(re.findall(r'data-health="([a-z_]+)"', page))


def _worker_alive(redis) -> None:
    worker = Worker([get_queue("default")], connection=redis)
    worker.register_birth()
    worker.heartbeat()


def _clock_alive(redis) -> None:
    scheduler = CronScheduler(connection=redis)
    scheduler.register_birth()
    scheduler.heartbeat()


def test_a_missing_clock_is_named_as_the_clock(banners, login_as, client, redis):
    login_as("staff")
    _worker_alive(redis)
    health.record_health_snapshot(worker_name="w")
    page = client.get("/ops/").get_data(as_text=True)
    assert _codes(page) == {"no_cron"}
    assert "시계(clock) 프로세스가 멈춰 있습니다" in page and "실행 중인 워커가 없습니다" not in page


def test_a_missing_worker_is_named_as_the_worker(banners, login_as, client, redis):
    login_as("staff")
    _clock_alive(redis)
    health.record_health_snapshot(worker_name="w")
    page = client.get("/ops/").get_data(as_text=True)
    assert _codes(page) == {"no_worker"}
    assert "실행 중인 워커가 없습니다" in page and "시계(clock)" not in page


def test_a_worker_that_redis_forgot_is_registered_again_by_its_next_heartbeat(banners, login_as, client, redis):
    """Redis restarted empty under a running worker: its next heartbeat puts it back, so the
    banner does not say "no worker" about a worker that is alive."""
    from workers.worker import FrontdeskWorker

    login_as("staff")
    _clock_alive(redis)
    health.record_health_snapshot(worker_name="w")
    worker = FrontdeskWorker([get_queue("default")], connection=redis)
    worker.register_birth()
    redis.flushdb()                    # what a Redis restart without persistence looks like
    _clock_alive(redis)
    assert _codes(client.get("/ops/").get_data(as_text=True)) == {"no_worker"}
    worker.heartbeat()
    health.clear_health_cache()
    assert _codes(client.get("/ops/").get_data(as_text=True)) == set()
    assert [w.name for w in Worker.all(connection=redis)] == [worker.name]


def test_redis_down_is_named_as_redis(banners, own_redis, login_as, client):
    login_as("staff")
    own_redis.stop()
    page = client.get("/ops/").get_data(as_text=True)
    assert _codes(page) == {"redis_down"}
    assert "작업 대기열(Redis)이 응답하지 않습니다" in page and "데이터베이스" not in page


@pytest.mark.committing  # the app's own session, not the test's rolled-back connection
def test_an_unreachable_database_is_named_as_the_database(app_without_database, redis):
    _worker_alive(redis)
    _clock_alive(redis)
    with app_without_database.app_context():
        report = health.check_health()
        assert not report.db_ok and report.redis_ok
        assert [p.code for p in report.problems] == ["db_down"]  # not "scheduled jobs stopped" as well
        with app_without_database.test_request_context("/ops/"), force_locale("ko"):
            banner = render_template("notifications/ops/_health_banner.html",
                                     ops_health_problems=lambda: report.problems)
    assert _codes(banner) == {"db_down"}
    assert "데이터베이스가 응답하지 않습니다" in banner and "Redis" not in banner


def test_each_missing_part_has_its_own_words():
    problems = [health.Problem(code, "bad", {"last_seen": None})
                for code in ("db_down", "redis_down", "no_worker", "no_cron")]
    app = create_app({"TESTING": True})
    texts = []
    for problem in problems:
        with app.test_request_context("/ops/"), force_locale("ko"):
            texts.append(render_template("notifications/ops/_health_banner.html",
                                         ops_health_problems=lambda p=problem: [p]))
    first_lines = [re.search(r"🛑\s*(.+)", text).group(1).strip() for text in texts]
    assert len(set(first_lines)) == 4, first_lines
    assert all(re.search("[가-힣]", line) for line in first_lines)


@pytest.mark.committing  # the app's own session, not the test's rolled-back connection
def test_a_page_while_the_database_is_unreachable_is_a_503_not_a_crash(app_without_database):
    client = app_without_database.test_client()
    response = client.get("/hotels/1", headers={"Accept-Language": "ko"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert 'data-outage="database"' in page and "잠시 후 다시 시도해 주세요" in page

    login = client.post("/auth/login", data={"email": "a@example.com", "password": "x" * 12},
                        headers={"Accept-Language": "ko"})
    assert login.status_code == 503
    assert "데이터베이스가 응답하지 않아" in login.get_data(as_text=True)

    api = client.get("/v1/hotels/1")
    assert api.status_code == 503
    body = api.get_json()["error"]
    assert body["code"] == "unavailable" and body["requestId"] == api.headers["X-Request-Id"]


def test_a_database_bug_is_not_taken_for_an_outage(app):
    """Only an unreachable database is a 503; a query on a missing table stays a bug (500)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from app.core.outage import is_database_unreachable

    with pytest.raises(SQLAlchemyError) as caught:
        db.session.execute(text("SELECT * FROM no_such_table_here"))
    db.session.rollback()
    assert not is_database_unreachable(caught.value)
