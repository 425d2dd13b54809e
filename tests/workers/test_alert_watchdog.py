"""Real processes: the clock alone (no worker anywhere) tells the on-call person that no worker
runs, and a worker alone (no clock) tells them that the clock is stopped — each through its
alert watchdog (app.alerts.watchdog), by email to a real SMTP server."""
from __future__ import annotations

import email
import email.policy
import os
import sys

import pytest
from flask_babel import force_locale

from app.alerts.rules import RULES
from tests.workers.test_outage import ROOT, _start, _stop, wait_for


def _env(own_redis, smtp_server) -> dict[str, str]:
    return {**os.environ, "REDIS_URL": own_redis.url, "LOG_LEVEL": "INFO", "LOG_JSON": "false",
            "MAIL_BACKEND": "smtp", "SMTP_HOST": smtp_server.host, "SMTP_PORT": str(smtp_server.port),
            "SMTP_USE_TLS": "false", "PYTHONPATH": str(ROOT), "ALERT_ONCALL_DEFAULT": "duty@frontdesk.example",
            "ALERT_CHANNELS_CRITICAL": "email", "ALERT_WATCHDOG_SECONDS": "1"}


def _told(smtp_server, rule: str) -> bool:
    with force_locale("ko"):
        title = str(RULES[rule].title)
    for m in list(smtp_server.messages):
        subject = str(email.message_from_bytes(m["message"].as_bytes(), policy=email.policy.default)["Subject"])
        if m["to"] == ["duty@frontdesk.example"] and title in subject:
            return True
    return False


@pytest.mark.committing
@pytest.mark.slow
def test_the_clock_alone_reports_that_no_worker_runs(own_redis, smtp_server, tmp_path):
    log_path = tmp_path / "clock.log"
    clock = _start([sys.executable, "-m", "workers.clock", "--url", own_redis.url], log_path,
                   _env(own_redis, smtp_server))
    try:
        wait_for(lambda: _told(smtp_server, "no_worker"), 90, "the 'no worker' email", [(clock, log_path)])
    finally:
        _stop(clock)


@pytest.mark.committing
@pytest.mark.slow
def test_a_worker_alone_reports_that_the_clock_is_stopped(own_redis, smtp_server, tmp_path):
    log_path = tmp_path / "worker.log"
    worker = _start([sys.executable, "-m", "rq.cli", "worker", "--worker-ttl", "60", "--maintenance-interval", "30",
                     "--url", own_redis.url, "--worker-class", "workers.worker.FrontdeskWorker", "high", "default",
                     "low"], log_path, _env(own_redis, smtp_server))
    try:
        wait_for(lambda: _told(smtp_server, "no_clock"), 90, "the 'no clock' email", [(worker, log_path)])
    finally:
        _stop(worker)
