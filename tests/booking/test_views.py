"""The booking form and the booking page, through the test client: booking,
double submits, resubmits, errors, sold out, bank transfer, and who may see what."""
from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select

from app.booking.models import BookingConflict
from app.booking.services import access_token_for
from app.booking.states import ReservationStatus
from app.core import clock as app_clock
from app.extensions import db
from app.payments.models import Payment
from app.payments.states import PaymentStatus
from tests.booking.conftest import english_client, book_url, form_data, hidden_value, reservation_count
from tests.factories import future, make_hotel, make_reservation, make_room_type


def test_booking_form_preselects_the_page_language_and_carries_a_key(client, room_type, check_in):
    response = client.get(book_url(room_type, check_in) + "&lang=ja")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<option selected value="ja">|<option value="ja" selected', html)
    assert "Ondol Double" in html and "Hanok Test Stay" in html
    assert re.fullmatch(r"[0-9a-f-]{36}", hidden_value(html, "idempotency_key"))
    assert 'data-once' in html  # static/js disables the button on submit


def test_the_form_opened_again_keeps_its_key_so_a_resubmit_cannot_book_twice(client, room_type, check_in):
    key = hidden_value(client.get(book_url(room_type, check_in)).get_data(as_text=True), "idempotency_key")
    other_dates = hidden_value(client.get(book_url(room_type, future(20))).get_data(as_text=True),
                               "idempotency_key")
    assert other_dates != key
    first = client.post(book_url(room_type, check_in), data=form_data(check_in, idempotency_key=key))
    back = client.get(book_url(room_type, check_in)).get_data(as_text=True)  # the Back button reloads the form
    assert hidden_value(back, "idempotency_key") == key
    assert "You already booked this room for these dates with this form" in back
    again = client.post(book_url(room_type, check_in), data=form_data(check_in, idempotency_key=key))
    assert again.headers["Location"] == first.headers["Location"]
    assert reservation_count() == 1


def test_book_another_room_starts_a_new_form(client, room_type, check_in):
    key = hidden_value(client.get(book_url(room_type, check_in)).get_data(as_text=True), "idempotency_key")
    client.post(book_url(room_type, check_in), data=form_data(check_in, idempotency_key=key))
    response = client.get(book_url(room_type, check_in) + "&another=1")
    assert response.status_code == 302 and "another" not in response.headers["Location"]
    fresh = client.get(response.headers["Location"]).get_data(as_text=True)
    new_key = hidden_value(fresh, "idempotency_key")
    assert new_key != key and "You already booked" not in fresh
    client.post(book_url(room_type, check_in), data=form_data(check_in, idempotency_key=new_key,
                                                              email="friend@example.com"))
    assert reservation_count() == 2


def test_a_canceled_booking_does_not_hold_on_to_the_form(client, room_type, check_in):
    key = hidden_value(client.get(book_url(room_type, check_in)).get_data(as_text=True), "idempotency_key")
    url = client.post(book_url(room_type, check_in), data=form_data(check_in, idempotency_key=key)
                      ).headers["Location"]
    client.post(url + "/cancel", data={})
    assert hidden_value(client.get(book_url(room_type, check_in)).get_data(as_text=True), "idempotency_key") != key


def test_booking_creates_a_pending_reservation_and_opens_its_page(client, booked):
    reservation, url = booked(special_requests="Late arrival, around 23:00")
    assert reservation.status == ReservationStatus.PENDING and reservation.channel == "web"
    assert reservation.total_amount == 200_000 and reservation.special_requests == "Late arrival, around 23:00"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert reservation.display_code in html  # FD-XXXXXX, with the dash
    assert 'data-countdown="900"' in html or 'data-countdown="899"' in html
    assert 'name="number"' in html  # the card form


