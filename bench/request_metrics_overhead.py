"""How much does recording request durations cost a booking? (app.observability)

Books N reservations through POST /v1/reservations on the same database, in
alternating blocks with request recording (durations per route + Prometheus
counters) on and off, and prints the median and p95 per booking of each.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<own db> REDIS_URL=redis://127.0.0.1:6379/<own db number> \
        .venv/bin/python bench/request_metrics_overhead.py [N]

The database is migrated (and emptied) first: use a database of its own.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["RATELIMIT_ENABLED"] = "false"
os.environ.setdefault("SANDBOX_GATEWAY_LATENCY_MS", "0")


def main(n: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.core import clock
    from app.extensions import db
    from app.observability import requests as recorder

    apps = {"on": create_app({"REQUEST_METRICS_ENABLED": True, "REQUEST_METRICS_FLUSH_SECONDS": 10}),
            "off": create_app({"REQUEST_METRICS_ENABLED": False})}
    with apps["on"].app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        from tests.factories import make_room_type

        room_type = make_room_type(rooms=40)
        db.session.commit()
        hotel_id, room_type_id = room_type.hotel_id, room_type.id
        start = clock.local_today("Asia/Seoul") + timedelta(days=20)

    def body(i: int) -> dict:
        check_in = start + timedelta(days=i % 60)
        return {"hotelID": str(hotel_id), "roomTypeID": str(room_type_id), "checkInDate": check_in.isoformat(),
                "checkOutDate": (check_in + timedelta(days=1)).isoformat(), "numberOfRooms": 1, "numberOfGuests": 1,
                "guestInfo": {"firstName": "Minji", "lastName": "Kim", "email": "minji@example.com",
                              "phone": "+82 10-1234-5678", "language": "ko"},
                "specialRequests": "", "paymentMethod": "card"}

    timings: dict[str, list[float]] = {"on": [], "off": []}
    clients = {name: app.test_client() for name, app in apps.items()}
    block = 25
    i = 0
    while i < 2 * n:
        for name in ("on", "off"):
            for _ in range(block):
                t = time.perf_counter()
                response = clients[name].post("/v1/reservations", json=body(i),
                                              headers={"Idempotency-Key": str(uuid.uuid4())})
                timings[name].append((time.perf_counter() - t) * 1000)
                assert response.status_code == 201, response.get_data(as_text=True)[:300]
                i += 1
    with apps["on"].app_context():
        flushed = recorder.flush()
    for name in ("off", "on"):
        values = sorted(timings[name][block:])  # the first block warms up
        print(f"recording {name:3}: {len(values)} bookings, median {statistics.median(values):.2f} ms, "
              f"p95 {values[int(len(values) * 0.95)]:.2f} ms, mean {statistics.fmean(values):.2f} ms")
    print(f"flushed {flushed} (minute, route) rows in one upsert")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
