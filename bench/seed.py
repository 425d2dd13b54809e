"""Bench data: a fresh schema (the real migrations) and a realistic catalog.

Eight cities, 250 hotels with four room types each (the 1,000 room types of
the "spread" scenario), 20–60 rooms per type, weekend rates, and inventory
for the next 130 nights; plus one "hot" room type with a practically
unlimited number of rooms, so the hot scenario measures contention, not
sold-outs. Bulk SQL (generate_series), so seeding takes seconds.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

ROOT = Path(__file__).resolve().parent.parent

CITIES = ("Seoul", "Busan", "Jeju", "Incheon", "Daegu", "Gyeongju", "Gangneung", "Jeonju")
HOTELS = 250
TYPES_PER_HOTEL = 4
HORIZON_NIGHTS = 130
HOT_ROOMS = 5_000_000
ROOM_TYPE_NAMES = ("Standard Double", "Deluxe Twin", "Family Suite", "Ocean View King")


@dataclass(frozen=True)
class Catalog:
    today: date                         # the hotels' local date (Asia/Seoul)
    hot: tuple[int, int]                # (hotel id, room type id)
    spread: list[tuple[int, int]]       # the 1,000 (hotel id, room type id)
    cities: tuple[str, ...] = CITIES


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def empty_database(url: str) -> None:
    """Create the bench database if it is missing, and drop everything in it."""
    base, _, name = psycopg_url(url).rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(psycopg_url(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def reset_schema(url: str, env: dict[str, str]) -> None:
    """An empty bench database with the project's migrations applied."""
    empty_database(url)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def seed(url: str) -> Catalog:
    today = datetime.now(ZoneInfo("Asia/Seoul")).date()
    last = today + timedelta(days=HORIZON_NIGHTS)
    with psycopg.connect(psycopg_url(url)) as conn:
        conn.execute("""
            INSERT INTO hotels (name, address, city, country, latitude, longitude, star_rating, description,
                                amenities, timezone, check_in_time, check_out_time, currency, status,
                                created_at, updated_at)
            SELECT 'Bench Hotel ' || g, g || ' Bench-ro', (%(cities)s::text[])[1 + (g %% %(ncities)s)], 'KR',
                   37.5, 127.0, 1 + (g * 7) %% 5, 'A hotel for the benchmark.',
                   CASE g %% 3 WHEN 0 THEN '["WiFi","Pool"]' WHEN 1 THEN '["WiFi","Breakfast"]'
                        ELSE '["WiFi","Gym","Parking"]' END::jsonb,
                   'Asia/Seoul', '15:00', '11:00', 'KRW', 'active', now(), now()
            FROM generate_series(1, %(hotels)s) AS g
        """, {"cities": list(CITIES), "ncities": len(CITIES), "hotels": HOTELS})
        conn.execute("""
            INSERT INTO room_types (hotel_id, name, description, max_occupancy, bed_type, size_sqm, amenities,
                                    base_price, overbooking_percent, active, created_at, updated_at)
            SELECT h.id, (%(names)s::text[])[t], 'Bench room', 2 + (t %% 3), 'Queen', 20 + 5 * t, '[]'::jsonb,
                   60000 + ((h.id * 7919 + t * 104729) %% 40) * 5000, 110, true, now(), now()
            FROM hotels h CROSS JOIN generate_series(1, %(types)s) AS t
            ORDER BY h.id, t
        """, {"names": list(ROOM_TYPE_NAMES), "types": TYPES_PER_HOTEL})
        hot_hotel = conn.execute("""
            INSERT INTO hotels (name, address, city, country, star_rating, description, amenities, timezone,
                                check_in_time, check_out_time, currency, status, created_at, updated_at)
            VALUES ('Hot Hotel', '1 Hot-ro', 'Hotville', 'KR', 3, 'Everyone books here.', '["WiFi"]'::jsonb,
                    'Asia/Seoul', '15:00', '11:00', 'KRW', 'active', now(), now()) RETURNING id
        """).fetchone()[0]
        hot_type = conn.execute("""
            INSERT INTO room_types (hotel_id, name, description, max_occupancy, bed_type, amenities, base_price,
                                    overbooking_percent, active, created_at, updated_at)
            VALUES (%s, 'Hot Double', 'The room everyone wants', 2, 'Queen', '[]'::jsonb, 100000, 110, true,
                    now(), now()) RETURNING id
        """, (hot_hotel,)).fetchone()[0]
        conn.execute("""
            INSERT INTO inventory_nights (hotel_id, room_type_id, night, total, reserved)
            SELECT rt.hotel_id, rt.id, n::date,
                   CASE WHEN rt.id = %(hot)s THEN %(hot_rooms)s ELSE 20 + (rt.id * 31 + n::date - %(a)s) %% 41 END, 0
            FROM room_types rt CROSS JOIN generate_series(%(a)s::date, %(b)s::date, interval '1 day') AS n
        """, {"hot": hot_type, "hot_rooms": HOT_ROOMS, "a": today, "b": last})
        conn.execute("""
            INSERT INTO rates (room_type_id, night, price)
            SELECT rt.id, n::date, rt.base_price * 12 / 10
            FROM room_types rt CROSS JOIN generate_series(%(a)s::date, %(b)s::date, interval '1 day') AS n
            WHERE extract(isodow FROM n) IN (5, 6)
        """, {"a": today, "b": last})
        conn.execute("UPDATE inventory_nights i SET price = r.price FROM rates r "
                     "WHERE r.room_type_id = i.room_type_id AND r.night = i.night")
        spread = [tuple(r) for r in conn.execute(
            "SELECT hotel_id, id FROM room_types WHERE id <> %s ORDER BY id", (hot_type,))]
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return Catalog(today=today, hot=(hot_hotel, hot_type), spread=spread)


@contextmanager
def migrated_app(url: str, title: str, tmp_prefix: str):
    """The app of an in-process bench, inside its app context: a scratch Redis, the bench database emptied
    and migrated. Prints the bench's header, and at the end the whole run's time and load average."""
    from bench.workers_payouts import _start_redis

    tmp = Path(tempfile.mkdtemp(prefix=tmp_prefix))
    redis_url, redis_proc = _start_redis(tmp)
    os.environ.update({"DATABASE_URL": url, "SECRET_KEY": "bench-secret", "FRONTDESK_INSTANCE_DIR": str(tmp),
                       "SANDBOX_STATE_DIR": str(tmp / "sandbox"), "LOG_LEVEL": "WARNING", "LOG_JSON": "false",
                       "RATELIMIT_ENABLED": "false", "REDIS_URL": redis_url})
    started = time.perf_counter()
    try:
        empty_database(url)
        from flask_migrate import upgrade

        from app import create_app

        app = create_app()
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            print(f"Frontdesk {title} bench — {url} · {os.cpu_count()} CPUs · load average at start "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
            yield app
    finally:
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
        print(f"Whole bench: {time.perf_counter() - started:.0f} s; load average at the end "
              f"{os.getloadavg()[0]:.1f} (1 min, on {os.cpu_count()} CPUs: above {os.cpu_count()} means other "
              "jobs were competing)")
