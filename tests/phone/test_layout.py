"""Every page on a laptop (1280 px) and on a phone (390 px), in Korean, in a real browser.

An admin crawls the back office from Today: every GET page under /ops/ and /auth/ that a link
reaches (one URL per route; a seeded dataset gives detail pages an object), and a guest walks
the customer pages (search, hotel, booking form, booking page, find, status, contact). On each
page the document is no wider than the window, and the page's main button is inside it.
Screenshots at 390 px: docs/screenshots/phone_*.png.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from app.core.actor import Actor
from app.core.db import end_transaction
from app.extensions import db
from tests.factories import future, make_operator
from tests.fixtures_browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.committing, pytest.mark.slow]

WIDTHS = (1280, 390)
TEST_ACTOR = Actor.system("test")
#: Routes a crawl need not reach: files (CSV), bank-only and token pages, and GET routes that only
#: answer a form (they redirect to the page that has the form).
NOT_PAGES = {"reconcile.export", "reports.report_csv", "auth.login"}
#: Pages the crawl must reach at least (detail pages of every kind of object in the dataset).
MUST_REACH = {"ops.today", "ops.reservations", "ops.reservation", "refunds.refunds", "refunds.refund_detail",
              "remittance.attention", "remittance.payout_detail", "deposits.index", "deposits.line_detail",
              "alerts.alerts", "alerts.alert_detail", "support.queue", "support.ticket", "status.ops_list",
              "status.ops_detail", "approvals.approvals", "approvals.request_detail", "reports.index",
              "reports.report_page", "notifications.system", "notifications.messages",
              "notifications.message_detail", "catalog.hotels", "catalog.hotel", "ops.conflicts",
              "emergency.contacts", "auth.account", "auth.admin_operators", "auth.admin_operator",
              "observability.service_levels", "auditlog.audit", "refunds.decide"}
#: The page's main button: the first submit or button-link in <main> that is not secondary.
PRIMARY = ("main button[type=submit]:not(.secondary):not(.link), "
           "main a.button:not(.secondary)")
MEASURE = """(primary) => {
  const doc = document.documentElement;
  let button = null;
  for (const el of document.querySelectorAll(primary)) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) { button = {left: r.left, right: r.right, text: el.textContent.trim()}; break; }
  }
  const wide = [];
  if (doc.scrollWidth > window.innerWidth + 1) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > window.innerWidth + 1 && wide.length < 5) {
        wide.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
                  + ' ' + Math.round(r.right));
      }
    }
  }
  return {scroll: doc.scrollWidth, inner: window.innerWidth, button, wide};
}"""


def seed_dataset(app, tmp_path, monkeypatch) -> dict:
    """One of everything the back office shows: reservations (paid, pending transfer, refunded),
    a refund waiting, a big refund waiting for approval, a payout, a statement import with its
    lines, a booking conflict, an alert, a support ticket, a status notice, an emergency contact."""
    from app.alerts.services import raise_alert
    from app.approvals.services import request_approval
    from app.reports.services import run_report
    from app.booking.models import BookingConflict
    from app.core import clock
    from app.deposits import services as deposits
    from app.remittance import decisions, fund
    from app.remittance.policies import BankAccount
    from app.support import services as support
    from tests.approvals.conftest import big_refund
    from tests.deposits.conftest import MAPPING, korean_csv, transfer_booking
    from tests.emergency.conftest import add_contact
    from tests.refunds.conftest import cancelled_request, paid_booking
    from tests.status.conftest import draft

    monkeypatch.setitem(app.config, "SANDBOX_STATE_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setitem(app.config, "STATUS_STATIC_DIR", str(tmp_path / "status-site"))
    refund = cancelled_request(method="card", first_name="지현", last_name="오")
    big = big_refund(method="card")
    asker = Actor.operator(make_operator(role="staff"))
    request_approval("refund_approval", subject_id=big.id, subject_public_id=big.public_id,
                     reservation_id=big.reservation_id, amount=big.policy_amount, currency=big.currency,
                     reason="고객이 10일 전에 취소했습니다.", actor=asker, params={"amount": None})
    booked = paid_booking(method="card", first_name="서연", last_name="이")
    pending = transfer_booking(check_in=future(12))
    db.session.commit()
    today = clock.local_today("Asia/Seoul")
    raw = korean_csv([(today, f"김민지 {pending.code}", pending.total_amount, 0),
                      (today, "홍길동", 55_000, 0)])
    deposits.import_statement(raw, source_format="csv", file_name="statement.csv", account="110-123-456789",
                              bank="국민은행", mapping=MAPPING, actor=TEST_ACTOR, override_reason=None)
    fund.top_up_fund(100_000_000, "test top-up", key=fund.new_top_up_key(), actor=TEST_ACTOR)
    decisions.create_settlement_payout(amount=120_000, currency="KRW",
                                       account=BankAccount("004", "1101230001", "호텔 정산"),
                                       memo="Hotel settlement", actor=TEST_ACTOR)
    room_type = booked.room_type
    db.session.add(BookingConflict(hotel_id=room_type.hotel_id, room_type_id=room_type.id, check_in=future(20),
                                   check_out=future(22), number_of_rooms=1, guest_name="Minji Kim",
                                   guest_email="minji@example.com", language="ko",
                                   full_nights=[future(20).isoformat()], alternatives=[]))
    raise_alert("same_error", "payouts:BANK_ERROR", {"count": 3})
    support.create_ticket(channel="web", category="booking", purpose="체크인 시간 문의",
                          body="조금 일찍 체크인할 수 있을까요? " + "아주긴단어" * 20, actor=Actor.guest("guest@example.com"),
                          reservation=booked, guest_name="김민지", guest_email="guest@example.com", language="ko",
                          severity=None)
    draft("S2")
    run_report("daily", send=False)
    add_contact("manager", "박지훈", "010-3456-7890", note="야간 연락 가능")
    db.session.commit()
    ids = {"refund": refund.public_id, "hotel": room_type.hotel_id, "city": room_type.hotel.city}
    end_transaction()
    return ids


def _new_page(browser, live_server, width: int):
    context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": width, "height": 900})
    context.set_default_timeout(15000)
    pg = context.new_page()
    pg.base_url = live_server.url
    return pg


def _endpoint(app, url: str) -> str | None:
    parts = urlsplit(url)
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(parts.path, method="GET")
    except RequestRedirect as redirect:
        return _endpoint(app, redirect.new_url)
    except HTTPException:
        return None
    return endpoint


def _measure(page, url: str, problems: list, *, shot: str | None = None) -> bool:
    response = page.goto(url)
    if response is None or response.status >= 500:
        problems.append(f"{url}: server error {response and response.status}")
        return False
    found = page.evaluate(MEASURE, PRIMARY)
    width = found["inner"]
    if found["scroll"] > width + 1:
        problems.append(f"{width}px {url}: page is {found['scroll']}px wide ({', '.join(found['wide'])})")
    button = found["button"]
    if button and (button["left"] < -1 or button["right"] > width + 1):
        problems.append(f"{width}px {url}: button '{button['text']}' at {button['left']:.0f}–{button['right']:.0f}")
    if shot:
        screenshot(page, shot)
    return True


def crawl(app, page, problems: list) -> dict[str, str]:
    """Breadth-first from Today and every parameterless back-office route: one URL per endpoint."""
    base = page.base_url
    start = [r.rule for r in app.url_map.iter_rules()
             if "GET" in r.methods and not r.arguments and r.rule.startswith(("/ops", "/auth"))
             and r.endpoint not in NOT_PAGES]
    seen: dict[str, str] = {}
    queue = [base + "/ops/"] + [base + rule for rule in sorted(start)]
    while queue:
        url = queue.pop(0)
        endpoint = _endpoint(app, url)
        if endpoint is None or endpoint in seen or endpoint in NOT_PAGES:
            continue
        response = page.goto(url)
        if response is None or response.status >= 500:
            problems.append(f"{url}: server error {response and response.status}")
            seen[endpoint] = url
            continue
        if response.status >= 400 or not urlsplit(page.url).path.startswith(("/ops", "/auth")):
            continue
        landed = _endpoint(app, page.url)
        if landed != endpoint:           # a GET that only answers a form: redirected elsewhere
            continue
        seen[endpoint] = url
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            parts = urlsplit(href)
            if (href.startswith(base) and parts.path.startswith(("/ops", "/auth")) and "lang=" not in parts.query
                    and not parts.path.endswith((".csv", ".json"))):
                queue.append(href.split("#")[0])
    return seen


def guest_walk(page, ids: dict, problems: list, *, shots: bool = False) -> None:
    """A guest in Korean: search, results, hotel, booking form, booking page, card payment (the
    confirmation), find, the status page and the contact form; each page measured."""
    base = page.base_url
    stay = f"checkInDate={future(30)}&checkOutDate={future(32)}&guests=2"
    _measure(page, f"{base}/?lang=ko", problems)
    _measure(page, f"{base}/?location={ids['city']}&{stay}", problems)
    if not _measure(page, f"{base}/hotels/{ids['hotel']}?{stay}", problems):
        return
    page.locator(".room-type a.button").first.click()
    page.wait_for_selector("form.booking-form")
    _measure(page, page.url, problems)
    page.fill("#last_name", "오")
    page.fill("#first_name", "지현")
    page.fill("#email", "jihyun.oh@example.com")
    page.fill("#phone", "010-3456-7890")
    page.click("form.booking-form button[type=submit]")
    page.wait_for_selector(".booking-code")
    booking = page.url
    _measure(page, booking, problems, shot="phone_customer_booking" if shots else None)
    page.fill("#number", "4242 4242 4242 4242")
    page.fill("#expiry", "12/34")
    page.fill("#cvc", "123")
    page.click("form.pay-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    _measure(page, page.url, problems, shot="phone_customer_paid" if shots else None)
    for path in ("/find", "/status", "/contact"):
        _measure(page, base + path, problems)


def test_every_page_fits_a_laptop_and_a_390px_phone(app, browser, live_server, tmp_path, monkeypatch):
    ids = seed_dataset(app, tmp_path, monkeypatch)

    problems: list[str] = []
    laptop = _new_page(browser, live_server, 1280)
    try:
        sign_in(laptop, "admin")
        pages = crawl(app, laptop, problems)
        missing = MUST_REACH - set(pages)
        assert not missing, f"the crawl did not reach {sorted(missing)}"
        ops_rules = {r.endpoint for r in app.url_map.iter_rules()
                     if "GET" in r.methods and r.rule.startswith(("/ops", "/auth"))} - NOT_PAGES
        print(f"\nback-office pages visited: {len(pages)} of {len(ops_rules)} GET routes; "
              f"not reached: {sorted(ops_rules - set(pages))}")
        for url in pages.values():
            _measure(laptop, url, problems)
        laptop.context.clear_cookies()
        guest_walk(laptop, ids, problems)
    finally:
        laptop.context.close()

    phone = _new_page(browser, live_server, 390)
    try:
        sign_in(phone, "admin")
        shots = {"ops.today": "phone_today", "ops.reservation": "phone_reservation",
                 "refunds.refunds": "phone_refunds", "refunds.decide": "phone_decision",
                 "reports.report_page": "phone_report"}
        for endpoint, url in pages.items():
            _measure(phone, url, problems, shot=shots.get(endpoint))
        phone.goto(pages["ops.today"])
        nav = phone.locator("nav.topnav")
        assert not nav.is_visible()                       # folded behind the menu button
        phone.click("label.nav-toggle-button")
        assert nav.is_visible() and nav.locator("a").count() > 3
        phone.context.clear_cookies()
        guest_walk(phone, ids, problems, shots=True)
    finally:
        phone.context.close()
    # Without JavaScript: tables scroll inside their own box, and the menu still opens (CSS only).
    context = browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 390, "height": 900},
                                  java_script_enabled=False)
    context.set_default_timeout(15000)
    bare = context.new_page()
    bare.base_url = live_server.url
    try:
        sign_in(bare, "admin")
        for endpoint in ("ops.reservations", "ops.reservation", "refunds.refunds", "remittance.attention",
                         "auditlog.audit", "reports.report_page"):
            _measure(bare, pages[endpoint], problems)
            assert bare.locator("main table.cards").count() == 0      # the script did not run
        bare.goto(pages["ops.today"])
        assert not bare.locator("nav.topnav").is_visible()
        bare.click("label.nav-toggle-button")
        assert bare.locator("nav.topnav").is_visible()
    finally:
        context.close()
    assert not problems, "\n".join(problems)
