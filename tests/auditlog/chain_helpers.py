"""Tampering with the audit log the way someone owning the tables could: the guards
stepped around (trigger disabled on PostgreSQL, dropped on SQLite), plain SQL."""
from __future__ import annotations

from sqlalchemy import text

from app.core import audit
from app.core.actor import Actor
from app.extensions import db


def write_rows(count: int, prefix: str = "e") -> list[int]:
    """`count` audit rows, committed (in tests: the savepoint is released); their ids."""
    rows = [audit.record("test.event", entity_type="test", entity_id=f"{prefix}{i}", actor=Actor.system("test"),
                         reason=f"row {i}", data={"n": i, "amount": 1000 * i}) for i in range(count)]
    db.session.commit()
    return [r.id for r in rows]


def as_owner(*statements: str, params: dict | None = None) -> None:
    """Run SQL on audit_events with its append-only guards out of the way (then back), and commit."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        for sql in statements:
            conn.execute(text(sql), params or {})
        conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
    else:
        guards = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                   "AND tbl_name = 'audit_events'")).all()
        for name, _sql in guards:
            conn.execute(text(f"DROP TRIGGER {name}"))
        for sql in statements:
            conn.execute(text(sql), params or {})
        for _name, sql in guards:
            conn.execute(text(sql))
    db.session.commit()


def truncate_audit_log(*, also_checkpoints: bool = False) -> None:
    tables = "audit_events" + (", audit_checkpoints" if also_checkpoints else "")
    if db.session.connection().dialect.name == "postgresql":
        as_owner(f"TRUNCATE {tables}")
    else:
        as_owner(*[f"DELETE FROM {t.strip()}" for t in tables.split(",")])
