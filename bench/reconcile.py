"""Reconciling a day of card payments at seed scale, beside the time to read the same rows.

    python bench/reconcile.py

Seed 003 counts 233,333 bookings a day. This bench writes a day of 233,000 card charges into the
ledger (bulk COPY into the real schema, migrated from the project's migrations) and the gateway's
settlement file for the same day with a few deliberate differences — 3 amounts that differ, 2 charges
the file leaves out (INTERNAL_ONLY), 2 approvals for orders we do not have (GHOST_TRANSACTION) — then:

1. Store — `services.store_settlement_file` of the file (parse, check its TOTAL row, keep the bytes).
2. Read — one SELECT of the day's ledger rows, the columns the matcher uses: the ceiling (nothing can
   reconcile rows faster than it can read them).
3. Reconcile — `services.reconcile_day(day, "gateway")`, the whole run: claim the run, read the file and
   the ledger, match by transaction id in dictionaries, look up the leftovers in batched queries, write
   the items and the totals. Target: ≤ 60 s.
4. Again — the same day reconciled a second time: the same items, none twice.
5. Checks — the run's totals equal the ledger's and the file's, the match rate is what the mix says,
   and the items are exactly the seven differences written (type and transaction). A fast run that is
   wrong is a failure.

Settings (environment): BENCH_RECONCILE_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/fd_bench_reconcile — everything in it is dropped),
BENCH_RECONCILE_ROWS (default 233000). Redis is a scratch redis-server on a free port (nothing is
enqueued). Method and figures: bench/README.md.
"""
from __future__ import annotations

import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import migrated_app, psycopg_url  # noqa: E402

# Where the differences are planted, as fractions of the day (so any BENCH_RECONCILE_ROWS ≥ 100 works).
AMOUNT_OFF_AT = (0.0001, 0.39, 0.65)     # file rows whose amount differs by 1,000
LEFT_OUT_AT = (0.00002, 0.86)            # ledger rows the file does not list
GHOSTS = 2                               # file approvals for orders we do not have


def seed(url: str, n: int, day) -> dict:
    """n card charges in the ledger on `day`, and the gateway's file for that day. Returns the file's
    bytes and what the checks expect."""
    import psycopg

    from app.core import clock
    from app.payments import settlement
    from app.reconcile.policies import KOREA

    rng = random.Random(233_000)
    now = clock.now()
    start = datetime.combine(day, datetime.min.time(), tzinfo=KOREA)
    charges = []
    for i in range(n):
        at = start + timedelta(seconds=rng.randrange(0, 86_400))
        charges.append((f"ch_bench{i:09d}", f"pay_bench{i:09d}", rng.randrange(40, 301) * 1_000, at))
    with psycopg.connect(psycopg_url(url)) as conn:
        with conn.cursor().copy("COPY ledger_entries (kind, amount, currency, source, occurred_at, business_date, "
                                "external_ref, dedupe_key, actor_name, created_at) FROM STDIN") as copy:
            for tx, _order, amount, at in charges:
                copy.write_row(("card_charge", amount, "KRW", "gateway", at, day, tx, f"bench:{tx}", "bench", now))
        conn.execute("ANALYZE ledger_entries")
        conn.commit()
    amount_off = {int(f * n) for f in AMOUNT_OFF_AT}
    left_out_rows = {int(f * n) for f in LEFT_OUT_AT} - amount_off
    rows, left_out = [], {charges[i][0] for i in left_out_rows}
    for i, (tx, order, amount, at) in enumerate(charges):
        if tx in left_out:
            continue
        filed = amount + (1_000 if i in amount_off else 0)
        rows.append({"record_type": settlement.APPROVAL, "transaction_id": tx, "order_id": order,
                     "transacted_at": at, "amount": filed, "fee": settlement.compute_fee(filed)})
    for g in range(GHOSTS):
        rows.append({"record_type": settlement.APPROVAL, "transaction_id": f"ch_ghost{g}", "order_id": f"pay_ghost{g}",
                     "transacted_at": start + timedelta(hours=12), "amount": 77_000, "fee": 1_925})
    expected = {f"gateway:tx:{charges[i][0]}": "AMOUNT_MISMATCH" for i in amount_off}
    expected.update({f"gateway:tx:{charges[i][0]}": "INTERNAL_ONLY" for i in left_out_rows})
    expected.update({f"gateway:tx:ch_ghost{g}": "GHOST_TRANSACTION" for g in range(GHOSTS)})
    return {"raw": settlement.write(day, rows), "ledger_count": n, "ledger_amount": sum(c[2] for c in charges),
            "file_count": len(rows), "file_amount": sum(r["amount"] for r in rows), "expected": expected,
            "matched": n - len(left_out_rows) - len(amount_off)}


