"""Migration 0014 chains the audit rows a database already has, and keeps them append-only."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy.exc import DBAPIError

from app.auditlog import chain
from app.auditlog.hashing import GENESIS
from app.core import audit
from app.core.actor import Actor
from app.core.db import JSONType, UTCDateTime
from app.extensions import db
from tests.auditlog.scratch import MIGRATIONS, app_on, scratch_database

pytestmark = pytest.mark.committing

T0 = datetime(2026, 11, 30, 3, 0, 0, 123456, tzinfo=timezone.utc)


def _old_rows(count: int) -> list[dict]:
    return [{"created_at": T0 + timedelta(minutes=i), "actor_kind": "operator", "actor_id": i, "actor_name": f"op{i}",
             "action": "refund.approved", "entity_type": "refund", "entity_id": f"rfd_{i}", "reservation_id": None,
             "from_state": "requested", "to_state": "approved", "reason": "고객 요청" if i % 2 else None,
             "data": {"amount": 120000 * i, "nested": {"b": [1, 2.0], "a": "값"}} if i != 3 else None,
             "request_id": f"req_{i}"} for i in range(count)]


def test_existing_rows_are_chained_in_id_order_and_stay_append_only(app):
    with scratch_database(app, "mig") as url, app_on(url) as other, other.app_context():
        upgrade(directory=MIGRATIONS, revision="0013")
        old = sa.table("audit_events", *[sa.column(c) for c in ("actor_kind", "actor_id", "actor_name", "action",
                                                                 "entity_type", "entity_id", "reservation_id",
                                                                 "from_state", "to_state", "reason", "request_id")],
                       sa.column("created_at", UTCDateTime()), sa.column("data", JSONType))
        with db.engine.begin() as conn:
            conn.execute(sa.insert(old), _old_rows(6))
        upgrade(directory=MIGRATIONS)

        rows = db.session.execute(sa.text("SELECT id, prev_hash, row_hash FROM audit_events ORDER BY id")).all()
        assert len(rows) == 6 and rows[0].prev_hash == GENESIS
        assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:]))
        report = chain.verify_chain(batch_size=4)
        assert report.intact and report.row_count == 6

        audit.record("test.after", entity_type="test", entity_id="new", actor=Actor.system("test"))
        db.session.commit()
        assert chain.verify_chain().intact
        with pytest.raises(DBAPIError):
            with db.engine.begin() as conn:
                conn.execute(sa.text("UPDATE audit_events SET reason = 'changed' WHERE id = 1"))
        with pytest.raises(DBAPIError):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DELETE FROM audit_events WHERE id = 1"))
        db.session.remove()

        downgrade(directory=MIGRATIONS, revision="0013")   # and back: the guards survive both ways
        with pytest.raises(DBAPIError):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DELETE FROM audit_events WHERE id = 1"))
        upgrade(directory=MIGRATIONS)
        assert chain.verify_chain().intact
