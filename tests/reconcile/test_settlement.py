"""Settlement reconciliation: the gateway's next-day credit against its file's net, and every bank
deposit in our ledger against its line on the statement (n:1 for a line paying several bookings)."""
from __future__ import annotations

from datetime import timedelta

from app.core import clock as app_clock
from app.deposits import services as deposits
from app.payments.services import record_completed_payment
from app.payments.settlement import settlement_memo
from app.reconcile import services
from app.reconcile.policies import AMOUNT_MISMATCH, EXTERNAL_ONLY, INTERNAL_ONLY
from tests.reconcile.conftest import (
    TEST_ACTOR,
    file_rows_of,
    items,
    kst,
    new_day,
    pay_by_card,
    statement_line,
    store_file,
)


def reconcile(day):
    return services.reconcile_day(day, "settlement", trigger="schedule")


def card_day_with_file(day):
    payments = [pay_by_card(day, hour=9), pay_by_card(day, hour=15)]
    return store_file(day, file_rows_of(payments, day)).file


def transfer_booking(day, nights=1):
    from tests.factories import make_reservation

    app_clock.freeze(kst(day, 9))
    return make_reservation(method="bank_transfer", nights=nights, check_in=day + timedelta(days=20),
                            first_name="민지", last_name="김")


def test_the_gateways_next_day_credit_equal_to_the_files_net_matches(app):
    day = new_day()
    stored = card_day_with_file(day)
    credit = statement_line(day + timedelta(days=1), stored.total_net, kind="gateway_settlement",
                            memo=settlement_memo(day), status="done")
    app_clock.freeze(kst(day + timedelta(days=2), 7))

    run = reconcile(day + timedelta(days=1))

    assert items("settlement") == [] and (run.matched_count, run.total_count) == (1, 1)
    assert (run.internal_count, run.internal_amount) == (1, stored.total_net)
    assert (run.external_count, run.external_amount) == (1, credit.amount)
    assert run.details["expectedNet"] == stored.total_net == stored.total_amount - stored.total_fee


def test_a_credit_short_of_the_net_is_an_amount_mismatch(app):
    day = new_day()
    stored = card_day_with_file(day)
    statement_line(day + timedelta(days=1), stored.total_net - 700, kind="gateway_settlement",
                   memo=settlement_memo(day), status="done")
    app_clock.freeze(kst(day + timedelta(days=2), 7))

    reconcile(day + timedelta(days=1))

    [item] = items("settlement")
    assert (item.type, item.natural_key) == (AMOUNT_MISMATCH, f"settlement:day:{day.isoformat()}")
    assert (item.internal_amount, item.external_amount, item.difference) == (stored.total_net,
                                                                           stored.total_net - 700, -700)


def test_a_missing_credit_is_internal_only_until_it_arrives_late(app):
    day = new_day()
    stored = card_day_with_file(day)
    app_clock.freeze(kst(day + timedelta(days=2), 7))
    reconcile(day + timedelta(days=1))
    [item] = items("settlement")
    assert (item.type, item.internal_amount, item.external_amount) == (INTERNAL_ONLY, stored.total_net, None)

    statement_line(day + timedelta(days=2), stored.total_net, kind="gateway_settlement", memo=settlement_memo(day),
                   status="done")
    app_clock.freeze(kst(day + timedelta(days=3), 7))
    reconcile(day + timedelta(days=2))
    reconcile(day + timedelta(days=1))                  # the earlier day again: it is not its credit any more

    [after] = items("settlement")
    assert after.id == item.id and (after.status, after.resolution) == ("resolved", "gone")


