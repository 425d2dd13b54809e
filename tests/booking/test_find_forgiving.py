"""Find my booking, forgiving but safe: the whole code however it is typed (full-width, spaces, dashes,
O/I/L for 0/1, with or without "FD"), the email in any case, or the phone number booked with in any
format as the second factor; never part of a code. And "I lost my code": the guest's upcoming
bookings mailed to the address they were made with, each with a signed link that opens it; the page
answers the same for any address, is throttled, and carries a CSRF token."""
from __future__ import annotations

import email
import email.policy
import re
import pytest
from sqlalchemy import select

from app.booking import links
from app.booking.policies import normalize_booking_code, normalize_guest_email, normalize_phone, same_phone
from app.booking.services import cancel_reservation
from app.core.actor import Actor
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests.booking.conftest import english_client
from tests.factories import future, make_paid_reservation, make_reservation, make_room_type, mid_window


# --- the rules, as tables -------------------------------------------------------------------------------

@pytest.mark.parametrize("typed,stored", [
    ("FD-7K3M9Q", "FD7K3M9Q"),
    ("fd7k3m9q", "FD7K3M9Q"),
    ("  FD 7K3 M9Q  ", "FD7K3M9Q"),
    ("ＦＤ－７Ｋ３Ｍ９Ｑ", "FD7K3M9Q"),            # full-width from a Japanese or Korean IME
    ("ｆｄ　７ｋ３ｍ９ｑ", "FD7K3M9Q"),            # full-width lower case and an ideographic space
    ("FDー7K3M9Q", "FD7K3M9Q"),                 # the katakana long mark a Japanese IME types for "-"
    ("FDｰ7K3M9Q", "FD7K3M9Q"),                  # its half-width form
    ("FD–7K3M9Q", "FD7K3M9Q"),                  # an en dash from a phone's keyboard
    ("FD\u22127K3M9Q", "FD7K3M9Q"),             # a minus sign
    ("7K3M9Q", "FD7K3M9Q"),                     # without the FD every code starts with
    ("7-k-3-m-9-q", "FD7K3M9Q"),
    ("FD-O1LI23", "FD011123"),                  # O is 0, I and L are 1: codes never contain them
    ("FD-7K3M9", "FD7K3M9"),                    # one short: matches no code (no partial matching)
    ("FD-7K3M9QQ", "FD7K3M9QQ"),                # one too many: matches none either
    ("", ""),
])
def test_a_booking_code_is_read_however_it_is_typed(typed, stored):
    assert normalize_booking_code(typed) == stored


@pytest.mark.parametrize("typed,stored", [
    ("minji@example.com", "minji@example.com"),
    ("  Minji@Example.COM ", "minji@example.com"),
    ("ｍｉｎｊｉ＠ｅｘａｍｐｌｅ．ｃｏｍ", "minji@example.com"),   # full-width
    ("MINJI＠EXAMPLE.COM", "minji@example.com"),
    ("010-1234-5678", ""),                                       # not an email
    ("", ""),
])
def test_an_email_is_read_in_any_case_and_width(typed, stored):
    assert normalize_guest_email(typed) == stored


