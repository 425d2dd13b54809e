"""Reversals across imports, the 🛑 decision when the hold has ended, money back that is no payout of
ours, deposits dated before their booking, and money out without our reference (a payout proposal)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.core.errors import IllegalTransition, ValidationFailed
from app.deposits import outgoing, reversals, services
from app.deposits.models import LineKind, LineStatus
from app.extensions import db
from app.ledger.models import EntryKind, LedgerEntry
from tests.deposits.money import (TEST_ACTOR, booking, entries, fresh, import_file, line, mt940, outbox, payments,
                                  refunded_by_payout, seoul)
from tests.factories import inventory

D1, D2 = date(2026, 11, 20), date(2026, 11, 21)
D = EntryKind


@pytest.fixture
def paid_on_day_one(clock):
    """FD7K3M9Q (120,000) booked at 09:00 on day 1 and paid by that day's statement at 18:00."""
    clock.freeze(seoul(2026, 11, 20, 9))
    r = booking("FD7K3M9Q", 120_000)
    clock.freeze(seoul(2026, 11, 20, 18))
    first = import_file(mt940([(D1, [("C", 120_000, "B1", "FD7K3M9Q 김민지")])]), "mt940")
    assert first.counts["deposits_matched"] == 1 and fresh(r).status == "paid"
    assert outbox(r, "payment_confirmed") == 1
    return r


def day_two_reversal(opening: int = 1_120_000) -> bytes:
    return mt940([(D2, [("RC", 120_000, "B2", "입금취소 B1 김민지")])], opening=opening)


def test_a_reversal_after_the_hold_ended_waits_for_a_person_who_collects_again(paid_on_day_one, clock):
    r = paid_on_day_one
    clock.freeze(seoul(2026, 11, 21, 12))              # the 24-hour hold ended at 09:00
    result = import_file(day_two_reversal(), "mt940")
    reversal = line(-120_000)
    assert (reversal.status, reversal.problem, reversal.reservation_id, reversal.proposals) == (
        LineStatus.NEEDS_DECISION, reversals.HOLD_ENDED, r.id, [r.id])
    assert reversal.reverses_line_id == line(120_000).id and result.counts["decisions_needed"] == 1
    # The money is gone at once; the booking stays confirmed until a person decides, and nobody is told yet.
    assert fresh(r).status == "paid" and payments(r) == [(120_000, "reversed")]
    assert entries(r) == [(D.BANK_DEPOSIT, 120_000), (D.DEPOSIT_REVERSAL, -120_000)]
    assert outbox(r, "deposit_amount_mismatch") == 0

    reversals.decide_reversal(reversal.public_id, "collect_again", actor=TEST_ACTOR)
    r = fresh(r)
    assert r.status == "pending" and r.hold_expires_at == seoul(2026, 11, 22, 12) and r.paid_at is None
    assert outbox(r, "deposit_amount_mismatch") == 1
    reversal = line(-120_000)
    assert (reversal.status, reversal.outcome, reversal.decided_by) == (LineStatus.DONE, "collect_again", "test")
    with pytest.raises(IllegalTransition):                # decided once; a second decision changes nothing
        reversals.decide_reversal(reversal.public_id, "cancel_booking", actor=TEST_ACTOR, reason="again")
    assert fresh(r).status == "pending"
    # The guest pays again: confirmed once more, and told (the first confirmation's key is used up).
    clock.freeze(seoul(2026, 11, 22, 10))
    again = import_file(mt940([(date(2026, 11, 22), [("C", 120_000, "B3", "FD7K3M9Q 김민지")])],
                              opening=1_000_000), "mt940")
    assert again.counts["deposits_matched"] == 1 and fresh(r).status == "paid"
    assert outbox(r, "payment_confirmed") == 2


def test_cancelling_a_booking_whose_deposit_was_taken_back_frees_its_rooms_and_refunds_nothing(paid_on_day_one,
                                                                                               clock):
    r = paid_on_day_one
    clock.freeze(seoul(2026, 11, 21, 12))
    import_file(day_two_reversal(), "mt940")
    reversal = line(-120_000)
    with pytest.raises(ValidationFailed):
        reversals.decide_reversal(reversal.public_id, "cancel_booking", actor=TEST_ACTOR, reason=" ")
    assert fresh(r).status == "paid"
    held = inventory(r.room_type, r.check_in).reserved
    reversals.decide_reversal(reversal.public_id, "cancel_booking", actor=TEST_ACTOR, reason="고객과 연락 안 됨")
    r = fresh(r)
    assert r.status == "canceled" and r.cancel_reason == "고객과 연락 안 됨"
    assert inventory(r.room_type, r.check_in).reserved == held - 1
    assert outbox(r, "booking_canceled") == 1 and outbox(r, "refund_requested") == 0
    assert line(-120_000).outcome == "canceled"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "deposit.reversal_cancel_booking"))
    assert event.reason == "고객과 연락 안 됨" and event.entity_id == reversal.public_id


