"""`make run` (`flask dev`) starts its own Redis and never joins one it did not start.

A second checkout on the same machine gets a Redis of its own, so its worker
never runs the first checkout's jobs against the wrong database; a taken
EMBEDDED_REDIS_PORT is refused with a message naming the variable.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from redis import Redis
from rq import Worker

from tests.workers.conftest import OwnRedis

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dev_env(directory: Path, **extra: str) -> dict[str, str]:
    """A checkout of its own: SQLite and instance files in `directory`, no REDIS_URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "EMBEDDED_REDIS_PORT", "PORT")}
    env.update(DATABASE_URL=f"sqlite:///{directory / 'dev.sqlite3'}", FRONTDESK_INSTANCE_DIR=str(directory / "instance"),
               SANDBOX_STATE_DIR=str(directory / "sandbox"), LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT), **extra)
    return env


def _start_dev(directory: Path, **extra: str) -> tuple[subprocess.Popen, Path]:
    log_path = directory / "dev.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "dev", "--no-seed"], cwd=ROOT,
                                   env=_dev_env(directory, **extra), start_new_session=True,
                                   stdout=log, stderr=subprocess.STDOUT)
    return process, log_path


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_a_taken_embedded_redis_port_is_refused_naming_the_variable(tmp_path):
    someone_else = OwnRedis(tmp_path)               # another program's Redis on the port we are told to use
    someone_else.start()
    try:
        process, log_path = _start_dev(tmp_path, EMBEDDED_REDIS_PORT=str(someone_else.port))
        try:
            assert process.wait(timeout=60) != 0
        finally:
            _stop(process)
        output = log_path.read_text()
        assert f"EMBEDDED_REDIS_PORT={someone_else.port} is already in use" in output
        assert Redis.from_url(someone_else.url).dbsize() == 0       # nothing of ours went into it
    finally:
        someone_else.stop()


@pytest.mark.slow
def test_two_checkouts_each_run_on_a_redis_of_their_own(tmp_path):
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir()
    second_dir.mkdir()
    web_ports = [_free_port(), _free_port()]
    runs = [_start_dev(first_dir, PORT=str(web_ports[0])), _start_dev(second_dir, PORT=str(web_ports[1]))]
    try:
        urls = []
        for (process, log_path), web_port in zip(runs, web_ports):
            deadline = time.monotonic() + 120
            while not _serving(web_port):
                assert process.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, "flask dev did not serve\n" + log_path.read_text()[-3000:]
                time.sleep(0.5)
            [url] = re.findall(r"embedded Redis: (redis://127\.0\.0\.1:\d+/0)", log_path.read_text())
            urls.append(url)
        assert urls[0] != urls[1]
        for url, (process, log_path) in zip(urls, runs):
            connection = Redis.from_url(url)
            deadline = time.monotonic() + 60
            while not Worker.all(connection=connection):   # this checkout's worker, in this checkout's Redis
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.5)
            assert len(Worker.all(connection=connection)) == 1
            assert connection.zcard("rq:cron_schedulers") == 1
    finally:
        for process, _log in runs:
            _stop(process)
    for url in urls:  # each run stopped the Redis it started
        with pytest.raises(Exception):
            Redis.from_url(url, socket_connect_timeout=0.5).ping()
