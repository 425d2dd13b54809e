"""The database's ceiling: the booking transaction without Flask or the ORM.

`book()` sends, over one psycopg connection, the statements
`app.booking.services.create_reservation` sends for one new booking, in the
same order, taking the same locks and writing the same rows: the idempotency
lookup, the hotel + room type and rates reads, the booking-code check, the
hotel row held open (FOR SHARE), the key row (with its response), the nights
locked in date order feeding the guarded UPDATE (one CTE), the reservation,
the outbox row (INSERT … ON CONFLICT DO NOTHING), its audit event (chain lock, chain head + next
id, the chained row: the app chains it at commit), COMMIT.
A deadlock or serialization failure is retried once, as `run_in_transaction` does.
`bench/booking.py` checks that the app sends as many statements as this.

`run()` drives it closed-loop from `concurrency` threads, each with its own
connection, spread over up to `os.cpu_count()` processes (one Python
process would be held back by its GIL, not by the database).
"""
from __future__ import annotations

import multiprocessing
import os
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import psycopg
from psycopg.types.json import Jsonb

from app.auditlog.hashing import CHAIN_LOCK_KEY, GENESIS, compute_hash
from bench.cpu import process_cpu
from bench.seed import psycopg_url

# (name, SQL): mirrors the app's statements one for one.
STATEMENTS = (
    ("find key", "SELECT id, scope, key, fingerprint, response_status, response_body, resource_id, created_at, "
                 "expires_at FROM idempotency_keys WHERE scope = %(scope)s AND key = %(key)s"),
    ("hotel + room type", "SELECT h.id, h.name, h.address, h.city, h.country, h.latitude, h.longitude, h.star_rating, "
                          "h.description, h.amenities, h.timezone, h.check_in_time, h.check_out_time, h.currency, "
                          "h.status, h.deactivation_reason, h.created_at, h.updated_at, r.id, r.hotel_id, r.name, "
                          "r.description, r.max_occupancy, r.bed_type, r.size_sqm, r.amenities, r.base_price, "
                          "r.overbooking_percent, r.active, r.created_at, r.updated_at "
                          "FROM hotels h JOIN room_types r ON r.hotel_id = h.id WHERE h.id = %(hotel)s AND r.id = %(rt)s"),
    ("rates", "SELECT night, price FROM rates WHERE room_type_id = %(rt)s AND night >= %(a)s AND night < %(b)s"),
    ("code free?", "SELECT id FROM reservations WHERE code = %(code)s"),
    ("hotel open", "SELECT hotels.status FROM hotels WHERE hotels.id = %(hotel)s FOR SHARE"),
    ("claim key", "INSERT INTO idempotency_keys (scope, key, fingerprint, response_status, response_body, resource_id, "
                  "created_at, expires_at) VALUES (%(scope)s, %(key)s, %(fp)s, 201, %(body)s, %(pid)s, %(now)s, "
                  "%(expires)s) RETURNING id"),
    ("lock & take rooms", "WITH locked AS MATERIALIZED (SELECT id FROM inventory_nights WHERE room_type_id = %(rt)s "
                          "AND night >= %(a)s AND night < %(b)s ORDER BY night FOR UPDATE) "
                          "UPDATE inventory_nights SET reserved = reserved + %(n)s FROM locked "
                          "WHERE inventory_nights.id = locked.id "
                          "AND inventory_nights.reserved + %(n)s <= (inventory_nights.total * %(pct)s) / 100"),
    ("reservation", "INSERT INTO reservations (public_id, code, hotel_id, room_type_id, room_id, check_in, check_out, "
                    "number_of_rooms, number_of_guests, guest_first_name, guest_last_name, guest_email, guest_phone, "
                    "language, special_requests, payment_method, status, total_amount, currency, hold_expires_at, "
                    "inventory_held, access_salt, channel, paid_at, canceled_at, cancel_reason, request_id, "
                    "created_at, updated_at) VALUES (%(pid)s, %(code)s, %(hotel)s, %(rt)s, NULL, %(a)s, %(b)s, "
                    "%(n)s, 2, 'Bench', 'Raw', 'raw@example.com', '010-1234-5678', 'ko', '', 'card', 'pending', "
                    "%(total)s, 'KRW', %(hold)s, true, %(salt)s, 'bench-raw', NULL, NULL, NULL, %(rid)s, %(now)s, "
                    "%(now)s) RETURNING id"),
    ("outbox row", "INSERT INTO outbox_messages (event, channel, recipient, language, reservation_id, dedupe_key, "
                   "context, status, attempts, next_attempt_at, last_error, sent_at, subject, body, request_id, "
                   "created_at, updated_at) VALUES ('booking_received', 'email', 'raw@example.com', 'ko', %(res)s, "
                   "%(dedupe)s, '{}'::jsonb, 'pending', 0, %(now)s, NULL, NULL, NULL, NULL, %(rid)s, %(now)s, "
                   "%(now)s) ON CONFLICT (dedupe_key) DO NOTHING RETURNING outbox_messages.id"),
    ("audit chain lock", "SELECT pg_advisory_xact_lock(%(chain_key)s)"),
    ("audit chain head", "SELECT nextval('audit_events_id_seq'), (SELECT row_hash FROM audit_events ORDER BY id DESC "
                         "LIMIT 1) FROM generate_series(1, 1)"),
    ("audit event", "INSERT INTO audit_events (id, created_at, actor_kind, actor_id, actor_name, action, entity_type, "
                    "entity_id, reservation_id, from_state, to_state, reason, data, request_id, prev_hash, row_hash) "
                    "VALUES (%(audit_id)s, %(now)s, 'guest', NULL, 'raw@example.com', 'reservation.created', "
                    "'reservation', %(pid)s, %(res)s, NULL, 'pending', NULL, %(audit)s, %(rid)s, %(prev)s, "
                    "%(hash)s)"),
)
SQL = dict(STATEMENTS)


