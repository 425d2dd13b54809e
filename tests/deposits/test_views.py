"""The deposit pages: each decision through its confirm step, and each role against each route."""
import base64

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.deposits.models import StatementLine
from app.extensions import db
from tests.deposits.conftest import (ACCOUNT, MAPPING, fresh, korean_csv, messages, payments_of, today,
                                     transfer_booking)


def upload(client, raw: bytes, **extra):
    from io import BytesIO

    return client.post("/ops/deposits/upload", data={"statement": (BytesIO(raw), "거래내역.csv"), "bank": "국민은행",
                                                     "account": ACCOUNT, **extra},
                       content_type="multipart/form-data")


def import_post(client, raw: bytes, confirmed="yes", **extra):
    data = {"content": base64.b64encode(raw).decode(), "file_name": "s.csv", "source_format": "csv",
            "bank": "국민은행", "account": ACCOUNT, "confirmed": confirmed,
            **{f"map_{k}": v for k, v in MAPPING.items()}, **extra}
    return client.post("/ops/deposits/import", data=data)


def line_for(amount: int) -> StatementLine:
    return db.session.scalar(select(StatementLine).where(StatementLine.amount == amount)
                             .execution_options(populate_existing=True))


def decide(client, line, choice, **data):
    """Post the decision, check the confirm step restates it, then confirm."""
    url = f"/ops/deposits/lines/{line.public_id}/{choice}"
    first = client.post(url, data=data)
    assert first.status_code == 200, first.get_data(as_text=True)[:2000]
    assert 'class="effect"' in first.get_data(as_text=True)
    assert fresh(line).status == "needs_decision"  # nothing changed before the confirm step
    return client.post(url, data={**data, "confirmed": "yes"})


def test_upload_previews_then_imports_and_lists_lines_needing_a_decision_first(client, login_as):
    login_as("staff")
    r = transfer_booking()
    raw = korean_csv([(today(), f"{r.code} 김민지", r.total_amount, 0), (today(), "모르는사람", 12_345, 0)])
    page = upload(client, raw)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "기재내용" in body and 'value="yes"' in body
    assert db.session.scalar(select(StatementLine)) is None
    done = import_post(client, raw)
    assert done.status_code == 302
    assert fresh(r).status == "paid"
    listing = client.get("/ops/deposits/").get_data(as_text=True)
    assert listing.index(line_for(12_345).public_id) < listing.index(line_for(r.total_amount).public_id)


def test_a_staff_member_cannot_override_a_broken_balance(client, login_as):
    login_as("staff")
    raw = korean_csv([(today(), "a", 10_000, 0), (today(), "b", 20_000, 0)], balances={1: 1_031_000})
    refused = import_post(client, raw)
    assert refused.status_code == 422 and db.session.scalar(select(StatementLine)) is None
    assert import_post(client, raw, override_reason="그냥").status_code == 403
    assert db.session.scalar(select(StatementLine)) is None


def test_a_manager_overrides_a_broken_balance_with_a_reason(client, login_as):
    login_as("manager")
    raw = korean_csv([(today(), "a", 10_000, 0), (today(), "b", 20_000, 0)], balances={1: 1_031_000})
    assert "override_reason" in import_post(client, raw, confirmed="").get_data(as_text=True)
    assert import_post(client, raw, override_reason="수수료 줄 누락").status_code == 302
    assert line_for(20_000) is not None


def test_one_won_short_records_the_partial_deposit_and_tells_the_guest(client, login_as, import_csv):
    login_as("staff")
    r = transfer_booking()
    import_csv(korean_csv([(today(), f"{r.code} 김민지", r.total_amount - 1, 0)]))
    line = line_for(r.total_amount - 1)
    assert line.problem == "short"
    assert decide(client, line, "partial").status_code == 302
    assert fresh(r).status == "pending"
    [payment] = payments_of(r)
    assert payment.amount == r.total_amount - 1 and payment.status == "completed"
    from app.notifications.models import OutboxMessage

    notice = db.session.scalar(select(OutboxMessage).where(OutboxMessage.event == "deposit_amount_mismatch",
                                                           OutboxMessage.channel == "email"))
    assert notice.context == {"expected": r.total_amount, "received": r.total_amount - 1, "difference": -1,
                              "currency": "KRW"}
    assert messages(r, "payment_confirmed") == 0


