"""Database plumbing shared by every domain: column types, engine set-up,
transaction retries and after-commit hooks.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TypeVar

from sqlalchemy import JSON, DateTime, Integer, any_, bindparam, event, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from app.core.errors import NotFound
from app.extensions import db

log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M")

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so values are
    stored as naive UTC and come back tagged UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use app.core.clock.now()")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def among(column, ids: list[int]):
    """`column IN ids`; on PostgreSQL `column = ANY(:ids)` with one array
    parameter, so the statement text does not change with the number of ids
    and is parsed, planned and prepared once per connection, not per search."""
    if is_postgres():
        return column == any_(bindparam("ids", list(ids), type_=ARRAY(Integer), unique=True))
    return column.in_(ids)


def configure_engine(engine: Engine) -> None:
    """Make SQLite safe for concurrent writers (DESIGN invariant 1).

    pysqlite starts no transaction before a SELECT and ignores FOR UPDATE, so a
    read-check-write would oversell. Every transaction here begins with
    BEGIN IMMEDIATE (taking the write lock up front) and waits up to 30 s for it.
    """
    if engine.dialect.name != "sqlite" or getattr(engine, "_frontdesk_configured", False):
        return
    engine._frontdesk_configured = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure


def is_retryable(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    # SQLite: "database is locked" after busy_timeout is a transient failure too.
    return "database is locked" in str(orig or "")


def run_in_transaction(work: Callable[[], T], *, retries: int = 1) -> T:
    """Run `work()` then commit; on a deadlock or serialization failure roll back
    and run it once more. `work` must do no network I/O (it may run twice).
    """
    attempt = 0
    while True:
        try:
            result = work()
            db.session.commit()
            return result
        except DBAPIError as exc:
            db.session.rollback()
            if attempt < retries and is_retryable(exc):
                attempt += 1
                log.warning("transaction retried after %s", type(exc.orig).__name__)
                time.sleep(0.005 * attempt)
                continue
            raise
        except BaseException:
            db.session.rollback()
            raise


def end_transaction() -> None:
    """Close the session's transaction before a network call or a long wait.

    On SQLite every transaction holds the write lock (BEGIN IMMEDIATE), so a
    session left open by a lazy load would block every other writer; on
    PostgreSQL it would hold a connection. Read what you need first.
    """
    db.session.rollback()


# --- after-commit hooks -----------------------------------------------------
#
# Side effects for the outside world (enqueueing jobs) run only once the
# transaction that caused them has committed (pretix, Indico). A rollback
# drops them.

_HOOKS_KEY = "frontdesk_after_commit"


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` after the current transaction of db.session commits."""
    db.session().info.setdefault(_HOOKS_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_HOOKS_KEY, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a hook must never undo a committed transaction
            log.exception("after-commit hook failed")


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(_HOOKS_KEY, None)


def lock_by_id(model: type[M], row_id: int) -> M:
    """Re-read one row under a row lock (FOR UPDATE on PostgreSQL; SQLite's
    BEGIN IMMEDIATE already serializes writers). NotFound when it does not exist."""
    row = db.session.execute(select(model).where(model.id == row_id).with_for_update()
                             .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row


def utcnow_default() -> datetime:
    from app.core import clock

    return clock.now()


def _dialect_insert(model):
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def insert_ignoring_duplicates(model, rows: list[dict], index_elements: list[str]) -> None:
    """INSERT … ON CONFLICT DO NOTHING, on PostgreSQL and SQLite alike."""
    if rows:
        stmt = _dialect_insert(model).on_conflict_do_nothing(index_elements=index_elements)
        db.session.execute(stmt, rows)


def insert_unless_present(model, values: dict, index_elements: list[str]):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None
    when a row with the same unique key exists (a concurrent twin included:
    PostgreSQL waits for it, then skips). One round trip, no savepoint."""
    stmt = (_dialect_insert(model).values(**values)
            .on_conflict_do_nothing(index_elements=index_elements)
            .returning(model.__table__.c.id))
    return db.session.execute(stmt).scalar_one_or_none()


def upsert(model, rows: list[dict], index_elements: list[str], update_columns: list[str]) -> None:
    """INSERT … ON CONFLICT DO UPDATE of `update_columns`, on both backends."""
    if rows:
        stmt = _dialect_insert(model)
        stmt = stmt.on_conflict_do_update(
            index_elements=index_elements,
            set_={col: getattr(stmt.excluded, col) for col in update_columns},
        )
        db.session.execute(stmt, rows)
