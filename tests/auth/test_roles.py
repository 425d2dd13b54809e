"""Every back-office route carries a role, and every role gets the page or 403.

The routes are found by walking `app.url_map`, so routes other domains add
later are checked too, without editing this file.
"""
from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import func, select

from app.auth.roles import RANK, Role, has_role
from app.core.audit import AuditEvent
from app.extensions import db
from tests.auth.helpers import audit_actions, audit_count, sign_in
from tests.factories import make_operator

#: URL prefixes that belong to the back office: every rule under them needs a role.
BACK_OFFICE_PREFIXES = ("/ops", "/auth/admin", "/auth/account")
#: Back-office-looking rules that are deliberately open to everyone.
OPEN_RULES = {"/auth/login", "/auth/logout"}
ROLES = ("staff", "manager", "admin")


def _sample_value(converter) -> object:
    from werkzeug.routing.converters import NumberConverter

    name = type(converter).__name__
    if isinstance(converter, NumberConverter):         # werkzeug's int, and ours bounded to 32 bits
        return 999_999
    if name == "FloatConverter":
        return 1.5
    if name == "UUIDConverter":
        return uuid.uuid4()
    if name == "AnyConverter":
        return sorted(converter.items)[0] if hasattr(converter, "items") else "x"
    return "sample"


def _url(app, rule) -> str:
    with app.test_request_context():
        from flask import url_for

        values = {arg: _sample_value(rule._converters[arg]) for arg in rule.arguments}
        return url_for(rule.endpoint, **values)


def guarded_rules(app):
    """(rule, required role) for every rule whose view carries a role."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        role = getattr(view, "required_role", None)
        if role is not None:
            found.append((rule, role))
    return sorted(found, key=lambda pair: pair[0].rule)


def test_every_back_office_route_requires_a_role(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.rule in OPEN_RULES or not rule.rule.startswith(BACK_OFFICE_PREFIXES):
            continue
        if getattr(app.view_functions[rule.endpoint], "required_role", None) not in set(Role):
            missing.append(f"{rule.rule} ({rule.endpoint})")
    assert missing == [], "back-office routes without @role_required: " + ", ".join(missing)


def test_the_walk_finds_the_known_back_office_pages(app):
    endpoints = {rule.endpoint for rule, _role in guarded_rules(app)}
    assert {"ops.today", "ops.orders", "ops.conflicts", "auth.account", "auth.admin_operators",
            "auth.admin_operator_disable"} <= endpoints


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_each_role_gets_each_page_or_403_and_anonymous_is_sent_to_sign_in(app):
    rules = [(rule, role) for rule, role in guarded_rules(app) if "GET" in rule.methods]
    clients = {"anonymous": app.test_client()}
    for role in ROLES:
        clients[role] = app.test_client()
        assert sign_in(clients[role], make_operator(role).email).status_code == 302
    problems = []
    for rule, required in rules:
        url = _url(app, rule)
        for who, client in clients.items():
            response = client.get(url)
            if who == "anonymous":
                ok = _is_login_redirect(response)
            elif has_role(who, required):
                # The page (or its own answer, e.g. 404 for the sample id) — never a refusal.
                ok = response.status_code not in (401, 403) and response.status_code < 500 \
                    and not _is_login_redirect(response)
            else:
                ok = response.status_code == 403
            if not ok:
                problems.append(f"{who} GET {url} (needs {required}) → {response.status_code}")
    assert problems == []


def test_each_post_route_refuses_anonymous_and_lower_roles(app):
    rules = [(rule, role) for rule, role in guarded_rules(app) if "POST" in rule.methods]
    assert rules, "expected some back-office forms"
    clients = {"anonymous": app.test_client()}
    for role in ROLES:
        clients[role] = app.test_client()
        sign_in(clients[role], make_operator(role).email)
    problems = []
    for rule, required in rules:
        url = _url(app, rule)
        for who, client in clients.items():
            if who != "anonymous" and has_role(who, required):
                continue  # allowed roles are tested by each domain with real data
            response = client.post(url, data={})
            expected = 401 if who == "anonymous" else 403
            if response.status_code != expected:
                problems.append(f"{who} POST {url} (needs {required}) → {response.status_code}")
    assert problems == []


def test_role_ranks_include_the_roles_below():
    assert [r for r in Role if has_role("manager", r)] == [Role.STAFF, Role.MANAGER]
    assert has_role("admin", "staff") and not has_role("staff", "manager") and not has_role("intruder", "staff")
    assert sorted(RANK, key=RANK.get) == [Role.STAFF, Role.MANAGER, Role.ADMIN]


def test_a_refusal_is_logged_and_written_to_the_audit_log(client, login_as, caplog):
    staff = login_as("staff")
    with caplog.at_level(logging.WARNING, logger="app.auth.services"):
        assert client.get("/auth/admin/operators").status_code == 403
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "operator.permission_refused"))
    assert event.actor_id == staff.id and event.data["path"] == "/auth/admin/operators"
    assert event.data["required"] == "admin" and event.data["role"] == "staff"
    assert any(getattr(r, "event", None) == "auth.permission_refused" for r in caplog.records)


def test_a_role_change_applies_on_the_next_page(client, login_as):
    admin = login_as("admin")
    make_operator("admin")  # so this one may be demoted
    assert client.get("/auth/admin/operators").status_code == 200
    admin.role = "staff"
    db.session.commit()
    assert client.get("/auth/admin/operators").status_code == 403
    assert client.get("/ops/").status_code == 200


def test_get_pages_under_ops_change_nothing(client, app, login_as):
    """No state change on GET: an admin opening every GET page leaves the audit log as it was."""
    login_as("admin")
    rules = [rule for rule, _role in guarded_rules(app)
             if "GET" in rule.methods and rule.rule.startswith(BACK_OFFICE_PREFIXES)]
    before = audit_count()
    for rule in rules:
        response = client.get(_url(app, rule))
        assert response.status_code < 500, rule.rule
    assert audit_count() == before, audit_actions()[-5:]


@pytest.mark.parametrize("path", ["/auth/logout", "/auth/account/profile"])
def test_a_post_without_csrf_token_is_refused_and_changes_nothing(client, login_as, path):
    operator = login_as("staff")
    before = audit_count()
    response = client.post(path, data={"name": "Changed", "language": "en"}, csrf=False)
    assert response.status_code == 400
    assert audit_count() == before
    db.session.refresh(operator)
    assert operator.language == "ko" and operator.name != "Changed"
    assert client.get("/ops/").status_code == 200  # still signed in: the sign-out did not happen


def test_an_admin_change_without_csrf_token_is_refused(client, login_as):
    login_as("admin")
    staff = make_operator("staff")
    response = client.post(f"/auth/admin/operators/{staff.id}/disable", data={"reason": "test"}, csrf=False)
    assert response.status_code == 400
    db.session.refresh(staff)
    assert staff.active
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "operator.disabled")) == 0