def test_a_reversal_in_a_later_file_while_the_hold_runs_tells_the_guest_what_is_missing(paid_on_day_one, clock):
    r = paid_on_day_one
    clock.freeze(seoul(2026, 11, 21, 8))                # the hold runs until 09:00
    result = import_file(day_two_reversal(), "mt940")
    r = fresh(r)
    assert r.status == "pending" and r.hold_expires_at == seoul(2026, 11, 21, 9)
    assert result.counts["reversals"] == 1 and line(-120_000).status == LineStatus.OUTGOING
    assert outbox(r, "deposit_amount_mismatch") == 1    # the guest had been told it was paid
    assert sum(amount for _k, amount in entries(r)) == 0


def test_a_reversed_deposit_nobody_had_decided_is_closed_and_moves_no_money(clock):
    clock.freeze(seoul(2026, 11, 20, 18))
    import_file(mt940([(D1, [("C", 33_000, "B1", "모르는 입금")]),
                       (D2, [("RC", 33_000, "B2", "입금취소")])]), "mt940")
    credit, reversal = line(33_000), line(-33_000)
    assert (credit.status, credit.outcome) == (LineStatus.DONE, "reversed")
    assert (reversal.reverses_line_id, reversal.outcome) == (credit.id, "reversal")
    assert db.session.scalar(select(LedgerEntry)) is None


def test_the_reversal_of_money_set_aside_as_not_ours_undoes_its_ledger_row(clock):
    clock.freeze(seoul(2026, 11, 20, 18))
    import_file(mt940([(D1, [("C", 33_000, "B1", "본사 이체")])]), "mt940")
    services.decide(line(33_000).public_id, "not_ours", actor=TEST_ACTOR, reason="본사 계좌에서 옮긴 돈")
    import_file(mt940([(D2, [("RC", 33_000, "B2", "입금취소 B1")])], opening=1_033_000), "mt940")
    rows = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all()
    assert [(e.kind, e.amount, e.statement_line_id) for e in rows] == [
        (D.UNRELATED, 33_000, line(33_000).id), (D.UNRELATED, -33_000, line(-33_000).id)]
    assert rows[1].undoes_id == rows[0].id


def test_a_deposit_dated_before_its_booking_was_made_is_only_proposed(clock):
    clock.freeze(seoul(2026, 11, 21, 10))
    r = booking("FD7K3M9Q", 120_000)
    result = import_file(mt940([(D1, [("C", 120_000, "B1", "FD7K3M9Q 김민지")])]), "mt940")
    assert result.counts == {**result.counts, "deposits_matched": 0, "decisions_needed": 1}
    assert (line(120_000).status, line(120_000).problem) == (LineStatus.NEEDS_DECISION, "before_booking")
    assert fresh(r).status == "pending" and payments(r) == []


def test_money_back_for_no_payout_of_ours_waits_for_a_person_and_never_pays_a_booking(clock):
    clock.freeze(seoul(2026, 11, 20, 9))
    r = booking("FD7K3M9Q", 120_000)
    clock.freeze(seoul(2026, 11, 20, 18))
    import_file(mt940([(D1, [("RD", 120_000, "B1", "반송 FD7K3M9Q")])]), "mt940")
    back = line(120_000)
    assert (back.kind, back.status, back.problem) == (LineKind.DEPOSIT, LineStatus.NEEDS_DECISION, "exact")
    assert fresh(r).status == "pending" and payments(r) == []


