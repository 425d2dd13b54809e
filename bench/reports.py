"""Computing the daily report over a seed-scale day, beside one SELECT COUNT(*) over the same rows.

    python bench/reports.py            # 233,000 bookings (seed 003's day), target ≤ 30 s
    python bench/reports.py --small    # 2,000 bookings, seconds (for CI)

Seed 003 counts 233,333 bookings a day. This bench writes one Korean day of them into the real schema
(migrated from the project's migrations; bulk COPY): each booking with its card payment (97 % paid,
2 % declined, 1 % still pending), the ledger row of every paid one, the guest's confirmation email in
the outbox; and around them 2,000 refund payouts (some late, some failed), 2,000 refunds, 5,000 booking
conflicts and a few reconciliation differences. Then, in the same run:

1. Count — `SELECT COUNT(*) FROM reservations` over the day's window (00:00–24:00 KST): the floor
   (any report must at least look at the day's bookings once).
2. Report — `services.run_report("daily", day, send=False)`: every figure of the daily report (bookings,
   ledger money, payment success rate, payouts and late ones, refunds, reconciliation, the fund,
   conflicts by hotel / room type / night / hour, messages, alerts), stored. Target: ≤ 30 s.
3. Again — the same report computed a second time (warm cache; the same row, the same figures).
4. Checks — the figures equal what was written (bookings, paid / failed payments, card money, payouts,
   conflicts, messages). A fast report that is wrong is a failure.

Settings (environment): BENCH_REPORTS_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/fd_bench_reports — created, emptied, and dropped at the end),
BENCH_REPORTS_ROWS (default 233000; --small: 2000). Redis is a scratch redis-server on a free port.
"""
from __future__ import annotations

import os
import random
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import migrated_app, psycopg_url  # noqa: E402

HOTELS, TYPES = 50, 4


