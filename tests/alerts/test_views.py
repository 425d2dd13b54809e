"""The alert pages through the client: roles on every route, the confirm steps, silences,
on-call editing (audited), the red count in the navigation, Today, and no 500 for odd input."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.alerts import services
from app.alerts.models import Alert, AlertSilence, OnCallEntry
from app.core.audit import AuditEvent
from app.extensions import db
from tests.alerts.scenarios import SCENARIOS

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def open_alert(clock, alert_config) -> Alert:
    clock.freeze(T0)
    SCENARIOS["fund_breaker_open"].make()
    services.evaluate(rules=(services.RULES["fund_breaker_open"],))
    return db.session.scalars(select(Alert)).one()


def _fresh(alert: Alert) -> Alert:
    return db.session.get(Alert, alert.id, populate_existing=True)


def test_staff_reads_the_list_in_korean_but_has_no_buttons(open_alert, login_as, client):
    login_as("staff")
    page = client.get("/ops/alerts/").get_data(as_text=True)
    assert "운영 자금" in page and open_alert.public_id in page
    detail = client.get(f"/ops/alerts/{open_alert.public_id}").get_data(as_text=True)
    assert "🛑" in detail and 'data-choice="acknowledge"' not in detail
    assert "fund_breaker_open" not in detail.split("<details>")[0]   # codes only in the folded details


def test_a_crafted_post_without_manager_rights_is_refused(open_alert, login_as, client):
    login_as("staff")
    for path, data in ((f"/ops/alerts/{open_alert.public_id}/acknowledge", {"confirmed": "yes"}),
                       (f"/ops/alerts/{open_alert.public_id}/resolve", {"note": "done it", "confirmed": "yes"}),
                       ("/ops/alerts/silences", {"rule": "fund_breaker_open", "ends_at": "2026-12-07 12:00",
                                                 "reason": "maintenance", "confirmed": "yes"}),
                       ("/ops/alerts/oncall/money", {"email_1": "x@example.com"})):
        assert client.post(path, data=data).status_code == 403
    assert _fresh(open_alert).status == "open"
    assert db.session.scalars(select(AlertSilence)).all() == []
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "operator.permission_refused")).all()
    assert len(refused) == 4


def test_a_manager_acknowledges_after_the_confirm_step(open_alert, login_as, client):
    manager = login_as("manager")
    first = client.post(f"/ops/alerts/{open_alert.public_id}/acknowledge", data={})
    assert first.status_code == 200 and "confirmed" in first.get_data(as_text=True)
    assert _fresh(open_alert).status == "open"
    done = client.post(f"/ops/alerts/{open_alert.public_id}/acknowledge", data={"confirmed": "yes"})
    assert done.status_code == 302
    alert = _fresh(open_alert)
    assert (alert.status, alert.acknowledged_by_id, alert.acknowledged_at) == ("acknowledged", manager.id, T0)
    again = client.post(f"/ops/alerts/{open_alert.public_id}/acknowledge", data={"confirmed": "yes"},
                        follow_redirects=True)
    assert again.status_code == 200 and _fresh(open_alert).acknowledged_by_id == manager.id


def test_resolving_needs_a_note_and_a_confirm(open_alert, login_as, client):
    login_as("manager")
    assert client.post(f"/ops/alerts/{open_alert.public_id}/resolve", data={"note": ""}).status_code == 422
    confirm = client.post(f"/ops/alerts/{open_alert.public_id}/resolve", data={"note": "재무팀이 충전했습니다"})
    assert confirm.status_code == 200 and _fresh(open_alert).status == "open"
    client.post(f"/ops/alerts/{open_alert.public_id}/resolve", data={"note": "재무팀이 충전했습니다", "confirmed": "yes"})
    alert = _fresh(open_alert)
    assert (alert.status, alert.resolved_how, alert.resolution_note) == ("resolved", "operator", "재무팀이 충전했습니다")


def test_silence_is_created_listed_and_ended_early(open_alert, login_as, client, clock):
    login_as("manager")
    data = {"rule": "fund_breaker_open", "subject": "", "ends_at": "2026-12-07 15:30", "reason": "은행 점검 시간"}
    confirm = client.post("/ops/alerts/silences", data=data)
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "오후 3:30" in text, text[text.find("<main"):][:3000]
    client.post("/ops/alerts/silences", data=data | {"confirmed": "yes"})
    [silence] = db.session.scalars(select(AlertSilence)).all()
    assert silence.ends_at == datetime(2026, 12, 7, 6, 30, tzinfo=timezone.utc)   # 15:30 KST
    assert silence.public_id in client.get("/ops/alerts/silences").get_data(as_text=True)
    client.post(f"/ops/alerts/silences/{silence.public_id}/end", data={"confirmed": "yes"})
    assert db.session.get(AlertSilence, silence.id, populate_existing=True).ended_early_at == T0


@pytest.mark.parametrize("ends_at", ["", "yesterday", "1900-01-01 10:00", "2026-12-06 10:00", "2026-12-30 10:00",
                                     "9999-99-99 99:99", "2026-12-07 12:00\x00"])
def test_a_silence_with_an_unusable_end_time_is_refused_plainly(ends_at, login_as, client, clock):
    clock.freeze(T0)
    login_as("manager")
    response = client.post("/ops/alerts/silences", data={"rule": "fund_breaker_open", "ends_at": ends_at,
                                                          "reason": "maintenance", "confirmed": "yes"})
    assert response.status_code in (400, 422)
    assert db.session.scalars(select(AlertSilence)).all() == []


@pytest.mark.parametrize("path", ["/ops/alerts/alr_nope", "/ops/alerts/" + "x" * 5000,
                                  "/ops/alerts/alr_nope/acknowledge", "/ops/alerts/silences/sil_x/end",
                                  "/ops/alerts/oncall/nowhere", "/ops/alerts/?status=weird&severity=X&rule=%00"])
def test_odd_addresses_are_a_404_or_a_page_never_a_500(path, login_as, client):
    login_as("admin")
    assert client.get(path).status_code in (200, 404, 422)


def test_an_admin_edits_the_oncall_list_and_it_is_audited(login_as, client, operator_factory):
    login_as("admin")
    person = operator_factory("manager")
    assert client.get("/ops/alerts/oncall/money").status_code == 200
    response = client.post("/ops/alerts/oncall/money", data={"person_1": str(person.id), "phone_1": "+82 10-2222-3333",
                                                             "person_2": "0", "email_2": "cfo@example.com",
                                                             "person_3": "0"})
    assert response.status_code == 302
    rows = db.session.scalars(select(OnCallEntry).where(OnCallEntry.area == "money")
                              .order_by(OnCallEntry.position)).all()
    assert [(r.position, r.operator_id, r.email) for r in rows] == [(1, person.id, None), (2, None, "cfo@example.com")]
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "alert.oncall_changed")).all()
    assert event.data["before"] == [] and len(event.data["after"]) == 2
    assert [c.email for c in services.oncall_contacts("money")] == [person.email, "cfo@example.com"]


def test_a_manager_cannot_edit_the_oncall_list(login_as, client):
    login_as("manager")
    assert client.get("/ops/alerts/oncall").status_code == 200
    assert client.get("/ops/alerts/oncall/money").status_code == 403


def test_managers_see_a_red_count_and_today_lists_open_alerts(open_alert, login_as, client):
    login_as("manager")
    page = client.get("/ops/").get_data(as_text=True)
    assert 'data-nav-badge="alerts">1<' in page
    assert "아직 아무도 확인하지 않은 알림" in page
    services.acknowledge(open_alert.public_id, services_operator())
    assert 'data-nav-badge="alerts"' not in client.get("/ops/").get_data(as_text=True)


def test_staff_see_no_badge(open_alert, login_as, client):
    login_as("staff")
    assert 'data-nav-badge="alerts"' not in client.get("/ops/").get_data(as_text=True)


def services_operator():
    from tests.factories import make_operator

    return make_operator("manager")


def test_the_config_oncall_list_is_the_fallback(alert_config):
    alert_config["ALERT_ONCALL_DEFAULT"] = "ops@example.com|+82 10-1111-2222, lead@example.com"
    alert_config["ALERT_ONCALL_SECURITY"] = "security@example.com"
    assert [(c.email, c.phone) for c in services.oncall_contacts("money")] == [
        ("ops@example.com", "+82 10-1111-2222"), ("lead@example.com", None)]
    assert [c.email for c in services.oncall_contacts("security")] == ["security@example.com"]
    alert_config["ALERT_ONCALL_SECURITY"] = None


def test_timeline_shows_the_people_and_what_happened(open_alert, login_as, client, clock):
    manager = login_as("manager")
    services.acknowledge(open_alert.public_id, manager)
    clock.advance(minutes=3)
    page = client.get(f"/ops/alerts/{open_alert.public_id}").get_data(as_text=True)
    assert 'data-event="alert.opened"' in page and 'data-event="alert.acknowledged"' in page
    assert timedelta(0) < clock.now() - T0
