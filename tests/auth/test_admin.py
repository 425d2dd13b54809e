"""The admin's operator pages: add, disable/enable, change role — each confirmed, with a reason."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.auth.models import Operator
from app.auth.services import LastAdmin, change_operator_role, set_operator_active
from app.core.actor import Actor
from app.core.audit import AuditEvent
from app.extensions import db
from tests.auth.helpers import audit_actions, is_signed_in, sign_in
from tests.factories import make_operator

EN = {"lang": "en"}
NEW = {"name": "Choi Yuna", "email": "Yuna.Choi@Frontdesk.example", "role": "manager", "language": "en",
       "password": "first password 2026"}


def operator_by_email(email: str) -> Operator | None:
    return db.session.scalar(select(Operator).where(Operator.email == email))


def last_event(action: str) -> AuditEvent:
    return db.session.scalar(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()))


def test_adding_an_operator_restates_the_effect_then_needs_a_reason(client, app, login_as):
    admin = login_as("admin")
    review = client.post("/auth/admin/operators/new", data={**NEW, "step": "review"}, query_string=EN)
    page = review.get_data(as_text=True)
    assert review.status_code == 200
    assert "Add Choi Yuna (Yuna.Choi@Frontdesk.example) as Manager, with pages in English." in page
    assert operator_by_email("yuna.choi@frontdesk.example") is None  # nothing yet

    no_reason = client.post("/auth/admin/operators/new", data={**NEW, "step": "confirm", "reason": " "},
                            query_string=EN)
    assert no_reason.status_code == 422 and "Write a short reason" in no_reason.get_data(as_text=True)
    assert operator_by_email("yuna.choi@frontdesk.example") is None

    done = client.post("/auth/admin/operators/new", data={**NEW, "step": "confirm", "reason": "new night shift"},
                       query_string=EN)
    assert done.status_code == 302
    created = operator_by_email("yuna.choi@frontdesk.example")
    assert (created.name, created.role, created.language, created.active) == ("Choi Yuna", "manager", "en", True)
    event = last_event("operator.created")
    assert event.actor_id == admin.id and event.reason == "new night shift" and event.to_state == "manager"
    assert "first password 2026" not in str(event.data)
    assert sign_in(app.test_client(), "yuna.choi@frontdesk.example", NEW["password"]).status_code == 302


@pytest.mark.parametrize("change, field_message", [
    ({"email": "not-an-email"}, "Enter a valid email address."),
    ({"password": "short"}, "Use at least 10 characters."),
    ({"role": "owner"}, "Not a valid choice"),
    ({"language": "ja"}, "Not a valid choice"),
])
def test_adding_an_operator_with_bad_input_explains_and_adds_nothing(client, login_as, change, field_message):
    login_as("admin")
    count = db.session.scalar(select(func.count()).select_from(Operator))
    response = client.post("/auth/admin/operators/new", data={**NEW, **change, "step": "confirm", "reason": "x" * 5},
                           query_string=EN)
    assert response.status_code == 422 and field_message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Operator)) == count


def test_an_email_already_in_use_is_refused(client, login_as):
    login_as("admin")
    taken = make_operator("staff")
    response = client.post("/auth/admin/operators/new",
                           data={**NEW, "email": taken.email.upper(), "step": "confirm", "reason": "again"},
                           query_string=EN)
    assert response.status_code == 422
    assert "An operator with this email already exists." in response.get_data(as_text=True)


def test_disabling_shows_the_effect_first_then_needs_a_reason(client, app, login_as):
    login_as("admin")
    staff = make_operator("staff")
    sign_in(app.test_client(), staff.email)
    page = client.get(f"/auth/admin/operators/{staff.id}/disable", query_string=EN).get_data(as_text=True)
    assert f"{staff.name} ({staff.email}) will be signed out everywhere right away (places signed in now: 1)" in page
    db.session.refresh(staff)
    assert staff.active  # the confirm page changed nothing

    response = client.post(f"/auth/admin/operators/{staff.id}/disable", data={"reason": ""}, query_string=EN)
    assert response.status_code == 422
    db.session.refresh(staff)
    assert staff.active

    response = client.post(f"/auth/admin/operators/{staff.id}/disable", data={"reason": "on leave"})
    assert response.status_code == 302
    db.session.refresh(staff)
    assert not staff.active
    event = last_event("operator.disabled")
    assert (event.from_state, event.to_state, event.reason) == ("active", "disabled", "on leave")
    assert event.data["sessions_revoked"] == 1


def test_an_enabled_again_operator_can_sign_in(client, app, login_as):
    login_as("admin")
    staff = make_operator("staff")
    client.post(f"/auth/admin/operators/{staff.id}/disable", data={"reason": "on leave"})
    assert sign_in(app.test_client(), staff.email).status_code == 200
    client.post(f"/auth/admin/operators/{staff.id}/enable", data={"reason": "back from leave"})
    assert sign_in(app.test_client(), staff.email).status_code == 302
    assert audit_actions("operator.enabled") == ["operator.enabled"]


def test_changing_a_role_is_confirmed_and_audited(client, login_as):
    login_as("admin")
    staff = make_operator("staff")
    page = client.get(f"/auth/admin/operators/{staff.id}/role", query_string={"role": "manager", **EN})
    assert f"Make {staff.name} Manager instead of Staff." in page.get_data(as_text=True)
    response = client.post(f"/auth/admin/operators/{staff.id}/role",
                           data={"role": "manager", "reason": "runs the front desk now"})
    assert response.status_code == 302
    db.session.refresh(staff)
    assert staff.role == "manager"
    event = last_event("operator.role_changed")
    assert (event.from_state, event.to_state, event.reason) == ("staff", "manager", "runs the front desk now")


def test_an_unknown_role_or_operator_is_404(client, login_as):
    admin = login_as("admin")
    assert client.get(f"/auth/admin/operators/{admin.id}/role", query_string={"role": "owner"}).status_code == 404
    assert client.get("/auth/admin/operators/999999").status_code == 404


def test_the_only_admin_cannot_disable_or_demote_themself(client, login_as):
    admin = login_as("admin")
    for path, data in [(f"/auth/admin/operators/{admin.id}/disable", {"reason": "leaving"}),
                       (f"/auth/admin/operators/{admin.id}/role", {"role": "manager", "reason": "step down"})]:
        response = client.post(path, data=data, query_string=EN)
        assert response.status_code == 409
        assert "There must always be at least one active admin" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active and admin.role == "admin"
    assert is_signed_in(client)


def test_with_a_second_admin_an_admin_may_step_down(client, login_as):
    admin = login_as("admin")
    make_operator("admin")
    response = client.post(f"/auth/admin/operators/{admin.id}/role", data={"role": "staff", "reason": "step down"})
    assert response.status_code == 302
    db.session.refresh(admin)
    assert admin.role == "staff"
    assert client.get("/auth/admin/operators").status_code == 403


def test_an_admin_who_turns_off_their_own_account_is_signed_out(client, login_as):
    admin = login_as("admin")
    make_operator("admin")
    response = client.post(f"/auth/admin/operators/{admin.id}/disable", data={"reason": "leaving"})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert not is_signed_in(client)


def test_the_last_admin_guard_holds_in_the_service_too():
    admin = make_operator("admin")
    disabled_admin = make_operator("admin")
    set_operator_active(disabled_admin.id, False, actor=Actor.operator(admin), reason="gone")
    with pytest.raises(LastAdmin):
        change_operator_role(admin.id, "staff", actor=Actor.operator(admin), reason="oops")
    with pytest.raises(LastAdmin):
        set_operator_active(admin.id, False, actor=Actor.operator(admin), reason="oops")
    # Turning the other admin back on makes stepping down possible.
    set_operator_active(disabled_admin.id, True, actor=Actor.operator(admin), reason="back")
    operator, changed = change_operator_role(admin.id, "staff", actor=Actor.operator(admin), reason="now allowed")
    assert changed and operator.role == "staff"


def test_admin_changes_run_twice_change_nothing_the_second_time():
    admin = make_operator("admin")
    staff = make_operator("staff")
    actor = Actor.operator(admin)
    assert set_operator_active(staff.id, False, actor=actor, reason="x" * 3)[1] is True
    assert set_operator_active(staff.id, False, actor=actor, reason="x" * 3)[1] is False
    assert change_operator_role(staff.id, "manager", actor=actor, reason="x" * 3)[1] is True
    assert change_operator_role(staff.id, "manager", actor=actor, reason="x" * 3)[1] is False
    assert audit_actions("operator.disabled") == ["operator.disabled"]
    assert audit_actions("operator.role_changed") == ["operator.role_changed"]


def test_the_operator_list_shows_everyone_active_first(client, login_as):
    login_as("admin")
    off = make_operator("staff")
    off.active = False
    db.session.commit()
    page = client.get("/auth/admin/operators", query_string=EN).get_data(as_text=True)
    assert off.email in page and "Turned off" in page