def test_deposits_match_their_lines_one_to_one_and_split_over_bookings(app):
    day = new_day()
    single = transfer_booking(day)
    one = statement_line(day, single.total_amount, kind="deposit", memo=f"{single.code} 김민지",
                         status="needs_decision")
    deposits.decide(one.public_id, "confirm", actor=TEST_ACTOR)
    first, second = transfer_booking(day), transfer_booking(day, nights=2)
    split = statement_line(day, first.total_amount + second.total_amount, kind="deposit", memo="김민지 두 건",
                           status="done")
    for r in (first, second):
        record_completed_payment(r, method="bank_transfer", amount=r.total_amount, actor=TEST_ACTOR,
                                 statement_line_id=split.id)
    waiting = statement_line(day, 12_345, kind="deposit", memo="모르는입금", status="needs_decision")
    app_clock.freeze(kst(day + timedelta(days=1), 7))

    run = reconcile(day)

    assert items("settlement") == [] and (run.matched_count, run.total_count) == (2, 2)
    assert run.details["waitingForDecision"] == 1 and waiting.amount not in (run.external_amount,)
    assert (run.external_count, run.external_amount) == (2, one.amount + split.amount)
    assert run.internal_amount == single.total_amount + first.total_amount + second.total_amount


def test_a_decided_line_with_no_money_in_the_ledger_or_a_different_sum_is_a_mismatch(app):
    day = new_day()
    lonely = statement_line(day, 40_000, kind="deposit", memo="기록 없음", status="done")
    booking = transfer_booking(day)
    short = statement_line(day, booking.total_amount + 1_000, kind="deposit", memo=booking.code, status="done")
    record_completed_payment(booking, method="bank_transfer", amount=booking.total_amount, actor=TEST_ACTOR,
                             statement_line_id=short.id)
    app_clock.freeze(kst(day + timedelta(days=1), 7))

    reconcile(day)

    found = {i.natural_key: i for i in items("settlement")}
    assert found[f"settlement:line:{lonely.id}"].type == EXTERNAL_ONLY
    mismatch = found[f"settlement:line:{short.id}"]
    assert (mismatch.type, mismatch.internal_amount, mismatch.external_amount) == \
        (AMOUNT_MISMATCH, booking.total_amount, booking.total_amount + 1_000)
    assert mismatch.reservation_id is None and len(found) == 2


def test_a_credit_and_its_reversal_that_moved_no_money_cancel_out(app):
    day = new_day()
    credit = statement_line(day, 50_000, kind="deposit", memo="잘못 보낸 돈", status="done")
    statement_line(day + timedelta(days=1), -50_000, kind="reversal", status="outgoing", reverses_line_id=credit.id)
    app_clock.freeze(kst(day + timedelta(days=2), 7))

    first, second = reconcile(day), reconcile(day + timedelta(days=1))

    assert items("settlement") == [] and first.matched_count == second.matched_count == 1


def test_a_deposit_marked_paid_by_hand_has_no_line_and_is_internal_only(app):
    day = new_day()
    booking = transfer_booking(day)
    deposits.mark_paid_manually(booking.public_id, actor=TEST_ACTOR, reason="지점 창구에서 현금으로 받음")
    app_clock.freeze(kst(day + timedelta(days=1), 7))

    reconcile(day)

    [item] = items("settlement")
    assert item.type == INTERNAL_ONLY and item.natural_key.startswith("settlement:entry:")
    assert item.internal_amount == booking.total_amount and item.facts["manual"] is True


def test_the_sandboxs_next_day_payment_matches_its_own_file(app, sandbox):
    day = new_day()
    pay_by_card(day, hour=8), pay_by_card(day, hour=20)
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    stored = services.fetch_settlement_file(day).file
    booked_on, net, memo = sandbox.settlement_payment(day)
    assert (booked_on, net, memo) == (day + timedelta(days=1), stored.total_net, settlement_memo(day))
    statement_line(booked_on, net, kind="gateway_settlement", memo=memo, status="done")
    app_clock.freeze(kst(day + timedelta(days=2), 7))

    run = reconcile(booked_on)

    assert items("settlement") == [] and (run.matched_count, run.external_amount) == (1, net)
