"""Start-up settings: one secret per purpose, and production refuses what would be unsafe."""
from __future__ import annotations

import pytest

from app import create_app
from app.config import ConfigError, derive_secret, load_config

STRONG = "s" * 40


@pytest.fixture
def production(monkeypatch):
    """The environment of a production start with everything set (tests remove or change one thing)."""
    for name, value in {"FRONTDESK_ENV": "production", "SECRET_KEY": STRONG, "ALLOW_SANDBOX_ADAPTERS": "true",
                        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
                        "REDIS_URL": "redis://127.0.0.1:6379/0"}.items():
        monkeypatch.setenv(name, value)
    for name in ("SESSION_SECRET", "LINK_SECRET", "GATEWAY_WEBHOOK_SECRET", "PAYMENT_GATEWAY", "BANK_ADAPTER",
                 "SMS_BACKEND", "SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("value", ["prod", "Production", "staging", "dev"])
def test_an_unknown_environment_name_refuses_to_start(monkeypatch, value):
    monkeypatch.setenv("FRONTDESK_ENV", value)
    with pytest.raises(ConfigError, match="FRONTDESK_ENV must be one of development, test, production"):
        load_config()


def test_production_starts_with_everything_set(production):
    cfg = load_config()
    assert cfg["FRONTDESK_ENV"] == "production"
    assert cfg["SESSION_COOKIE_NAME"] == "__Host-session" and cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["SESSION_COOKIE_PATH"] == "/" and cfg["SESSION_COOKIE_DOMAIN"] is None
    assert sorted(cfg["SANDBOX_ADAPTERS_IN_USE"]) == ["BANK_ADAPTER=sandbox", "PAYMENT_GATEWAY=sandbox",
                                                      "SMS_BACKEND=console"]


@pytest.mark.parametrize("change, message", [
    ({"SECRET_KEY": "x"}, "SECRET_KEY must be at least 32 bytes"),
    ({"SECRET_KEY": "a" * 31}, "SECRET_KEY must be at least 32 bytes"),
    ({"DATABASE_URL": None}, "DATABASE_URL must be set in production"),
    ({"REDIS_URL": None}, "REDIS_URL must be set in production"),
    ({"ALLOW_SANDBOX_ADAPTERS": None}, "PAYMENT_GATEWAY is 'sandbox'"),
    ({"ALLOW_SANDBOX_ADAPTERS": "false"}, "BANK_ADAPTER is 'sandbox'"),
    ({"ALLOW_SANDBOX_ADAPTERS": None}, "SMS_BACKEND is 'console'"),
    ({"PAYMENT_GATEWAY": "acmepay"}, "GATEWAY_WEBHOOK_SECRET must be set"),
    ({"GATEWAY_WEBHOOK_SECRET": STRONG}, "must all differ"),
    ({"LINK_SECRET": "short"}, "LINK_SECRET must be at least 32 bytes"),
])
def test_production_refuses_to_start_and_says_what_to_set(production, change, message):
    for name, value in change.items():
        if value is None:
            production.delenv(name, raising=False)
        else:
            production.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_config()


def test_production_without_a_secret_refuses(production):
    production.delenv("SECRET_KEY")
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        load_config()


def test_every_purpose_has_its_own_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", STRONG)
    for name in ("SESSION_SECRET", "LINK_SECRET", "GATEWAY_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    cfg = load_config()
    keys = [STRONG, cfg["SECRET_KEY"], cfg["LINK_SECRET"], cfg["GATEWAY_WEBHOOK_SECRET"]]
    assert len(set(keys)) == 4
    assert cfg["LINK_SECRET"] == derive_secret(STRONG, "frontdesk/customer-links")
    assert derive_secret(STRONG, "a") != derive_secret(STRONG, "b") != derive_secret("t" * 40, "a")


def test_the_webhook_secret_cannot_sign_a_customer_link(app):
    """Whoever has the gateway's webhook secret still cannot make a refund-account link."""
    from itsdangerous import URLSafeTimedSerializer

    from app.remittance import tokens

    forged = URLSafeTimedSerializer(app.config["GATEWAY_WEBHOOK_SECRET"], salt=tokens.SALT).dumps(
        {"k": tokens.PAYOUT, "id": "pay_x"})
    forged_with_root = URLSafeTimedSerializer("test-secret-key-not-for-production", salt=tokens.SALT).dumps(
        {"k": tokens.PAYOUT, "id": "pay_x"})
    with app.test_request_context():
        genuine = tokens.make_token(tokens.PAYOUT, "pay_x")
        assert tokens.read_token(genuine) == (tokens.PAYOUT, "pay_x")
        for token in (forged, forged_with_root):
            with pytest.raises(tokens.LinkInvalid):
                tokens.read_token(token)


def test_production_cookie_is_host_prefixed_and_operators_see_the_practice_banner(production):
    application = create_app({"TESTING": True})
    client = application.test_client()
    response = client.get("/auth/login", base_url="https://frontdesk.example")
    cookie = response.headers.get("Set-Cookie", "")
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    page = application.jinja_env.get_template("ops/_banners.html")
    with application.test_request_context():
        from flask_login import AnonymousUserMixin

        html = page.render(config=application.config, current_user=AnonymousUserMixin())
    assert 'data-banner="sandbox-adapters"' in html and "PAYMENT_GATEWAY=sandbox" in html
