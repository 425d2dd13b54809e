"""Matching deposits to bookings: tolerant codes, near misses as proposals, names, exact splits."""
from dataclasses import dataclass, field
from datetime import date

import pytest

from app.deposits import matching
from tests.deposits.conftest import today, transfer_booking
from tests.factories import make_room_type

CODES = ["FD7K3M9Q", "FD0K3M9Q", "FDAB12CD"]


@pytest.mark.parametrize("memo, found", [
    ("FD7K3M9Q", ["FD7K3M9Q"]),
    ("fd7k3m9q 김민지", ["FD7K3M9Q"]),
    ("FD-7K3M9Q", ["FD7K3M9Q"]),
    ("fd 7k3 m9q", ["FD7K3M9Q"]),
    ("김민지FD7K3M9Q", ["FD7K3M9Q"]),
    ("FD00K3M9Q", ["FD0K3M9Q"]),      # an extra leading zero
    ("FDK3M9Q", ["FD0K3M9Q"]),        # the leading zero left out
    ("FD7K3M9X", []),                 # one character off: not a match
    ("김민지", []),
    ("FD7K3M9Q FDAB12CD", ["FD7K3M9Q", "FDAB12CD"]),
])
def test_codes_are_found_ignoring_case_spaces_hyphens_and_leading_zeros(memo, found):
    assert sorted(matching.find_codes(memo, CODES)) == sorted(found)


@pytest.mark.parametrize("memo, near", [
    ("FD7K3M9X", ["FD7K3M9Q"]),       # one changed
    ("FD7K3M9", ["FD7K3M9Q"]),        # one missing
    ("FD7K3M9QQ", []),                # contains the code itself: exact, not near
    ("FD7K3MXX", []),                 # two off
    ("FDAB12CE 김", ["FDAB12CD"]),
])
def test_one_character_off_is_a_near_miss(memo, near):
    found = matching.find_codes(memo, CODES)
    assert (matching.near_misses(memo, CODES) if not found else []) == near


@pytest.mark.parametrize("sender, ok", [("김민지", True), ("김 민지", True), ("민지김", True), ("박철수", False),
                                        ("", False)])
def test_names_match_in_either_order(sender, ok):
    @dataclass
    class R:
        guest_first_name: str = "민지"
        guest_last_name: str = "김"

    assert matching.names_match(sender, R()) is ok


@dataclass
class Line:
    amount: int
    memo: str
    depositor: str = ""
    reservation_id: int | None = None
    booked_on: date = field(default_factory=today)  # the bank's date: not before the booking was made


def test_code_and_exact_amount_is_automatic_anything_else_is_not():
    r = transfer_booking()
    assert matching.analyze(Line(r.total_amount, f"{r.code} 김민지")).automatic
    assert matching.analyze(Line(r.total_amount - 1, f"{r.code} 김민지")).problem == "short"
    assert matching.analyze(Line(r.total_amount + 1, r.code.lower())).problem == "over"
    near = r.code[:-1] + ("X" if r.code[-1] != "X" else "Y")
    found = matching.analyze(Line(r.total_amount, near))
    assert found.problem == "near_miss" and [p.id for p in found.proposals] == [r.id]


def test_name_and_amount_is_only_a_proposal():
    r = transfer_booking()
    found = matching.analyze(Line(r.total_amount, "김민지"))
    assert found.problem == "name_amount" and r.id in [p.id for p in found.proposals]
    other = matching.analyze(Line(r.total_amount, "박철수"))
    assert other.problem == "name_differs" and r.id in [p.id for p in other.proposals]
    assert matching.analyze(Line(r.total_amount + 777, "박철수")).problem == "unknown"


def test_one_transfer_for_several_bookings_is_split_only_when_the_sums_match():
    room_type = make_room_type()
    a, b = transfer_booking(room_type), transfer_booking(room_type, nights=3)
    exact = matching.analyze(Line(a.total_amount + b.total_amount, f"{a.code} {b.code}"))
    assert exact.automatic and sorted((r.id, owed) for r, owed in exact.split) == sorted(
        [(a.id, a.total_amount), (b.id, b.total_amount)])
    off = matching.analyze(Line(a.total_amount + b.total_amount - 1, f"{a.code} {b.code}"))
    assert off.problem == "split_mismatch" and not off.split


def test_search_finds_bookings_by_tolerant_code_name_and_amount():
    r = transfer_booking(first_name="Haruto", last_name="Sato")
    assert r in matching.search_bookings(r.code.lower()[:2] + "-" + r.code[2:].lower())
    assert r in matching.search_bookings("Sato")
    assert r in matching.search_bookings(f"{r.total_amount:,}")
