"""The conflict's compensation page: options within the tier, a confirm step, booking an alternative."""
from __future__ import annotations

from sqlalchemy import select

from app.booking.models import Reservation
from app.extensions import db
from app.refunds.models import Compensation, Coupon
from tests.compensation.test_lodging import conflicts_of


def url(conflict) -> str:
    return f"/ops/compensation/conflict/{conflict.id}/lodging"


def test_staff_gives_a_coupon_within_the_tier_after_a_confirm_step(client, login_as):
    (conflict,) = conflicts_of("page@example.com", 1)
    login_as("staff")
    listing = client.get("/ops/conflicts").get_data(as_text=True)
    assert url(conflict) in listing and "스위트" in listing          # the alternatives, not their count
    page = client.get(url(conflict))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "🛑" in html
    assert 'value="coupon_amount"' in html and 'value="free_night"' not in html and 'value="upgrade:0"' not in html
    assert 'value="book:0"' in html
    beyond = client.post(url(conflict), data={"option": "coupon_amount", "value": "30001", "note": ""})
    assert beyond.status_code == 422 and db.session.scalar(select(Coupon.id)) is None
    not_offered = client.post(url(conflict), data={"option": "free_night", "note": ""})
    assert not_offered.status_code == 422
    confirm = client.post(url(conflict), data={"option": "coupon_amount", "value": "30000", "note": "전화함"})
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and 'name="confirmed" value="yes"' in text and "₩30,000" in text
    assert db.session.scalar(select(Coupon.id)) is None               # nothing yet
    done = client.post(url(conflict), data={"option": "coupon_amount", "value": "30000", "note": "전화함",
                                            "confirmed": "yes"})
    assert done.status_code in (302, 303)
    assert db.session.scalar(select(Coupon.value)) == 30_000
    assert "✓" in client.get(url(conflict)).get_data(as_text=True)


def test_staff_books_the_alternative_as_an_upgrade_for_a_second_time_guest(client, login_as):
    made = conflicts_of("upgrade@example.com", 2)
    conflict = made[-1]
    login_as("staff")
    html = client.get(url(conflict)).get_data(as_text=True)
    assert 'value="upgrade:0"' in html
    confirm = client.post(url(conflict), data={"option": "upgrade:0", "note": ""})
    assert confirm.status_code == 200 and "₩240,000" in confirm.get_data(as_text=True)
    done = client.post(url(conflict), data={"option": "upgrade:0", "note": "", "confirmed": "yes"})
    assert done.status_code in (302, 303) and "/ops/reservations/" in done.headers["Location"]
    r = db.session.scalar(select(Reservation).where(Reservation.guest_email == "upgrade@example.com"))
    assert (r.total_amount, r.discount_amount, r.channel) == (240_000, 120_000, "operator")
    assert db.session.scalar(select(Compensation.conflict_id).where(Compensation.conflict_id == conflict.id))


def test_bad_ids_and_roles(client, login_as):
    assert client.get("/ops/compensation/conflict/1/lodging").status_code in (302, 401, 403)
    login_as("staff")
    for bad in ("0", "99999", str(2**40)):
        assert client.get(f"/ops/compensation/conflict/{bad}/lodging").status_code == 404
    (conflict,) = conflicts_of("x@example.com", 1)
    assert client.post(url(conflict), data={"option": "book:7", "note": ""}).status_code == 422