class SoldOutError(Exception):
    pass


def book(conn: psycopg.Connection, hotel_id: int, room_type_id: int, check_in: date, nights: int) -> None:
    """One booking, one transaction (raises SoldOutError after rolling back)."""
    now = datetime.now(timezone.utc)
    a, b = check_in, check_in + timedelta(days=nights)
    p = {"scope": "reservations", "key": "raw-" + secrets.token_hex(12), "hotel": hotel_id, "rt": room_type_id,
         "a": a, "b": b, "n": 1, "pct": 110, "now": now, "expires": now + timedelta(hours=48),
         "fp": secrets.token_hex(32), "pid": "rsv_" + secrets.token_hex(10), "salt": secrets.token_hex(8),
         "code": "FD" + "".join(random.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(6)),
         "hold": now + timedelta(minutes=15), "rid": "req_" + secrets.token_hex(10)}
    cur = conn.cursor()
    ex = cur.execute
    ex(SQL["find key"], p)
    ex(SQL["hotel + room type"], p)
    base_price = cur.fetchone()[26]
    ex(SQL["rates"], p)
    rates = dict(cur.fetchall())
    p["total"] = sum(rates.get(a + timedelta(days=i), base_price) for i in range(nights))
    ex(SQL["code free?"], p)
    p["body"] = Jsonb({"reservationID": p["pid"], "code": p["code"], "status": "pending", "hotelID": str(hotel_id),
                       "roomTypeID": str(room_type_id), "checkInDate": a.isoformat(), "checkOutDate": b.isoformat(),
                       "numberOfRooms": 1, "totalPrice": {"amount": p["total"], "currency": "KRW"},
                       "holdExpiresAt": p["hold"].isoformat()})
    ex(SQL["hotel open"], p)
    ex(SQL["claim key"], p)
    ex(SQL["lock & take rooms"], p)
    if cur.rowcount != nights:
        conn.rollback()
        raise SoldOutError()
    ex(SQL["reservation"], p)
    p["res"] = cur.fetchone()[0]
    p["dedupe"] = f"booking_received:email:{p['pid']}"
    ex(SQL["outbox row"], p)
    audit_data = {"code": p["code"], "nights": nights, "rooms": 1, "total": p["total"], "channel": "bench-raw"}
    p["audit"] = Jsonb(audit_data)
    p["chain_key"] = CHAIN_LOCK_KEY
    ex(SQL["audit chain lock"], p)
    ex(SQL["audit chain head"], p)
    p["audit_id"], head = cur.fetchone()
    p["prev"] = head or GENESIS
    p["hash"] = compute_hash({"id": p["audit_id"], "created_at": now, "actor_kind": "guest", "actor_id": None,
                              "actor_name": "raw@example.com", "action": "reservation.created",
                              "entity_type": "reservation", "entity_id": p["pid"], "reservation_id": p["res"],
                              "from_state": None, "to_state": "pending", "reason": None, "data": audit_data,
                              "request_id": p["rid"]}, p["prev"])
    ex(SQL["audit event"], p)
    conn.commit()