def test_accepting_less_money_is_for_managers_with_a_reason(client, login_as, import_csv):
    r = transfer_booking()
    import_csv(korean_csv([(today(), f"{r.code}", r.total_amount - 1, 0)]))
    line = line_for(r.total_amount - 1)
    login_as("staff")
    assert client.post(f"/ops/deposits/lines/{line.public_id}/accept_short",
                       data={"reason": "x", "confirmed": "yes"}).status_code == 403
    login_as("manager")
    assert client.post(f"/ops/deposits/lines/{line.public_id}/accept_short",
                       data={"confirmed": "yes"}).status_code == 422
    assert decide(client, line, "accept_short", reason="1원 차이, 은행 수수료").status_code == 302
    assert fresh(r).status == "paid" and messages(r, "payment_confirmed") == 1


def test_too_much_money_marks_paid_and_opens_a_refund_of_the_excess(client, login_as, import_csv):
    from app.refunds.models import Refund

    login_as("staff")
    r = transfer_booking()
    import_csv(korean_csv([(today(), f"{r.code} 김민지", r.total_amount + 5_000, 0)]))
    line = line_for(r.total_amount + 5_000)
    assert decide(client, line, "overpaid").status_code == 302
    assert fresh(r).status == "paid"
    refund = db.session.scalar(select(Refund).where(Refund.reservation_id == r.id))
    assert refund.amount == 5_000 and refund.source == "overpayment" and fresh(line).refund_id == refund.id


def test_a_different_sender_needs_a_memo_to_confirm(client, login_as, import_csv):
    login_as("staff")
    r = transfer_booking()
    import_csv(korean_csv([(today(), "박철수", r.total_amount, 0)]))
    line = line_for(r.total_amount)
    assert line.problem == "name_differs"
    url = f"/ops/deposits/lines/{line.public_id}/confirm"
    assert client.post(url, data={"code": r.code, "confirmed": "yes"}).status_code == 422
    assert fresh(r).status == "pending"
    assert decide(client, line, "confirm", code=r.code, reason="남편 박철수가 대신 입금(전화 확인)").status_code == 302
    assert fresh(r).status == "paid" and fresh(line).decision_note.startswith("남편")


def test_an_unknown_deposit_is_assigned_by_search_or_set_aside(client, login_as, import_csv):
    login_as("staff")
    r = transfer_booking(first_name="Haruto", last_name="Sato")
    import_csv(korean_csv([(today(), "사토", r.total_amount, 0), (today(), "내부이체", 77_777, 0)]))
    assigned, other = line_for(r.total_amount), line_for(77_777)
    page = client.get(f"/ops/deposits/lines/{assigned.public_id}/assign?q=Sato").get_data(as_text=True)
    assert r.code in page
    picked = client.get(f"/ops/deposits/lines/{assigned.public_id}/assign?q=Sato&code={r.code}").get_data(as_text=True)
    assert f'name="code" type="text" value="{r.code}"' in picked
    assert decide(client, assigned, "assign", code=r.code, reason="고객이 전화로 입금 사실 알림").status_code == 302
    assert fresh(r).status == "paid"
    assert client.post(f"/ops/deposits/lines/{other.public_id}/not_ours",
                       data={"confirmed": "yes"}).status_code == 422
    assert decide(client, other, "not_ours", reason="우리 다른 계좌에서 옮긴 돈").status_code == 302
    assert fresh(other).outcome == "not_ours"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "deposit.not_ours")).reason


def _expire(r):
    from app.booking.services import cancel_unpaid_bank_transfers
    from app.core import clock

    cancel_unpaid_bank_transfers(clock.now() + __import__("datetime").timedelta(hours=25))
    assert fresh(r).status == "canceled"


def test_a_late_deposit_revives_the_booking_when_the_rooms_are_free(client, login_as, import_csv):
    login_as("staff")
    r = transfer_booking()
    _expire(r)
    import_csv(korean_csv([(today(), f"{r.code} 김민지", r.total_amount, 0)]))
    line = line_for(r.total_amount)
    assert line.problem == "expired"
    assert "revive" in client.get(f"/ops/deposits/lines/{line.public_id}").get_data(as_text=True)
    assert decide(client, line, "revive").status_code == 302
    assert fresh(r).status == "paid" and fresh(r).inventory_held
    assert messages(r, "payment_confirmed") == 1


