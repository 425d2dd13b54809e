"""The pure rules: the payout and breaker transition tables, seed 001's tables, accounts."""
from datetime import datetime, timedelta, timezone

import pytest

from app.core.errors import IllegalTransition
from app.remittance import policies
from app.remittance.policies import (
    RETRY_DELAYS,
    FundThresholds,
    decide_retry,
    fund_level,
    gate_payout,
    mask_account,
    next_breaker_state,
    parse_account,
)
from app.remittance.states import BREAKER_TRANSITIONS, TRANSITIONS, BreakerState, PayoutStatus, next_state

S = PayoutStatus
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
KRW = FundThresholds(50_000_000, 20_000_000, 10_000_000, 1_000_000)

ALLOWED = [
    (S.REQUESTED, S.PROCESSING), (S.PROCESSING, S.TRANSFERRING), (S.PROCESSING, S.HELD_BY_BREAKER),
    (S.HELD_BY_BREAKER, S.PROCESSING), (S.TRANSFERRING, S.COMPLETED), (S.TRANSFERRING, S.TRANSFER_FAILED),
    (S.TRANSFERRING, S.WAITING_FOR_ACCOUNT), (S.TRANSFER_FAILED, S.PROCESSING), (S.TRANSFER_FAILED, S.ABANDONED),
    (S.WAITING_FOR_ACCOUNT, S.REQUESTED), (S.ABANDONED, S.REQUESTED), (S.COMPLETED, S.RETURNED),
    (S.ABANDONED, S.CANCELED), (S.WAITING_FOR_ACCOUNT, S.CANCELED), (S.HELD_BY_BREAKER, S.CANCELED),
    (S.RETURNED, S.CANCELED),
]


@pytest.mark.parametrize("current, target", ALLOWED)
def test_allowed_transitions(current, target):
    assert next_state(current, target) == target


FORBIDDEN = [(a, b) for a in S for b in S if (a, b) not in ALLOWED]


@pytest.mark.parametrize("current, target", FORBIDDEN)
def test_every_other_transition_is_refused(current, target):
    with pytest.raises(IllegalTransition):
        next_state(current, target)


def test_the_table_is_the_one_the_tests_list():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == set(ALLOWED)


def test_nothing_is_sent_again_after_money_moved():
    """COMPLETED leads only to RETURNED, and a returned payout only closes (a resend is a new payout)."""
    assert TRANSITIONS[S.COMPLETED] == {S.RETURNED} and TRANSITIONS[S.RETURNED] == {S.CANCELED}
    assert TRANSITIONS[S.CANCELED] == frozenset()


def test_the_retry_schedule_is_seed_001s():
    assert RETRY_DELAYS == (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                            timedelta(hours=2), timedelta(hours=12))


@pytest.mark.parametrize("failures, expected", [
    (1, timedelta(minutes=1)), (2, timedelta(minutes=5)), (3, timedelta(minutes=30)), (4, timedelta(hours=2)),
    (5, timedelta(hours=12)), (6, None),
])
def test_retry_n_follows_the_nth_failure(failures, expected):
    decision = decide_retry(failures, T0 + timedelta(hours=1), T0)
    assert decision.next_attempt_at == (T0 + timedelta(hours=1) + expected if expected else None)
    assert decision.reason == ("retry" if expected else "retries_exhausted")


def test_no_retry_is_scheduled_past_24_hours_from_the_request():
    assert decide_retry(1, T0 + timedelta(hours=23, minutes=59), T0).reason == "retry"      # at 24:00: in time
    assert decide_retry(1, T0 + timedelta(hours=23, minutes=59, seconds=1), T0).reason == "deadline_passed"
    assert decide_retry(5, T0 + timedelta(hours=12, minutes=1), T0).reason == "deadline_passed"
    with pytest.raises(ValueError):
        decide_retry(0, T0, T0)


def test_account_errors_are_never_retried_and_the_rest_are():
    assert policies.ACCOUNT_ERRORS == {"INVALID_ACCOUNT", "CLOSED_ACCOUNT", "DORMANT_ACCOUNT", "NAME_MISMATCH"}
    assert {c for c, ft in policies.FAILURE_TYPES.items() if ft.retried} == {"LIMIT_EXCEEDED", "BANK_ERROR",
                                                                             "TIMEOUT"}
    assert policies.failure_type("SOMETHING_NEW").code == "BANK_ERROR"


