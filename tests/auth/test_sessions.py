"""Server-side operator sessions: sign-in, sign-out, revocation, timeouts, password change."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app.auth.models import Operator, OperatorSession
from app.extensions import db
from tests.auth.helpers import audit_actions, is_signed_in, live_session_rows, sign_in
from tests.factories import DEFAULT_PASSWORD, make_operator

NEW_PASSWORD = "a brand new passphrase"


def session_id(client, app) -> str:
    with client.session_transaction() as stored:
        return stored.get("_user_id")


def test_sign_in_lands_on_today_with_a_server_side_session(client, app):
    operator = make_operator("staff")
    response = sign_in(client, operator.email)
    assert response.status_code == 302 and response.headers["Location"] == "/ops/"
    raw = session_id(client, app)
    assert raw.startswith("fds_")
    [row] = live_session_rows(operator.id)
    assert row.token_hash != raw and len(row.token_hash) == 64  # only the hash is stored
    assert row.address == "127.0.0.1" and row.expires_at - row.created_at == timedelta(hours=12)
    assert is_signed_in(client)
    assert audit_actions("operator.signed_in") == ["operator.signed_in"]


def test_sign_in_follows_only_a_local_next_link(client):
    operator = make_operator("staff")
    assert sign_in(client, operator.email, query_string={"next": "/ops/conflicts"}).headers["Location"] \
        == "/ops/conflicts"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        other = client.application.test_client()
        assert sign_in(other, operator.email, query_string={"next": evil}).headers["Location"] == "/ops/"


def test_copied_cookie_works_until_sign_out_then_never_again(client, app, copy_cookie):
    operator = make_operator("staff")
    sign_in(client, operator.email)
    thief = copy_cookie(client)
    assert is_signed_in(thief)  # the copy is as good as the original while the session lives

    response = client.post("/auth/logout", data={})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert not is_signed_in(client)
    response = thief.get("/ops/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert live_session_rows(operator.id) == []
    assert "operator.signed_out" in audit_actions("operator.signed_out")


def test_password_change_revokes_every_other_session_and_keeps_this_browser(client, app, copy_cookie):
    operator = make_operator("staff")
    sign_in(client, operator.email)
    laptop = app.test_client()
    sign_in(laptop, operator.email)
    thief = copy_cookie(client)
    before = session_id(client, app)

    response = client.post("/auth/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302

    assert is_signed_in(client) and session_id(client, app) != before  # this browser got a new session
    assert not is_signed_in(thief)
    assert not is_signed_in(laptop)
    assert len(live_session_rows(operator.id)) == 1
    fresh = app.test_client()
    assert sign_in(fresh, operator.email).status_code == 200  # the old password no longer works
    assert sign_in(fresh, operator.email, NEW_PASSWORD).status_code == 302
    assert "operator.password_changed" in audit_actions("operator.password_changed")


def test_password_change_needs_the_current_password_and_changes_nothing_without_it(client):
    operator = make_operator("staff")
    sign_in(client, operator.email)
    old_hash = operator.password_hash
    for data, field_message in [
        ({"current_password": "wrong password!", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
         "This is not your current password."),
        ({"current_password": DEFAULT_PASSWORD, "new_password": "short", "confirm_password": "short"},
         "Use at least 10 characters."),
        ({"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "x"},
         "The two new passwords are not the same."),
    ]:
        response = client.post("/auth/account/password", data=data, query_string={"lang": "en"})
        assert response.status_code == 422
        assert field_message in response.get_data(as_text=True)
    db.session.refresh(operator)
    assert operator.password_hash == old_hash
    assert is_signed_in(client)
    assert audit_actions("operator.password_changed") == []


def test_disabling_an_operator_signs_them_out_everywhere(client, app, copy_cookie, login_as):
    staff = make_operator("staff")
    staff_client = app.test_client()
    sign_in(staff_client, staff.email)
    thief = copy_cookie(staff_client)
    login_as("admin")

    response = client.post(f"/auth/admin/operators/{staff.id}/disable", data={"reason": "left the company"})
    assert response.status_code == 302

    assert not is_signed_in(staff_client) and not is_signed_in(thief)
    assert live_session_rows(staff.id) == []
    # The right password no longer opens anything.
    response = sign_in(app.test_client(), staff.email, query_string={"lang": "en"})
    assert response.status_code == 200 and "The email or password is not right" in response.get_data(as_text=True)


def test_signed_out_after_thirty_idle_minutes(client, app, clock):
    clock.freeze(datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc))
    operator = make_operator("staff")
    sign_in(client, operator.email)
    clock.advance(minutes=29)
    assert is_signed_in(client)  # activity moves the idle deadline
    clock.advance(minutes=29)
    assert is_signed_in(client)
    clock.advance(minutes=30)
    response = client.get("/ops/", query_string={"lang": "en"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out after 30 minutes without activity" in page


def test_signed_out_after_twelve_hours_even_when_active(client, app, clock):
    clock.freeze(datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc))
    operator = make_operator("staff")
    sign_in(client, operator.email)
    for _ in range(11 * 3 + 2):  # every 20 minutes, 11 h 40 min in all
        clock.advance(minutes=20)
        assert is_signed_in(client)
    clock.advance(minutes=20)  # 12 h after sign-in
    assert not is_signed_in(client)
    row = db.session.scalar(select(OperatorSession).where(OperatorSession.operator_id == operator.id)
                            .execution_options(populate_existing=True))
    assert row.revoked_at is None and row.expires_at <= clock.now()  # it ended by time, not by revocation


def test_timeouts_are_settings(client, app, clock):
    clock.freeze(datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc))
    operator = make_operator("staff")
    saved = app.config["SESSION_IDLE_MINUTES"]
    app.config["SESSION_IDLE_MINUTES"] = 5
    try:
        sign_in(client, operator.email)
        clock.advance(minutes=6)
        assert not is_signed_in(client)
    finally:
        app.config["SESSION_IDLE_MINUTES"] = saved


def test_signing_in_again_gives_a_new_session_id_and_revokes_the_old_one(client, app, copy_cookie):
    operator = make_operator("staff")
    client.get("/auth/login")  # an anonymous cookie first (what a fixation attack would plant)
    planted = copy_cookie(client)
    sign_in(client, operator.email)
    first = session_id(client, app)
    assert not is_signed_in(planted)  # the cookie from before sign-in gained nothing
    old_copy = copy_cookie(client)
    sign_in(client, operator.email)
    second = session_id(client, app)
    assert first != second
    assert is_signed_in(client) and not is_signed_in(old_copy)
    assert len(live_session_rows(operator.id)) == 1


def test_session_cookie_is_http_only_and_same_site(client):
    operator = make_operator("staff")
    response = sign_in(client, operator.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_forged_or_unknown_session_id_is_anonymous(client, app):
    for forged in ("1", "fds_" + "x" * 43, "fds_" + "y" * 200):
        with client.session_transaction() as stored:
            stored["_user_id"] = forged
        response = client.get("/ops/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_operator_can_set_their_language_and_pages_follow_it(client):
    operator = make_operator("staff", language="ko")
    sign_in(client, operator.email)
    assert "<h1>오늘</h1>" in client.get("/ops/").get_data(as_text=True)
    response = client.post("/auth/account/profile", data={"name": "Park Jisoo", "language": "en"})
    assert response.status_code == 302
    assert "<h1>Today</h1>" in client.get("/ops/").get_data(as_text=True)
    assert "<h1>오늘</h1>" in client.get("/ops/", query_string={"lang": "ko"}).get_data(as_text=True)
    db.session.refresh(operator)
    assert (operator.name, operator.language) == ("Park Jisoo", "en")
    assert audit_actions("operator.profile_changed") == ["operator.profile_changed"]


def test_profile_refuses_a_language_operators_cannot_use(client):
    operator = make_operator("staff", language="ko")
    sign_in(client, operator.email)
    response = client.post("/auth/account/profile", data={"name": "X", "language": "ja"})
    assert response.status_code == 422
    assert db.session.get(Operator, operator.id).language == "ko"