@pytest.mark.parametrize("typed,stored", [
    ("010-1234-5678", "01012345678"),
    ("01012345678", "01012345678"),
    ("010 1234 5678", "01012345678"),
    ("+82 10-1234-5678", "01012345678"),
    ("+82-10-1234-5678", "01012345678"),
    ("+821012345678", "01012345678"),
    ("82 10 1234 5678", "01012345678"),
    ("0082 10 1234 5678", "01012345678"),
    ("+82 (0)10 1234 5678", "01012345678"),
    ("０１０－１２３４－５６７８", "01012345678"),       # full-width digits and dash
    ("＋８２　１０　１２３４　５６７８", "01012345678"),
    ("090-1234-5678", "09012345678"),
    ("+81 90 1234 5678", "09012345678"),
    ("+81-3-1234-5678", "0312345678"),
    ("+1 415 555 0100", "+14155550100"),           # other countries keep their code
    ("1234", ""),                                  # too short to be a number
    ("", ""),
])
def test_a_phone_number_is_read_in_any_format(typed, stored):
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize("typed,booked,same", [
    ("010-1234-5678", "+82 10-1234-5678", True),
    ("+82 10 1234 5678", "01012345678", True),
    ("090-1234-5678", "+81 90-1234-5678", True),
    ("010-1234-5679", "+82 10-1234-5678", False),
    ("010-1234-5678", "+81 10-1234-5678", True),     # the national number is the same
    ("010-1234-5678", "", False),                    # booked without a phone: a phone finds nothing
    ("", "", False),
])
def test_same_phone(typed, booked, same):
    assert same_phone(typed, booked) is same


# --- find my booking ------------------------------------------------------------------------------------------

def find(client, code, contact):
    return client.post("/find", data={"code": code, "email": contact})


@pytest.fixture
def booking(room_type):
    return make_reservation(room_type, email="minji@example.com", phone="+82 10-1234-5678")


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize("code_of,contact", [
    (lambda r: r.display_code, "minji@example.com"),
    (lambda r: _full_width(r.display_code), _full_width("Minji@Example.com")),
    (lambda r: " " + r.code.lower()[:4] + " " + r.code.lower()[4:] + " ", "  MINJI@example.com  "),
    (lambda r: r.code[2:], "minji@example.com"),
    (lambda r: r.display_code, "010-1234-5678"),
    (lambda r: r.display_code, "+82 10 1234 5678"),
    (lambda r: _full_width(r.display_code), "０１０－１２３４－５６７８"),
    (lambda r: r.code.replace("-", "ー"), "01012345678"),
])
def test_find_my_booking_opens_it_with_the_code_and_the_email_or_phone_however_typed(app, booking, code_of,
                                                                                       contact):
    browser = english_client(app)
    response = find(browser, code_of(booking), contact)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/booking/{booking.public_id}"
    assert browser.get(response.headers["Location"]).status_code == 200


@pytest.mark.parametrize("contact", ["010-1234-5679", "+81 90 1234 5678", "5678", "someone@example.com", ""])
def test_a_wrong_phone_or_email_finds_nothing(app, booking, contact):
    browser = english_client(app)
    response = find(browser, booking.code, contact)
    assert response.status_code == 404
    assert browser.get(f"/booking/{booking.public_id}").headers["Location"] == "/find"


def test_part_of_a_code_finds_nothing_even_with_the_right_email(app, booking):
    for partial in (booking.code[:-1], booking.code[3:], booking.code[:5]):
        assert find(english_client(app), partial, "minji@example.com").status_code == 404, partial


def test_a_phone_finds_nothing_for_a_booking_made_without_one(app, room_type):
    r = make_reservation(room_type, email="nophone@example.com", phone="")
    assert find(english_client(app), r.code, "010-1234-5678").status_code == 404
    assert find(english_client(app), r.code, "nophone@example.com").status_code == 303


def test_the_find_page_asks_for_email_or_phone_and_offers_lost_code(client):
    page = client.get("/find").get_data(as_text=True)
    assert "Email or phone number you booked with" in page and 'name="csrf_token"' in page
    assert 'href="/find/lost-code"' in page


def _forget_counters(redis) -> None:
    for key in redis.scan_iter("ratelimit:*"):
        redis.delete(key)


def test_a_code_typed_another_way_counts_as_the_same_code_for_the_throttle(app, clock, client, monkeypatch, redis,
                                                                           booking):
    from app.booking import views as booking_views

    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    clock.freeze(mid_window(clock.now()))  # the throttle's fixed 15-minute window
    monkeypatch.setattr(booking_views, "FIND_LIMITS", {"addr": 100, "code": 3})
    _forget_counters(redis)
    spellings = [booking.display_code, _full_width(booking.display_code), booking.code.lower(), booking.code[2:]]
    statuses = [find(client, spelling, f"010-0000-000{i}").status_code for i, spelling in enumerate(spellings)]
    assert statuses == [404, 404, 404, 429]
    _forget_counters(redis)


