"""In a real browser (Chromium): a Japanese guest signs in to their booking (Japanese pages, 390 px),
writes to us from the booking page; a Korean operator finds the inquiry at the top of the queue,
answers with a ready reply, sees exactly what the guest will receive, confirms; the guest receives the
Japanese email through SMTP, with no internal note in it. Screenshots of every support page:
docs/screenshots/support_*.png."""
from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from app.core.db import end_transaction
from app.extensions import db
from app.support import services
from app.support.models import Ticket
from tests.fixtures_browser import screenshot, sign_in
from tests.support.conftest import booking

pytestmark = [pytest.mark.e2e, pytest.mark.committing]

NOTE = "호텔 프런트에 늦은 체크인 가능 여부 확인 중"


def _guest_page(browser, live_server):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 390, "height": 844})
    context.set_default_timeout(15000)
    pg = context.new_page()
    pg.base_url = live_server.url
    return pg


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_japanese_guest_writes_korean_operator_answers_with_a_macro(page, browser, live_server, run_worker,
                                                                     smtp_server):
    r = booking(days=1, language="ja")
    code, email, public_id = r.code, r.guest_email, r.public_id
    end_transaction()

    guest = _guest_page(browser, live_server)
    try:
        guest.goto(guest.base_url + "/find?lang=ja")
        guest.fill("input[name=code]", code)
        guest.fill("input[name=email]", email)
        guest.click("main button[type=submit]")
        guest.wait_for_url(f"**/booking/{public_id}")
        guest.click(f"a[href*='/contact?booking={public_id}']")
        guest.wait_for_selector("textarea[name=message]")
        assert "お問い合わせ" in guest.inner_text("h1")
        assert guest.input_value("input[name=email]") == email
        guest.fill("textarea[name=message]", "到着が22時ごろになります。チェックインできますか？")
        screenshot(guest, "support_contact_ja")
        assert guest.evaluate("document.documentElement.scrollWidth") <= 390
        guest.click("main button[type=submit]")
        guest.wait_for_selector("text=お問い合わせを受け付けました")
        screenshot(guest, "support_contact_sent_ja")
    finally:
        guest.context.close()

    t = db.session.scalar(select(Ticket))
    assert t.reservation_id is not None and t.language == "ja" and t.severity == "S2"   # arrives tomorrow
    ticket_id = t.public_id
    end_transaction()

    sign_in(page, "staff")
    page.goto(page.base_url + "/ops/support")
    first_row = page.locator("table.support-queue tbody tr").first
    assert first_row.get_attribute("data-ticket") == ticket_id
    assert "긴급" in first_row.inner_text()
    screenshot(page, "support_queue_ko")
    first_row.locator("a.button").click()
    page.wait_for_selector("textarea[name=body]")
    page.fill("section.note-form textarea[name=body]", NOTE)
    page.click("section.note-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "내부 메모 — 고객에게 보이지 않음" in page.inner_text("main")
    page.select_option("select[name=macro]", "received")
    body = page.input_value("form[action$='/reply'] textarea[name=body]")
    assert "お問い合わせを承りました" in body and ticket_id in body and "{" not in body
    screenshot(page, "support_ticket_ko")
    page.click("form[action$='/reply'] button[type=submit]")
    page.wait_for_selector(".guest-preview")
    assert "お問い合わせを承りました" in page.inner_text(".guest-preview")
    assert NOTE not in page.inner_text(".preview")
    screenshot(page, "support_reply_preview_ko")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-success")

    page.goto(page.base_url + "/ops/support/new")
    screenshot(page, "support_new_call_ko")
    page.goto(page.base_url + "/ops/support/report")
    screenshot(page, "support_report_ko")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + f"/ops/support/{ticket_id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    screenshot(page, "support_ticket_ko_390")

    run_worker()
    mails = [m["message"] for m in smtp_server.messages if m["to"] == [email] and ticket_id in _subject(m["message"])]
    assert len(mails) == 1
    text = "".join(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                   for part in mails[0].walk() if part.get_content_maintype() == "text")
    assert "お問い合わせを承りました" in text and ticket_id in text
    assert NOTE not in text and "내부" not in text
    assert "お問い合わせへのご回答" in _subject(mails[0])
    end_transaction()

    t = services.get_ticket(ticket_id)
    token = services.csat_token(t)
    end_transaction()
    rate = _guest_page(browser, live_server)
    try:
        rate.goto(rate.base_url + f"/support/rate/{token}?lang=ja")
        assert "どのくらいご満足いただけましたか" in rate.inner_text("main")
        screenshot(rate, "support_csat_ja")
    finally:
        rate.context.close()