@dataclass
class RawResult:
    ok: int = 0
    sold_out: int = 0
    retried: int = 0
    errors: int = 0
    committed_all: int = 0      # including warm-up and the stragglers after the window
    attempts_all: int = 0       # every transaction run, whatever its outcome
    client_cpu: float = 0.0     # CPU seconds of the client processes
    pg_cpu: float = 0.0         # CPU seconds of their PostgreSQL backends
    failures: list[str] = field(default_factory=list)  # unexpected errors, for the report
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _thread(url, choose, start_at, measure_from, end_at, out: RawResult, lock: threading.Lock) -> None:
    local = RawResult()
    try:
        conn = psycopg.connect(url)
    except psycopg.Error as exc:  # e.g. max_connections reached on the shared server
        with lock:
            out.failures.append(f"connect: {exc}".strip())
        return
    backend = conn.info.backend_pid
    backend_cpu = process_cpu(backend)
    rng = random.Random()
    while time.time() < start_at:
        time.sleep(0.005)
    while True:
        t0 = time.time()
        if t0 >= end_at:
            break
        hotel, rt, check_in, nights = choose(rng)
        for attempt in (0, 1):
            try:
                book(conn, hotel, rt, check_in, nights)
                outcome = "ok"
                break
            except SoldOutError:
                outcome = "sold_out"
                break
            except psycopg.errors.DeadlockDetected:
                conn.rollback()
                local.retried += 1
                outcome = "error"
            except psycopg.errors.SerializationFailure:
                conn.rollback()
                local.retried += 1
                outcome = "error"
            except psycopg.Error as exc:
                conn.rollback()
                local.failures.append(f"{type(exc).__name__}: {exc}".strip())
                outcome = "error"
                break
        t1 = time.time()
        local.attempts_all += 1
        if outcome == "ok":
            local.committed_all += 1
        if t0 >= measure_from and t1 <= end_at:
            if outcome == "ok":
                local.ok += 1
                local.latencies_ms.append((t1 - t0) * 1000)
            elif outcome == "sold_out":
                local.sold_out += 1
            else:
                local.errors += 1
    local.pg_cpu = process_cpu(backend) - backend_cpu
    conn.close()
    with lock:
        out.ok += local.ok
        out.sold_out += local.sold_out
        out.retried += local.retried
        out.errors += local.errors
        out.committed_all += local.committed_all
        out.attempts_all += local.attempts_all
        out.pg_cpu += local.pg_cpu
        out.failures.extend(local.failures)
        out.latencies_ms.extend(local.latencies_ms)


def _process(url, choose, threads, start_at, measure_from, end_at, queue) -> None:
    cpu0 = time.process_time()
    out, lock = RawResult(), threading.Lock()
    workers = [threading.Thread(target=_thread, args=(url, choose, start_at, measure_from, end_at, out, lock))
               for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.client_cpu = time.process_time() - cpu0
    queue.put(out)


def run(url: str, choose, concurrency: int, seconds: float, warmup: float = 1.0) -> RawResult:
    """Closed loop for `seconds` after `warmup`; `choose(rng)` → (hotel, room type, check-in, nights)."""
    url = psycopg_url(url)
    procs = min(concurrency, os.cpu_count() or 1)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 1.0 + 0.02 * concurrency  # time to connect
    measure_from = start_at + warmup
    end_at = measure_from + seconds
    children = []
    for i in range(procs):
        threads = concurrency // procs + (1 if i < concurrency % procs else 0)
        child = ctx.Process(target=_process, args=(url, choose, threads, start_at, measure_from, end_at, queue))
        child.start()
        children.append(child)
    total = RawResult(seconds=seconds)
    for _ in children:
        part = queue.get()
        total.ok += part.ok
        total.sold_out += part.sold_out
        total.retried += part.retried
        total.errors += part.errors
        total.committed_all += part.committed_all
        total.attempts_all += part.attempts_all
        total.client_cpu += part.client_cpu
        total.pg_cpu += part.pg_cpu
        total.failures.extend(part.failures)
        total.latencies_ms.extend(part.latencies_ms)
    for child in children:
        child.join()
    return total
