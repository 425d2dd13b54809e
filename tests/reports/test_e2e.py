"""The daily report in a real browser (Chromium), in Korean: the charts are drawn by the locally served
Chart.js (each canvas has pixels), the figures are in tables, and the page fits a 390 px phone.
Screenshot: docs/screenshots/daily_report_ko.png."""
import pytest

from app.core.db import end_transaction
from app.extensions import db
from app.reports.services import run_report
from tests.fixtures_browser import screenshot, sign_in
from tests.reports.conftest import build_known_data, kst

pytestmark = [pytest.mark.e2e, pytest.mark.committing]

DRAWN = """(canvas) => {
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
  return painted;
}"""


def test_a_manager_opens_the_daily_report_with_its_charts_drawn_in_korean(page, clock):
    build_known_data()
    db.session.commit()
    clock.freeze(kst(12, 3, 18))
    run_report("daily", send=False)
    end_transaction()

    sign_in(page, "manager")
    page.goto(page.base_url + "/ops/reports/")
    page.click("tr[data-run='daily-2026-12-03'] a")
    page.wait_for_selector("canvas[data-chart='hours'][data-drawn='1']")
    assert "일간 리포트 · 2026년 12월 3일 목요일" in page.inner_text("h1")
    for chart in ("money", "payouts", "hours"):
        canvas = page.locator(f"canvas[data-chart='{chart}']")
        assert canvas.get_attribute("data-drawn") == "1"
        assert canvas.evaluate(DRAWN) > 500, chart          # the bars and axes are painted
    assert page.inner_text("tr[data-figure='revenue.net'] td") == "₩280,000"
    assert page.inner_text("tr[data-figure='payments.successRate'] td") == "75.00 %"
    assert "오후 2:00" in page.inner_text("section.conflict-patterns")
    screenshot(page, "daily_report_ko")

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("canvas[data-chart='hours']").evaluate(DRAWN) > 500   # redrawn at the phone's width
    screenshot(page, "daily_report_ko_phone")
    csv = page.request.get(page.base_url + "/ops/reports/daily/2026-12-03.csv")
    assert csv.status == 200 and csv.body().startswith(b"\xef\xbb\xbf")
