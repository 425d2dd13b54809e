"""Matching many lines at once: the same answers as one by one, a bounded number of queries whatever
the number of lines, codes found by lookup exactly as by trying every code, and the rule that a
deposit dated before its booking existed is never confirmed by itself."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event, select

from app.core import clock as app_clock
from app.core.ids import CODE_ALPHABET
from app.deposits import matching, services
from app.deposits.models import LineStatus, StatementLine
from app.extensions import db
from tests.deposits.conftest import TEST_ACTOR, fresh, korean_csv, today, transfer_booking
from tests.factories import make_room_type


@dataclass
class Line:
    amount: int
    memo: str
    depositor: str = ""
    reservation_id: int | None = None
    booked_on: date = field(default_factory=today)


def summary(found: matching.Analysis) -> tuple:
    return (found.problem, found.reservation.id if found.reservation else None, found.owed,
            [r.id for r in found.proposals], [(r.id, owed) for r, owed in found.split], found.name_ok)


@pytest.fixture
def mixed(clock):
    """A set of lines covering every answer the matcher gives."""
    from app.booking.services import cancel_unpaid_bank_transfers, mark_paid

    clock.freeze(datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc))
    room_type = make_room_type(rooms=9)
    expired = transfer_booking(room_type)
    clock.advance(hours=25)
    cancel_unpaid_bank_transfers()
    exact, short, over, split_a, split_b, named, paid = (transfer_booking(room_type) for _ in range(7))
    sato = transfer_booking(room_type, first_name="Haruto", last_name="Sato", nights=3)
    mark_paid(paid.id)
    db.session.commit()
    near = exact.code[:-1] + ("X" if exact.code[-1] != "X" else "Y")
    lines = [
        Line(exact.total_amount, f"{exact.code} 김민지"),
        Line(short.total_amount - 1, short.code.lower()),
        Line(over.total_amount + 5, f"fd-{over.code[2:]}"),
        Line(paid.total_amount, paid.code),
        Line(expired.total_amount, expired.code),
        Line(exact.total_amount, near),
        Line(sato.total_amount, "사토 하루토", depositor="Sato Haruto"),
        Line(named.total_amount, "박철수"),
        Line(777, "모르는 입금"),
        Line(split_a.total_amount + split_b.total_amount, f"{split_a.code} {split_b.code}"),
        Line(split_a.total_amount + split_b.total_amount - 1, f"{split_a.code} {split_b.code}"),
        Line(12_345, "전화로 확인", reservation_id=short.id),
        Line(exact.total_amount, exact.code, booked_on=date(2026, 12, 1)),  # before the booking existed
    ]
    return lines


def test_analyze_many_answers_exactly_what_analyze_answers_line_by_line(mixed):
    many = [summary(found) for found in matching.analyze_many(mixed)]
    one_by_one = [summary(matching.analyze(line)) for line in mixed]
    assert many == one_by_one
    assert [s[0] for s in many] == [None, "short", "over", "already_paid", "expired", "near_miss", "name_amount",
                                    "name_differs", "unknown", None, "split_mismatch", "short", "before_booking"]
    assert matching.analyze_many([]) == []


def test_matching_many_lines_costs_the_same_queries_as_a_few(mixed):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        matching.analyze_many(mixed[:3])
        few = len(statements)
        statements.clear()
        matching.analyze_many(mixed * 20)
        many = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert few == many <= 4  # candidates, their paid sums, and the bookings named (one chunk)


def _random_code(rng: random.Random) -> str:
    core = "".join(rng.choice(CODE_ALPHABET) for _ in range(6))
    if rng.random() < 0.2:
        core = "0" * rng.randint(1, 2) + core[2:]
    return "FD" + core


def _mutate(code: str, rng: random.Random) -> str:
    i = rng.randrange(2, len(code))
    op = rng.choice("cdi")
    ch = rng.choice(CODE_ALPHABET)
    if op == "c":
        return code[:i] + ch + code[i + 1:]
    if op == "d":
        return code[:i] + code[i + 1:]
    return code[:i] + ch + code[i:]


def _memo(codes: list[str], rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        pick = rng.random()
        code = rng.choice(codes)
        if pick < 0.3:
            parts.append(code)
        elif pick < 0.45:
            parts.append(f"{code[:2].lower()}-{code[2:5]} {code[5:].lower()}")
        elif pick < 0.75:
            parts.append(_mutate(code, rng))
        elif pick < 0.85:
            parts.append("FD" + "0" + code[2:])
        else:
            parts.append(rng.choice(["김민지", "입금", "FD", "fdfd", "Sato", "FD12", "홍길동FD"]))
    return " ".join(parts)


def test_the_code_index_finds_exactly_what_trying_every_code_finds():
    rng = random.Random(20261207)
    codes = sorted({_random_code(rng) for _ in range(300)} | {"FD7K3M9Q", "FD0K3M9Q", "FDAB12CD", "FDXFD0AB",
                                                               "FD00FD01"})
    now = app_clock.now()
    index = matching.CodeIndex(matching.Candidate(i, c, "pending", 0, "", "", now, 0)
                               for i, c in enumerate(codes, start=1))
    memos = [_memo(codes, rng) for _ in range(400)] + ["FD7K3M9Q FDAB12CD", "FD00K3M9Q", "FDK3M9Q", "FD7K3M9QQ",
                                                      "fd 7k3 m9q", "FD7K3M9", "", "FD", "FDXFD0AB 김", "FD00FD01",
                                                      "FD00FD1"]
    for memo in memos:
        assert [c.code for c in index.find(memo)] == matching.find_codes(memo, codes), memo
        assert [c.code for c in index.near(memo)] == matching.near_misses(memo, codes), memo


# --- a deposit dated before its booking existed ---------------------------------------------------

@pytest.fixture
def late_night_booking(clock):
    """Made at 00:30 on 7 December in Seoul (still the 6th in UTC)."""
    clock.freeze(datetime(2026, 12, 6, 15, 30, tzinfo=timezone.utc))
    return transfer_booking()


def test_a_deposit_dated_before_the_booking_is_only_a_proposal(late_night_booking):
    r = late_night_booking
    before = matching.analyze(Line(r.total_amount, f"{r.code} 김민지", booked_on=date(2026, 12, 6)))
    assert (before.problem, before.reservation.id, [p.id for p in before.proposals]) == ("before_booking", r.id, [r.id])
    assert not before.automatic and "before" in str(matching.PROBLEMS["before_booking"])
    same_day = matching.analyze(Line(r.total_amount, f"{r.code} 김민지", booked_on=date(2026, 12, 7)))
    assert same_day.automatic and same_day.reservation.id == r.id


def test_a_split_with_a_booking_made_after_the_deposit_is_only_a_proposal(late_night_booking, clock):
    first = late_night_booking
    clock.advance(days=1)
    second = transfer_booking(first.room_type)
    memo = f"{first.code} {second.code}"
    total = first.total_amount + second.total_amount
    found = matching.analyze(Line(total, memo, booked_on=date(2026, 12, 7)))
    assert found.problem == "before_booking" and not found.split
    assert sorted(p.id for p in found.proposals) == sorted([first.id, second.id])
    assert matching.analyze(Line(total, memo, booked_on=date(2026, 12, 8))).automatic


def test_a_person_assigning_such_a_deposit_decides_it(late_night_booking):
    r = late_night_booking
    found = matching.analyze(Line(r.total_amount, "누군가", reservation_id=r.id, booked_on=date(2026, 12, 5)))
    assert found.automatic and found.reservation.id == r.id


def test_at_import_it_waits_for_a_person_who_can_confirm_it(late_night_booking, import_csv):
    r = late_night_booking
    result = import_csv(korean_csv([(date(2026, 12, 6), f"{r.code} 김민지", r.total_amount, 0)]))
    assert result.auto_confirmed == 0 and result.needs_decision == 1
    line = db.session.scalar(select(StatementLine))
    assert (line.status, line.problem, line.proposals) == (LineStatus.NEEDS_DECISION, "before_booking", [r.id])
    assert fresh(r).status == "pending"
    decision = services.decide(line.public_id, "confirm", actor=TEST_ACTOR)
    assert decision.outcome == "confirmed" and fresh(r).status == "paid"


def test_a_code_with_fd0_inside_it_is_found_where_it_is_written():
    r = transfer_booking()
    r.code = "FDXFD0AB"
    db.session.flush()
    assert matching.find_codes("FDXFD0AB 김민지", ["FDXFD0AB"]) == ["FDXFD0AB"]
    found = matching.analyze(Line(r.total_amount, "fdx-fd0ab 김민지"))
    assert found.automatic and found.reservation.id == r.id
