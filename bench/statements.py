"""Matching a day's bank statement at seed scale, beside the time to read the same rows.

    python bench/statements.py

Seed 003 counts 233,333 bookings a day. This bench writes a day of them as bank transfers
(bulk COPY into the real schema, migrated from the project's migrations), one in ten already
partly paid (its ledger row), and a day's statement of one line per booking, then:

1. Read — one SELECT of the statement's lines through the ORM, as the import loads them: the
   ceiling (nothing can match lines faster than it can read them).
2. Match — `app.deposits.matching.analyze_many(lines)` over those lines: the bookings of the last
   60 days and what each has paid are read once (one grouped ledger query), codes are found by
   dict lookups, and the bookings the answers name are loaded in chunks. Target: ≤ 60 s.
3. Checks — every line gets the answer it was written for: 90 % exact (code and amount owed:
   confirmed by itself), 4 % short, 2 % over, 2 % no code but the guest's name and amount, 1 % a
   code one character off, 1 % unknown. A fast answer that is wrong is a failure.
4. Import — the full import (app.deposits.services.import_statement: parse, store, match, pay,
   audit, ledger, messages) of a CSV file of BENCH_IMPORT_LINES exact deposits for bookings of the
   day (fewer if the file would pass the 2 MB upload limit), and the day's import projected at
   that rate.

Settings (environment): BENCH_STATEMENTS_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/fd_bench_statements — everything in it is dropped),
BENCH_STATEMENT_LINES (default 233000), BENCH_IMPORT_LINES (default 2000; 0 skips step 4).
Redis is a scratch redis-server on a free port (nobody runs the jobs it receives). Method and
figures: bench/README.md.
"""
from __future__ import annotations

import io
import os
import random
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import migrated_app, psycopg_url  # noqa: E402

ACCOUNT = "110123456789"
FAMILY = "김이박최정강조윤장임한오서신권황안송류홍전고문양손배백허유남심노하곽성차주우구민진지엄채원천방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모남궁탁국어은편용예경봉사부황보"
GIVEN = ["민지", "서준", "하은", "도윤", "지우", "예준", "서연", "시우", "수아", "주원", "지호", "하린", "건우", "윤서",
         "우진", "채원", "선우", "지민", "현우", "다은", "연우", "소율", "유준", "예린", "정우", "수빈", "승우", "지아"]
#: (share of lines out of 100, what the line is written to be, the answer it must get)
MIX = ((90, "exact", None), (4, "short", "short"), (2, "over", "over"), (2, "name", "name_amount"),
       (1, "near", "near_miss"), (1, "unknown", "unknown"))


def _kind_of(i: int) -> tuple[str, str | None]:
    slot = i % 100
    for share, kind, answer in MIX:
        if slot < share:
            return kind, answer
        slot -= share
    raise AssertionError("the mix adds up to 100")


def _holds_a_code(text: str, canons: set[str]) -> bool:
    """Whether a booking code (canonical: zeros after FD dropped) is written in `text`: a code with
    leading zeros is shorter, so it can sit at the start of another code changed by one character."""
    from app.deposits.matching import canonical_code

    canon = canonical_code(text)
    return any(canon[:k] in canons for k in range(3, len(canon) + 1))


