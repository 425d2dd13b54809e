"""The contact list (seed 004 §3, seed 001 §10): staff read it, admins change it after a confirm
step, every change is audited with the row before and after, and the static server-down pages
are published again with the new list."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.audit import AuditEvent
from app.emergency.models import EmergencyContact
from app.extensions import db
from tests.emergency.conftest import add_contact

NEW = {"role": "developer", "name": "김개발 (OO개발)", "phone": "010-1234-5678",
       "note": "재시작 후에도 안 열릴 때", "position": "10"}


def _audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_staff_read_the_list_with_tel_links_and_no_edit_buttons(login_as, client):
    add_contact("developer", "김개발", "010-1234-5678")
    login_as("staff")
    page = client.get("/ops/emergency/contacts").get_data(as_text=True)
    assert "김개발" in page and 'href="tel:01012345678"' in page
    assert "/ops/emergency/contacts/new" not in page
    assert "관리자만 이 목록을 바꿀 수 있습니다" in page


@pytest.mark.parametrize("role, status", [("staff", 403), ("manager", 403), ("admin", 200)])
def test_only_admins_change_the_list(login_as, client, role, status):
    contact = add_contact("bank", "OO은행", "1588-1111")
    login_as(role)
    assert client.get("/ops/emergency/contacts/new").status_code == status
    assert client.get(f"/ops/emergency/contacts/{contact.id}").status_code == status
    assert client.post(f"/ops/emergency/contacts/{contact.id}/delete", data={"confirmed": "yes"}).status_code \
        in ((302,) if status == 200 else (403,))


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get("/ops/emergency/").status_code == 302
    assert client.get("/ops/emergency/contacts").status_code == 302


def test_adding_asks_to_confirm_then_saves_audits_and_publishes(login_as, client, site_dir):
    admin = login_as("admin")
    first = client.post("/ops/emergency/contacts/new", data=NEW)
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and "data-confirm-effect" in page and "010-1234-5678" in page
    assert db.session.scalars(select(EmergencyContact)).all() == []
    done = client.post("/ops/emergency/contacts/new", data={**NEW, "confirmed": "yes"})
    assert done.status_code == 302
    [contact] = db.session.scalars(select(EmergencyContact)).all()
    assert (contact.role, contact.name, contact.phone, contact.position) == ("developer", "김개발 (OO개발)",
                                                                            "010-1234-5678", 10)
    [event] = _audits("emergency.contact_added")
    assert event.actor_id == admin.id and event.data["before"] is None
    assert event.data["after"]["phone"] == "010-1234-5678"
    static = (site_dir / "server-down.ko.html").read_text()
    assert "김개발 (OO개발)" in static and 'href="tel:01012345678"' in static
    assert "김개발 (OO개발)" in (site_dir / "server-down.en.html").read_text()
    assert (site_dir / "status.ko.html").exists()  # the whole status site went out again, with the procedure


def test_changing_keeps_before_and_after_and_republishes(login_as, client, site_dir):
    contact = add_contact("developer", "김개발", "010-1234-5678")
    login_as("admin")
    form = client.get(f"/ops/emergency/contacts/{contact.id}").get_data(as_text=True)
    assert 'value="김개발"' in form
    changed = {**NEW, "name": "박유지", "phone": "010-9999-0000", "confirmed": "yes"}
    assert client.post(f"/ops/emergency/contacts/{contact.id}", data=changed).status_code == 302
    [event] = _audits("emergency.contact_changed")
    assert event.data["before"]["name"] == "김개발" and event.data["after"]["name"] == "박유지"
    static = (site_dir / "server-down.ko.html").read_text()
    assert "박유지" in static and "tel:01099990000" in static and "김개발" not in static


def test_removing_is_audited_and_leaves_the_static_page(login_as, client, site_dir):
    contact = add_contact("payments", "OO페이 고객센터", "1544-0000")
    login_as("admin")
    confirm = client.get(f"/ops/emergency/contacts/{contact.id}/delete").get_data(as_text=True)
    assert "OO페이 고객센터" in confirm and "data-confirm-effect" in confirm
    assert client.post(f"/ops/emergency/contacts/{contact.id}/delete", data={"confirmed": "yes"}).status_code == 302
    assert db.session.get(EmergencyContact, contact.id) is None
    [event] = _audits("emergency.contact_removed")
    assert event.data["before"]["name"] == "OO페이 고객센터" and event.data["after"] is None
    assert "OO페이 고객센터" not in (site_dir / "server-down.ko.html").read_text()


@pytest.mark.parametrize("bad", [{"phone": "call me"}, {"phone": ""}, {"name": ""}, {"role": "boss"},
                                 {"position": "-1"}, {"position": "99999999999999999999"},
                                 {"name": "x" * 201}, {"note": "\x00"}])
def test_bad_input_is_refused_next_to_the_field_and_changes_nothing(login_as, client, bad):
    login_as("admin")
    response = client.post("/ops/emergency/contacts/new", data={**NEW, **bad, "confirmed": "yes"})
    assert response.status_code in (400, 422)
    assert db.session.scalars(select(EmergencyContact)).all() == []
    assert _audits("emergency.contact_added") == []


@pytest.mark.parametrize("path", ["/ops/emergency/contacts/0", "/ops/emergency/contacts/99999999999999999999",
                                  "/ops/emergency/contacts/2147483648/delete", "/ops/emergency/contacts/abc"])
def test_unknown_ids_are_404_never_500(login_as, client, path):
    login_as("admin")
    assert client.get(path).status_code == 404


def test_the_on_call_lists_are_shown_read_only_with_a_link_for_managers(login_as, client, app, monkeypatch):
    monkeypatch.setitem(app.config, "ALERT_ONCALL_SYSTEM", "dev-oncall@example.com|010-5555-6666")
    login_as("manager")
    page = client.get("/ops/emergency/contacts").get_data(as_text=True)
    assert "dev-oncall@example.com" in page and 'href="/ops/alerts/oncall"' in page
    assert "/ops/alerts/oncall/" not in page  # no edit form here


def test_today_warns_while_the_developer_or_the_lead_has_no_number(app):
    from app.emergency.views import contact_list_today

    first = contact_list_today()
    assert (first.count, first.severity, first.endpoint) == (2, "warn", "emergency.contacts")
    add_contact("developer", "김개발", "010-1234-5678")
    assert contact_list_today().count == 1
    add_contact("lead", "이운영", "010-1111-2222")
    done = contact_list_today()
    assert (done.count, done.severity, done.detail) == (0, "ok", None)


def test_today_shows_the_item_with_a_link_to_the_list(login_as, client):
    login_as("staff")
    page = client.get("/ops/").get_data(as_text=True)
    assert 'data-key="emergency_contacts"' in page and "/ops/emergency/contacts" in page
