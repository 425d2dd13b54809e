"""A throw-away database beside the test database (`<name>_<suffix>` on PostgreSQL, a
file on SQLite) and an app on it, for tests that migrate or connect as other roles."""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path

from app import create_app
from app.extensions import db
from tests.conftest import ROOT

MIGRATIONS = str(ROOT / "migrations")


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _admin(url: str):
    import psycopg

    base, _, _name = psycopg_url(url).rpartition("/")
    return psycopg.connect(f"{base}/postgres", autocommit=True)


@contextmanager
def scratch_database(app, suffix: str):
    """Yields the URL of an empty database; drops it afterwards."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        with tempfile.TemporaryDirectory(prefix="frontdesk-scratch-") as tmp:
            yield f"sqlite:///{Path(tmp) / (suffix + '.sqlite3')}"
        return
    base, _, name = url.rpartition("/")
    scratch = f"{name}_{suffix}"
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{scratch}"')
    try:
        yield f"{base}/{scratch}"
    finally:
        with _admin(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


@contextmanager
def app_on(url: str, **config):
    """An app on `url` (its engine disposed afterwards)."""
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, **config})
    try:
        yield other
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
