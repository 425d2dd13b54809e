"""Fixtures for the sign-in, session and admin tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def new_client(app):
    """new_client() → another browser (its own cookies)."""
    return app.test_client


@pytest.fixture
def copy_cookie(app):
    """copy_cookie(from_client) → a second test client carrying the same session cookie."""

    def _copy(source):
        name = app.config["SESSION_COOKIE_NAME"]
        cookie = source.get_cookie(name)
        assert cookie is not None, "the source client has no session cookie"
        thief = app.test_client()
        thief.set_cookie(name, cookie.value, domain=cookie.domain or "localhost")
        return thief

    return _copy