def test_money_out_without_our_reference_is_proposed_and_a_person_links_it(clock):
    clock.freeze(seoul(2026, 11, 20, 10))
    _r, _refund, payout = refunded_by_payout(77_000)
    clock.freeze(seoul(2026, 11, 21, 18))
    result = import_file(mt940([(D2, [("D", 77_000, "B1", "이체 이영희")])]), "mt940")
    out = line(-77_000)
    assert (out.kind, out.status, out.problem, out.proposals, out.payout_id) == (
        LineKind.PAYOUT, LineStatus.NEEDS_DECISION, outgoing.PAYOUT_PROBLEM, [payout.id], None)
    assert result.counts["decisions_needed"] == 1 and result.counts["payouts_confirmed"] == 0
    with pytest.raises(ValidationFailed):
        outgoing.decide_payout_line(out.public_id, "link_payout", actor=TEST_ACTOR, payout_public_id="po_nope")
    outgoing.decide_payout_line(out.public_id, "link_payout", actor=TEST_ACTOR, payout_public_id=payout.public_id)
    out = line(-77_000)
    assert (out.status, out.outcome, out.payout_id) == (LineStatus.OUTGOING, "payout_confirmed", payout.id)
    assert db.session.scalar(select(AuditEvent.entity_id).where(AuditEvent.action == "payout.booked_by_bank")) == \
        payout.public_id
    with pytest.raises(IllegalTransition):
        outgoing.decide_payout_line(out.public_id, "not_payout", actor=TEST_ACTOR, reason="again")


def test_money_out_a_person_says_is_not_a_payout_is_recorded_as_not_ours(clock):
    clock.freeze(seoul(2026, 11, 20, 10))
    refunded_by_payout(77_000)
    clock.freeze(seoul(2026, 11, 21, 18))
    import_file(mt940([(D2, [("D", 77_000, "B1", "관리비")])]), "mt940")
    with pytest.raises(ValidationFailed):
        outgoing.decide_payout_line(line(-77_000).public_id, "not_payout", actor=TEST_ACTOR)
    outgoing.decide_payout_line(line(-77_000).public_id, "not_payout", actor=TEST_ACTOR, reason="건물 관리비")
    out = line(-77_000)
    assert (out.kind, out.outcome, out.decision_note) == (LineKind.OTHER, "not_ours", "건물 관리비")
    row = db.session.scalar(select(LedgerEntry).where(LedgerEntry.statement_line_id == out.id))
    assert (row.kind, row.amount) == (D.UNRELATED, -77_000)


def test_a_deposit_decision_is_refused_on_a_line_that_is_not_a_deposit(paid_on_day_one, clock):
    clock.freeze(seoul(2026, 11, 21, 12))
    import_file(day_two_reversal(), "mt940")
    with pytest.raises(IllegalTransition):
        services.decide(line(-120_000).public_id, "not_ours", actor=TEST_ACTOR, reason="x")
    assert line(-120_000).status == LineStatus.NEEDS_DECISION


def test_a_payout_booked_days_later_is_still_found_by_its_reference(clock):
    clock.freeze(seoul(2026, 11, 20, 10))
    _r, _refund, payout = refunded_by_payout(64_000)
    clock.freeze(seoul(2026, 11, 24, 18))
    day = date(2026, 11, 24)
    import_file(mt940([(day, [("D", 64_000, "B1", f"{payout.transfer_id.lower()} 환불"),
                              ("D", 64_000, "B2", f"{payout.transfer_id} 환불")])]), "mt940")
    first, second = line(-64_000, 0), line(-64_000, 1)
    assert (first.kind, first.payout_id) == (LineKind.PAYOUT, payout.id)
    assert (second.kind, second.payout_id, second.outcome) == (LineKind.OTHER, None, "money_out")  # never twice
    assert payout.completed_at + timedelta(days=3) < seoul(2026, 11, 24, 0)


def test_money_back_naming_only_the_bank_reference_of_our_payout_returns_that_payout(clock):
    clock.freeze(seoul(2026, 11, 20, 10))
    returned, refund, payout = refunded_by_payout(64_000)
    clock.freeze(seoul(2026, 11, 20, 18))
    import_file(mt940([(D1, [("D", 64_000, "P1", f"{payout.transfer_id} 환불")])]), "mt940")
    clock.freeze(seoul(2026, 11, 21, 18))
    result = import_file(mt940([(D2, [("RD", 64_000, "R1", "반송 P1 수취계좌 해지")])], opening=936_000), "mt940")
    back = line(64_000)
    assert (back.kind, back.payout_id, back.reverses_line_id) == (LineKind.PAYOUT_RETURN, payout.id, line(-64_000).id)
    assert result.counts["returns"] == 1
    assert fresh(payout).status == "returned" and fresh(refund).status == "awaiting_account"
    assert fresh(returned).status == "canceled"
