"""Adapter tests: the running app's settings changed for one test, and the remittance
fixtures (fund, payouts, payout worker) for the end-to-end runs."""
from __future__ import annotations

import pytest

from tests.remittance.conftest import bank, drive, payout_worker, settlement, top_up  # noqa: F401


@pytest.fixture
def settings(app):
    """settings(NAME=value) changes the running app's config; put back afterwards."""
    saved = {}

    def _set(**values):
        for name, value in values.items():
            saved.setdefault(name, app.config[name])
            app.config[name] = value

    yield _set
    app.config.update(saved)