def seed(url: str, n: int, day) -> dict:
    """One Korean day of `n` bookings and what surrounds them. Returns what the checks expect."""
    import psycopg

    from app.reports.policies import KOREA

    rng = random.Random(233_000)
    start = datetime.combine(day, datetime.min.time(), tzinfo=KOREA)
    last_moment = start + timedelta(days=1) - timedelta(microseconds=1)
    expected = {"made": n, "paid": 0, "failed": 0, "pending": 0, "card": 0, "payouts": 0, "late": 0,
                "payouts_failed": 0, "conflicts": 0, "messages": n}
    with psycopg.connect(psycopg_url(url)) as conn:
        conn.execute("""
            INSERT INTO hotels (name, address, city, country, latitude, longitude, star_rating, description,
                                amenities, timezone, check_in_time, check_out_time, currency, status,
                                created_at, updated_at)
            SELECT 'Bench Hotel ' || g, g || ' Bench-ro', 'Seoul', 'KR', 37.5, 127.0, 3, 'Bench', '["WiFi"]'::jsonb,
                   'Asia/Seoul', '15:00', '11:00', 'KRW', 'active', now(), now()
            FROM generate_series(1, %(hotels)s) AS g""", {"hotels": HOTELS})
        conn.execute("""
            INSERT INTO room_types (hotel_id, name, description, max_occupancy, bed_type, size_sqm, amenities,
                                    base_price, overbooking_percent, active, created_at, updated_at)
            SELECT h.id, 'Type ' || t, 'Bench room', 2, 'Queen', 25, '[]'::jsonb, 100000, 110, true, now(), now()
            FROM hotels h CROSS JOIN generate_series(1, %(types)s) AS t ORDER BY h.id, t""", {"types": TYPES})
        types = [tuple(r) for r in conn.execute("SELECT hotel_id, id FROM room_types ORDER BY id")]
        bookings = []
        for i in range(n):
            hotel_id, type_id = types[rng.randrange(len(types))]
            at = start + timedelta(seconds=rng.randrange(0, 86_400), microseconds=rng.randrange(0, 1_000_000))
            amount = rng.randrange(60, 301) * 1_000
            roll = rng.random()
            status = "completed" if roll < 0.97 else "failed" if roll < 0.99 else "pending"
            check_in = day + timedelta(days=rng.randrange(1, 90))
            # paid three seconds later, within the same day (so every charge belongs to this day's report)
            bookings.append((i + 1, hotel_id, type_id, at, amount, status, check_in,
                             min(at + timedelta(seconds=3), last_moment)))
            expected["paid" if status == "completed" else status] += 1
            if status == "completed":
                expected["card"] += amount
        with conn.cursor().copy(
                "COPY reservations (id, public_id, code, hotel_id, room_type_id, check_in, check_out, number_of_rooms, "
                "number_of_guests, guest_first_name, guest_last_name, guest_email, guest_phone, language, "
                "special_requests, payment_method, status, total_amount, currency, inventory_held, access_salt, "
                "channel, paid_at, created_at, updated_at) FROM STDIN") as copy:
            for rid, hotel_id, type_id, at, amount, status, check_in, paid_at in bookings:
                paid = status == "completed"
                copy.write_row((rid, f"res_bench{rid:09d}", f"BR{rid:010d}", hotel_id, type_id, check_in,
                                check_in + timedelta(days=1), 1, 2, "Minji", "Kim", f"g{rid}@example.com", "", "ko",
                                "", "card", "paid" if paid else "pending", amount, "KRW", paid, "salt", "web",
                                paid_at if paid else None, at, at))
        with conn.cursor().copy(
                "COPY payments (id, public_id, reservation_id, method, amount, currency, status, refunded_amount, "
                "completed_at, created_at, updated_at) FROM STDIN") as copy:
            for rid, _h, _t, at, amount, status, _c, paid_at in bookings:
                copy.write_row((rid, f"pay_bench{rid:09d}", rid, "card", amount, "KRW", status, 0,
                                paid_at if status == "completed" else None, at, at))
        with conn.cursor().copy(
                "COPY ledger_entries (kind, amount, currency, source, occurred_at, business_date, reservation_id, "
                "payment_id, external_ref, dedupe_key, actor_name, created_at) FROM STDIN") as copy:
            for rid, _h, _t, at, amount, status, _c, paid_at in bookings:
                if status == "completed":
                    copy.write_row(("card_charge", amount, "KRW", "gateway", paid_at, day, rid,
                                    rid, f"ch_bench{rid:09d}", f"charge:{rid}", "bench", at))
        with conn.cursor().copy(
                "COPY outbox_messages (event, channel, recipient, language, reservation_id, dedupe_key, context, "
                "status, attempts, created_at, updated_at) FROM STDIN") as copy:
            for rid, _h, _t, at, _a, _s, _c, _p in bookings:
                copy.write_row(("booking_received", "email", f"g{rid}@example.com", "ko", rid,
                                f"booking_received:email:{rid}", "{}", "sent", 1, at, at))
        with conn.cursor().copy(
                "COPY payouts (public_id, purpose, amount, currency, bank_code, account_number, account_holder, memo, "
                "transfer_id, status, status_changed_at, requested_at, round_started_at, round_failures, "
                "attempt_count, delay_notices, completed_at, created_at, updated_at) FROM STDIN") as copy:
            for p in range(min(2_000, n)):
                at = start + timedelta(seconds=rng.randrange(0, 80_000))
                roll = rng.random()
                status = "completed" if roll < 0.9 else "abandoned" if roll < 0.95 else "canceled"
                done = at + timedelta(minutes=rng.choice((2, 5, 90))) if status == "completed" else None
                expected["payouts"] += 1
                expected["payouts_failed"] += status == "abandoned"
                expected["late"] += status != "canceled" and ((done or start + timedelta(days=1)) - at
                                                              > timedelta(hours=1))
                copy.write_row((f"po_bench{p:07d}", "refund", 50_000, "KRW", "004", "12345678901", "Kim", "",
                                uuid.uuid4().hex, status, done or at, at, at, 0, 1, "[]", done, at, at))
        with conn.cursor().copy(
                "COPY booking_conflicts (hotel_id, room_type_id, check_in, check_out, number_of_rooms, guest_name, "
                "guest_email, guest_phone, language, channel, full_nights, alternatives, resolution, created_at, "
                "updated_at) FROM STDIN") as copy:
            for c in range(min(5_000, n)):
                hotel_id, type_id = types[rng.randrange(8)]       # the hot hotels
                at = start + timedelta(seconds=rng.randrange(0, 86_400))
                check_in = day + timedelta(days=rng.randrange(1, 30))
                expected["conflicts"] += 1
                copy.write_row((hotel_id, type_id, check_in, check_in + timedelta(days=rng.randrange(1, 4)), 1,
                                "Kim", f"c{c}@example.com", "", "ko", "web", "[]", "[]", "PENDING_REVIEW", at, at))
        conn.execute("SELECT setval('reservations_id_seq', %s)", (n,))
        conn.execute("SELECT setval('payments_id_seq', %s)", (n,))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return expected


