"""The status page in a real browser (Chromium), in Korean: an operator writes an S1 incident in
three languages, sees the preview and publishes it after the confirm step; a Japanese guest sees
the banner on the booking pages and the public page; then the app stops serving and the static
copy is read straight from disk in ko/ja/en. Screenshots: docs/screenshots/status_*.png."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from app.core.db import end_transaction
from tests.factories import DEFAULT_PASSWORD, make_operator
from tests.fixtures_browser import LiveServer, screenshot
from tests.status.conftest import TEXTS

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def _context(browser, locale, width=1280):
    context = browser.new_context(locale=locale, timezone_id="Asia/Seoul", viewport={"width": width, "height": 900})
    context.set_default_timeout(15000)
    return context


def test_operator_publishes_guest_sees_banner_static_copy_outlives_the_app(app, browser, site):
    server = LiveServer(app).start()
    base = server.url
    email = make_operator(role="staff", language="ko").email
    end_transaction()
    operator = _context(browser, "ko-KR")
    guest = _context(browser, "ja-JP")
    phone = _context(browser, "ko-KR", width=390)
    try:
        page = operator.new_page()
        page.goto(base + "/auth/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", DEFAULT_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/ops/**")

        page.goto(base + "/ops/status/new")
        page.select_option("select[name=severity]", "S1")
        page.select_option("select[name=component_payments]", "major_outage")
        page.select_option("select[name=component_booking_pages]", "degraded")
        for lang, part in TEXTS.items():
            for field, value in part.items():
                page.fill(f"[name={field}_{lang}]", value)
        screenshot(page, "status_new_ko")
        page.click("form.status-editor button[type=submit]")
        page.wait_for_selector("section.preview")
        assert "초안을 저장했습니다" in page.inner_text(".flash-success")
        for lang in ("ko", "ja", "en"):
            assert TEXTS[lang]["title"] in page.inner_text(f"[data-preview={lang}]")
        screenshot(page, "status_preview_ko")
        page.click("section#publish button[type=submit]")
        page.wait_for_selector("p.confirm")
        assert "지금 게시할까요" in page.inner_text("p.confirm")
        page.click("section#publish button[type=submit]")
        page.wait_for_selector(".flash-success")
        assert "한국어, 일본어, 영어로 게시했습니다" in page.inner_text(".flash-success")
        screenshot(page, "status_published_ko")
        page.goto(base + "/ops/status/")
        screenshot(page, "status_list_ko")

        small = phone.new_page()
        small.goto(base + "/status?lang=ko")
        assert small.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(small, "status_public_ko_390")

        visitor = guest.new_page()
        visitor.goto(base + "/?lang=ja")
        banner = visitor.inner_text(".status-banner")
        assert TEXTS["ja"]["title"] in banner and "サービス状況を見る" in banner
        screenshot(visitor, "status_banner_ja")
        visitor.click(".status-banner a")
        visitor.wait_for_selector(".components")
        assert "カード決済" in visitor.inner_text(".components") and "利用不可" in visitor.inner_text(".components")
        screenshot(visitor, "status_public_ja")
    finally:
        server.stop()
        server.server.server_close()

    # The app no longer answers (refused, or reset if the socket was still closing); the static
    # copy is read from disk.
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(base + "/status", timeout=3)
    reader = _context(browser, "ko-KR").new_page()
    try:
        reader.goto((site / "index.html").as_uri())
        reader.click("a[hreflang=ko]")
        assert TEXTS["ko"]["title"] in reader.inner_text("main")
        assert "KST" in reader.inner_text("main") and "UTC" in reader.inner_text("main")
        assert "이 페이지를 만든 시각" in reader.inner_text("footer")
        screenshot(reader, "status_static_ko")
        reader.click("a[hreflang=ja]")
        assert TEXTS["ja"]["title"] in reader.inner_text("main") and "JST" in reader.inner_text("main")
        reader.click("a[hreflang=en]")
        assert TEXTS["en"]["title"] in reader.inner_text("main") and TEXTS["en"]["impact"] in reader.inner_text("main")
    finally:
        reader.context.close()
        operator.close()
        guest.close()
        phone.close()


def test_rca_editor_and_unsubscribe_pages(page, site):
    """The RCA form of a resolved S1 incident (Korean operator) and the guest's unsubscribe page."""
    from app.status import services
    from tests.fixtures_browser import sign_in
    from tests.status.conftest import actor, published

    notice_id = published("S1").public_id
    services.post_update(notice_id, status="resolved", texts=TEXTS, actor=actor())
    sub = services.subscribe("guest@guest.example", "ja")
    token = services.subscriber_token(sub, "unsubscribe")
    end_transaction()
    sign_in(page, "staff")
    page.goto(page.base_url + f"/ops/status/{notice_id}#rca")
    page.wait_for_selector("section#rca")
    assert "게시 기한" in page.inner_text("section#rca")
    screenshot(page, "status_rca_ko")
    page.goto(page.base_url + f"/status/unsubscribe/{token}?lang=ja")
    assert "配信を停止する" in page.inner_text("main")
    screenshot(page, "status_unsubscribe_ja")
