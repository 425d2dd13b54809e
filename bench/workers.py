"""Worker performance: hold expiry at volume, payouts per second, and RQ's own
throughput for a no-op job, all in one run.

    python bench/workers.py            (make bench runs it after bench/booking.py)

1. Hold expiry: 10,000 and then 100,000 card holds that ended a minute ago are
   written in bulk, and the periodic job (`workers.jobs.booking.expire_holds`)
   is run by one and then by two real `rq worker` processes (FrontdeskWorker, as
   the Procfile): with a backlog the job calls in a helper job that a second
   worker runs alongside. The figure is the jobs' own duration (RQ's
   started/ended timestamps, from the job's start to the later end).
   Afterwards every hold must be canceled with its rooms given back, one audit
   event each and its messages queued — a fast run that is wrong is a failure.
2. Payouts per second against the sandbox bank with zero latency, beside a
   no-op job measured the same way (bench/workers_payouts.py), on the same
   database.

Settings (environment): BENCH_WORKERS_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/fd_bench_workers — everything in it is
dropped), BENCH_EXPIRY_SIZES (default "10000,100000"), BENCH_EXPIRY_HOTELS
(default 100: the holds are spread over their 500 room types), BENCH_EXPIRY_WORKERS
(default "1,2": worker processes), BENCH_PAYOUTS and
BENCH_NOOPS (default 200 each). Redis is a scratch redis-server on a free port.
"""
from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workers_payouts import _bench as bench_payouts  # noqa: E402
from bench.seed import empty_database  # noqa: E402
from bench.workers_payouts import _start_redis  # noqa: E402

#: Worker processes the expiry is measured with (the job calls in a helper job when there is a backlog).
WORKER_COUNTS = [int(w) for w in os.environ.get("BENCH_EXPIRY_WORKERS", "1,2").split(",") if w.strip()]
#: Hotels the holds are spread over (five room types each).
HOTELS = int(os.environ.get("BENCH_EXPIRY_HOTELS", "100"))
CITIES = ("Seoul", "Busan", "Jeju", "Incheon", "Daegu", "Gyeongju", "Tokyo", "Osaka")


def _seed_expired_holds(n: int, room_types: list[tuple[int, int]]) -> int:
    """n pending card bookings whose hold ended a minute ago; returns the rooms × nights held."""
    from sqlalchemy import insert, text

    from app.booking.models import Reservation
    from app.core import clock
    from app.extensions import db

    now = clock.now()
    today = clock.local_today("Asia/Seoul")
    held: Counter = Counter()
    rows = []
    run = secrets.token_hex(3)
    for i in range(n):
        hotel_id, rt = room_types[(i * 7919) % len(room_types)]
        check_in = today + timedelta(days=5 + i % 300)
        nights = 1 + i % 3
        for d in range(nights):
            held[(rt, check_in + timedelta(days=d))] += 1
        rows.append(dict(public_id=f"rsv_b{run}{i:08d}", code=f"B{run[:3]}{i:07d}"[:16], hotel_id=hotel_id,
                         room_type_id=rt, check_in=check_in, check_out=check_in + timedelta(days=nights),
                         number_of_rooms=1, number_of_guests=1, guest_first_name="Minji", guest_last_name="Kim",
                         guest_email=f"bench{i}@example.com", guest_phone="+82 10-1234-5678", language="ko",
                         special_requests="", payment_method="card", status="pending", total_amount=100_000,
                         currency="KRW", hold_expires_at=now - timedelta(minutes=1), inventory_held=True,
                         access_salt=secrets.token_hex(8), channel="api", created_at=now - timedelta(minutes=16),
                         updated_at=now - timedelta(minutes=16)))
    for start in range(0, n, 5000):
        db.session.execute(insert(Reservation), rows[start:start + 5000])
    db.session.execute(text("UPDATE inventory_nights SET reserved = reserved + :n "
                            "WHERE room_type_id = :rt AND night = :night"),
                       [{"n": c, "rt": rt, "night": night} for (rt, night), c in held.items()])
    db.session.commit()
    return sum(held.values())


def _wait_for_jobs(job_id: str, helper_id: str, connection, timeout: float = 3600) -> list:
    """The expiry job and, when it called one in, its helper, once both have ended."""
    from rq.job import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = [Job.fetch(job_id, connection=connection)]
        if Job.exists(helper_id, connection):
            jobs.append(Job.fetch(helper_id, connection=connection))
        if all(j.get_status() in ("finished", "failed", "stopped", "canceled") for j in jobs):
            return jobs
        time.sleep(0.05)
    raise TimeoutError("the expiry jobs did not finish")