@pytest.mark.parametrize("balance, level", [
    (50_000_000, "ok"), (49_999_999, "warning"), (20_000_000, "warning"), (19_999_999, "critical"),
    (10_000_000, "critical"), (9_999_999, "breaker_open"), (0, "breaker_open"),
])
def test_fund_levels_follow_seed_001_thresholds(balance, level):
    assert fund_level(balance, KRW) == level


@pytest.mark.parametrize("state, balance, expected", [
    ("closed", 60_000_000, "closed"), ("closed", 10_000_000, "closed"), ("closed", 9_999_999, "open"),
    ("open", 9_999_999, "open"), ("open", 10_000_000, "half_open"), ("open", 49_999_999, "half_open"),
    ("open", 50_000_000, "closed"), ("half_open", 49_999_999, "half_open"), ("half_open", 50_000_000, "closed"),
    ("half_open", 9_999_999, "open"),
])
def test_breaker_state_follows_the_balance(state, balance, expected):
    new = next_breaker_state(state, balance, KRW)
    assert new == expected
    assert new == state or new in BREAKER_TRANSITIONS[BreakerState(state)]


@pytest.mark.parametrize("state, balance, amount, allowed, reason", [
    ("closed", 30_000_000, 20_000_000, True, None),
    ("closed", 30_000_000, 30_000_001, False, "insufficient_fund"),
    ("open", 90_000_000, 1, False, "breaker_open"),
    ("half_open", 30_000_000, 1_000_000, True, None),
    ("half_open", 30_000_000, 1_000_001, False, "half_open_limit"),
])
def test_the_gate(state, balance, amount, allowed, reason):
    assert gate_payout(state, balance, amount, KRW) == policies.Gate(allowed, reason)


def test_thresholds_must_be_in_order():
    with pytest.raises(ValueError):
        FundThresholds(10, 20, 5, 1)


@pytest.mark.parametrize("number, masked", [
    ("110-123-456789", "***-***-6789"), ("1101234567", "***-***-4567"), ("", "***"),
])
def test_account_numbers_are_shown_masked(number, masked):
    assert mask_account(number) == masked


def test_a_parsed_account_never_shows_its_number():
    account, errors = parse_account("004", "110-123-456789", "  홍길동 ")
    assert errors == {} and account.number == "110123456789" and account.holder == "홍길동"
    assert "110123456789" not in repr(account)
    assert account.label("ko") == "국민은행 ***-***-6789 (홍길동)"


@pytest.mark.parametrize("bank, number, holder, field", [
    ("999", "1101234567", "홍길동", "bank_code"), ("004", "", "홍길동", "account_number"),
    ("004", "12345", "홍길동", "account_number"), ("004", "110-12A-4567", "홍길동", "account_number"),
    ("004", "1101234567", "", "account_holder"), ("004", "1101234567", "가" * 51, "account_holder"),
])
def test_bad_accounts_are_refused_with_a_message_per_field(bank, number, holder, field):
    account, errors = parse_account(bank, number, holder)
    assert account is None and field in errors


def test_delay_notices_follow_seed_001_6_2():
    now = T0 + timedelta(hours=1)
    assert policies.delay_notice_due("requested", T0, T0 + timedelta(minutes=29), []) is None
    assert policies.delay_notice_due("transfer_failed", T0, T0 + timedelta(minutes=30), []).stage == "processing"
    assert policies.delay_notice_due("transferring", now - timedelta(minutes=5), now, []).stage == "transferring"
    assert policies.delay_notice_due("transferring", now - timedelta(minutes=5), now, ["transferring"]) is None
    assert policies.delay_notice_due("completed", T0, now, []) is None


def test_one_business_day_skips_the_weekend():
    friday_evening = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)      # 18:00 in Seoul, a Friday
    assert policies.add_business_days(friday_evening, 1, "Asia/Seoul") == friday_evening + timedelta(days=3)


def test_choices_exist_only_where_a_person_decides():
    assert set(policies.CHOICES) == {S.ABANDONED, S.WAITING_FOR_ACCOUNT, S.HELD_BY_BREAKER, S.RETURNED, S.COMPLETED}
    assert policies.needs_manager(1_000_001, 1_000_000) and not policies.needs_manager(1_000_000, 1_000_000)
