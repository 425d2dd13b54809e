"""The app's own PostgreSQL role: migrations run as the owner (DATABASE_OWNER_URL), the app
works as a role that owns nothing, and that role cannot erase or rewrite the audit log."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from app.auditlog import chain
from app.config import load_config
from app.core import audit
from app.core.actor import Actor
from app.extensions import db
from tests.auditlog.scratch import _admin, app_on, psycopg_url, scratch_database


def test_the_owner_url_is_optional_and_normalised(monkeypatch):
    monkeypatch.delenv("DATABASE_OWNER_URL", raising=False)
    assert load_config()["DATABASE_OWNER_URL"] is None          # migrations then use DATABASE_URL
    monkeypatch.setenv("DATABASE_OWNER_URL", "postgres://owner@db/frontdesk")
    assert load_config()["DATABASE_OWNER_URL"] == "postgresql+psycopg://owner@db/frontdesk"


REFUSED = [
    "TRUNCATE audit_events",
    "TRUNCATE audit_checkpoints",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "SET session_replication_role = replica",
    "UPDATE audit_events SET reason = 'changed'",
    "DELETE FROM audit_events",
    "UPDATE audit_checkpoints SET row_count = 0",
    "DELETE FROM audit_checkpoints",
    "DROP TABLE audit_events",
    "DROP TRIGGER audit_events_append_only ON audit_events",
    "INSERT INTO alembic_version VALUES ('9999')",
]


@pytest.mark.committing
@pytest.mark.skipif(not os.environ["DATABASE_URL"].startswith("postgres"),
                    reason="database roles exist on PostgreSQL only (CI's PostgreSQL pass runs this)")
def test_the_app_role_works_but_cannot_erase_or_rewrite_the_audit_log(app):
    import psycopg

    owner_url = None
    with scratch_database(app, "roles") as owner_url:
        role = owner_url.rpartition("/")[2] + "_app"
        with _admin(owner_url) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
            conn.execute(f'CREATE ROLE "{role}" LOGIN')
        try:
            scheme, _, rest = owner_url.partition("://")
            app_url = f"{scheme}://{role}@{rest.partition('@')[2]}"
            with app_on(app_url, DATABASE_OWNER_URL=owner_url) as other, other.app_context():
                runner = other.test_cli_runner()          # commands run in this app's context
                result = runner.invoke(args=["db", "upgrade"])
                assert result.exit_code == 0, result.output
                refused = runner.invoke(args=["db-roles", "grant", "--role", "postgres"])
                assert refused.exit_code != 0 and "superuser" in refused.output
                result = runner.invoke(args=["db-roles", "grant", "--role", role])
                assert result.exit_code == 0, result.output

                owner = db.session.scalar(text("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_events'"))
                assert owner != role and db.session.scalar(text("SELECT current_user")) == role
                from tests.factories import make_room_type

                make_room_type(rooms=3)                                  # booking-like writes, audited
                audit.record("test.event", entity_type="test", entity_id="x", actor=Actor.system("test"))
                db.session.commit()
                report = chain.run_verification()                         # reads, and appends a checkpoint
                assert report.intact and report.row_count >= 2

            with psycopg.connect(psycopg_url(app_url), autocommit=True) as conn:
                assert conn.execute("SELECT count(*) FROM audit_events").fetchone()[0] >= 2
                for sql in REFUSED:
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        conn.execute(sql)
                assert conn.execute("SHOW session_replication_role").fetchone()[0] == "origin"
        finally:
            with _admin(owner_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{owner_url.rpartition("/")[2]}" WITH (FORCE)')
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')
