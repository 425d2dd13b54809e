"""After the run: nothing oversold, every 201 exactly one reservation.

A benchmark that oversells is a failure, whatever its throughput.
"""
from __future__ import annotations

import psycopg

from bench.seed import psycopg_url


#: The rooms each (room type, night) holds by the bookings that hold rooms: DESIGN invariant 1's
#: right-hand side. `held` to join against inventory_nights.
HELD_NIGHTS = """
    WITH held AS (
        SELECT r.room_type_id, n::date AS night, sum(r.number_of_rooms) AS rooms
        FROM reservations r
        CROSS JOIN generate_series(r.check_in, r.check_out - 1, interval '1 day') AS n
        WHERE r.status IN ('pending', 'paid', 'checked_in')
        GROUP BY 1, 2)"""


def run_checks(url: str, created_by_http: list[str], in_flight_allowance: int,
               raw_commits: int) -> list[tuple[str, bool, str]]:
    """(what, passed, detail) for each check, read from the database after the run.

    `created_by_http`: the reservation ids of every 201 the clients saw;
    `in_flight_allowance`: how many requests a stopped client may have left
    running in gunicorn (they may still have booked); `raw_commits`: the
    commits the raw phases counted.
    """
    checks = []
    with psycopg.connect(psycopg_url(url)) as conn:
        bad = conn.execute(HELD_NIGHTS + """
            SELECT count(*) FROM inventory_nights i
            LEFT JOIN held h ON h.room_type_id = i.room_type_id AND h.night = i.night
            WHERE i.reserved <> coalesce(h.rooms, 0)
        """).fetchone()[0]
        over = conn.execute("""
            SELECT count(*) FROM inventory_nights i JOIN room_types rt ON rt.id = i.room_type_id
            WHERE i.reserved > i.total * rt.overbooking_percent / 100
        """).fetchone()[0]
        checks.append(("inventory: reserved = rooms held by pending/paid/checked-in reservations, every night",
                       bad == 0, f"{bad} nights differ"))
        checks.append(("inventory: no night above its cap", over == 0, f"{over} nights over the cap"))

        ids = created_by_http
        found = conn.execute("SELECT count(*) FROM reservations WHERE public_id = ANY(%s)", (ids,)).fetchone()[0]
        api_total = conn.execute("SELECT count(*) FROM reservations WHERE channel = 'api'").fetchone()[0]
        unique = len(set(ids))
        extra = api_total - found
        checks.append(("HTTP: every 201 is exactly one reservation",
                       unique == len(ids) == found and 0 <= extra <= in_flight_allowance,
                       f"{len(ids)} 201s, {unique} distinct ids, {found} found; {extra} more API reservations "
                       f"finished after wrk stopped (≤ {in_flight_allowance} allowed)"))
        bad_rows = conn.execute("""
            SELECT count(*) FROM reservations r WHERE
              (SELECT count(*) FROM idempotency_keys k WHERE k.resource_id = r.public_id) <> 1
              OR (SELECT count(*) FROM audit_events a WHERE a.reservation_id = r.id) <> 1
              OR (SELECT count(*) FROM outbox_messages o WHERE o.reservation_id = r.id) <> 1
        """).fetchone()[0]
        checks.append(("every reservation has one idempotency key, one audit event, one outbox row",
                       bad_rows == 0, f"{bad_rows} reservations without exactly one of each"))
        raw_rows = conn.execute("SELECT count(*) FROM reservations WHERE channel = 'bench-raw'").fetchone()[0]
        checks.append(("raw: every commit is one reservation",
                       raw_rows >= raw_commits,  # (+ the uncounted warm-up run)
                       f"{raw_commits} commits counted, {raw_rows} raw reservations"))
    return checks
