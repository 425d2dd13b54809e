"""Fixtures for alert tests: a local chat webhook receiver (http.server in a thread)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class WebhookReceiver:
    """Collects the JSON bodies posted to it; answers `status` (200 unless a test changes it)."""

    def __init__(self):
        self.posts: list[dict] = []
        self.headers: list[dict] = []
        self.status = 200
        self.lock = threading.Lock()
        self.url = ""

    def texts(self) -> list[str]:
        with self.lock:
            return [p.get("text", "") for p in self.posts]


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            status = receiver.status
            if status < 300:
                with receiver.lock:
                    receiver.posts.append(json.loads(raw.decode("utf-8")))
                    receiver.headers.append(dict(self.headers))
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"no")

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/plic-alerts"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def alert_config(app):
    """Chat webhooks and the default channels per severity, put back after the test."""
    keys = ("ALERT_WEBHOOK_URL", "ALERT_OPS_WEBHOOK_URL", "ALERT_CHANNELS_CRITICAL", "ALERT_CHANNELS_WARNING",
            "ALERT_CHANNELS_INFO", "ALERT_ONCALL_DEFAULT", "PUBLIC_BASE_URL")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(ALERT_WEBHOOK_URL="http://127.0.0.1:9/hooks/plic-alerts",
                      ALERT_OPS_WEBHOOK_URL="http://127.0.0.1:9/hooks/plic-ops",
                      ALERT_CHANNELS_CRITICAL="email,sms,webhook", ALERT_CHANNELS_WARNING="email,webhook",
                      ALERT_CHANNELS_INFO="webhook", ALERT_ONCALL_DEFAULT="", PUBLIC_BASE_URL="https://fd.example")
    try:
        yield app.config
    finally:
        app.config.update(saved)


@pytest.fixture
def oncall(app):
    """oncall(n) → n people on every area's list (1st has a phone for text messages)."""
    from app.alerts.policies import AREAS
    from app.alerts.services import set_oncall
    from tests.factories import make_operator

    def _make(n: int = 1) -> list:
        admin = make_operator("admin")
        people = [make_operator("manager", email=f"oncall{i}@frontdesk.example") for i in range(1, n + 1)]
        for area in AREAS:
            set_oncall(area, [{"operator_id": p.id, "phone": "+82 10-1234-567%d" % i if i == 1 else None}
                              for i, p in enumerate(people, start=1)], admin)
        return people

    return _make
