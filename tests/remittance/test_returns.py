"""A refund payout that came back (app.remittance.returns): the payout is returned, the refund
reopened, the booking canceled again, the ledger and the fund get the money back once, and
the guest is asked once for another account; a new account makes a new payout whose
completion finishes the refund and the booking again. Nothing goes to the same account by itself."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.booking.states import ReservationStatus
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.core.db import run_in_transaction
from app.extensions import db
from app.ledger import services as ledger
from app.ledger.models import EntryKind, LedgerEntry
from app.notifications.models import OutboxMessage
from app.payments.models import Payment
from app.refunds import decisions as refund_decisions
from app.refunds.models import Refund
from app.refunds.services import refundable_amount
from app.refunds.states import RefundStatus
from app.remittance import decisions, queries, tokens
from app.remittance import fund as fund_service
from app.remittance.models import Payout
from app.remittance.returns import PayoutNotCompleted, apply_payout_return
from app.remittance.states import PayoutStatus
from app.remittance.today import refund_payouts_returned
from tests.factories import make_operator
from tests.refunds.conftest import cancelled_request
from tests.remittance.conftest import GOOD, TAILS, TEST_ACTOR, account, fresh

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
FUNDS = 100_000_000


@pytest.fixture(autouse=True)
def _funded(clock, top_up):
    clock.freeze(T0)
    top_up(FUNDS)


def link_path(refund) -> str:
    return f"/payout-account/{tokens.make_token(tokens.REFUND, refund.public_id)}"


def rows(reservation_id: int) -> list[tuple[str, int]]:
    return [(e.kind, e.amount) for e in ledger.entries_of(reservation_id)]


def emails(event: str, reservation_id: int) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.event == event, OutboxMessage.reservation_id == reservation_id,
        OutboxMessage.channel == "email").order_by(OutboxMessage.id)))


def paid_back(client, payout_worker, *, account_number: str = GOOD):
    """A bank-transfer booking canceled by its guest, the refund approved by staff and paid to the
    account the guest typed into the link: (refund, payout), both completed."""
    refund = cancelled_request(method="bank_transfer", days=10)
    refund_id, path = refund.id, link_path(refund)
    refund_decisions.approve_refund(refund_id, actor=Actor.operator(make_operator("staff")), may_override=False)
    form = {"bank_code": "004", "account_number": account_number, "account_holder": "김민지", "confirmed": "yes"}
    assert client.post(path, data=form).status_code == 302
    payout_worker()
    payout = db.session.scalar(select(Payout).where(Payout.refund_id == refund_id))
    assert payout.status == PayoutStatus.COMPLETED
    return db.session.get(Refund, refund_id), payout


def returned(payout_id: int, reference: str = "RTN-20261123-1", statement_line_id=None) -> Payout:
    return run_in_transaction(lambda: apply_payout_return(payout_id, reference=reference, actor=TEST_ACTOR,
                                                          reason="Return credit on the statement: account closed.",
                                                          statement_line_id=statement_line_id))


def test_a_returned_refund_payout_is_paid_again_to_a_new_account_end_to_end(client, payout_worker, bank):
    refund, payout = paid_back(client, payout_worker)
    rid, amount, total = refund.reservation_id, refund.amount, refund.reservation.total_amount
    assert refund.reservation.status == ReservationStatus.REFUNDED and amount == total
    assert rows(rid) == [(EntryKind.BANK_DEPOSIT, total), (EntryKind.REFUND_PAYOUT, -amount)]
    assert len(emails("refund_account_needed", rid)) == 1               # the approval's ask
    assert len(emails("refund_sent", rid)) == 1

    payout = returned(payout.id)                                         # the statement shows it came back
    assert payout.status == PayoutStatus.RETURNED and payout.return_reference == "RTN-20261123-1"
    refund = fresh(refund)
    assert refund.status == RefundStatus.AWAITING_ACCOUNT and refund.completed_at is None
    reservation = refund.reservation
    assert reservation.status == ReservationStatus.CANCELED
    change = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == reservation.public_id,
                                                        AuditEvent.to_state == "canceled",
                                                        AuditEvent.from_state == "refunded"))
    assert change is not None and change.data["payout"] == payout.public_id
    assert rows(rid) == [(EntryKind.BANK_DEPOSIT, total), (EntryKind.REFUND_PAYOUT, -amount),
                         (EntryKind.PAYOUT_RETURN, amount)]
    ret = ledger.entries_of(rid)[-1]
    assert ret.undoes_id == ledger.entries_of(rid)[1].id and ret.external_ref == "RTN-20261123-1"
    assert (ledger.paid_amount(rid), ledger.refunded_amount(rid)) == (total, 0)
    assert refundable_amount(reservation) == total - amount              # the reopened refund still owes it
    assert fund_service.get_fund().balance == FUNDS
    assert db.session.get(Payment, refund.payment_id, populate_existing=True).refunded_amount == 0
    asks = emails("refund_account_needed", rid)
    assert len(asks) == 2 and asks[-1].dedupe_key.endswith(f"{payout.public_id}:returned")
    kind, public = tokens.read_token(asks[-1].context["link"].rsplit("/", 1)[1].split("?")[0])
    assert (kind, public) == (tokens.REFUND, refund.public_id)

    # the statement imported again, and the back office's button pressed as well: nothing changes
    assert returned(payout.id, "RTN-again").return_reference == "RTN-20261123-1"
    assert decisions.mark_returned(payout.id, "RTN-again", TEST_ACTOR, "pressed again").status == PayoutStatus.RETURNED
    assert len(rows(rid)) == 3 and len(emails("refund_account_needed", rid)) == 2
    assert fund_service.get_fund().balance == FUNDS

    # a person sees it: "needs attention" and a 🛑 on Today
    assert payout.id in [p.id for p in queries.list_needing_attention()]
    today = refund_payouts_returned()
    assert today.count == 1 and today.severity == "bad" and str(today.title).startswith("🛑")

    # the guest's link says the money came back, and refuses the same account again
    html = client.get(link_path(refund)).get_data(as_text=True)
    assert "***-***-4567" in html and 'name="account_number"' in html
    same = {"bank_code": "004", "account_number": GOOD, "account_holder": "김민지", "confirmed": "yes"}
    assert client.post(link_path(refund), data=same).status_code == 422
    assert db.session.scalar(select(func.count(Payout.id)).where(Payout.refund_id == refund.id)) == 1

    other = {"bank_code": "090", "account_number": "3333-01-2345678", "account_holder": "김민지", "confirmed": "yes"}
    assert client.post(link_path(refund), data=other).status_code == 302
    new = db.session.scalar(select(Payout).where(Payout.refund_id == refund.id, Payout.id != payout.id))
    assert new.replaces_id == payout.id and new.amount == amount and new.bank_code == "090"
    assert fresh(payout).status == PayoutStatus.CANCELED
    assert fresh(refund).status == RefundStatus.AWAITING_PAYOUT
    assert refund_payouts_returned().count == 0
    payout_worker()

    new, refund = fresh(new), fresh(refund)
    assert new.status == PayoutStatus.COMPLETED and refund.status == RefundStatus.COMPLETED
    assert refund.reservation.status == ReservationStatus.REFUNDED
    assert rows(rid) == [(EntryKind.BANK_DEPOSIT, total), (EntryKind.REFUND_PAYOUT, -amount),
                         (EntryKind.PAYOUT_RETURN, amount), (EntryKind.REFUND_PAYOUT, -amount)]
    assert (ledger.paid_amount(rid), ledger.refunded_amount(rid)) == (total, amount)
    assert refundable_amount(refund.reservation) == 0
    assert bank.moved(fresh(payout).transfer_id) == (1, amount) and bank.moved(new.transfer_id) == (1, amount)
    assert fund_service.get_fund().balance == FUNDS - amount
    assert db.session.get(Payment, refund.payment_id, populate_existing=True).refunded_amount == amount
    assert len(emails("refund_sent", rid)) == 2                          # the money left twice: told twice
    assert len(emails("refund_account_needed", rid)) == 2


def test_a_return_for_a_payout_that_is_not_completed_is_refused_and_changes_nothing(settlement, payout_worker):
    payout = settlement(90_000, TAILS["TIMEOUT_MOVED"])                  # sent; the bank's answer was lost
    payout_worker()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.TRANSFERRING
    balance = fund_service.get_fund().balance
    with pytest.raises(PayoutNotCompleted) as exc:
        returned(payout.id, "RTN-EARLY")
    assert exc.value.extra["status"] == PayoutStatus.TRANSFERRING and exc.value.extra["reference"] == "RTN-EARLY"
    assert exc.value.extra["amount"] == 90_000 and exc.value.status == 409
    payout = fresh(payout)
    assert payout.status == PayoutStatus.TRANSFERRING and payout.returned_at is None
    assert fund_service.get_fund().balance == balance
    assert db.session.scalar(select(func.count(LedgerEntry.id)).where(
        LedgerEntry.kind == EntryKind.PAYOUT_RETURN)) == 0


def test_an_operator_enters_another_account_for_a_returned_refund(client, payout_worker, bank):
    refund, payout = paid_back(client, payout_worker)
    returned(payout.id)
    manager = Actor.operator(make_operator("manager"))
    new = decisions.change_payout_account(payout.id, account(bank="088", holder="김민지"), actor=manager,
                                          reason="The guest called with a new account.")
    assert new.id != payout.id and new.replaces_id == payout.id
    assert fresh(payout).status == PayoutStatus.CANCELED
    assert fresh(refund).status == RefundStatus.AWAITING_PAYOUT
    payout_worker()
    assert fresh(new).status == PayoutStatus.COMPLETED
    refund = fresh(refund)
    assert refund.status == RefundStatus.COMPLETED and refund.reservation.status == ReservationStatus.REFUNDED


def test_giving_up_a_returned_refund_payout_fails_the_refund_for_another_way(client, payout_worker):
    refund, payout = paid_back(client, payout_worker)
    returned(payout.id)
    decisions.give_up_payout(payout.id, actor=Actor.operator(make_operator("manager")),
                             reason="The guest will be paid in cash at the hotel.")
    assert fresh(payout).status == PayoutStatus.CANCELED
    refund = fresh(refund)
    assert refund.status == RefundStatus.FAILED and refund.reservation.status == ReservationStatus.CANCELED
    assert refund_payouts_returned().count == 0
    assert client.get(link_path(refund)).status_code == 200     # the link now says nothing is needed
    assert decisions.describe_account_request(tokens.make_token(tokens.REFUND, refund.public_id)).still_needed \
        is False


def test_a_returned_settlement_payout_only_credits_the_fund(settlement, payout_worker):
    payout_id = settlement(300_000).id
    payout_worker()
    payout = returned(payout_id)
    assert payout.status == PayoutStatus.RETURNED
    assert fund_service.get_fund().balance == FUNDS
    assert refund_payouts_returned().count == 0                # not a refund: the payouts list shows it
    assert payout.id in [p.id for p in queries.list_needing_attention()]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