def read_ledger(day) -> tuple[float, int]:
    from sqlalchemy import select

    from app.extensions import db
    from app.ledger.models import LedgerEntry
    from app.reconcile.loaders import _ENTRY_COLUMNS

    db.session.remove()
    started = time.perf_counter()
    rows = db.session.execute(select(*_ENTRY_COLUMNS).where(
        LedgerEntry.business_date == day, LedgerEntry.kind.in_(("card_charge", "card_refund")))).all()
    seconds = time.perf_counter() - started
    db.session.remove()
    return seconds, len(rows)


def check(run, data: dict) -> tuple[bool, str]:
    from sqlalchemy import select

    from app.extensions import db
    from app.reconcile.models import ReconciliationItem
    from app.reconcile.policies import compute_match_rate

    found = {i.natural_key: i.type for i in db.session.scalars(select(ReconciliationItem))}
    total = data["matched"] + len(data["expected"])
    facts = [
        ("totals: ours = the ledger's", (run.internal_count, run.internal_amount) ==
         (data["ledger_count"], data["ledger_amount"])),
        ("totals: theirs = the file's", (run.external_count, run.external_amount) ==
         (data["file_count"], data["file_amount"])),
        ("matched / total", (run.matched_count, run.total_count) == (data["matched"], total)),
        ("match rate", run.match_rate == compute_match_rate(data["matched"], total)),
        ("items: exactly the seven differences written", found == data["expected"]),
    ]
    failed = [what for what, ok in facts if not ok]
    return not failed, "ok" if not failed else "FAILED: " + "; ".join(failed)


def main() -> int:
    url = os.environ.get("BENCH_RECONCILE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/fd_bench_reconcile")
    n = int(os.environ.get("BENCH_RECONCILE_ROWS", "233000"))
    ok = False
    with migrated_app(url, "reconciliation", "frontdesk-bench-reconcile-"):
        from app.core import clock
        from app.extensions import db
        from app.reconcile import services
        from app.reconcile.policies import previous_business_date

        day = previous_business_date(clock.now())
        seeded = time.perf_counter()
        data = seed(url, n, day)
        print(f"Seeded in {time.perf_counter() - seeded:.1f} s: {n:,} card charges in the ledger on {day}, and "
              f"the gateway's file of {data['file_count']:,} rows ({len(data['raw']) / 1e6:.1f} MB) with 3 "
              f"amounts off, 2 charges left out and 2 unknown orders", flush=True)
        t = time.perf_counter()
        stored = services.store_settlement_file(data["raw"], origin="uploaded", file_name="bench.csv")
        store = time.perf_counter() - t
        stored_rows, stored_new = stored.file.row_count, stored.created
        read, count = read_ledger(day)
        db.session.remove()
        t = time.perf_counter()
        run = services.reconcile_day(day, "gateway", trigger="cli")
        reconcile = time.perf_counter() - t
        ok, verdict = check(run, data)
        first = (run.matched_count, run.total_count, run.match_rate, run.details["findingsByType"])
        db.session.remove()
        t = time.perf_counter()
        again = services.reconcile_day(day, "gateway", trigger="cli")
        second = time.perf_counter() - t
        ok_again, verdict_again = check(again, data)
        ok = ok and ok_again and stored_new and count == n and reconcile <= 60
        print(f"1. Store:     the settlement file ({stored_rows:,} rows) parsed, checked and kept "
              f"{store:7.1f} s")
        print(f"2. Read:      one SELECT of the day's {count:,} ledger rows                      "
              f"{read:7.1f} s  ({count / read:9,.0f} rows/s)")
        print(f"3. Reconcile: services.reconcile_day(day, 'gateway') over the same rows      "
              f"{reconcile:7.1f} s  ({count / reconcile:9,.0f} rows/s)  = {reconcile / read:.1f} × the read   "
              f"target ≤ 60 s: {'met' if reconcile <= 60 else 'MISSED'}")
        print(f"4. Again:     the same day reconciled a second time                        "
              f"{second:7.1f} s  = {second / read:.1f} × the read")
        print(f"5. Checks {verdict} (first run); {verdict_again} (second run): {first[0]:,} of {first[1]:,} "
              f"matched, match rate {first[2]}, differences {first[3]}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
