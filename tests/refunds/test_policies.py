"""The refund policy and the compensation tiers, table-driven (seed 003, 004 §2.2, 000)."""
from datetime import date, timedelta

import pytest

from app.refunds.policies import (
    COMPENSATION_TIERS,
    REFUND_SCHEDULE,
    OurFault,
    RefundCase,
    apology_coupon_amount,
    compute_compensation,
    compute_refund,
    needs_manager,
)

TODAY = date(2026, 12, 1)
PAID = 200_000


@pytest.mark.parametrize("days, stay_started, our_fault, case, percent, amount, reason", [
    (30, False, None, RefundCase.A, 100, 200_000, "full_window"),
    (7, False, None, RefundCase.A, 100, 200_000, "full_window"),        # the boundary: 7 days is still full
    (6, False, None, RefundCase.A, 50, 100_000, "partial_window"),      # one day less: half
    (1, False, None, RefundCase.A, 50, 100_000, "partial_window"),      # the day before
    (0, False, None, RefundCase.B, 0, 0, "window_passed"),              # same day
    (-1, False, None, RefundCase.B, 0, 0, "stay_started"),              # after check-in date
    (10, True, None, RefundCase.B, 0, 0, "stay_started"),               # checked in (early) → no refund
    (0, False, "overbooking", RefundCase.C, 100, 200_000, "our_fault:overbooking"),
    (-3, True, "service_error", RefundCase.C, 100, 200_000, "our_fault:service_error"),
    (3, False, "hotel_closure", RefundCase.C, 100, 200_000, "our_fault:hotel_closure"),
    (30, False, "hold_expired_while_paying", RefundCase.C, 100, 200_000, "our_fault:hold_expired_while_paying"),
])
def test_compute_refund_every_case_and_boundary(days, stay_started, our_fault, case, percent, amount, reason):
    rec = compute_refund(refundable=PAID, check_in=TODAY + timedelta(days=days), today=TODAY,
                         stay_started=stay_started, our_fault=our_fault)
    assert (rec.case, rec.percent, rec.amount, rec.reason) == (case, percent, amount, reason)
    assert rec.days_before_check_in == days
    assert rec.apology_coupon is (case == RefundCase.C)
    assert rec.refuses is (amount == 0)


def test_half_of_an_odd_amount_rounds_down_to_whole_won():
    rec = compute_refund(refundable=100_001, check_in=TODAY + timedelta(days=3), today=TODAY)
    assert rec.amount == 50_000


def test_unknown_fault_is_refused_loudly():
    with pytest.raises(ValueError):
        compute_refund(refundable=PAID, check_in=TODAY, today=TODAY, our_fault="bad_weather")


def test_the_schedule_is_the_seed_table():
    assert REFUND_SCHEDULE == ((7, 100), (1, 50), (0, 0))
    assert {f.value for f in OurFault} == {"service_error", "overbooking", "hotel_closure",
                                           "hold_expired_while_paying"}


@pytest.mark.parametrize("policy_amount, chosen, manager", [
    (200_000, 200_000, False),   # approve the recommendation (A or C)
    (0, 0, False),               # refuse a case B
    (200_000, 150_000, True),    # another amount
    (200_000, 0, True),          # refuse a case A or C
    (0, 50_000, True),           # a goodwill refund on a case B
])
def test_who_may_decide(policy_amount, chosen, manager):
    assert needs_manager(policy_amount, chosen) is manager


@pytest.mark.parametrize("occurrence, credit, coupon, priority", [
    (1, 30, 0, False),
    (2, 60, 30, False),
    (3, 60, 60, True),
    (4, 60, 60, True),
    (10, 60, 60, True),
])
def test_compensation_tiers(occurrence, credit, coupon, priority):
    tier = compute_compensation(occurrence)
    assert (tier.credit_minutes, tier.coupon_minutes, tier.priority) == (credit, coupon, priority)


def test_compensation_needs_an_occurrence():
    with pytest.raises(ValueError):
        compute_compensation(0)
    assert [t.min_occurrence for t in COMPENSATION_TIERS] == [3, 2, 1]


@pytest.mark.parametrize("refund, coupon", [(200_000, 20_000), (50_000, 10_000), (125_500, 12_000)])
def test_apology_coupon_amount(refund, coupon):
    assert apology_coupon_amount(refund) == coupon