def count_rows(day) -> tuple[float, int]:
    """One SELECT COUNT(*) over the day's bookings (the same window the report reads)."""
    from sqlalchemy import func, select

    from app.booking.models import Reservation
    from app.extensions import db
    from app.reports.policies import day_window

    since, until = day_window(day)
    db.session.remove()
    started = time.perf_counter()
    count = db.session.scalar(select(func.count()).select_from(Reservation)
                              .where(Reservation.created_at >= since, Reservation.created_at < until))
    seconds = time.perf_counter() - started
    db.session.remove()
    return seconds, count


def check(f: dict, e: dict) -> tuple[bool, str]:
    facts = [
        ("bookings made", f["bookings"]["made"] == e["made"]),
        ("payments paid / failed / pending", (f["payments"]["paid"], f["payments"]["failed"], f["payments"]["pending"])
         == (e["paid"], e["failed"], e["pending"])),
        ("card money = the ledger's", f["revenue"]["card"] == e["card"]),
        ("payouts asked for / failed / late", (f["payouts"]["requested"], f["payouts"]["failed"], f["payouts"]["late"])
         == (e["payouts"], e["payouts_failed"], e["late"])),
        ("conflicts", f["conflicts"]["total"] == e["conflicts"] == sum(f["conflicts"]["byHour"])),
        ("messages", f["messages"]["total"] == e["messages"]),
    ]
    failed = [what for what, ok in facts if not ok]
    return not failed, "ok" if not failed else "FAILED: " + "; ".join(failed)


def drop_database(url: str) -> None:
    import psycopg

    base, _, name = psycopg_url(url).rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str]) -> int:
    small = "--small" in argv
    url = os.environ.get("BENCH_REPORTS_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/fd_bench_reports")
    n = int(os.environ.get("BENCH_REPORTS_ROWS", "2000" if small else "233000"))
    ok = False
    try:
        with migrated_app(url, "reports", "frontdesk-bench-reports-") as app:
            from app.core import clock
            from app.extensions import db
            from app.reports import services
            from app.reports.policies import korean_today

            app.config["REPORT_RECIPIENTS"] = ""
            day = korean_today(clock.now()) - timedelta(days=1)
            t = time.perf_counter()
            expected = seed(url, n, day)
            print(f"Seeded in {time.perf_counter() - t:.1f} s: {n:,} bookings on {day} (Korean day) with their "
                  f"payments, {expected['paid']:,} ledger rows and {n:,} outbox rows; {expected['payouts']:,} "
                  f"payouts, {expected['conflicts']:,} conflicts", flush=True)
            count_s, count = count_rows(day)
            t = time.perf_counter()
            run = services.run_report("daily", day, send=False)
            report_s = time.perf_counter() - t
            ok, verdict = check(run.figures, expected)
            db.session.remove()
            t = time.perf_counter()
            again = services.run_report("daily", day, send=False)
            again_s = time.perf_counter() - t
            same = again.figures == run.figures and again.times_computed == 2
            db.session.remove()
            db.engine.dispose()
            target = 30.0
            ok = ok and same and count == n and report_s <= target
            print(f"1. Count:  SELECT COUNT(*) of the day's {count:,} bookings        {count_s:8.3f} s")
            print(f"2. Report: services.run_report('daily', day) — every figure  {report_s:8.3f} s  "
                  f"= {report_s / count_s:,.1f} × the count   target ≤ {target:.0f} s: "
                  f"{'met' if report_s <= target else 'MISSED'}")
            print(f"3. Again:  the same day computed a second time              {again_s:8.3f} s  "
                  f"= {again_s / count_s:,.1f} × the count   {'same figures' if same else 'FIGURES DIFFER'}")
            print(f"4. Checks {verdict}")
    finally:
        drop_database(url)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
