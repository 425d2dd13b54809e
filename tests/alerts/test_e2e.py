"""In a real browser (Chromium), in Korean: a manager sees the red count in the navigation,
opens the alert, reads what to do, acknowledges it after the confirm step, and the reminders
stop. Screenshot: docs/screenshots/alert_ack_ko.png (also at a 390 px phone width)."""
import pytest
from sqlalchemy import select

from app.alerts import services
from app.alerts.models import Alert
from app.alerts.rules import RULES
from app.core.db import end_transaction
from app.extensions import db
from tests.alerts.scenarios import SCENARIOS
from tests.fixtures_browser import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.committing]


def test_a_manager_opens_an_alert_and_acknowledges_it_in_korean(page, alert_config):
    SCENARIOS["fund_breaker_open"].make()
    services.evaluate(rules=(RULES["fund_breaker_open"],))
    public_id = db.session.scalars(select(Alert.public_id)).one()
    end_transaction()

    sign_in(page, "manager")
    assert page.inner_text("[data-nav-badge=alerts]") == "1"
    page.click("[data-nav-badge=alerts]")
    page.wait_for_selector(f"li[data-alert='{public_id}']")
    assert "운영 자금이 너무 적어 송금이 멈췄습니다" in page.inner_text("ul.alert-list")
    page.click(f"li[data-alert='{public_id}'] a")
    page.wait_for_selector("section.decision")
    text = page.inner_text("main")
    assert "재무팀에 지금 운영 자금 충전을 요청" in text and "운영 자금 잔액: 5,000,000 KRW" in text
    assert "확인 기한" in text and "오전" in text or "오후" in text
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the alert page is {width} px wide at a 390 px phone width"
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "alert_open_ko")
    page.click("a[data-choice=acknowledge]")
    page.wait_for_selector("p.effect")
    assert "다시 알림이 멈추고" in page.inner_text("p.effect")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "담당하셨습니다" in page.inner_text(".flash-success")
    assert page.inner_text("[data-alert-status]") == "담당자가 처리 중"
    assert page.locator("[data-nav-badge=alerts]").count() == 0
    assert "님이 확인했습니다" in page.inner_text("ul.timeline")
    screenshot(page, "alert_ack_ko")
    db.session.remove()
    alert = db.session.scalars(select(Alert)).one()
    assert alert.status == "acknowledged" and alert.acknowledged_by_id is not None
