"""Fixtures of the observability tests."""
from __future__ import annotations

import pytest

from app.observability import requests as recorder


@pytest.fixture(autouse=True)
def _no_pending_request_metrics():
    """Each test starts and ends with nothing recorded in process (other tests' requests are not ours)."""
    recorder.discard_pending()
    yield
    recorder.discard_pending()


@pytest.fixture
def flush_metrics():
    """flush_metrics() → writes the recorded requests through the test's own connection (rolled back after)."""
    from app.extensions import db

    def _flush() -> int:
        return recorder.flush(db.session.connection())

    return _flush


@pytest.fixture
def other_app():
    """other_app(**config) → a second app (e.g. on an unreachable database); its connections closed after."""
    from app import create_app
    from app.extensions import db

    made = []

    def _make(**overrides):
        application = create_app({"TESTING": True, **overrides})
        made.append(application)
        return application

    yield _make
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
