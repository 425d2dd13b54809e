"""Finding a booking in the back office: phone numbers in any format, parts of booking codes,
guest names in either order, payment and payout ids; no input makes an error page."""
from __future__ import annotations

import pytest

from app.ops.queries import find_reservations, phone_variants
from app.extensions import db
from tests.factories import make_paid_reservation, make_reservation, make_room_type
from tests.remittance.conftest import account, approved_refund  # noqa: F401  (a fixture)


def _found(client, term: str) -> str:
    response = client.get("/ops/reservations", query_string={"q": term})
    assert response.status_code == 200, term
    return response.get_data(as_text=True)


def _link(r) -> str:
    return f"/ops/reservations/{r.public_id}"


@pytest.mark.parametrize("stored", ["010-3456-7890", "01034567890", "+82 10-3456-7890"])
def test_phone_numbers_in_any_format_find_the_booking(client, login_as, stored):
    login_as("staff")
    rt = make_room_type()
    r = make_reservation(rt, phone=stored)
    other = make_reservation(rt, phone="010-9999-0000")
    for typed in ("01034567890", "010 3456 7890", "+82 10-3456-7890", "010-3456-7890", "+821034567890",
                  "3456-7890", "34567890"):
        page = _found(client, typed)
        assert _link(r) in page, (stored, typed)
        assert _link(other) not in page, (stored, typed)


def test_phone_variants_cover_national_and_international_forms():
    assert phone_variants("+82 10-3456-7890") == ["01034567890", "821034567890"]
    assert phone_variants("010 3456 7890") == ["01034567890", "821034567890"]
    assert phone_variants("2026") == []          # too short to be a phone number


def test_a_partial_booking_code_finds_the_booking_in_any_case(client, login_as):
    login_as("staff")
    r = make_reservation(make_room_type())
    tail = r.code[2:]                     # "FD7K3M9Q" → "7K3M9Q"
    for typed in (tail[:4], tail[:4].lower(), tail[-5:], f"fd-{tail[:4].lower()}", r.code[:2] + "-" + tail):
        assert _link(r) in _found(client, typed), typed
    assert _link(r) not in _found(client, tail[:3] + "#")   # fewer than 4 characters: exact codes only


@pytest.mark.parametrize("typed", ["오지현", "지현 오", "오 지현", "지현오", "지현"])
def test_korean_names_in_either_order(client, login_as, typed):
    login_as("staff")
    rt = make_room_type()
    r = make_reservation(rt, first_name="지현", last_name="오")
    other = make_reservation(rt, first_name="서연", last_name="이")
    page = _found(client, typed)
    assert _link(r) in page and _link(other) not in page


@pytest.mark.parametrize("typed", ["Oh Jihyun", "Jihyun Oh", "oh jihyun", "OHJIHYUN"])
def test_latin_names_in_either_order(client, login_as, typed):
    login_as("staff")
    r = make_reservation(make_room_type(), first_name="Jihyun", last_name="Oh")
    assert _link(r) in _found(client, typed)


def test_payment_ids_find_their_booking_whole_or_by_their_beginning(client, login_as):
    from sqlalchemy import select

    from app.payments.models import Payment

    login_as("staff")
    r = make_paid_reservation(make_room_type())
    other = make_paid_reservation(make_room_type())
    pay_id = db.session.scalar(select(Payment.public_id).where(Payment.reservation_id == r.id))
    for typed in (pay_id, pay_id.upper(), pay_id[:12], f"  {pay_id} "):
        page = _found(client, typed)
        assert _link(r) in page and _link(other) not in page, typed


def test_payout_ids_find_their_booking(client, login_as, approved_refund):
    from app.remittance.services import create_refund_payout

    refund = approved_refund()
    payout = create_refund_payout(refund, account())
    db.session.commit()
    login_as("staff")
    link = f"/ops/reservations/{refund.reservation.public_id}"
    for typed in (payout.public_id, payout.public_id[:10], payout.public_id.upper()):
        assert link in _found(client, typed), typed
    assert link not in _found(client, "po_00000000")


@pytest.mark.parametrize("typed", ["%", "_", "\\", "'; DROP TABLE reservations; --", "pay_%", "po_", "x" * 500,
                                   "😀", "\x00", "FD-", "--", "010", "+", "rfd_zz", "rsv_", "   "])
def test_no_input_makes_an_error(client, login_as, typed):
    login_as("staff")
    make_reservation(make_room_type())
    response = client.get("/ops/reservations", query_string={"q": typed})
    assert response.status_code == (200 if "\x00" not in typed else 422)   # NUL: refused before the page


def test_like_wildcards_are_taken_literally(app):
    make_reservation(make_room_type())
    assert find_reservations("%") == []
    assert find_reservations("____") == []
