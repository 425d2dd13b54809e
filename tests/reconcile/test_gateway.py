"""PG reconciliation: our ledger's card charges and refunds against the gateway's settlement file.

Every mismatch type of seed 001 §3.3 on this source, the cross-midnight pair over two days, a re-run,
and the totals (the report's equal the file's and the ledger's). Reconciling never changes a payment
or a booking.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.core import clock as app_clock
from app.payments import settlement
from app.payments.services import settle_pending_card_payments
from app.reconcile import services
from app.reconcile.policies import (
    AMOUNT_MISMATCH,
    EXTERNAL_ONLY,
    GHOST_TRANSACTION,
    INTERNAL_ONLY,
    STATUS_MISMATCH,
    TIMING_MISMATCH,
)
from tests.reconcile.conftest import (
    TIMEOUT_CHARGED,
    by_type,
    card,
    file_rows_of,
    items,
    kst,
    ledger_sum,
    new_day,
    pay_by_card,
    statuses,
    store_file,
)

CARD_KINDS = ("card_charge", "card_refund")


def reconcile(day):
    return services.reconcile_day(day, "gateway", trigger="schedule")


def test_a_day_that_matches_has_no_items_and_its_totals_are_the_files_and_the_ledgers(app, sandbox):
    day = new_day()
    payments = [pay_by_card(day, hour=h) for h in (9, 13, 18)]
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    stored = services.fetch_settlement_file(day)
    parsed = settlement.parse(stored.file.content)

    run = reconcile(day)

    assert run.status == "completed" and items("gateway") == []
    assert (run.matched_count, run.total_count, run.match_rate) == (3, 3, Decimal("1.000000"))
    assert (run.external_count, run.external_amount) == (parsed.count, parsed.total_amount) == \
        (3, sum(p.amount for p in payments))
    assert (run.internal_count, run.internal_amount) == ledger_sum(day, CARD_KINDS)
    assert run.details["fee"] == parsed.total_fee == sum(settlement.compute_fee(p.amount) for p in payments)
    assert run.details["net"] == parsed.total_net == parsed.total_amount - parsed.total_fee


def test_a_different_amount_is_an_amount_mismatch_with_both_sides(app):
    day = new_day()
    good, wrong = pay_by_card(day), pay_by_card(day, hour=11)
    rows = file_rows_of([good, wrong], day)
    rows[1]["amount"] -= 1_000
    store_file(day, rows)

    run = reconcile(day)

    [item] = items("gateway")
    assert item.type == AMOUNT_MISMATCH and item.natural_key == f"gateway:tx:{wrong.gateway_charge_id}"
    assert (item.internal_amount, item.external_amount, item.difference) == (wrong.amount, wrong.amount - 1_000,
                                                                               -1_000)
    assert item.internal["entries"][0]["paymentId"] == wrong.id
    assert item.external["transactionId"] == wrong.gateway_charge_id
    assert item.due_at == item.first_seen_at + timedelta(hours=4) and item.status == "open"
    assert (run.matched_count, run.total_count) == (1, 2)
    assert run.match_rate == Decimal("0.500000")


def test_a_charge_the_gateway_approved_while_ours_is_still_pending_is_a_status_mismatch(app):
    day = new_day()
    pending = pay_by_card(day, number=TIMEOUT_CHARGED)      # the gateway charged; we never heard back
    assert pending.status == "pending"
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    services.fetch_settlement_file(day)

    reconcile(day)

    [item] = items("gateway")
    assert item.type == STATUS_MISMATCH and item.internal["payment"]["status"] == "pending"
    assert item.facts["sync"] == "charge" and item.external["orderId"] == pending.public_id
    assert statuses([pending]) == [("pending", "pending")]      # reconciling changed nothing


def test_an_order_we_do_not_have_and_a_second_capture_are_ghosts(app, sandbox):
    day = new_day()
    paid = pay_by_card(day)
    double = sandbox.charge(idempotency_key=f"double-{paid.public_id}", amount=paid.amount, currency="KRW",
                            card=card(), description="retry sent twice")
    stranger = sandbox.charge(idempotency_key="pay_nobody", amount=55_000, currency="KRW", card=card())
    rows = file_rows_of([paid], day) + [
        {"record_type": "APPROVAL", "transaction_id": double.charge_id, "order_id": paid.public_id,
         "transacted_at": kst(day, 10, 1), "amount": paid.amount, "fee": 0},
        {"record_type": "APPROVAL", "transaction_id": stranger.charge_id, "order_id": "pay_nobody",
         "transacted_at": kst(day, 10, 2), "amount": 55_000, "fee": 0}]
    store_file(day, rows)

    reconcile(day)

    ghosts = {i.external["transactionId"]: i for i in by_type(items("gateway"))[GHOST_TRANSACTION]}
    assert set(ghosts) == {double.charge_id, stranger.charge_id} and len(items("gateway")) == 2
    assert ghosts[double.charge_id].facts["reason"] == "second_capture"
    assert ghosts[double.charge_id].reservation_id == paid.reservation_id
    assert ghosts[stranger.charge_id].facts["reason"] == "unknown_order"
    assert all(i.due_at == i.first_seen_at for i in ghosts.values())       # "immediate"


def test_a_ledger_charge_missing_from_the_file_is_internal_only(app):
    day = new_day()
    listed, missing = pay_by_card(day), pay_by_card(day, hour=14)
    store_file(day, file_rows_of([listed], day))

    reconcile(day)

    [item] = items("gateway")
    assert item.type == INTERNAL_ONLY and item.natural_key == f"gateway:tx:{missing.gateway_charge_id}"
    assert (item.internal_amount, item.external_amount, item.external) == (missing.amount, None, None)


def test_a_cancel_for_an_order_with_no_refund_of_ours_is_external_only(app):
    day = new_day()
    paid = pay_by_card(day)
    rows = file_rows_of([paid], day) + [
        {"record_type": "CANCEL", "transaction_id": "re_unknown", "order_id": paid.public_id,
         "original_transaction_id": paid.gateway_charge_id, "transacted_at": kst(day, 15), "amount": -10_000,
         "fee": 0}]
    store_file(day, rows)

    reconcile(day)

    [item] = items("gateway")
    assert item.type == EXTERNAL_ONLY and item.external_amount == -10_000
    assert item.facts["reason"] == "unknown_refund" and item.due_at == item.first_seen_at


def test_a_charge_on_either_side_of_midnight_is_timing_and_clears_once_both_days_are_reconciled(app):
    day, next_day = new_day(), None
    next_day = day + timedelta(days=1)
    late = pay_by_card(day, hour=23, minute=59, second=50, number=TIMEOUT_CHARGED)   # the gateway: day
    app_clock.freeze(kst(next_day, 0, 1))
    assert settle_pending_card_payments(older_than=timedelta(seconds=30)) == 1        # our ledger: next day
    assert ledger_sum(day, CARD_KINDS) == (0, 0) and ledger_sum(next_day, CARD_KINDS) == (1, late.amount)
    app_clock.freeze(kst(next_day, 6))
    services.fetch_settlement_file(day)

    first = reconcile(day)

    [item] = items("gateway")
    assert item.type == TIMING_MISMATCH and item.status == "open" and item.business_date == day
    assert item.due_at == item.first_seen_at + timedelta(hours=24)
    assert (first.matched_count, first.total_count) == (0, 1)

    app_clock.freeze(kst(next_day + timedelta(days=1), 6))
    services.fetch_settlement_file(next_day)
    second = reconcile(next_day)

    [again] = items("gateway")                        # the same item: no INTERNAL_ONLY + EXTERNAL_ONLY pair
    assert again.id == item.id and again.type == TIMING_MISMATCH
    assert (again.status, again.resolution) == ("resolved", "cleared")
    assert (second.matched_count, second.total_count) == (0, 1)
    reconcile(day)                                    # both days reconciled: it stays cleared
    assert [(i.id, i.status) for i in items("gateway")] == [(item.id, "resolved")]


def test_running_a_day_again_gives_the_same_items_keeps_a_persons_decision_and_clears_what_went_away(app):
    day = new_day()
    a, b, c = pay_by_card(day, hour=9), pay_by_card(day, hour=10), pay_by_card(day, hour=11)
    rows = file_rows_of([a, b], day)
    rows[0]["amount"] += 500
    store_file(day, rows)
    reconcile(day)
    first = {i.natural_key: i.id for i in items("gateway")}
    assert len(first) == 2

    run = reconcile(day)
    assert {i.natural_key: i.id for i in items("gateway")} == first and run.times_run == 2

    from app.reconcile.actions import resolve_item
    from tests.reconcile.conftest import TEST_ACTOR
    internal_only = next(i for i in items("gateway") if i.type == INTERNAL_ONLY)
    resolve_item(internal_only.public_id, "explained", reason="카드사 확인: 다음 파일에 포함", actor=TEST_ACTOR,
                 is_manager=False)
    store_file(day, file_rows_of([a, b], day), name="corrected.csv")     # the gateway re-issued the file
    reconcile(day)

    after = {i.natural_key: (i.status, i.resolution) for i in items("gateway")}
    assert after == {f"gateway:tx:{a.gateway_charge_id}": ("resolved", "gone"),
                     f"gateway:tx:{c.gateway_charge_id}": ("resolved", "explained")}
    rows[0]["amount"] += 1
    store_file(day, rows, name="wrong-again.csv")
    reconcile(day)
    assert {i.natural_key: i.status for i in items("gateway")}[f"gateway:tx:{a.gateway_charge_id}"] == "open"
    assert len(items("gateway")) == 2


def test_reconciling_changes_no_payment_booking_or_ledger_row(app):
    day = new_day()
    paid, pending = pay_by_card(day), pay_by_card(day, hour=12, number=TIMEOUT_CHARGED)
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    services.fetch_settlement_file(day)
    before = (statuses([paid, pending]), ledger_sum(day, CARD_KINDS))

    reconcile(day)
    reconcile(day)

    assert (statuses([paid, pending]), ledger_sum(day, CARD_KINDS)) == before


def test_without_the_days_file_the_run_fails_and_says_so(app):
    day = new_day()
    app_clock.freeze(kst(day + timedelta(days=1), 6))
    with pytest.raises(services.NoSettlementFile):
        reconcile(day)
    run = services.get_run(day, "gateway")
    assert run.status == "failed" and "settlement file" in run.error


def test_the_same_file_twice_is_stored_once(app):
    day = new_day()
    paid = pay_by_card(day)
    first = store_file(day, file_rows_of([paid], day))
    second = store_file(day, file_rows_of([paid], day), name="again.csv")
    assert first.created and not second.created and second.file.id == first.file.id
    assert second.file.file_name == "upload.csv"


def test_a_day_that_has_not_happened_cannot_be_reconciled(app):
    day = new_day()
    app_clock.freeze(kst(day, 12))
    with pytest.raises(services.ValidationFailed):
        reconcile(day + timedelta(days=1))
    assert services.get_run(day + timedelta(days=1), "gateway") is None
