"""In a real browser (Chromium), in Korean: an admin adds the developer to the contact list
(with the confirm step), the procedure page works on a 390 px phone and prints without the
navigation, and the static copy — opened straight from disk, no app involved — carries the new
contact with a tel: link. Screenshots: docs/screenshots/emergency_*.png."""
from __future__ import annotations

import pytest

from app.core.db import end_transaction
from tests.fixtures_browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def test_admin_adds_the_developer_and_the_procedure_reads_well_on_a_phone_and_on_paper(
        page, app, tmp_path, monkeypatch):
    site = tmp_path / "status-site"
    monkeypatch.setitem(app.config, "STATUS_STATIC_DIR", str(site))
    monkeypatch.setitem(app.config, "HOSTING_NAME", "Cafe24")
    sign_in(page, "admin")

    page.goto(page.base_url + "/ops/emergency/contacts")
    assert "비상 연락망이 아직 비어 있습니다" in page.inner_text("main")
    page.click("text=연락처 추가")
    page.select_option("select[name=role]", "developer")
    page.fill("input[name=name]", "김개발 (OO개발)")
    page.fill("input[name=phone]", "010-3333-4444")
    page.fill("textarea[name=note]", "재시작 후에도 안 열릴 때")
    page.fill("input[name=position]", "1")
    screenshot(page, "emergency_contact_form_ko")
    page.click("main form button[type=submit]")
    effect = page.inner_text("[data-confirm-effect]")
    assert "새 연락처를 추가합니다: 개발/유지보수 · 김개발 (OO개발) · 010-3333-4444" in effect
    screenshot(page, "emergency_contact_confirm_ko")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "인쇄용 서버 장애 대응 페이지에도 새 목록이 반영되었습니다" in page.inner_text(".flash-success")
    assert page.get_attribute("a.sd-tel", "href") == "tel:01033334444"
    screenshot(page, "emergency_contacts_ko")
    end_transaction()

    # the live procedure on a 390 px phone: nothing wider than the screen
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + "/ops/emergency/")
    assert page.inner_text("h1.sd-title, article.sd h1").startswith("⚠️ 사이트가 열리지 않을 때 대처법")
    wide = page.evaluate("""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
        .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    assert page.get_attribute("#step-4 a.sd-tel", "href") == "tel:01033334444"
    assert "결정: 10분 뒤에 복구되었나요?" in page.inner_text("#step-4")
    screenshot(page, "emergency_procedure_ko_390")

    # printed: no navigation, the record form on its own page, a real PDF
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    assert not page.is_visible("header.topbar")
    assert page.is_visible("#record")
    screenshot(page, "emergency_procedure_print_ko")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf[:4] == b"%PDF" and len(pdf) > 20_000
    page.emulate_media(media="screen")

    # the static copy, straight from disk: Frontdesk is not asked for anything
    static = site / "server-down.ko.html"
    assert static.exists()
    page.set_viewport_size({"width": 390, "height": 844})
    requests_made = []
    page.on("request", lambda r: requests_made.append(r.url))
    page.goto(static.as_uri())
    assert "김개발 (OO개발)" in page.inner_text("#step-4")
    assert page.get_attribute("#contacts a.sd-tel", "href") == "tel:01033334444"
    assert "호스팅 관리자 페이지(Cafe24)에 로그인합니다." in page.inner_text("#step-3")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert all(url.startswith("file://") for url in requests_made), requests_made
    screenshot(page, "emergency_static_ko_390")
    page.click("a[hreflang=en]")
    assert page.inner_text("article.sd h1").startswith("⚠️ The site does not open: what to do")
    screenshot(page, "emergency_static_en")
