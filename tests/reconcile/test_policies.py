"""Seed 001 §3.3's table as code: each type's SLA, who owns it, what it offers; the match rate and its goal."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.reconcile.policies import (
    ACTIONS,
    MATCH_RATE_SLO,
    MISMATCH_TYPES,
    SOURCES,
    actions_for,
    compute_due_at,
    compute_match_rate,
    is_overdue,
    meets_slo,
)

T = datetime(2026, 12, 8, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("kind, sla", [
    ("AMOUNT_MISMATCH", timedelta(hours=4)), ("STATUS_MISMATCH", timedelta(hours=4)),
    ("GHOST_TRANSACTION", timedelta(0)), ("TIMING_MISMATCH", timedelta(hours=24)),
    ("INTERNAL_ONLY", timedelta(hours=4)), ("EXTERNAL_ONLY", timedelta(0)),
])
def test_each_type_is_due_after_seed_001s_sla(kind, sla):
    assert MISMATCH_TYPES[kind]["sla"] == sla
    assert compute_due_at(kind, T) == T + sla
    assert is_overdue(T + sla, T + sla) and (sla == timedelta(0) or not is_overdue(T + sla, T + sla - timedelta(1)))


def test_the_table_has_exactly_the_seeds_types_and_the_immediate_ones_go_to_a_manager():
    assert set(MISMATCH_TYPES) == {"AMOUNT_MISMATCH", "STATUS_MISMATCH", "GHOST_TRANSACTION", "TIMING_MISMATCH",
                                   "INTERNAL_ONLY", "EXTERNAL_ONLY"}
    assert {k for k, v in MISMATCH_TYPES.items() if v["owner_role"] == "manager"} == {"GHOST_TRANSACTION",
                                                                                       "EXTERNAL_ONLY"}
    assert all(set(v["actions"]) <= set(ACTIONS) for v in MISMATCH_TYPES.values())
    assert {a for a, v in ACTIONS.items() if v["role"] == "manager"} == {"write_off", "refund_capture"}
    assert [SOURCES[s]["runs_at"].strftime("%H:%M") for s in ("gateway", "payouts", "settlement")] == \
        ["06:00", "06:30", "07:00"]


@pytest.mark.parametrize("kind, can_sync, can_refund, offered", [
    ("STATUS_MISMATCH", True, False, ("sync_status", "explained", "write_off")),
    ("STATUS_MISMATCH", False, False, ("explained", "write_off")),
    ("STATUS_MISMATCH", False, True, ("refund_capture", "explained", "write_off")),
    ("GHOST_TRANSACTION", False, True, ("refund_capture", "explained", "write_off")),
    ("GHOST_TRANSACTION", False, False, ("explained", "write_off")),
    ("TIMING_MISMATCH", True, True, ("refund_capture", "explained")),
    ("INTERNAL_ONLY", True, False, ("explained", "write_off")),
])
def test_actions_follow_the_type_and_what_its_facts_allow(kind, can_sync, can_refund, offered):
    assert actions_for(kind, can_sync=can_sync, can_refund=can_refund) == offered


@pytest.mark.parametrize("matched, total, rate, ok", [
    (0, 0, None, True), (1, 1, Decimal("1.000000"), True), (999, 1000, Decimal("0.999000"), True),
    (998, 1000, Decimal("0.998000"), False), (232_997, 233_000, Decimal("0.999987"), True),
    (2, 3, Decimal("0.666666"), False),
])
def test_the_match_rate_is_matched_over_total_rounded_down_against_the_999_goal(matched, total, rate, ok):
    assert compute_match_rate(matched, total) == rate
    assert meets_slo(rate) is ok and MATCH_RATE_SLO == Decimal("0.999")


def test_a_match_rate_out_of_range_is_refused():
    with pytest.raises(ValueError):
        compute_match_rate(3, 2)
    with pytest.raises(ValueError):
        compute_match_rate(-1, 2)
