"""The audit log: one row per state change, written in the same transaction.

Rows are append-only: the ORM refuses to update or delete them, and triggers
refuse it too (the initial migration on PostgreSQL, 0008 on SQLite). They are
also hash-chained (app.auditlog.hashing): every new row gets the next id, the
previous row's hash and its own, at flush time, whichever way it was added
(`record`, `record_many`, or a plain `session.add`). On PostgreSQL writers take
a transaction-scoped advisory lock before reading the chain's head, so ids are
handed out in chain order and two transactions never link to the same row;
SQLite's BEGIN IMMEDIATE already lets one writer in at a time. A transaction
that rolls back leaves a gap in the ids, never a broken link.

`record` holds its rows back until the transaction commits and adds them then,
so the lock is held for the commit only: a long transaction that records early
(a statement import, a batch job, a test's idle connection) never makes every
other writer wait for it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, event, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.auditlog.hashing import CHAIN_LOCK_KEY, GENESIS, HASHED_FIELDS, compute_hash
from app.core.actor import Actor, current_actor
from app.core.context import current_request_id
from app.core.db import JSONType, UTCDateTime, utcnow_default
from app.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow_default, nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    action: Mapped[str] = mapped_column(String(80), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(40), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), nullable=True)
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    request_id: Mapped[str | None] = mapped_column(String(100), index=True)
    # The hash chain (filled at flush time, see the module doc).
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    row_hash: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        Index("ix_audit_events_reservation_id", "reservation_id"),
        Index("ix_audit_events_created_at", "created_at"),
    )


@event.listens_for(AuditEvent, "before_update")
def _no_update(*_args):
    raise RuntimeError("audit events cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _no_delete(*_args):
    raise RuntimeError("audit events cannot be deleted")


def claim_links(conn: Connection, count: int) -> tuple[list[int], str]:
    """Take the chain lock (PostgreSQL) and return `count` new ids, ascending, and the chain head's hash.

    The lock is held until the transaction ends; the head is read by a statement
    that starts after the lock is taken, so it sees the last writer's commit.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
        rows = conn.execute(text(
            "SELECT nextval('audit_events_id_seq'), "
            "(SELECT row_hash FROM audit_events ORDER BY id DESC LIMIT 1) FROM generate_series(1, :n)"),
            {"n": count}).all()
        return sorted(r[0] for r in rows), (rows[0][1] or GENESIS)
    head = conn.execute(text("SELECT id, row_hash FROM audit_events ORDER BY id DESC LIMIT 1")).first()
    start = (head[0] if head else 0) + 1
    return list(range(start, start + count)), (head[1] if head else GENESIS)


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, _flush_context, _instances) -> None:
    """Give every audit row about to be inserted its id and its place in the chain, in the order added."""
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new:
        return
    new.sort(key=lambda obj: inspect(obj).insert_order)
    ids, prev = claim_links(session.connection(), len(new))
    for row, row_id in zip(new, ids):
        if row.created_at is None:
            row.created_at = utcnow_default()
        row.id = row_id
        row.prev_hash = prev
        row.row_hash = prev = compute_hash({name: getattr(row, name) for name in HASHED_FIELDS}, prev)


def record_many(rows: list[dict[str, Any]]) -> None:
    """Insert many audit rows at once, chained (no commit): the bulk jobs' path.

    Each dict holds the columns of one row (`created_at`, `actor_kind`, `action`, …);
    missing optional columns are NULL. One INSERT for all rows.
    """
    if not rows:
        return
    from sqlalchemy import insert

    flush_recorded()  # rows recorded the ORM way come first in the chain
    db.session.flush()
    ids, prev = claim_links(db.session.connection(), len(rows))
    chained = []
    for values, row_id in zip(rows, ids):
        full = {name: values.get(name) for name in HASHED_FIELDS}
        full["id"] = row_id
        full["created_at"] = full["created_at"] or utcnow_default()
        full["actor_name"] = (full["actor_name"] or "")[:200]
        full["entity_id"] = str(full["entity_id"])
        full["prev_hash"] = prev
        full["row_hash"] = prev = compute_hash(full, prev)
        chained.append(full)
    db.session.execute(insert(AuditEvent.__table__), chained)


def record(
    action: str,
    *,
    entity_type: str,
    entity_id: Any,
    actor: Actor | None = None,
    reservation_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (not committed here)."""
    actor = actor or current_actor()
    event_row = AuditEvent(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name[:200],
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        reservation_id=reservation_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data,
        request_id=current_request_id(),
        created_at=utcnow_default(),
    )
    # Held back until the transaction commits (see _add_held_back_events): the chain lock is
    # then held only for the commit itself, not from the first audit row of a long transaction.
    db.session.info.setdefault(_HELD_BACK, []).append(event_row)
    return event_row


#: session.info key of the audit rows recorded in the current transaction, not yet added.
_HELD_BACK = "audit_held_back"


@event.listens_for(Session, "before_commit")
def _add_held_back_events(session: Session) -> None:
    """Add the transaction's audit rows at commit, in the order recorded, and flush them: the
    chain lock (PostgreSQL) is taken here and released by the commit a moment later. A long
    transaction (a statement import, a batch job) so never makes every other writer wait."""
    held = session.info.pop(_HELD_BACK, None)
    if held:
        session.add_all(held)
        session.flush()


@event.listens_for(Session, "after_rollback")
def _drop_held_back_events(session: Session) -> None:
    """A rollback drops what the transaction recorded (a retried transaction records again)."""
    session.info.pop(_HELD_BACK, None)


def flush_recorded() -> None:
    """Write the audit rows recorded so far in this transaction now (taking the chain lock
    until the transaction ends) — for code that must read them back before committing."""
    held = db.session.info.pop(_HELD_BACK, None)
    if held:
        db.session.add_all(held)
        db.session.flush()
