"""A partial refund leaves the booking canceled with the rest refundable; only when everything
paid went back (the ledger says so) does it become `refunded`. What is refundable comes from
the ledger: paid, less what went back, less refunds decided but not completed yet."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.booking.states import ReservationStatus
from app.core.actor import Actor
from app.core.money import format_money
from app.extensions import db
from app.ledger import services as ledger
from app.ledger.models import EntryKind, Source
from app.payments.models import Payment
from app.refunds import decisions
from app.refunds.models import Refund
from app.refunds.queries import RefundMoney, money_of
from app.refunds.services import in_flight_amount, refundable_amount
from app.refunds.states import RefundStatus
from tests.factories import make_operator
from tests.refunds.conftest import fresh, outbox

pytestmark = pytest.mark.usefixtures("app")


def page_of(client, reservation) -> str:
    return client.get(f"/ops/reservations/{reservation.public_id}").get_data(as_text=True)


def test_a_partial_card_refund_keeps_the_booking_canceled_and_the_rest_refundable(
        refund_request, client, login_as, run_worker):
    refund = refund_request(days=3)                        # 1–6 days before: half back (case A)
    reservation, total = refund.reservation, refund.reservation.total_amount
    half = total // 2
    assert refund.policy_amount == half
    staff = Actor.operator(make_operator("staff"))
    decisions.approve_refund(refund.id, actor=staff, may_override=False)
    assert refundable_amount(reservation) == total - half           # on its way: counted already
    assert in_flight_amount(reservation.id) == half
    run_worker(queues=("high",))
    reservation = fresh(reservation)
    assert fresh(refund).status == RefundStatus.COMPLETED
    assert reservation.status == ReservationStatus.CANCELED         # not refunded: half is still ours
    assert (ledger.paid_amount(reservation.id), ledger.refunded_amount(reservation.id)) == (total, half)
    assert refundable_amount(reservation) == total - half
    assert money_of(reservation) == RefundMoney(paid=total, refunded=half, on_the_way=0, refundable=total - half)
    assert len(outbox("refund_sent", reservation.id)) == 1

    login_as("staff")
    page = page_of(client, reservation)
    assert 'data-action="refund"' in page                            # "Refund" is still offered
    assert f'data-refund-paid="{total}"' in page and f'data-refund-refunded="{half}"' in page
    assert f'data-refundable="{total - half}"' in page and "환불 가능 잔액" in page


def test_a_second_refund_of_the_rest_makes_the_booking_refunded(refund_request, client, login_as, run_worker):
    refund = refund_request(days=3)
    reservation, total = refund.reservation, refund.reservation.total_amount
    decisions.approve_refund(refund.id, actor=Actor.operator(make_operator("staff")), may_override=False)
    run_worker(queues=("high",))
    reservation = fresh(reservation)
    rest = total - total // 2

    login_as("staff")
    form_url = f"/ops/reservations/{reservation.public_id}/refund"
    assert format_money(rest, "KRW", "ko") in client.get(form_url).get_data(as_text=True)
    opened = client.post(form_url, data={"our_fault": "", "note": "The guest asks for the rest.", "confirmed": "yes"})
    assert opened.status_code == 302
    second = db.session.scalar(select(Refund).where(Refund.reservation_id == reservation.id,
                                                    Refund.status == RefundStatus.REQUESTED))
    assert second.policy_amount == rest // 2                # the rules give half of what is left
    # the rest in full is another amount than the policy's: a manager, with a reason (the rules stay)
    manager = Actor.operator(make_operator("manager"))
    decisions.approve_refund(second.id, actor=manager, may_override=True, amount=rest,
                             reason="Agreed on the phone: the rest goes back too.")
    assert refundable_amount(fresh(reservation)) == 0
    run_worker(queues=("high",))
    reservation = fresh(reservation)
    assert fresh(second).status == RefundStatus.COMPLETED
    assert reservation.status == ReservationStatus.REFUNDED
    assert ledger.refunded_amount(reservation.id) == ledger.paid_amount(reservation.id) == total
    assert refundable_amount(reservation) == 0
    assert 'data-action="refund"' not in page_of(client, reservation)
    payment = db.session.scalar(select(Payment).where(Payment.reservation_id == reservation.id)
                                .execution_options(populate_existing=True))
    assert payment.refunded_amount == total
    assert len(outbox("refund_sent", reservation.id)) == 2          # one per refund


def test_refundable_follows_the_ledger_not_the_payment_rows(refund_request):
    refund = refund_request(days=10)                         # requested: nothing decided yet
    reservation, total = refund.reservation, refund.reservation.total_amount
    assert refundable_amount(reservation) == total
    charge = ledger.entries_of(reservation.id)[0]
    # money the ledger knows of and the payment rows do not: a reversal, a refund seen at the gateway
    ledger.record(EntryKind.DEPOSIT_REVERSAL, -30_000, "KRW", source=Source.BANK, dedupe_key="test:reversal",
                  reservation_id=reservation.id, undoes_id=charge.id)
    assert refundable_amount(reservation) == total - 30_000
    ledger.record(EntryKind.CARD_REFUND, -20_000, "KRW", source=Source.GATEWAY, dedupe_key="test:card-refund",
                  reservation_id=reservation.id)
    assert refundable_amount(reservation) == total - 50_000
    payment = db.session.scalar(select(Payment).where(Payment.reservation_id == reservation.id))
    assert (payment.amount, payment.refunded_amount) == (total, 0)
