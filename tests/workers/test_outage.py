"""The worker and the clock outlive a Redis outage of more than a minute, with no supervisor.

Both run as real processes (the Procfile's commands) against a Redis of this
test's own. Redis is killed for longer than the minute that used to end `rq
cron`; meanwhile a booking is made (its confirmation email waits in the
outbox). Redis comes back empty on the same port: the same two processes (same
PIDs, never restarted) register again, the clock's outbox relay enqueues the
message and the worker delivers it, and the back office's health check sees a
live worker and a live clock again.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Worker
from sqlalchemy import select

from app.booking.services import create_reservation
from app.catalog.models import RoomType
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.ops import health
from tests.factories import booking_request, future, make_room_type

ROOT = Path(__file__).resolve().parents[2]
OUTAGE_SECONDS = 75           # longer than the minute after which `rq cron` used to be gone for good
DELIVERY_TIMEOUT = 100        # back-off is capped at 30 s in both processes; the relay runs every minute


def wait_for(predicate, timeout: float, what: str, processes=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process, log_path in processes:
            assert process.poll() is None, f"{what}: a process exited\n" + Path(log_path).read_text()[-4000:]
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _start(argv: list[str], log_path: Path, env: dict[str, str]) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _end_transaction() -> None:
    """Hold no lock (SQLite's write lock) while the processes work."""
    db.session.commit()
    db.session.close()


@pytest.fixture
def machinery(own_redis, tmp_path, smtp_server):
    """Redis of our own, then the worker and the clock exactly as the Procfile starts them."""
    server = own_redis
    env = {**os.environ, "REDIS_URL": server.url, "LOG_LEVEL": "INFO", "LOG_JSON": "false",
           "MAIL_BACKEND": "smtp", "SMTP_HOST": smtp_server.host, "SMTP_PORT": str(smtp_server.port),
           "SMTP_USE_TLS": "false", "PYTHONPATH": str(ROOT)}
    worker_log, clock_log = tmp_path / "worker.log", tmp_path / "clock.log"
    worker = _start([sys.executable, "-m", "rq.cli", "worker", "--with-scheduler", "--worker-ttl", "60",
                     "--maintenance-interval", "30", "--url", server.url,
                     "--worker-class", "workers.worker.FrontdeskWorker", "high", "default", "low"], worker_log, env)
    clock = _start([sys.executable, "-m", "workers.clock", "--url", server.url], clock_log, env)
    try:
        yield {"redis": server, "worker": worker, "clock": clock, "smtp": smtp_server,
               "watch": [(worker, worker_log), (clock, clock_log)], "logs": (worker_log, clock_log)}
    finally:
        _stop(clock)
        _stop(worker)


def _registered(url: str, worker_pid: int, clock_pid: int) -> bool:
    """Both processes, by PID, are in rq's registries of this Redis."""
    try:
        conn = Redis.from_url(url, socket_connect_timeout=0.5)
        pids = {w.pid for w in Worker.all(connection=conn)}
        cron_names = [n.decode() for n in conn.zrange(health.CRON_REGISTRY_KEY, 0, -1)]
    except Exception:
        return False
    return worker_pid in pids and any(f":{clock_pid}:" in name for name in cron_names)


@pytest.mark.committing
@pytest.mark.slow
def test_worker_and_clock_survive_a_redis_outage_and_deliver_what_was_booked_meanwhile(machinery):
    server, worker, clock, smtp = machinery["redis"], machinery["worker"], machinery["clock"], machinery["smtp"]
    watch = machinery["watch"]
    room_type_id = make_room_type(rooms=3).id
    _end_transaction()
    wait_for(lambda: _registered(server.url, worker.pid, clock.pid), 60, "the worker and the clock to start", watch)

    server.stop()                                            # Redis is gone…
    outage_started = time.monotonic()
    room_type = db.session.get(RoomType, room_type_id)
    outcome = create_reservation(booking_request(room_type, check_in=future(20), email="outage@example.com"),
                                 idempotency_key=str(uuid.uuid4()))  # …while a guest books: the email waits
    public_id = outcome.reservation.public_id
    _end_transaction()
    [message] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
    assert message.status == "pending" and message.recipient == "outage@example.com"
    message_id = message.id
    _end_transaction()
    wait_for(lambda: time.monotonic() - outage_started >= OUTAGE_SECONDS, OUTAGE_SECONDS + 5,
             "the outage to last", watch)                    # both stay up the whole time
    assert smtp.messages == []

    server.start()                                           # back, empty, on the same port
    wait_for(lambda: any(m["to"] == ["outage@example.com"] for m in smtp.messages), DELIVERY_TIMEOUT,
             "the booking's email to be delivered", watch)
    # The worker records "sent" once the SMTP server has accepted the message: wait for its commit.

    def recorded_sent() -> bool:
        status = db.session.get(OutboxMessage, message_id, populate_existing=True).status
        _end_transaction()
        return status == "sent"

    wait_for(recorded_sent, 10, "the message to be recorded as sent", watch)
    assert public_id

    # The same processes (never restarted) are registered again, so the back office sees them alive.
    assert worker.poll() is None and clock.poll() is None
    wait_for(lambda: _registered(server.url, worker.pid, clock.pid), 30, "both to be registered again", watch)
    report = health.check_health()
    codes = {p.code for p in report.problems}
    assert "no_worker" not in codes and "no_cron" not in codes and "redis_down" not in codes, codes
    assert report.live_workers
    _end_transaction()

    worker_log, clock_log = (p.read_text() for p in machinery["logs"])
    assert "Redis is not answering" in clock_log and "Redis answers again" in clock_log
    assert "Redis is not answering" in worker_log and "Redis answers again" in worker_log
    assert "quitting" not in worker_log