# --- I lost my code ------------------------------------------------------------------------------------------

def _codes_messages(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.event == "booking_codes",
                                                               OutboxMessage.recipient == address)))


def test_the_lost_code_page_answers_the_same_for_a_known_and_an_unknown_address(app, room_type):
    make_reservation(room_type, email="known@example.com")
    pages = []
    for address in ("known@example.com", "nobody@example.com"):
        response = english_client(app).post("/find/lost-code", data={"email": address})
        assert response.status_code == 200
        pages.append(re.sub(r"(csrf_token\" type=\"hidden\" value=\"|req_)[^\"<]+", "", response.get_data(as_text=True))
                     .replace(address, "ADDRESS"))
    assert pages[0] == pages[1]
    assert 'id="lost-code-sent"' in pages[0]
    assert len(_codes_messages("known@example.com")) == 1
    assert _codes_messages("nobody@example.com") == []


def test_the_lost_code_form_needs_its_csrf_token(app, client):
    page = client.get("/find/lost-code").get_data(as_text=True)
    assert 'name="csrf_token"' in page and 'name="email"' in page
    assert client.post("/find/lost-code", data={"email": "known@example.com"}, csrf=False).status_code == 400


def test_a_malformed_address_is_told_so_next_to_the_field(client):
    response = client.post("/find/lost-code", data={"email": "not an address"})
    assert response.status_code == 422 and "like name@example.com" in response.get_data(as_text=True)


def test_the_lost_code_page_is_throttled_per_address_typed_and_per_network(app, clock, client, monkeypatch, redis):
    from app.booking import views as booking_views

    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    clock.freeze(mid_window(clock.now()))  # the throttle's fixed 15-minute window
    monkeypatch.setattr(booking_views, "LOST_CODE_LIMITS", {"addr": 5, "email": 2})
    _forget_counters(redis)
    same = [client.post("/find/lost-code", data={"email": "Victim@Example.com" if i else "victim@example.com"})
            .status_code for i in range(3)]
    assert same == [200, 200, 429]                    # one address, however written, is asked for twice
    page = client.post("/find/lost-code", data={"email": "victim@example.com"}).get_data(as_text=True)
    assert "try again" in page
    others = [client.post("/find/lost-code", data={"email": f"other{i}@example.com"}).status_code for i in range(2)]
    assert others == [200, 429]                       # the network has used its 5 tries
    _forget_counters(redis)


def test_one_email_per_address_per_window_however_often_the_form_is_sent(app, room_type, clock):
    make_paid_reservation(room_type, email="twice@example.com")
    for _ in range(3):
        english_client(app).post("/find/lost-code", data={"email": "twice@example.com"})
    assert len(_codes_messages("twice@example.com")) == 1
    clock.advance(minutes=16)
    english_client(app).post("/find/lost-code", data={"email": "twice@example.com"})
    assert len(_codes_messages("twice@example.com")) == 2


def _mails(smtp_server, address: str) -> list:
    return [email.message_from_bytes(m["message"].as_bytes(), policy=email.policy.default)
            for m in smtp_server.messages if address in m["to"]]


