"""The "short of money" pages: Today's 🛑 count, the list (oldest first, with due time), each decision
through its confirm step with the guest's text shown first, the orders list's outstanding amounts, and roles."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.ledger.services import paid_amount
from app.refunds.models import Refund
from tests.deposits.conftest import fresh
from tests.deposits.test_shortfall import T0, booking_of_89000, end_window, outbox, pay_part


@pytest.fixture
def short(clock, import_csv):
    clock.freeze(T0)
    r = booking_of_89000(language="ja")
    pay_part(import_csv, r, 88_999)
    assert end_window() == 0
    return fresh(r)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_today_shows_the_count_as_a_decision_and_links_to_the_list(short, client, login_as):
    login_as("staff")
    today = page(client, "/ops/")
    start = today.index('data-key="shortfalls"')
    item = today[start:today.index("</li>", start)]
    assert "sev-bad" in today[today.rindex("<li", 0, start):start]
    assert ">1</a>" in item and "🛑" in item and "/ops/deposits/shortfalls" in item
    assert short.display_code in item and "₩1" in item  # the oldest, with what is missing and its due time


def test_the_list_shows_the_oldest_first_with_its_due_time(short, client, login_as, import_csv):
    later = booking_of_89000()
    pay_part(import_csv, later, 40_000)
    end_window()
    login_as("staff")
    listing = page(client, "/ops/deposits/shortfalls")
    assert listing.index(short.code) < listing.index(later.code)
    assert "₩88,999" in listing and "₩49,000" in listing
    assert "2026년 12월 9일 (수)" in listing and "오전 11:00" in listing  # decide by: 24 hours after the window ended


def test_asking_for_the_rest_shows_the_guests_text_before_anything_happens(short, client, login_as, app):
    login_as("staff")
    detail = page(client, f"/ops/deposits/shortfalls/{short.public_id}")
    assert 'data-recommended="accept"' in detail and "₩1" in detail and 'data-kind="bank_deposit"' in detail
    url = f"/ops/deposits/shortfalls/{short.public_id}/ask_rest"
    form = page(client, url)
    assert 'name="days"' in form and 'value="3"' in form and 'max="8"' in form  # check-in in 9 days
    assert client.post(url, data={"days": "99"}).status_code == 422
    confirm = client.post(url, data={"days": "2"})
    body = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and 'class="effect"' in body
    assert "残りの金額：₩1" in body and app.config["DEPOSIT_ACCOUNT_NUMBER"] in body  # in the guest's Japanese
    assert fresh(short).payment_shortfall_at is not None and not outbox(short, "payment_rest_requested")
    done = client.post(url, data={"days": "2", "confirmed": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/ops/deposits/shortfalls")
    r = fresh(short)
    assert r.payment_shortfall_at is None and r.status == "pending"
    assert len(outbox(r, "payment_rest_requested")) == 1
    assert "日本語" in page(client, "/ops/deposits/shortfalls")  # the flash says in which language


def test_only_a_manager_accepts_and_must_write_why(short, client, login_as):
    login_as("staff")
    url = f"/ops/deposits/shortfalls/{short.public_id}/accept"
    assert client.get(url).status_code == 403
    assert "매니저" in page(client, f"/ops/deposits/shortfalls/{short.public_id}")
    login_as("manager")
    assert client.post(url, data={"reason": ""}).status_code == 422
    confirm = client.post(url, data={"reason": "수수료 차이"}).get_data(as_text=True)
    assert 'class="effect"' in confirm and "₩1" in confirm and fresh(short).status == "pending"
    assert client.post(url, data={"reason": "수수료 차이", "confirmed": "yes"}).status_code == 302
    assert fresh(short).status == "paid" and paid_amount(short.id) == 88_999


def test_cancel_and_refund_through_the_page(short, client, login_as):
    login_as("staff")
    url = f"/ops/deposits/shortfalls/{short.public_id}/cancel_refund"
    assert client.post(url, data={"reason": ""}).status_code == 422
    confirm = client.post(url, data={"reason": "고객이 취소 원함"}).get_data(as_text=True)
    assert 'class="danger"' in confirm and "₩88,999" in confirm
    assert client.post(url, data={"reason": "고객이 취소 원함", "confirmed": "yes"}).status_code == 302
    assert fresh(short).status == "canceled"
    refund = db.session.scalar(select(Refund).where(Refund.reservation_id == short.id))
    assert refund.amount == 88_999
    # deciding again finds nothing left to decide and changes nothing
    again = client.post(url, data={"reason": "두 번째", "confirmed": "yes"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/ops/deposits/shortfalls")
    assert db.session.scalars(select(Refund).where(Refund.reservation_id == short.id)).all() == [refund]


def test_the_orders_list_shows_what_is_outstanding_and_sends_short_ones_to_their_decision(short, client,
                                                                                          login_as, import_csv):
    waiting = booking_of_89000()
    pay_part(import_csv, waiting, 50_000)
    login_as("staff")
    orders = page(client, "/ops/orders")
    row = orders[orders.index(waiting.display_code):]
    row = row[:row.index("</tr>")]
    assert 'data-outstanding="39000"' in row and "₩39,000" in row and "₩50,000" in row
    assert short.display_code not in orders  # past its window with part paid: on the decision list instead
    assert "/ops/deposits/shortfalls" in orders and "🛑" in orders


def test_the_reservation_page_offers_the_decision(short, client, login_as):
    login_as("staff")
    assert f"/ops/deposits/shortfalls/{short.public_id}" in page(client, f"/ops/reservations/{short.public_id}")


def test_roles_and_unknown_bookings(short, client, login_as):
    assert client.get("/ops/deposits/shortfalls").status_code in (302, 401)
    login_as("staff")
    assert client.get("/ops/deposits/shortfalls/rsv_nope").status_code == 404
    assert client.get(f"/ops/deposits/shortfalls/{short.public_id}/explode").status_code == 404
    assert client.post(f"/ops/deposits/shortfalls/{short.public_id}/ask_rest", data={"days": "2"},
                       csrf=False).status_code == 400
