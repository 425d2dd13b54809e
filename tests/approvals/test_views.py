"""The approval pages through the client: a staff refund of ₩2,000,000 becomes a request,
the requester sees no approve button and a crafted POST is refused (403, audited), staff
cannot approve, another manager approves after a confirm step, twice changes nothing,
refusing needs a written reason, and managers see it on Today."""
from __future__ import annotations

from sqlalchemy import select

from app.approvals.models import ApprovalStatus
from app.extensions import db
from app.refunds.states import RefundStatus
from app.remittance.models import Payout
from tests.approvals.conftest import audits, big_refund, requests
from tests.refunds.conftest import fresh, outbox, refund_request  # noqa: F401  (fixture)


def _staff_asks(client, login_as):
    staff = login_as("staff")
    refund = big_refund()
    url = f"/ops/refunds/{refund.public_id}/decide/approve"
    confirm = client.post(url, data={"reason": ""}).get_data(as_text=True)
    assert "관리자" in confirm and "🛑" in confirm                   # the confirm step says a manager approves
    done = client.post(url, data={"reason": "", "confirmed": "yes"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "아직 아무것도 처리되지 않았습니다" in page
    assert "approvals-pending" in page                              # the refund page shows it as waiting
    [req] = requests()
    assert req.kind == "refund_approval" and req.amount == 2_000_000 and req.requested_by_id == staff.id
    assert fresh(refund).status == RefundStatus.REQUESTED and not outbox("refund_approved")
    return staff, refund, req


def test_staff_request_then_another_manager_approves_once(client, app, login_as, run_worker):
    staff, refund, req = _staff_asks(client, login_as)
    page = client.get(f"/ops/approvals/{req.public_id}").get_data(as_text=True)
    assert "data-choice=\"approve\"" not in page and "own-request" in page
    assert client.post(f"/ops/approvals/{req.public_id}/approve", data={"confirmed": "yes"}).status_code == 403
    assert fresh(refund).status == RefundStatus.REQUESTED
    [refused] = audits("operator.permission_refused")                # staff: the role decorator refuses
    assert refused.actor_id == staff.id

    other = app.test_client()
    manager = login_as("manager", test_client=other)
    today = other.get("/ops/").get_data(as_text=True)
    assert "승인" in today and f"/ops/approvals/" in today
    page = other.get(f"/ops/approvals/{req.public_id}").get_data(as_text=True)
    assert "₩2,000,000" in page and staff.name in page and 'data-choice="approve"' in page
    confirm = other.post(f"/ops/approvals/{req.public_id}/approve", data={"note": ""})
    assert confirm.status_code == 200 and 'class="effect"' in confirm.get_data(as_text=True)
    assert requests()[0].status == ApprovalStatus.PENDING             # nothing before confirming
    done = other.post(f"/ops/approvals/{req.public_id}/approve", data={"note": "", "confirmed": "yes"},
                      follow_redirects=True)
    assert done.status_code == 200 and "승인" in done.get_data(as_text=True)
    assert fresh(refund).status == RefundStatus.PROCESSING
    again = other.post(f"/ops/approvals/{req.public_id}/approve", data={"note": "", "confirmed": "yes"},
                       follow_redirects=True)
    assert again.status_code == 200 and "이미" in again.get_data(as_text=True)
    [approved] = audits("approval.approved")
    assert approved.actor_id == manager.id and approved.data["requested_by"] == staff.id
    assert len(outbox("refund_approved", refund.reservation_id)) == 1


def test_a_manager_cannot_approve_their_own_request_even_by_a_crafted_post(client, login_as, app):
    manager = login_as("manager")
    refund = big_refund()
    client.post(f"/ops/refunds/{refund.public_id}/decide/approve", data={"reason": "", "confirmed": "yes"})
    [req] = requests()
    assert req.requested_by_id == manager.id
    assert 'data-choice="approve"' not in client.get(f"/ops/approvals/{req.public_id}").get_data(as_text=True)
    response = client.post(f"/ops/approvals/{req.public_id}/approve", data={"note": "", "confirmed": "yes"})
    assert response.status_code == 403
    assert fresh(refund).status == RefundStatus.REQUESTED and requests()[0].status == ApprovalStatus.PENDING
    [event] = audits("approval.approve_refused")
    assert event.actor_id == manager.id and event.reason == "self_approval"


def test_refusing_needs_a_written_reason_and_moves_nothing(client, login_as, app):
    _staff, refund, req = _staff_asks(client, login_as)
    other = app.test_client()
    login_as("manager", test_client=other)
    url = f"/ops/approvals/{req.public_id}/refuse"
    assert other.post(url, data={"note": "", "confirmed": "yes"}).status_code == 422
    assert requests()[0].status == ApprovalStatus.PENDING
    done = other.post(url, data={"note": "고객에게 먼저 확인하세요", "confirmed": "yes"}, follow_redirects=True)
    assert done.status_code == 200
    assert requests()[0].status == ApprovalStatus.REFUSED and fresh(refund).status == RefundStatus.REQUESTED
    page = client.get(f"/ops/approvals/{req.public_id}").get_data(as_text=True)
    assert "고객에게 먼저 확인하세요" in page


def test_staff_other_amount_becomes_a_request(client, login_as, refund_request):
    login_as("staff")
    refund = refund_request(days=10)
    url = f"/ops/refunds/{refund.public_id}/decide/other_amount"
    done = client.post(url, data={"amount": "1000", "reason": "goodwill", "confirmed": "yes"})
    assert done.status_code == 302
    [req] = requests()
    assert req.params == {"amount": 1000} and req.amount == 1000 and req.reason == "goodwill"
    assert fresh(refund).status == RefundStatus.REQUESTED and fresh(refund).amount == refund.policy_amount


def test_staff_case_c_on_the_reservation_page_becomes_a_request(client, login_as):
    from tests.refunds.conftest import paid_booking

    login_as("staff")
    r = paid_booking(days=1)
    done = client.post(f"/ops/reservations/{r.public_id}/refund",
                       data={"our_fault": "overbooking", "note": "오버부킹", "confirmed": "yes"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "아직 아무것도 처리되지 않았습니다" in page and "approvals-pending" in page
    [req] = requests()
    assert req.kind == "refund_our_fault" and req.params == {"our_fault": "overbooking"}
    assert fresh(r).status == "paid"


def test_a_typed_account_request_shows_the_account_masked(client, login_as, app):
    from app.approvals import services
    from app.core.actor import Actor

    staff = login_as("staff")
    refund = big_refund(method="bank_transfer")
    manager = login_as("manager", test_client=app.test_client())
    first = services.request_approval("refund_approval", subject_id=refund.id, amount=refund.amount, currency="KRW",
                                      reason="policy", actor=Actor.operator(staff),
                                      reservation_id=refund.reservation_id)
    services.approve(first.id, actor=Actor.operator(manager))
    data = {"bank_code": "004", "account_number": "110-123-456789", "account_holder": "김민지",
            "reason": "전화로 받음", "confirmed": "yes"}
    done = client.post(f"/ops/refunds/{refund.public_id}/account", data=data, follow_redirects=True)
    assert done.status_code == 200 and "아직 아무것도 처리되지 않았습니다" in done.get_data(as_text=True)
    assert db.session.scalar(select(Payout.id)) is None
    req = requests("refund_account")[0]
    page = client.get(f"/ops/approvals/{req.public_id}").get_data(as_text=True)
    assert "***-***-6789" in page and "110123456789" not in page and "110-123-456789" not in page


def test_unknown_requests_and_choices_are_404(client, login_as):
    login_as("manager")
    assert client.get("/ops/approvals/apr_nope").status_code == 404
    assert client.get("/ops/approvals/apr_nope/approve").status_code == 404
    assert client.get("/ops/approvals/" + "x" * 5000).status_code in (404, 414)
    assert client.get("/ops/approvals/").status_code == 200