def test_a_late_deposit_whose_rooms_are_gone_is_refunded(client, login_as, import_csv):
    from app.refunds.models import Refund
    from tests.factories import make_room_type

    login_as("staff")
    room_type = make_room_type(rooms=1, percent=100)
    r = transfer_booking(room_type)
    _expire(r)
    transfer_booking(room_type)  # someone else took the last room
    import_csv(korean_csv([(today(), f"{r.code} 김민지", r.total_amount, 0)]))
    line = line_for(r.total_amount)
    response = decide(client, line, "revive")
    assert response.status_code == 302 and fresh(r).status == "canceled" and not payments_of(r)
    assert fresh(line).status == "needs_decision"
    assert decide(client, line, "refund_payer", reason="객실 매진, 입금자에게 환불").status_code == 302
    refund = db.session.scalar(select(Refund).where(Refund.reservation_id == r.id))
    assert refund.amount == r.total_amount and fresh(line).outcome == "refunded"


def test_staff_mark_a_booking_paid_with_a_reason(client, login_as):
    """Seed 004 §2.1: staff press [결제 완료] (below FOUR_EYES_ABOVE they act alone; tests/deposits/test_mark_paid.py)."""
    r = transfer_booking()
    login_as("staff")
    url = f"/ops/deposits/mark-paid/{r.public_id}"
    assert client.post(url, data={"reason": ""}).status_code == 422
    assert 'class="effect"' in client.post(url, data={"reason": "현장 현금 수령"}).get_data(as_text=True)
    assert fresh(r).status == "pending"
    assert client.post(url, data={"reason": "현장 현금 수령", "confirmed": "yes"}).status_code == 302
    assert fresh(r).status == "paid" and len(payments_of(r)) == 1
    assert client.post(url, data={"reason": "again", "confirmed": "yes"}).status_code == 302
    assert len(payments_of(r)) == 1


def test_a_decided_line_cannot_be_decided_again(client, login_as, import_csv):
    login_as("staff")
    import_csv(korean_csv([(today(), "내부이체", 77_777, 0)]))
    line = line_for(77_777)
    decide(client, line, "not_ours", reason="내부")
    again = client.post(f"/ops/deposits/lines/{line.public_id}/not_ours", data={"reason": "x", "confirmed": "yes"})
    assert again.status_code == 302 and fresh(line).decision_note == "내부"


def test_the_today_items_count_lines_and_cancellations(client, login_as, import_csv):
    login_as("staff")
    import_csv(korean_csv([(today(), "내부이체", 77_777, 0)]))
    page = client.get("/ops/").get_data(as_text=True)
    assert "결정이 필요한" in page or "Statement lines needing a decision" in page


ROUTES = [("GET", "/ops/deposits/", 200, 200), ("GET", "/ops/deposits/canceled-today", 200, 200),
          ("GET", "/ops/deposits/lines/{line}", 200, 200), ("GET", "/ops/deposits/lines/{line}/not_ours", 200, 200),
          ("GET", "/ops/deposits/lines/{line}/accept_short", 403, 302),
          ("POST", "/ops/deposits/upload", 422, 422), ("POST", "/ops/deposits/import", 422, 422),
          ("GET", "/ops/deposits/mark-paid/{rsv}", 200, 200)]


@pytest.mark.parametrize("method, path, staff, manager", ROUTES)
def test_each_role_against_each_route(app, client, login_as, import_csv, method, path, staff, manager):
    r = transfer_booking()
    import_csv(korean_csv([(today(), "내부이체", 77_777, 0)]))
    path = path.format(line=line_for(77_777).public_id, rsv=r.public_id)
    assert client.open(path, method=method, data={}).status_code in (302, 401)  # not signed in
    for role, expected in (("staff", staff), ("manager", manager)):
        c = app.test_client()
        login_as(role, test_client=c)
        assert c.open(path, method=method, data={}).status_code == expected, role


def test_posts_without_csrf_are_refused(client, login_as, import_csv):
    login_as("staff")
    import_csv(korean_csv([(today(), "내부이체", 77_777, 0)]))
    line = line_for(77_777)
    response = client.post(f"/ops/deposits/lines/{line.public_id}/not_ours",
                           data={"reason": "x", "confirmed": "yes"}, csrf=False)
    assert response.status_code == 400 and fresh(line).status == "needs_decision"
