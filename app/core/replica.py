"""Reads that may come from a read replica (`DATABASE_REPLICA_URL`).

Search, the hotel pages and the public hotel API may show data a moment old, so with a replica
configured they read from it, and so do the scheduled reports' figures (periods that ended hours
ago; a report a manager computes by hand reads the primary); everything else — bookings, payments, the back office, anything
that writes or decides — reads and writes the primary (`DATABASE_URL`). The count of rooms at
the moment of booking is never read here: the booking's guarded UPDATE runs on the primary.

A view opts in with `@replica_reads`, a job with `with replica_reads_allowed():`; query helpers call `reading_session()`, which is the
replica's session inside such a view and `db.session` everywhere else (and when no replica is
configured). The replica session refuses to flush, and on PostgreSQL its connections are
read-only (`default_transaction_read_only`), so a write sent there by mistake fails loudly.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from flask import current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

BIND = "replica"
_allowed: ContextVar[bool] = ContextVar("replica_reads_allowed", default=False)


def has_replica() -> bool:
    return has_app_context() and BIND in (current_app.config.get("SQLALCHEMY_BINDS") or {})


def _refuse_writes(session, _flush_context, _instances):
    raise RuntimeError("the read replica's session is read-only; write through db.session")


def reading_session() -> Session:
    """The session for reads that may be slightly stale (see the module doc)."""
    if not (_allowed.get() and has_replica()):
        return db.session
    session = g.get("_replica_session")
    if session is None:
        session = Session(bind=db.engines[BIND], autoflush=False, expire_on_commit=False)
        event.listen(session, "before_flush", _refuse_writes)
        g._replica_session = session
    return session


@contextmanager
def replica_reads_allowed(allowed: bool = True):
    """Inside this block `reading_session()` may be the replica's (a job's read-only part)."""
    token = _allowed.set(allowed)
    try:
        yield
    finally:
        _allowed.reset(token)


def replica_reads(view):
    """Let `view` (a read-only page or endpoint) read from the replica."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        with replica_reads_allowed():
            return view(*args, **kwargs)
    return wrapper


def close_reading_session(_exc=None) -> None:
    session = g.pop("_replica_session", None)
    if session is not None:
        session.close()