@pytest.mark.parametrize("language,subject,listed", [
    ("ko", "예약 번호를 알려 드립니다", "예약 열기:"),
    ("ja", "ご予約番号のお知らせ", "ご予約を開く："),
    ("en", "Your booking codes", "Open the booking:"),
])
def test_the_lost_code_email_lists_upcoming_bookings_with_links_that_open_them(app, smtp_server, run_worker,
                                                                               language, subject, listed):
    address = f"lost-{language}@example.com"
    room_type = make_room_type(base_price=100_000)
    later = make_reservation(room_type, email=address, language=language, check_in=future(30))
    sooner = make_reservation(room_type, email=address, language=language, check_in=future(5))
    canceled = make_reservation(room_type, email=address, language=language, check_in=future(8))
    cancel_reservation(canceled.id, actor=Actor.guest(address))
    someone_else = make_reservation(room_type, email="someone@example.com", check_in=future(9))
    sooner_code, later_code = sooner.display_code, later.display_code
    public_ids = {sooner.public_id, later.public_id}
    hidden = {canceled.display_code, someone_else.display_code}
    response = english_client(app).post("/find/lost-code", data={"email": f"  {address.upper()} "})
    assert response.status_code == 200
    run_worker(["default"])
    [mail] = [m for m in _mails(smtp_server, address) if subject in str(m["Subject"])]
    assert mail["Content-Language"] == language
    body = mail.get_content()
    assert listed in body
    assert sooner_code in body and later_code in body
    assert body.index(sooner_code) < body.index(later_code)       # soonest first
    for code in hidden:
        assert code not in body
    found = re.findall(r"http://[^\s]+/booking/open/([^\s?]+)\?lang=" + language, body)
    assert len(found) == 2
    # each link opens its booking in a new browser, with nothing typed
    opened = set()
    for token in found:
        browser = english_client(app)
        response = browser.get(f"/booking/open/{token}")
        assert response.status_code == 303
        opened.add(response.headers["Location"])
        assert browser.get(response.headers["Location"]).status_code == 200
    assert opened == {f"/booking/{pid}" for pid in public_ids}


def test_a_booking_link_expires_and_a_tampered_one_opens_nothing(app, room_type, clock):
    r = make_reservation(room_type, email="link@example.com")
    with app.test_request_context():
        token = links.make_token(r)
    browser = english_client(app)
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = browser.get(f"/booking/open/{tampered}")
    assert response.status_code == 303 and response.headers["Location"] == "/find"
    assert browser.get(f"/booking/{r.public_id}").headers["Location"] == "/find"
    clock.advance(days=links.OPEN_LINK_DAYS, seconds=1)
    response = browser.get(f"/booking/open/{token}")
    assert response.status_code == 303 and response.headers["Location"] == "/find"
    assert "This link has expired" in browser.get("/find").get_data(as_text=True)
    assert browser.get(f"/booking/{r.public_id}").headers["Location"] == "/find"


def test_a_link_stops_working_when_the_bookings_access_is_renewed(app, room_type):
    r = make_reservation(room_type, email="salt@example.com")
    with app.test_request_context():
        token = links.make_token(r)
    r.access_salt = "renewed"
    db.session.commit()
    assert english_client(app).get(f"/booking/open/{token}").headers["Location"] == "/find"


def test_only_bookings_still_to_come_are_listed(room_type, clock):
    from app.booking.queries import list_upcoming_reservations_for_email

    address = "upcoming@example.com"
    paid_soon = make_paid_reservation(room_type, email=address, check_in=future(1), nights=1)
    paid_later = make_paid_reservation(room_type, email=address, check_in=future(20))
    held = make_reservation(room_type, email=address, check_in=future(10))
    canceled = make_reservation(room_type, email=address, check_in=future(12))
    cancel_reservation(canceled.id, actor=Actor.guest(address))
    make_paid_reservation(room_type, email="other@example.com", check_in=future(5))

    def listed() -> list[int]:
        return [r.id for r in list_upcoming_reservations_for_email(address, today=future(0))]

    assert listed() == [paid_soon.id, held.id, paid_later.id]     # soonest first
    clock.advance(minutes=16)     # the unpaid hold has ended, even before the expiry job runs
    assert listed() == [paid_soon.id, paid_later.id]
    clock.advance(days=3)         # the first stay is over
    assert listed() == [paid_later.id]