def _copy(conn, table: str, columns: list[str], rows) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed(url: str, n: int) -> dict:
    """A hotel, n bank-transfer bookings made over the last 24 hours, the ledger rows of the partly
    paid ones, and one statement with a line per booking. Returns what the checks need."""
    import psycopg

    from app.core import clock
    from app.core.ids import CODE_ALPHABET
    from app.deposits.matching import canonical_code
    from tests.factories import make_hotel, make_room_type

    rng = random.Random(233_000)
    hotel = make_hotel(name="Bench statements hotel")
    room_type = make_room_type(hotel, rooms=0)
    hotel_id, room_type_id = hotel.id, room_type.id
    from app.extensions import db

    db.session.commit()
    now = clock.now()
    today = clock.local_today("Asia/Seoul")
    codes: set[str] = set()
    bookings = []
    while len(bookings) < n:
        code = "FD" + "".join(rng.choice(CODE_ALPHABET) for _ in range(6))
        if code in codes:
            continue
        codes.add(code)
        i = len(bookings)
        nights = 1 + i % 3
        total = nights * rng.randrange(40_000, 300_001, 1_000)
        paid = 10_000 if i % 10 == 0 else 0
        bookings.append((code, rng.choice(FAMILY), rng.choice(GIVEN), total, paid,
                         now - timedelta(seconds=rng.randrange(60, 86_000))))
    with psycopg.connect(psycopg_url(url)) as conn:
        first_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM reservations").fetchone()[0]
        check_in = today + timedelta(days=20)
        _copy(conn, "reservations", [
            "id", "public_id", "code", "hotel_id", "room_type_id", "check_in", "check_out", "number_of_rooms",
            "number_of_guests", "guest_first_name", "guest_last_name", "guest_email", "guest_phone", "language",
            "special_requests", "payment_method", "status", "total_amount", "currency", "hold_expires_at",
            "inventory_held", "access_salt", "channel", "created_at", "updated_at"],
            ((first_id + i, f"rsv_bench{i:09d}", code, hotel_id, room_type_id, check_in,
              check_in + timedelta(days=1 + i % 3), 1, 1, given, family, f"guest{i}@example.com", "", "ko", "",
              "bank_transfer", "pending", total, "KRW", created + timedelta(hours=24), True, "00", "api", created,
              created) for i, (code, family, given, total, _paid, created) in enumerate(bookings)))
        conn.execute("SELECT setval(pg_get_serial_sequence('reservations', 'id'), %s)", (first_id + n,))
        _copy(conn, "ledger_entries", [
            "kind", "amount", "currency", "source", "occurred_at", "business_date", "reservation_id", "dedupe_key",
            "actor_name", "created_at"],
            (("bank_deposit", paid, "KRW", "bank", created, today, first_id + i, f"bench-part:{i}", "bench", now)
             for i, (_c, _f, _g, _t, paid, created) in enumerate(bookings) if paid))
        statement_id = conn.execute(
            "INSERT INTO bank_statements (public_id, source_format, bank, account, file_name, file_sha256, currency, "
            "lines_in_file, lines_new, copy_duplicate, created_at, updated_at) VALUES ('stm_bench', 'csv', 'bench', "
            "%s, 'day.csv', 'bench', 'KRW', %s, %s, false, %s, %s) RETURNING id", (ACCOUNT, n, n, now, now)).fetchone()[0]
        canons = {canonical_code(c) for c in codes}
        expected = Counter()
        lines = []
        for i, (code, family, given, total, paid, _created) in enumerate(bookings):
            kind, answer = _kind_of(i)
            owed = total - paid
            memo, depositor, amount = f"{code} {family}{given}", f"{family}{given}", owed
            if kind == "short":
                amount = owed - 1_000
            elif kind == "over":
                amount = owed + 1_000
            elif kind == "name":
                memo = "인터넷뱅킹"
            elif kind == "near":  # one character changed, into a memo holding no booking's code
                near = next(v for at in range(len(code) - 1, 2, -1) for ch in "XYZW23"
                            for v in [code[:at] + ch + code[at + 1:]] if ch != code[at] and not _holds_a_code(v, canons))
                memo = f"{near} {family}{given}"
            elif kind == "unknown":
                memo, depositor, amount = "이체", "모르는분", 7 + i  # an amount no booking owes
            expected[answer] += 1
            lines.append((f"sln_bench{i:09d}", statement_id, ACCOUNT, f"bench:{i}", today, amount, "KRW", memo,
                          depositor, False, "deposit", False, "needs_decision", now, now))
        _copy(conn, "statement_lines", [
            "public_id", "statement_id", "account", "dedupe_key", "booked_on", "amount", "currency", "memo",
            "depositor", "reversal", "kind", "pending", "status", "created_at", "updated_at"], lines)
        conn.execute("ANALYZE")
        conn.commit()
    return {"statement_id": statement_id, "expected": expected, "bookings": bookings, "first_id": first_id}


