"""Security headers on every response; HSTS and Secure cookies over HTTPS; no inline code in templates."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import create_app
from app.core.security import CONTENT_SECURITY_POLICY
from tests.factories import make_operator

EXPECTED = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize("method, path", [
    ("GET", "/"), ("GET", "/auth/login"), ("GET", "/ops/"), ("GET", "/no-such-page"),
    ("GET", "/static/css/app.css"), ("GET", "/v1/no-such-endpoint"), ("POST", "/auth/logout"),
])
def test_every_response_carries_the_security_headers(client, method, path):
    response = client.open(path, method=method, csrf=False)
    response.close()
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (path, name)
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


def test_the_policy_is_the_one_documented():
    assert CONTENT_SECURITY_POLICY == EXPECTED["Content-Security-Policy"]


def test_back_office_pages_are_not_stored_by_the_browser(client, login_as):
    login_as("staff")
    assert client.get("/ops/").headers["Cache-Control"] == "no-store"
    assert client.get("/auth/login").headers["Cache-Control"] == "no-store"


def test_https_requests_get_hsts_and_a_secure_session_cookie(client):
    operator = make_operator("staff")
    response = client.post("/auth/login", data={"email": operator.email, "password": "correct horse battery"},
                           base_url="https://localhost", headers={"Referer": "https://localhost/auth/login"})
    assert response.status_code == 302
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Secure" in response.headers["Set-Cookie"]


def test_plain_http_session_cookie_is_not_marked_secure_in_development(client):
    operator = make_operator("staff")
    response = client.post("/auth/login", data={"email": operator.email, "password": "correct horse battery"})
    assert "Secure" not in response.headers["Set-Cookie"]


def test_forwarded_proto_is_trusted_only_when_a_setting_says_so(app):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    plain = app.test_client().get("/static/css/app.css", headers=forwarded)
    plain.close()
    assert "Strict-Transport-Security" not in plain.headers  # a client cannot claim HTTPS by itself

    behind_proxy = create_app({"TESTING": True, "TRUSTED_PROXY_COUNT": 1})
    response = behind_proxy.test_client().get("/static/css/app.css", headers=forwarded)
    response.close()
    assert "Strict-Transport-Security" in response.headers


def test_production_always_sends_hsts():
    production = create_app({"TESTING": True, "FRONTDESK_ENV": "production", "SESSION_COOKIE_SECURE": True})
    response = production.test_client().get("/static/css/app.css")
    response.close()
    assert "Strict-Transport-Security" in response.headers


INLINE_CODE = [
    # a JSON data block (type="application/json") is never executed, so the policy allows it
    (re.compile(r"<script(?![^>]*\b(?:src=|type=[\"']application/json[\"']))[^>]*>", re.I),
     "inline <script> (put it in static/js/)"),
    (re.compile(r"\sstyle\s*=", re.I), 'style="" attribute (use a class in app.css)'),
    (re.compile(r"<style\b", re.I), "<style> block (use app.css)"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "inline event handler (onclick=…)"),
]


#: Templates rendered into emails, never served as pages: mail clients need inline styles and
#: no Content-Security-Policy applies to them.
EMAIL_TEMPLATES = {"reports/email.html"}
#: Pages written to files for another web server (they must open when this app is down, so their CSS is
#: inlined); this app never serves them, so its Content-Security-Policy never applies to them.
STATIC_SITE_TEMPLATES = {"emergency/server_down_static.html", "status/_static_style.html"}


def test_no_template_has_code_the_content_security_policy_would_block():
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        if str(path.relative_to(TEMPLATES)) in EMAIL_TEMPLATES | STATIC_SITE_TEMPLATES:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern, what in INLINE_CODE:
            if pattern.search(text):
                problems.append(f"{path.relative_to(TEMPLATES)}: {what}")
    assert problems == []