def test_double_submit_with_the_same_key_makes_one_booking(client, room_type, check_in):
    data = form_data(check_in)
    first = client.post(book_url(room_type, check_in), data=data)
    second = client.post(book_url(room_type, check_in), data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert reservation_count() == 1


def test_resubmit_with_changed_details_shows_the_booking_already_made(client, room_type, check_in):
    data = form_data(check_in)
    first = client.post(book_url(room_type, check_in), data=data)
    again = client.post(book_url(room_type, check_in), data={**data, "email": "other@example.com", "rooms": "2"})
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert reservation_count() == 1
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "already sent, so nothing new was booked" in page


def test_booking_errors_are_shown_next_to_the_fields_and_keep_what_was_typed(client, room_type, check_in):
    data = form_data(check_in, email="minji-at-example", first_name="", special_requests="x" * 2001,
                     last_name="Kimura")
    response = client.post(book_url(room_type, check_in), data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert reservation_count() == 0
    assert re.search(r'id="email-error">Not a valid email address', html)
    assert re.search(r'id="first_name-error">Required', html)
    assert re.search(r'id="special_requests-error">At most 2000 characters', html)
    assert 'value="minji-at-example"' in html and 'value="Kimura"' in html
    assert hidden_value(html, "idempotency_key") == data["idempotency_key"]


def test_more_guests_than_the_rooms_sleep_is_explained(client, room_type, check_in):
    response = client.post(book_url(room_type, check_in), data=form_data(check_in, guests="5", rooms="2"))
    assert response.status_code == 422
    assert re.search(r'id="guests-error">2 room\(s\) of this type sleep at most 4 guests',
                     response.get_data(as_text=True))
    assert reservation_count() == 0


def test_dates_already_past_are_refused_on_the_form(client, room_type, check_in):
    data = form_data(check_in, check_in=app_clock.local_today("Asia/Seoul").replace(year=2020).isoformat())
    response = client.post(book_url(room_type, check_in), data=data)
    assert response.status_code == 422 and "Check-in cannot be in the past" in response.get_data(as_text=True)
    assert reservation_count() == 0


def test_a_booking_post_without_csrf_token_is_refused(client, room_type, check_in):
    response = client.post(book_url(room_type, check_in), data=form_data(check_in), csrf=False)
    assert response.status_code == 400
    assert reservation_count() == 0


def test_a_booking_post_without_its_key_books_nothing_and_gets_a_new_key(client, room_type, check_in):
    response = client.post(book_url(room_type, check_in), data=form_data(check_in, idempotency_key=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "press Book again" in html
    assert hidden_value(html, "idempotency_key")
    assert reservation_count() == 0


def test_booking_form_with_bad_dates_goes_back_to_the_hotel_page(client, room_type):
    response = client.get(f"/hotels/{room_type.hotel_id}/rooms/{room_type.id}/book?checkInDate=2020-01-01"
                          f"&checkOutDate=2020-01-03&guests=2")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/hotels/{room_type.hotel_id}?")


def test_unknown_hotel_or_room_type_is_not_found(client, room_type, check_in):
    other = make_room_type(make_hotel())
    assert client.get(book_url(other, check_in).replace(f"/rooms/{other.id}/", f"/rooms/{room_type.id}/")
                      ).status_code == 404
    assert client.get(f"/hotels/999999/rooms/{room_type.id}/book").status_code == 404
    response = client.post(f"/hotels/999999/rooms/{room_type.id}/book", data=form_data(check_in))
    assert response.status_code == 404 and reservation_count() == 0


def test_losing_the_race_shows_alternatives_that_open_a_prefilled_form(client, check_in):
    hotel = make_hotel(name="Busy Hotel", city="Busan")
    last_room = make_room_type(hotel, rooms=1, name="Last Room")
    make_room_type(hotel, rooms=2, name="Garden Twin", base_price=120_000)
    make_room_type(make_hotel(name="Hotel Next Door", city="Busan"), rooms=2, name="Sea Double")
    url = book_url(last_room, check_in)
    form = client.get(url)  # the guest opens the form while the room is free …
    key = hidden_value(form.get_data(as_text=True), "idempotency_key")
    make_reservation(last_room, check_in=check_in)  # … and someone else books it first
    response = client.post(url, data=form_data(check_in, idempotency_key=key, first_name="Aiko",
                                               last_name="Sato", email="aiko@example.jp"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "someone booked the last room just before you" in html and "Nothing was booked" in html
    assert "Garden Twin" in html and "Hotel Next Door" in html
    assert reservation_count() == 1
    assert db.session.scalar(select(func.count()).select_from(BookingConflict)) == 1
    links = re.findall(r'class="alternative" href="([^"]+)"', html)
    assert links and all("/book?" in link for link in links)
    prefilled = client.get(links[0].replace("&amp;", "&")).get_data(as_text=True)
    assert 'value="Aiko"' in prefilled and 'value="aiko@example.jp"' in prefilled


def test_a_sold_out_room_opened_from_a_stale_page_says_so_kindly(client, check_in):
    room_type = make_room_type(make_hotel(city="Jeju"), rooms=1)
    make_reservation(room_type, check_in=check_in)
    response = client.get(book_url(room_type, check_in))
    assert response.status_code == 200
    assert "this room is sold out for your dates" in response.get_data(as_text=True)


def test_bank_transfer_booking_shows_the_deposit_instructions(client, app, booked):
    reservation, url = booked(payment_method="bank_transfer")
    html = client.get(url).get_data(as_text=True)
    assert app.config["DEPOSIT_ACCOUNT_NUMBER"] in html and app.config["DEPOSIT_BANK_NAME"] in html
    assert "₩200,000" in html and f'class="mono memo">{reservation.code}<' in html
    assert 'name="number"' not in html  # no card form
    orders = db.session.scalars(select(Payment).where(Payment.reservation_id == reservation.id)).all()
    assert [(p.method, p.status) for p in orders] == [("bank_transfer", PaymentStatus.PENDING)]


def test_bank_transfer_resubmit_opens_one_order(client, room_type, check_in):
    data = form_data(check_in, payment_method="bank_transfer")
    client.post(book_url(room_type, check_in), data=data)
    client.post(book_url(room_type, check_in), data=data)
    assert reservation_count() == 1
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_the_access_token_is_never_in_the_page(client, booked):
    reservation, url = booked()
    html = client.get(url).get_data(as_text=True)
    assert access_token_for(reservation) not in html and "rat_" not in html


def test_someone_elses_booking_sends_you_to_find_my_booking(app, client, booked):
    reservation, url = booked()
    stranger = english_client(app)
    for path in (url, url + "/cancel", url + "/canceled"):
        response = stranger.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/find"
    pay = stranger.post(url + "/pay", data={"number": "4242424242424242", "expiry": "12/40", "cvc": "123",
                                            "idempotency_key": str(uuid.uuid4())})
    cancel = stranger.post(url + "/cancel", data={})
    assert pay.headers["Location"] == cancel.headers["Location"] == "/find"
    db.session.refresh(reservation)
    assert reservation.status == ReservationStatus.PENDING
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
    assert "To open a booking, enter its booking code" in stranger.get("/find").get_data(as_text=True)


def test_another_guests_booking_id_is_refused_even_with_a_booking_of_your_own(app, client, booked, room_type):
    mine, _url = booked()
    theirs = make_reservation(room_type, email="theirs@example.com")
    response = client.get(f"/booking/{theirs.public_id}")
    assert response.status_code == 302 and response.headers["Location"] == "/find"
    assert client.get(f"/booking/rsv_doesnotexist").headers["Location"] == "/find"
    assert client.get(f"/booking/{mine.public_id}").status_code == 200


def test_an_expired_hold_offers_to_search_again(client, clock, booked):
    reservation, url = booked()
    clock.freeze(clock.now())
    clock.advance(minutes=16)
    html = client.get(url).get_data(as_text=True)
    assert "The hold on your rooms has ended" in html and 'name="number"' not in html
    assert "Hold ended, not paid" in html and "/cancel" not in html
    assert "location=Seoul" in html
    response = client.post(url + "/pay", data={"number": "4242424242424242", "expiry": "12/40", "cvc": "123",
                                               "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_the_hold_countdown_shows_the_minutes_left(client, clock, booked):
    clock.freeze(clock.now())
    _reservation, url = booked()
    clock.advance(minutes=5, seconds=30)
    html = client.get(url).get_data(as_text=True)
    assert 'data-countdown="570"' in html and "10 minutes left" in html and ">9:30<" in html


def test_the_pages_have_no_inline_scripts_or_styles(client, booked, room_type, check_in):
    _reservation, url = booked()
    pages = ["/", f"/?location=Seoul&checkInDate={check_in}&checkOutDate={future(12)}",
             f"/hotels/{room_type.hotel_id}?checkInDate={check_in}&checkOutDate={future(12)}",
             book_url(room_type, check_in), url, url + "/cancel", "/find"]
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page
        assert not re.search(r"\sstyle=|\son[a-z]+=|javascript:", html), page
        assert "//cdn" not in html and "https://" not in html, page



def test_the_customer_pages_speak_korean_and_japanese(client, booked):
    _reservation, url = booked()
    assert "객실 찾기" in client.get("/?lang=ko").get_data(as_text=True)
    booking_ja = client.get(url + "?lang=ja").get_data(as_text=True)
    assert "予約番号" in booking_ja and "残り時間" in booking_ja and 'lang="ja"' in booking_ja
    booking_ko = client.get(url + "?lang=ko").get_data(as_text=True)
    assert "예약 번호" in booking_ko and "카드 번호" in booking_ko


def test_every_customer_string_has_a_korean_and_japanese_translation():
    from app.core.i18n_tools import problems

    assert problems(["booking", "core"]) == []


def test_names_are_written_family_name_first_in_korean_and_japanese(client, booked):
    _reservation, url = booked(first_name="Minji", last_name="Kim")
    assert "Kim Minji" in client.get(url + "?lang=ko").get_data(as_text=True)
    assert "Minji Kim" in client.get(url + "?lang=en").get_data(as_text=True)
