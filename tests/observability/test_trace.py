"""The trace: one booking from its request to the job, the email and the ledger row (real worker, real SMTP)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.observability import trace as tracing
from app.observability.models import JobRun
from tests.api.helpers import bearer, booking_body, pay_body
from tests.factories import make_room_type

BOOK_RID = "req_trace_booking_0001"
PAY_RID = "req_trace_payment_0001"


def _book_and_pay(client):
    room_type = make_room_type()
    booked = client.post("/v1/reservations", json=booking_body(room_type),
                         headers={"Idempotency-Key": str(uuid.uuid4()), "X-Request-Id": BOOK_RID})
    assert booked.status_code == 201, booked.get_data(as_text=True)
    assert booked.headers["X-Request-Id"] == BOOK_RID
    booking = booked.get_json()
    paid = client.post("/v1/payments", json=pay_body(booking),
                       headers={**bearer(booking["accessToken"]), "Idempotency-Key": str(uuid.uuid4()),
                                "X-Request-Id": PAY_RID})
    assert paid.status_code == 201, paid.get_data(as_text=True)
    return booking


def test_jobs_carry_the_request_id_that_enqueued_them_and_their_runs_are_recorded(client, smtp_server, run_worker):
    _book_and_pay(client)
    run_worker()
    runs = db.session.scalars(select(JobRun).order_by(JobRun.id)).all()
    sends = [r for r in runs if r.func == "workers.jobs.notifications.send_message"]
    assert sends, [r.func for r in runs]
    assert {r.request_id for r in sends} <= {BOOK_RID, PAY_RID}
    assert BOOK_RID in {r.request_id for r in sends}
    assert all(r.status == "finished" and r.finished_at >= r.started_at for r in sends)
    assert all(r.job_id.startswith("notifications-send-") for r in sends)
    assert smtp_server.messages


def test_one_booking_is_traced_from_request_to_job_to_email_to_ledger(client, smtp_server, run_worker, login_as):
    booking = _book_and_pay(client)
    run_worker()
    from app.booking.models import Reservation

    code = db.session.scalar(select(Reservation.code).where(Reservation.public_id == booking["reservationID"]))
    result = tracing.find(code)
    assert result.kind == "booking"
    assert {BOOK_RID, PAY_RID} <= set(result.request_ids)
    lanes = [e.lane for e in result.entries]
    assert {"audit", "job", "message", "money"} <= set(lanes)
    assert [e.at for e in result.entries] == sorted(e.at for e in result.entries)
    actions = [e.details.get("action") for e in result.entries if e.lane == "audit"]
    assert actions.index("reservation.created") < actions.index("payment.completed")
    money = [e for e in result.entries if e.lane == "money"]
    assert [(m.details["kind"], m.amount) for m in money] == [("card_charge", booking["totalPrice"]["amount"])]
    assert any(e.lane == "message" and e.details["status"] == "sent" for e in result.entries)
    assert any(e.lane == "job" and e.details["outcome"] == "finished"
               and e.details["function"] == "workers.jobs.notifications.send_message" for e in result.entries)
    # the request id alone finds the same booking
    by_request = tracing.find(BOOK_RID)
    assert by_request.kind == "request"
    assert code in by_request.reservation_codes
    # the page, in Korean, with codes folded away
    login_as("staff")
    page = client.get(f"/ops/trace?q={code[:2]}-{code[2:]}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "예약이 만들어졌습니다" in html
    assert "카드 결제를 받았습니다" in html
    assert "이메일" in html
    assert "<summary>지원팀용 자세한 내용</summary>" in html
    assert BOOK_RID in html


@pytest.mark.parametrize("kind", ["payment", "payout"])
def test_a_payment_or_payout_id_finds_its_booking(client, kind):
    from app.payments.models import Payment
    from app.remittance.models import Payout

    booking = _book_and_pay(client)
    payment = db.session.scalars(select(Payment)).first()
    if kind == "payment":
        query = payment.public_id
    else:
        payout = Payout(public_id="po_" + uuid.uuid4().hex[:16], purpose="refund", amount=1000, currency="KRW",
                        bank_code="004", account_number="1234", account_holder="Kim",
                        transfer_id="tr_" + uuid.uuid4().hex[:16], reservation_id=payment.reservation_id)
        db.session.add(payout)
        db.session.flush()
        query = payout.public_id
    result = tracing.find(query)
    assert result.kind == kind
    assert len(result.reservation_codes) == 1
    assert PAY_RID in result.request_ids
    assert booking["reservationID"]


def test_a_statement_line_finds_the_booking_its_deposit_paid(client):
    from datetime import date

    from app.core import clock
    from app.ledger.models import LedgerEntry
    from tests.factories import make_reservation
    from tests.observability.helpers import make_statement_line

    reservation = make_reservation(method="bank_transfer")
    line_public = "stl_" + uuid.uuid4().hex[:12]

    line = make_statement_line(public_id=line_public, amount=reservation.total_amount)
    db.session.add(LedgerEntry(kind="bank_deposit", amount=reservation.total_amount, currency="KRW", source="bank",
                               occurred_at=clock.now(), business_date=date.today(), reservation_id=reservation.id,
                               statement_line_id=line.id, dedupe_key=f"test-{line_public}"))
    db.session.flush()
    result = tracing.find(line_public)
    assert result.kind == "statement_line"
    assert result.reservation_codes == [reservation.code]
    assert any(e.lane == "money" and e.details["kind"] == "bank_deposit" for e in result.entries)


@pytest.mark.parametrize("query, status, text", [
    ("", 200, "검색"),
    ("FD-ZZZZZZ", 200, "찾지 못했습니다"),
    ("req_unknown_123", 200, "찾지 못했습니다"),
    ("<script>alert(1)</script>", 200, "우리 시스템의 번호처럼 보이지 않습니다"),
    ("x" * 5000, 200, "찾지 못했습니다"),     # cut to 100 characters, then simply not found
    ("a\x00b", 422, ""),                       # the input guard refuses NUL characters
])
def test_the_trace_page_answers_any_search_without_an_error(client, login_as, query, status, text):
    login_as("staff")
    response = client.get("/ops/trace", query_string={"q": query})
    assert response.status_code == status
    if status == 200:
        assert text in response.get_data(as_text=True)


def test_the_footer_request_id_links_to_the_trace_for_staff_only(client, login_as):
    anonymous = client.get("/auth/login")
    assert "/ops/trace?q=" not in anonymous.get_data(as_text=True)
    login_as("staff")
    page = client.get("/ops/trace", headers={"X-Request-Id": "req_footer_check_1"})
    assert 'href="/ops/trace?q=req_footer_check_1"' in page.get_data(as_text=True)
