"""The back office's payout pages and the customer's bank-account form, through the client."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditEvent
from app.core.errors import IllegalTransition, ValidationFailed
from app.extensions import db
from app.refunds.states import RefundStatus
from app.remittance import decisions, services, tokens
from app.remittance import fund as fund_service
from app.remittance.models import FundEntry, Payout
from app.remittance.states import PayoutStatus
from app.remittance.today import operating_fund, payouts_needing_a_person
from tests.remittance.conftest import GOOD, TAILS, TEST_ACTOR, account, fresh

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.freeze(T0)


@pytest.fixture
def abandoned(settlement, top_up, payout_worker, drive, clock):
    """abandoned(amount) → a payout the bank kept refusing until no retry fit in 24 h."""

    def _make(amount=120_000):
        payout = settlement(amount, TAILS["BANK_ERROR"])
        payout_worker()                                    # held: the fund is empty
        clock.advance(hours=23, minutes=59, seconds=30)
        top_up(100_000_000)
        drive()                                            # refused; the next retry would be too late
        payout = fresh(payout)
        assert payout.status == PayoutStatus.ABANDONED
        return payout

    return _make


@pytest.fixture
def waiting(approved_refund, top_up, payout_worker):
    """waiting() → a refund payout waiting for a corrected account (INVALID_ACCOUNT)."""

    def _make():
        top_up(100_000_000)
        refund = approved_refund()
        payout = services.create_refund_payout(refund, account(TAILS["INVALID_ACCOUNT"]))
        db.session.commit()
        payout_worker()
        payout = fresh(payout)
        assert payout.status == PayoutStatus.WAITING_FOR_ACCOUNT
        return payout

    return _make


def page(response) -> str:
    return response.get_data(as_text=True)


def test_the_list_shows_what_needs_a_person_oldest_first_and_masks_accounts(client, login_as, settlement,
                                                                            payout_worker, waiting, clock):
    held = settlement(300_000)
    payout_worker()                                        # the fund is empty: held
    clock.advance(minutes=10)
    wait = waiting()
    login_as("staff")
    html = page(client.get("/ops/payouts/"))
    order = re.findall(r'data-payout="(po_[0-9a-f]+)"', html)
    assert order == [fresh(held).public_id, wait.public_id]
    assert "***-***-4567" in html and "***-***-0001" in html
    assert GOOD not in html and "1101230001" not in html
    assert "🛑" not in html                               # decisions are on each payout's page


def test_the_payout_page_shows_a_decision_box_with_the_seeds_choices(client, login_as, waiting):
    payout = waiting()
    login_as("staff")
    html = page(client.get(f"/ops/payouts/{payout.public_id}"))
    assert '<section class="decision">' in html and "🛑" in html
    links = re.findall(rf'/ops/payouts/{payout.public_id}/(\w+)"', html)
    assert links == ["edit_account", "give_up"]
    assert "1101230001" not in html and "***-***-0001" in html


def test_retry_needs_a_reason_and_a_confirm_step_restating_the_effect(client, login_as, abandoned, redis):
    payout = abandoned(120_000)
    login_as("staff")
    url = f"/ops/payouts/{payout.public_id}/retry"
    assert client.get(url).status_code == 200
    refused = client.post(url, data={"reason": "  "})
    assert refused.status_code == 422 and fresh(payout).status == PayoutStatus.ABANDONED
    confirm = client.post(url, data={"reason": "The bank says its system is back."})
    assert confirm.status_code == 200 and 'name="confirmed" value="yes"' in page(confirm)
    assert "₩120,000" in page(confirm) and "국민은행 ***-***-0006 (홍길동)" in page(confirm)
    assert fresh(payout).status == PayoutStatus.ABANDONED    # the confirm step changes nothing
    done = client.post(url, data={"reason": "The bank says its system is back.", "confirmed": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/ops/payouts/{payout.public_id}")
    payout = fresh(payout)
    assert payout.status == PayoutStatus.REQUESTED and payout.round_failures == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == payout.public_id,
                                                       AuditEvent.to_state == "requested",
                                                       AuditEvent.actor_kind == "operator"))
    assert event.reason == "The bank says its system is back."
    from rq.job import Job

    assert Job.fetch(services.attempt_job_id(payout.id, payout.attempt_count + 1), connection=redis)
    followed = client.get(done.headers["Location"])
    assert "flash-success" in page(followed)


def test_payouts_above_the_threshold_are_for_managers(client, app, login_as, abandoned):
    payout = abandoned(2_000_000)
    login_as("staff")
    html = page(client.get(f"/ops/payouts/{payout.public_id}"))
    assert "/retry" not in html and "flash-warning" in html
    url = f"/ops/payouts/{payout.public_id}/retry"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"reason": "try", "confirmed": "yes"}).status_code == 403
    assert fresh(payout).status == PayoutStatus.ABANDONED
    manager = app.test_client()
    login_as("manager", test_client=manager)
    assert manager.post(url, data={"reason": "try", "confirmed": "yes"}).status_code == 302
    assert fresh(payout).status == PayoutStatus.REQUESTED


def test_a_corrected_account_is_paid_once(client, login_as, waiting, payout_worker, bank):
    payout = waiting()
    login_as("staff")
    url = f"/ops/payouts/{payout.public_id}/edit_account"
    form = {"bank_code": "088", "account_number": "110-987-654321", "account_holder": "홍길동",
            "reason": "The customer read the number to us by phone."}
    bad = client.post(url, data={**form, "account_number": "12"})
    assert bad.status_code == 422 and "field-error" in page(bad)
    confirm = client.post(url, data=form)
    assert "신한은행 ***-***-4321 (홍길동)" in page(confirm) and "국민은행 ***-***-0001 (홍길동)" in page(confirm)
    assert client.post(url, data={**form, "confirmed": "yes"}).status_code == 302
    payout_worker()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.COMPLETED and payout.account_number == "110987654321"
    assert bank.moved(payout.transfer_id) == (1, payout.amount)
    assert fresh(payout.refund).status == RefundStatus.COMPLETED


def test_giving_up_closes_the_payout_and_marks_the_refund_failed(client, login_as, waiting):
    payout = waiting()
    login_as("staff")
    url = f"/ops/payouts/{payout.public_id}/give_up"
    confirm = client.post(url, data={"reason": "The customer asked for cash at the front desk."})
    assert "will not be sent" in page(confirm) or "보내지 않습니다" in page(confirm)
    assert client.post(url, data={"reason": "The customer asked for cash at the front desk.",
                                  "confirmed": "yes"}).status_code == 302
    payout = fresh(payout)
    assert payout.status == PayoutStatus.CANCELED
    assert fresh(payout.refund).status == RefundStatus.FAILED
    again = client.post(url, data={"reason": "again", "confirmed": "yes"})
    assert again.status_code == 302 and fresh(payout).status == PayoutStatus.CANCELED


def test_a_decision_without_csrf_is_refused_and_changes_nothing(client, login_as, waiting):
    payout = waiting()
    login_as("staff")
    response = client.post(f"/ops/payouts/{payout.public_id}/give_up",
                           data={"reason": "x", "confirmed": "yes"}, csrf=False)
    assert response.status_code == 400
    assert fresh(payout).status == PayoutStatus.WAITING_FOR_ACCOUNT


def test_signed_out_people_and_unknown_choices_get_nothing(client, login_as, waiting):
    payout = waiting()
    assert client.get("/ops/payouts/").status_code == 302
    assert client.post(f"/ops/payouts/{payout.public_id}/give_up", data={"reason": "x"}).status_code == 401
    login_as("staff")
    assert client.get(f"/ops/payouts/{payout.public_id}/explode").status_code == 404
    assert client.get("/ops/payouts/po_nope").status_code == 404
    retry = client.post(f"/ops/payouts/{payout.public_id}/retry", data={"reason": "x", "confirmed": "yes"})
    assert retry.status_code == 302 and fresh(payout).status == PayoutStatus.WAITING_FOR_ACCOUNT


def test_a_return_is_recorded_with_its_reference(client, login_as, settlement, top_up, payout_worker):
    top_up(60_000_000)
    payout = settlement(500_000)
    payout_worker()
    login_as("staff")
    url = f"/ops/payouts/{fresh(payout).public_id}/mark_returned"
    data = {"reference": "RTN-77", "reason": "Return credit on today's statement."}
    assert "RTN-77" in page(client.post(url, data=data))
    assert client.post(url, data={**data, "confirmed": "yes"}).status_code == 302
    payout = fresh(payout)
    assert payout.status == PayoutStatus.RETURNED and fund_service.get_fund().balance == 60_000_000
    assert payouts_needing_a_person().count == 1


def test_the_fund_page_and_a_managers_top_up_with_its_confirm_step(client, app, login_as):
    login_as("staff")
    html = page(client.get("/ops/fund"))
    assert "₩0" in html and 'action="/ops/fund/top-up"' not in html
    assert client.post("/ops/fund/top-up", data={"amount": "1000", "reason": "x", "key": "k"}).status_code == 403
    manager = app.test_client()
    login_as("manager", test_client=manager)
    form_page = page(manager.get("/ops/fund"))
    key = re.search(r'name="key" type="hidden" value="([0-9a-f]+)"', form_page).group(1)
    data = {"amount": "30000000", "reason": "Transfer from the main account", "key": key}
    assert manager.post("/ops/fund/top-up", data={**data, "amount": "0"}).status_code == 422
    confirm = page(manager.post("/ops/fund/top-up", data=data))
    assert "₩30,000,000" in confirm and fund_service.get_fund().balance == 0
    assert manager.post("/ops/fund/top-up", data={**data, "confirmed": "yes"}).status_code == 302
    assert manager.post("/ops/fund/top-up", data={**data, "confirmed": "yes"}).status_code == 302  # a double click
    # Four eyes (app.approvals): ₩30,000,000 waits for a second manager; one request for the double click.
    from app.approvals.models import ApprovalRequest

    [req] = db.session.scalars(select(ApprovalRequest)).all()
    assert req.kind == "fund_top_up" and fund_service.get_fund().balance == 0
    second = app.test_client()
    login_as("manager", test_client=second)
    assert second.post(f"/ops/approvals/{req.public_id}/approve", data={"note": "", "confirmed": "yes"}).status_code \
        == 302
    assert fund_service.get_fund().balance == 30_000_000
    assert db.session.scalar(select(func.count(FundEntry.id))) == 1
    assert "Transfer from the main account" in page(manager.get("/ops/fund"))


def test_today_counts_and_navigation(app, client, login_as, waiting, settlement, payout_worker):
    assert (operating_fund().count, operating_fund().severity) == (0, "info")   # a fund never used
    settlement(10_000)
    payout_worker()                                                             # held: the fund is empty
    assert (operating_fund().count, operating_fund().severity) == (1, "bad")
    waiting()
    item = payouts_needing_a_person()
    # Tasks, not rows: the waiting payout is one; the held one goes out once the fund allows it.
    assert item.count == 1 and item.severity == "warn" and item.endpoint == "remittance.attention"
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("ko"):                        # as operators read it
        assert [str(f) for f in item.facts] == ["운영 자금이 허락할 때까지 보류: 1건 (자금을 채우면 저절로 나갑니다)."]
    assert operating_fund().severity == "ok"
    login_as("staff")
    html = page(client.get("/ops/payouts/"))
    assert 'href="/ops/payouts/"' in html and 'href="/ops/fund"' in html


# --- the customer's bank-account form -------------------------------------------------------------


def link_path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_the_customer_corrects_the_account_through_the_signed_link(client, waiting, payout_worker, bank):
    payout = waiting()
    path = link_path(tokens.account_link(tokens.PAYOUT, payout.public_id, "ko"))
    html = page(client.get(path))
    assert "***-***-0001" in html and "1101230001" not in html
    form = {"bank_code": "004", "account_number": "110-555-123456", "account_holder": "홍길동"}
    bad = client.post(path, data={**form, "bank_code": "999"})
    assert bad.status_code == 422 and fresh(payout).status == PayoutStatus.WAITING_FOR_ACCOUNT
    confirm = page(client.post(path, data=form))
    assert "국민은행 ***-***-3456 (홍길동)" in confirm and 'value="yes"' in confirm
    done = client.post(path, data={**form, "confirmed": "yes"})
    assert done.status_code == 302
    assert "***-***-3456" in page(client.get(path))            # "we have your account"
    payout_worker()
    payout = fresh(payout)
    assert payout.status == PayoutStatus.COMPLETED and bank.moved(payout.transfer_id) == (1, payout.amount)
    again = client.post(path, data={**form, "confirmed": "yes"})
    assert again.status_code == 200 and bank.moved(payout.transfer_id) == (1, payout.amount)


def test_a_refund_account_link_creates_the_refund_payout(client, approved_refund, top_up, payout_worker):
    top_up(100_000_000)
    refund = approved_refund()
    link = services.ask_for_refund_account(refund, actor=TEST_ACTOR)
    db.session.commit()
    assert fresh(refund).status == RefundStatus.AWAITING_ACCOUNT
    path = link_path(link)
    form = {"bank_code": "090", "account_number": "3333-01-2345678", "account_holder": "김민지", "confirmed": "yes"}
    assert client.post(path, data=form).status_code == 302
    payout_worker()
    payout = db.session.scalar(select(Payout).where(Payout.refund_id == fresh(refund).id))
    assert payout.status == PayoutStatus.COMPLETED and payout.bank_code == "090"
    assert fresh(refund).status == RefundStatus.COMPLETED
    assert client.post(path, data=form).status_code == 200        # used again: nothing more to do
    assert db.session.scalar(select(func.count(Payout.id)).where(Payout.refund_id == fresh(refund).id)) == 1


def test_a_refund_link_follows_its_payout_when_the_account_is_refused(client, approved_refund, top_up,
                                                                     payout_worker):
    top_up(100_000_000)
    refund = approved_refund()
    path = link_path(services.ask_for_refund_account(refund, actor=TEST_ACTOR))
    db.session.commit()
    refused = {"bank_code": "004", "account_number": "110123" + TAILS["CLOSED_ACCOUNT"], "account_holder": "김민지",
               "confirmed": "yes"}
    assert client.post(path, data=refused).status_code == 302
    payout_worker()
    html = page(client.get(path))                                  # the same link now asks for a corrected one
    assert "***-***-0002" in html and 'name="account_number"' in html
    fixed = {**refused, "account_number": "110-123-987654"}
    assert client.post(path, data=fixed).status_code == 302
    payout_worker()
    [payout] = db.session.scalars(select(Payout).where(Payout.refund_id == fresh(refund).id)).all()
    assert payout.status == PayoutStatus.COMPLETED and payout.account_number == "110123987654"


def test_an_expired_or_tampered_link_opens_nothing(client, waiting, clock):
    payout = waiting()
    path = link_path(tokens.account_link(tokens.PAYOUT, payout.public_id))
    assert client.get(path[:-3] + "abc").status_code == 404
    clock.advance(days=15)
    assert client.get(path).status_code == 410
    form = {"bank_code": "004", "account_number": "1105551234", "account_holder": "홍길동", "confirmed": "yes"}
    assert client.post(path, data=form).status_code == 410
    assert fresh(payout).status == PayoutStatus.WAITING_FOR_ACCOUNT


def test_decisions_refuse_a_payout_in_the_wrong_state(settlement):
    payout = settlement(10_000)
    with pytest.raises(IllegalTransition):
        decisions.give_up_payout(payout.id, actor=TEST_ACTOR, reason="no")
    with pytest.raises(ValidationFailed):
        decisions.retry_payout(payout.id, actor=TEST_ACTOR, reason=" ")
    assert fresh(payout).status == PayoutStatus.REQUESTED
