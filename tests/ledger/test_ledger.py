"""The money ledger: every movement one row, written once, and the sums pages and services read."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.booking.services import outstanding_amount
from app.core.actor import Actor
from app.extensions import db
from app.ledger import services as ledger
from app.ledger.models import EntryKind, LedgerEntry, Source
from app.payments.gateway import ChargeResult
from app.payments.models import Payment
from app.payments.services import apply_charge_result
from app.refunds import decisions
from app.remittance.decisions import mark_returned
from app.remittance.models import Payout
from app.remittance.services import create_refund_payout
from tests.factories import make_operator, make_paid_reservation, make_reservation
from tests.refunds.conftest import fresh
from tests.remittance.conftest import account

TEST_ACTOR = Actor.system("test")


def rows(reservation_id: int) -> list[tuple[str, int, str]]:
    return [(e.kind, e.amount, e.source) for e in ledger.entries_of(reservation_id)]


def test_a_card_payment_is_one_gateway_row_and_a_replayed_answer_adds_none():
    reservation = make_paid_reservation()
    payment = db.session.scalar(select(Payment).where(Payment.reservation_id == reservation.id))
    assert rows(reservation.id) == [(EntryKind.CARD_CHARGE, reservation.total_amount, Source.GATEWAY)]
    [entry] = ledger.entries_of(reservation.id)
    assert entry.payment_id == payment.id and entry.external_ref == payment.gateway_charge_id
    assert entry.business_date == ledger.business_date_of(payment.completed_at)
    # the gateway's answer delivered again (a webhook after the reply) changes nothing
    apply_charge_result(payment.id, ChargeResult("succeeded", charge_id=payment.gateway_charge_id))
    assert len(ledger.entries_of(reservation.id)) == 1
    assert ledger.paid_amount(reservation.id) == reservation.total_amount
    assert outstanding_amount(reservation) == 0


def test_record_is_once_per_key_even_when_called_twice():
    reservation = make_reservation(method="bank_transfer")
    first = ledger.record(EntryKind.BANK_DEPOSIT, 1000, "KRW", source=Source.OURS, dedupe_key="test:once",
                          reservation_id=reservation.id)
    second = ledger.record(EntryKind.BANK_DEPOSIT, 1000, "KRW", source=Source.OURS, dedupe_key="test:once",
                           reservation_id=reservation.id)
    assert first is not None and second is None
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)
                             .where(LedgerEntry.dedupe_key == "test:once")) == 1
    assert outstanding_amount(reservation) == reservation.total_amount - 1000


def test_outstanding_comes_from_the_ledger_not_from_payment_rows():
    reservation = make_reservation(method="bank_transfer")
    from app.payments.services import record_completed_payment

    record_completed_payment(reservation, method="bank_transfer", amount=reservation.total_amount - 1,
                             actor=TEST_ACTOR, reference=reservation.code)
    assert outstanding_amount(reservation) == 1
    [entry] = ledger.entries_of(reservation.id)
    assert (entry.kind, entry.source) == (EntryKind.BANK_DEPOSIT, Source.OURS)   # no statement line: our word
    # a reversal row (the bank took the money back) makes it owed again
    ledger.record(EntryKind.DEPOSIT_REVERSAL, -(reservation.total_amount - 1), "KRW", source=Source.BANK,
                  dedupe_key="test:reversal", reservation_id=reservation.id, undoes_id=entry.id)
    assert ledger.paid_amount(reservation.id) == 0
    assert outstanding_amount(reservation) == reservation.total_amount


def test_a_card_refund_is_one_row_even_when_the_job_runs_twice(refund_request):
    refund = refund_request(days=10)
    staff = Actor.operator(make_operator("staff"))
    decisions.approve_refund(refund.id, actor=staff, may_override=False)
    assert decisions.run_card_refund(refund.id) == "completed"
    assert decisions.run_card_refund(refund.id) == "nothing"
    refund = fresh(refund)
    total = refund.reservation.total_amount
    assert rows(refund.reservation_id) == [(EntryKind.CARD_CHARGE, total, Source.GATEWAY),
                                           (EntryKind.CARD_REFUND, -refund.amount, Source.GATEWAY)]
    card_refund = ledger.entries_of(refund.reservation_id)[1]
    assert card_refund.refund_id == refund.id and card_refund.external_ref == refund.gateway_refund_id
    assert ledger.refunded_amount(refund.reservation_id) == refund.amount == total


def test_an_apology_coupon_is_a_row_that_moves_no_money(refund_request):
    refund = refund_request(days=10)
    coupon = decisions.give_apology_coupon(refund, actor=TEST_ACTOR)
    decisions.give_apology_coupon(refund, actor=TEST_ACTOR)          # once per refund
    coupons = [e for e in ledger.entries_of(refund.reservation_id) if e.kind == EntryKind.COUPON_ISSUED]
    assert len(coupons) == 1
    assert coupons[0].amount == 0 and coupons[0].details["value"] == coupon.value > 0
    assert ledger.paid_amount(refund.reservation_id) == refund.reservation.total_amount


@pytest.mark.committing
def test_a_payout_and_its_return_are_two_rows_and_the_sums_follow(approved_refund, top_up, payout_worker):
    top_up()
    refund = approved_refund()
    payout = create_refund_payout(refund, account(), actor=TEST_ACTOR)
    db.session.commit()
    payout_worker()
    payout = db.session.get(Payout, payout.id, populate_existing=True)
    assert payout.status == "completed"
    rid, amount = refund.reservation_id, refund.amount
    assert rows(rid)[-1] == (EntryKind.REFUND_PAYOUT, -amount, Source.BANK)
    assert ledger.refunded_amount(rid) == amount
    mark_returned(payout.id, "RTN-20261207-1", TEST_ACTOR, "Account closed (statement line)")
    entries = ledger.entries_of(rid)
    ret = entries[-1]
    assert (ret.kind, ret.amount, ret.payout_id) == (EntryKind.PAYOUT_RETURN, amount, payout.id)
    assert ret.undoes_id == next(e.id for e in entries if e.kind == EntryKind.REFUND_PAYOUT)
    assert ledger.refunded_amount(rid) == 0


def test_the_reservation_page_money_box_reads_the_ledger_in_korean(client, login_as, refund_request):
    refund = refund_request(days=10)
    decisions.approve_refund(refund.id, actor=TEST_ACTOR, may_override=False)
    decisions.run_card_refund(refund.id)
    login_as("staff")
    page = client.get(f"/ops/reservations/{refund.reservation.public_id}").get_data(as_text=True)
    total = refund.reservation.total_amount
    assert f'data-paid="{total}"' in page and f'data-refunded="{total}"' in page and 'data-kept="0"' in page
    assert "카드 결제" in page and "카드 환불" in page and "카드사가 확인" in page


def test_cancelling_a_partly_paid_booking_opens_a_refund_of_what_was_paid():
    from app.booking.services import cancel_reservation
    from app.refunds.models import Refund

    reservation = make_reservation(method="bank_transfer")
    # a short transfer recorded as a partial payment: the booking stays pending (see app.deposits)
    ledger.record(EntryKind.BANK_DEPOSIT, 30_000, "KRW", source=Source.BANK, dedupe_key="test:partial",
                  reservation_id=reservation.id)
    assert reservation.status == "pending" and outstanding_amount(reservation) == reservation.total_amount - 30_000
    outcome = cancel_reservation(reservation.id, actor=TEST_ACTOR, reason="Guest called: not coming",
                                 source="operator")
    assert outcome.changed and outcome.reservation.status == "canceled"
    refund = outcome.refund
    assert refund is not None and (refund.amount, refund.source, refund.policy_reason) == (
        30_000, "partial_payment", "unpaid_booking")
    assert db.session.scalar(select(func.count()).select_from(Refund)
                             .where(Refund.reservation_id == reservation.id)) == 1
    # nothing paid: nothing to refund
    other = make_reservation(method="bank_transfer")
    assert cancel_reservation(other.id, actor=TEST_ACTOR, reason="x", source="operator").refund is None


def test_a_deposit_decided_later_is_filed_under_the_day_the_bank_booked_it():
    from datetime import date

    from app.deposits.models import BankStatement, StatementLine
    from app.payments.services import record_completed_payment

    reservation = make_reservation(method="bank_transfer")
    statement = BankStatement(public_id="stm_test", source_format="csv", account="9990001234560",
                              file_sha256="0" * 64)
    db.session.add(statement)
    db.session.flush()
    line = StatementLine(public_id="sln_test", statement_id=statement.id, account="9990001234560",
                         dedupe_key="test", booked_on=date(2026, 11, 30), amount=reservation.total_amount,
                         memo=reservation.code)
    db.session.add(line)
    db.session.flush()
    record_completed_payment(reservation, method="bank_transfer", amount=reservation.total_amount, actor=TEST_ACTOR,
                             reference=reservation.code, statement_line_id=line.id)
    [entry] = ledger.entries_of(reservation.id)
    assert (entry.kind, entry.source, entry.statement_line_id) == (EntryKind.BANK_DEPOSIT, Source.BANK, line.id)
    assert entry.business_date == date(2026, 11, 30)


def test_a_refund_whose_deposit_the_bank_took_back_is_never_paid_out(approved_refund):
    """The deposit was reversed after the refund was decided: sending it would pay out money we do not hold."""
    from app.core.errors import IllegalTransition

    refund = approved_refund()
    [deposit] = ledger.entries_of(refund.reservation_id)
    ledger.record(EntryKind.DEPOSIT_REVERSAL, -deposit.amount, "KRW", source=Source.BANK,
                  dedupe_key="test:reversed-after-refund", reservation_id=refund.reservation_id,
                  undoes_id=deposit.id)
    with pytest.raises(IllegalTransition) as refused:
        create_refund_payout(refund, account(), actor=TEST_ACTOR)
    assert "no longer hold" in str(refused.value.fields["refund"])
    assert db.session.scalar(select(func.count()).select_from(Payout).where(Payout.refund_id == refund.id)) == 0


def test_the_guest_whose_deposit_was_taken_back_is_told_a_person_will_call(client, approved_refund):
    """The account form says nothing internal: no "refuse the refund", just that staff will be in touch."""
    from app.remittance import tokens
    from app.remittance.services import ask_for_refund_account

    refund = approved_refund()
    ask_for_refund_account(refund, actor=TEST_ACTOR)
    db.session.commit()
    [deposit] = ledger.entries_of(refund.reservation_id)
    ledger.record(EntryKind.DEPOSIT_REVERSAL, -deposit.amount, "KRW", source=Source.BANK,
                  dedupe_key="test:reversed-before-account", reservation_id=refund.reservation_id,
                  undoes_id=deposit.id)
    db.session.commit()
    with client.application.test_request_context():
        token = tokens.make_token(tokens.REFUND, refund.public_id)
    good = account()
    data = {"bank_code": good.bank_code, "account_number": good.number, "account_holder": good.holder,
            "confirmed": "yes"}
    page = client.post(f"/payout-account/{token}", data=data, follow_redirects=True).get_data(as_text=True)
    assert "담당 직원이 연락드리겠습니다" in page
    assert "거절" not in page and "Refuse" not in page
    assert db.session.scalar(select(func.count()).select_from(Payout).where(Payout.refund_id == refund.id)) == 0