def _bench_expiry(sizes: list[int], env: dict) -> bool:
    from rq import Queue
    from rq.job import Job
    from sqlalchemy import func, select

    from app.booking.models import Reservation
    from app.catalog.models import InventoryNight
    from app.core.audit import AuditEvent
    from app.extensions import db, redis_connection
    from app.notifications.models import OutboxMessage
    from tests.factories import make_hotel, make_room_type

    # Holds spread as bookings are: over HOTELS hotels in eight cities, five room types each.
    room_types: list[tuple[int, int]] = []
    for h in range(HOTELS):
        hotel = make_hotel(name=f"Bench expiry hotel {h}", city=CITIES[h % len(CITIES)])
        room_types += [(hotel.id, make_room_type(hotel, rooms=0).id) for _ in range(5)]
    ids = [rt for _hotel, rt in room_types]
    print(f"  (holds spread over {len(ids)} room types in {HOTELS} hotels, {len(CITIES)} cities)", flush=True)
    ok = True
    for n, workers in ((n, w) for n in sizes for w in WORKER_COUNTS):
        seeded = time.perf_counter()
        _seed_expired_holds(n, room_types)
        seed_seconds = time.perf_counter() - seeded
        # The hold-expiry job's own events (the worker's watchdog may add an alert of its own:
        # no clock runs during the bench).
        expiry_events = select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "reservation.status", AuditEvent.actor_name == "hold-expiry")
        before_audit = db.session.scalar(expiry_events)
        before_messages = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        db.session.remove()
        job = Queue("low", connection=redis_connection()).enqueue(
            "workers.jobs.booking.expire_holds", job_id=f"bench-expire-{n}-{workers}", job_timeout=3600)
        helper_id = "booking-expire_holds-helper"
        if Job.exists(helper_id, redis_connection()):  # the previous run's: the wait below reads this id
            Job.fetch(helper_id, connection=redis_connection()).delete()
        # Worker processes as the Procfile starts them (not --burst: a second burst worker would leave
        # before the job calls in its helper); stopped once the job and its helper have finished.
        procs = [subprocess.Popen([sys.executable, "-m", "rq.cli", "worker", "--url", env["REDIS_URL"],
                                   "--path", str(ROOT), "--worker-class", "workers.worker.FrontdeskWorker",
                                   "--logging_level", "WARNING", "low"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL) for _ in range(workers)]
        try:
            jobs = _wait_for_jobs(job.id, helper_id, redis_connection())
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=60)
        if any(j.get_status() != "finished" for j in jobs):
            print(f"FAILED: the expiry jobs ended {[j.get_status() for j in jobs]}")
            return False
        job = jobs[0]
        seconds = (max(j.ended_at for j in jobs) - job.started_at).total_seconds()
        by_job = [j.return_value() for j in jobs]
        canceled = sum(by_job)
        still_pending = db.session.scalar(select(func.count()).select_from(Reservation).where(
            Reservation.status == "pending"))
        reserved = db.session.scalar(select(func.coalesce(func.sum(InventoryNight.reserved), 0)).where(
            InventoryNight.room_type_id.in_(ids)))
        audits = db.session.scalar(expiry_events) - before_audit
        messages = db.session.scalar(select(func.count()).select_from(OutboxMessage)) - before_messages
        db.session.remove()
        checks = canceled == n and still_pending == 0 and reserved == 0 and audits == n and messages == 2 * n
        ok = ok and checks
        print(f"  {n:>7,} expired holds, {workers} worker{'s' if workers > 1 else ' '}: took {seconds:6.1f} s "
              f"({n / seconds:7.0f} holds/s; per job {'+'.join(f'{c:,}' for c in by_job)}); "
              f"seeding took {seed_seconds:.1f} s; checks {'ok' if checks else 'FAILED'} "
              f"(canceled {canceled}, rooms still held {reserved}, audit events {audits}, messages {messages})",
              flush=True)
    return ok


def main() -> int:
    url = os.environ.get("BENCH_WORKERS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/fd_bench_workers")
    sizes = [int(s) for s in os.environ.get("BENCH_EXPIRY_SIZES", "10000,100000").split(",") if s.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="frontdesk-bench-workers-"))
    redis_url, redis_proc = _start_redis(tmp)
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": "bench-secret",
           "FRONTDESK_INSTANCE_DIR": str(tmp), "SANDBOX_STATE_DIR": str(tmp / "sandbox"),
           "SANDBOX_BANK_LATENCY_MS": "0", "LOG_LEVEL": "WARNING", "LOG_JSON": "false",
           "RATELIMIT_ENABLED": "false"}
    os.environ.update(env)
    started = time.perf_counter()
    try:
        if url.startswith("postgres"):
            empty_database(url)
        from flask_migrate import upgrade

        from app import create_app

        app = create_app()
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
            print(f"1. Hold expiry on {backend} (the periodic job, run by real rq worker processes)", flush=True)
            ok = _bench_expiry(sizes, env)
        print("2. Payouts against the sandbox bank (zero latency) beside RQ's no-op job", flush=True)
        args = argparse.Namespace(payouts=int(os.environ.get("BENCH_PAYOUTS", "200")),
                                  noops=int(os.environ.get("BENCH_NOOPS", "200")))
        ok = bench_payouts(args, env) == 0 and ok
        print(f"Whole bench: {time.perf_counter() - started:.0f} s; load average now "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        return 0 if ok else 1
    finally:
        redis_proc.terminate()
        redis_proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
