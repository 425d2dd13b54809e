"""/metrics under gunicorn with two sync workers (prometheus_client's multiprocess mode, gunicorn.conf.py)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from app.extensions import db
from app.observability.models import RequestMetric
from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.committing
@pytest.mark.slow
def test_two_gunicorn_workers_are_summed_in_one_scrape_and_flush_durations_at_exit(tmp_path):
    db.session.commit()
    db.session.close()   # hold no SQLite write lock while gunicorn's workers work
    port = _free_port()
    metrics_dir = tmp_path / "prometheus"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "METRICS_TOKEN": "scrape-token",
           "REQUEST_METRICS_FLUSH_SECONDS": "3600", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "ab") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind",
                                   f"127.0.0.1:{port}", "--workers", "2", "wsgi:app"],
                                  cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log_path.read_text()[-3000:]
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)
        from concurrent.futures import ThreadPoolExecutor

        requests = 0
        with ThreadPoolExecutor(max_workers=8) as pool:   # parallel connections: both workers answer some
            for _ in range(20):
                statuses = list(pool.map(lambda _: _get(base + "/v1/hotels/999999")[0], range(40)))
                assert statuses == [404] * 40
                requests += 40
                if len({n for n in os.listdir(metrics_dir) if n.startswith("counter_")}) >= 2:
                    break
        assert _get(base + "/metrics")[0] == 401
        status, body = _get(base + "/metrics", {"Authorization": "Bearer scrape-token"})
        assert status == 200
        counted = 0.0
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.name == "frontdesk_http_requests_total" and \
                        sample.labels.get("endpoint") == "api.get_hotel_endpoint":
                    counted += sample.value
        assert counted == requests
        pids = {name.rsplit("_", 1)[-1] for name in os.listdir(metrics_dir) if name.startswith("counter_")}
        assert len(pids) >= 2, f"one worker answered everything: {pids}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    # each worker wrote its durations when it stopped (REQUEST_METRICS_FLUSH_SECONDS was an hour)
    db.session.remove()
    recorded = db.session.scalar(select(func.sum(RequestMetric.count)).where(
        RequestMetric.endpoint == "api.get_hotel_endpoint"))
    assert recorded == requests
