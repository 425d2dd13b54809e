"""A request while the database is unreachable gets a clear 503, not a crash.

Without this, a refused or dropped database connection surfaces as an
unhandled OperationalError: a 500 ("something went wrong on our side"), and the
error page itself fails when it tries to load the signed-in operator from the
same database. Here it is a 503 with `Retry-After`: a page that says the
service is briefly unavailable (operators are told the database is not
answering and what to do), or the API's error shape with code `unavailable`.
The web processes keep running and serve normally once the database is back
(SQLAlchemy's pool replaces the broken connections; `pool_pre_ping` checks
them). A Redis outage needs nothing here: bookings go on (DESIGN invariant 5).
"""
from __future__ import annotations

import logging

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


#: A connection that could not be made, was lost, or could not be had from the pool. psycopg
#: reports those (and other passing troubles: deadlock, lock or statement timeout) as
#: OperationalError; sqlite3 also files a missing table there, so for SQLite only these count.
UNREACHABLE = (OperationalError, InterfaceError, PoolTimeoutError)
_SQLITE_OUTAGE = ("unable to open", "database is locked", "disk i/o error", "readonly database",
                  "database or disk is full")


def is_database_unreachable(exc: BaseException) -> bool:
    """True for a database that cannot be reached now (try again later), not for a bug."""
    if isinstance(exc, (InterfaceError, PoolTimeoutError)) or getattr(exc, "connection_invalidated", False):
        return True
    if not isinstance(exc, OperationalError):
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):
        message = str(exc.orig).lower()
        return any(part in message for part in _SQLITE_OUTAGE)
    return True


def register_outage_handlers(app: Flask) -> None:
    def _unavailable(exc: Exception):
        if not is_database_unreachable(exc):  # a bug: the generic handler answers, as before
            generic = app.error_handler_spec[None][None].get(Exception)
            if generic is None:
                raise exc
            return generic(exc)
        log.warning("database unreachable: %s", f"{type(exc).__name__}: {exc}".splitlines()[0][:300],
                    extra={"path": request.path})
        from app.extensions import db, login_manager

        try:
            db.session.rollback()
        except Exception:  # the connection is gone; the pool replaces it
            pass
        # Render as nobody: loading the signed-in operator would ask the database again.
        g._login_user = login_manager.anonymous_user()
        from app.core.web import error_body, wants_json

        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if wants_json():
            body, status = error_body("unavailable", _("A service we depend on is not answering. "
                                                       "Try again in a minute."), status=503)
            return body, status, headers
        operator_page = request.path.startswith(("/ops", "/auth"))
        return render_template("errors/unavailable.html", operator_page=operator_page), 503, headers

    for exc_class in UNREACHABLE:
        app.register_error_handler(exc_class, _unavailable)