def bench_match(data: dict) -> bool:
    from sqlalchemy import select

    from app.deposits import matching
    from app.deposits.models import StatementLine
    from app.extensions import db

    db.session.remove()
    started = time.perf_counter()
    lines = list(db.session.scalars(select(StatementLine).where(StatementLine.statement_id == data["statement_id"])
                                    .order_by(StatementLine.id)))
    read = time.perf_counter() - started
    started = time.perf_counter()
    found = matching.analyze_many(lines)
    match = time.perf_counter() - started
    got = Counter(f.problem for f in found)
    wrong = sum(1 for i, f in enumerate(found) if f.problem != _kind_of(i)[1])
    ok = got == data["expected"] and wrong == 0
    n = len(lines)
    print(f"1. Read:  one SELECT of the {n:,} statement lines (ORM objects)   {read:7.1f} s  "
          f"({n / read:9,.0f} lines/s)")
    print(f"2. Match: matching.analyze_many over the same {n:,} lines          {match:7.1f} s  "
          f"({n / match:9,.0f} lines/s)  = {match / read:.1f} × the read   "
          f"target ≤ 60 s: {'met' if match <= 60 else 'MISSED'}")
    print(f"3. Checks {'ok' if ok else 'FAILED'}: answers {dict(sorted(got.items(), key=lambda kv: str(kv[0])))}; "
          f"{wrong} lines got another answer than the one they were written for")
    db.session.remove()
    return ok and match <= 60


def bench_import(data: dict, size: int) -> bool:
    from sqlalchemy import func, select

    from app.core import clock
    from app.core.actor import Actor
    from app.deposits import services
    from app.deposits.models import StatementLine
    from app.extensions import db

    bookings = data["bookings"]
    today = clock.local_today("Asia/Seoul")
    buf = io.StringIO()
    buf.write("거래일시,기재내용,입금액,출금액,거래후잔액\n")
    balance, rows = 10_000_000, 0
    chosen = [i for i in range(len(bookings)) if _kind_of(i)[0] == "exact"][:size]
    for i in chosen:
        code, family, given, total, paid, _created = bookings[i]
        balance += total - paid
        buf.write(f"{today:%Y.%m.%d} 12:00:{rows % 60:02d},{code} {family}{given} 재입금,{total - paid},0,{balance}\n")
        rows += 1
    raw = buf.getvalue().encode()
    if len(raw) > services.MAX_FILE_BYTES:  # keep under the upload limit
        return bench_import(data, int(size * services.MAX_FILE_BYTES / len(raw) * 0.98))
    mapping = {"date": "거래일시", "memo": "기재내용", "deposit": "입금액", "withdrawal": "출금액", "balance": "거래후잔액"}
    db.session.remove()
    started = time.perf_counter()
    result = services.import_statement(raw, source_format="csv", file_name="import.csv", account=ACCOUNT,
                                       mapping=mapping, actor=Actor.system("bench"))
    seconds = time.perf_counter() - started
    stored = db.session.scalar(select(func.count()).select_from(StatementLine).where(
        StatementLine.statement_id.in_(result.statement_ids)))
    ok = stored == rows and result.counts.get("deposits_matched") == rows  # each pays its booking exactly
    print(f"4. Import: services.import_statement of a {len(raw) / 1e6:.1f} MB CSV of {rows:,} lines "
          f"{seconds:7.1f} s  ({rows / seconds:6,.0f} lines/s); the day's {len(bookings):,} lines at this rate: "
          f"{len(bookings) / (rows / seconds):,.0f} s (projected; the 2 MB upload limit keeps a file smaller); "
          f"counts {result.counts}; checks {'ok' if ok else 'FAILED'}")
    return ok


def main() -> int:
    url = os.environ.get("BENCH_STATEMENTS_DATABASE_URL",
                         "postgresql://postgres@127.0.0.1:5432/fd_bench_statements")
    n = int(os.environ.get("BENCH_STATEMENT_LINES", "233000"))
    import_lines = int(os.environ.get("BENCH_IMPORT_LINES", "2000"))
    with migrated_app(url, "statements", "frontdesk-bench-statements-"):
        seeded = time.perf_counter()
        data = seed(url, n)
        print(f"Seeded in {time.perf_counter() - seeded:.1f} s: {n:,} bank-transfer bookings made in the last "
              f"24 hours ({n // 10:,} partly paid), one statement of {n:,} lines", flush=True)
        ok = bench_match(data)
        if import_lines:
            ok = bench_import(data, import_lines) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
