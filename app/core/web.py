"""Web plumbing: error responses (JSON for /v1, pages elsewhere) and template helpers."""
from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.core import clock
from app.core.errors import DomainError
from app.core.ids import display_code
from app.core.money import format_money

log = logging.getLogger(__name__)

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
              422: "validation_error", 429: "rate_limited", 500: "internal_error", 503: "unavailable"}


def wants_json() -> bool:
    return request.path.startswith("/v1/") or request.path == "/v1"


def error_body(code: str, message: Any, fields: dict | None = None, status: int = 400,
               **extra: Any) -> tuple[Any, int]:
    """The API's error shape: {"error": {code, message, fields, requestId}} (+ extras)."""
    body = {"error": {"code": code, "message": str(message),
                      "fields": {k: str(v) for k, v in (fields or {}).items()},
                      "requestId": getattr(g, "request_id", None)}}
    body.update(extra)
    return jsonify(body), status


def audit_refusal(message: Any) -> None:
    """Every refused request (403) is an audit row: who (the operator or the API token's operator),
    what (method, path, page or API) and the refusal's words. Commits in a transaction of its own;
    once per request (the role decorator may have recorded it already)."""
    if g.get("refusal_audited"):
        return
    g.refusal_audited = True
    from flask_login import current_user

    from app.core import audit
    from app.core.actor import Actor
    from app.core.db import run_in_transaction
    from app.extensions import db

    operator = g.get("api_operator")
    if operator is None and current_user and current_user.is_authenticated:
        operator = current_user._get_current_object()
    actor = Actor.operator(operator) if operator is not None else Actor.system("anonymous")

    def work() -> None:
        audit.record("request.refused", entity_type="operator" if operator is not None else "request",
                     entity_id=operator.id if operator is not None else request.path[:100], actor=actor,
                     data={"path": request.path[:300], "method": request.method,
                           "via": "api" if wants_json() else "page", "message": str(message)[:300],
                           "address": request.remote_addr})

    try:
        db.session.rollback()
        run_in_transaction(work)
    except Exception:  # an audit failure must not turn a 403 into a 500; it is logged loudly instead
        log.exception("could not record a refused request in the audit log")


def audit_attempt_not_done(action: str, *, entity_type: str, entity_id: Any, why: Any,
                           reservation_id: int | None = None, data: dict | None = None) -> None:
    """An attempt on money that did not happen (the loser of a race, a decision that no longer fits)
    is an audit row too: who tried what and why it was not done. Commits in its own transaction,
    after the refused one was rolled back."""
    from flask_login import current_user

    from app.core import audit
    from app.core.actor import Actor, current_actor
    from app.core.db import run_in_transaction
    from app.extensions import db

    actor = current_actor()
    if actor.kind == "system" and current_user and current_user.is_authenticated:
        actor = Actor.operator(current_user._get_current_object())

    def work() -> None:
        audit.record(action, entity_type=entity_type, entity_id=entity_id, actor=actor,
                     reservation_id=reservation_id, reason=str(why)[:300],
                     data={"path": request.path[:300], "method": request.method, **(data or {})})

    try:
        db.session.rollback()
        run_in_transaction(work)
    except Exception:  # the refusal must still reach the person; the failure is logged loudly
        log.exception("could not record an attempt that was not done in the audit log")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        if exc.status == 403:
            audit_refusal(exc.message)
        if wants_json():
            return error_body(exc.code, exc.message, exc.fields, exc.status, **exc.extra)
        return render_template("errors/error.html", status=exc.status, message=str(exc.message),
                               fields=exc.fields), exc.status

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        log.warning("CSRF check failed", extra={"path": request.path})
        message = _("This form expired or was sent from elsewhere. Go back, reload the page and try again.")
        if wants_json():
            return error_body("csrf_failed", message, status=400)
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 403:
            audit_refusal(exc.description or exc.name)
        # 405 keeps its Allow header (RFC 9110): which methods this address takes.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() == "allow"]
        if wants_json():
            response = error_body(HTTP_CODES.get(status, "error"), exc.description or exc.name, status=status)
            response = app.make_response(response)
            response.headers.extend(headers)
            return response
        messages = {404: _("This page does not exist."), 403: _("You are not allowed to open this page."),
                    405: _("This action is not available here."),
                    413: _("The file is too large. Nothing was changed.")}
        return render_template("errors/error.html", status=status,
                               message=messages.get(status, exc.description or exc.name)), status, headers

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        message = _("Something went wrong on our side. Please try again; if it keeps happening, "
                    "tell us this code: %(rid)s", rid=getattr(g, "request_id", "-"))
        if wants_json():
            return error_body("internal_error", "Internal error.", status=500)
        return render_template("errors/error.html", status=500, message=message), 500


def register_template_helpers(app: Flask) -> None:
    @app.template_filter("money")
    def _money(value: Any, currency: str | None = None) -> str:
        """{{ 120000|money('KRW') }} or {{ {'amount':…,'currency':…}|money }}."""
        if isinstance(value, dict):
            value, currency = value["amount"], value["currency"]
        return format_money(int(value), currency or "KRW", str(get_locale() or "ko"))

    @app.template_filter("local_datetime")
    def _local_datetime(value: datetime | None, tz: str | None = None, fmt: str = "medium") -> str:
        """A moment in the one style of app.core.language ("2026년 12월 29일 (화) 오후 3:05"); an explicit
        Babel pattern is still honoured."""
        if value is None:
            return ""
        if fmt in ("short", "medium", "long", "full"):
            from app.core import language

            return language.moment(value, tz=tz)
        if tz:
            return format_datetime(clock.to_local(value, tz).replace(tzinfo=None), fmt, rebase=False)
        return format_datetime(value, fmt)

    @app.template_filter("local_date")
    def _local_date(value: date | None, fmt: str = "medium") -> str:
        """A date in the one style of app.core.language ("2026년 12월 29일 (화)")."""
        if not value:
            return ""
        if fmt in ("short", "medium", "long", "full"):
            from app.core import language

            return language.day(value)
        return format_date(value, fmt)

    @app.template_filter("booking_code")
    def _code(value: str) -> str:
        return display_code(value)

    # Language conventions (app.core.language): one time, date, name and particle style everywhere.
    from app.core import language

    app.add_template_filter(language.time_of_day, "time_of_day")
    app.add_template_filter(language.day, "day")
    app.add_template_filter(language.moment, "moment")
    app.add_template_filter(language.ago, "ago")
    app.add_template_filter(language.josa, "josa")
    app.add_template_filter(language.with_honorific, "honorific")
    app.add_template_global(language.display_name, "display_name")
    app.add_template_global(language.particle, "particle")

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from app.ops.checklist import visible_nav

        def ops_nav_links(operator):
            return visible_nav(operator) if getattr(operator, "is_authenticated", False) else []

        return {"current_locale": str(get_locale() or "ko"), "now_utc": clock.now(),
                "request_id": getattr(g, "request_id", None), "ops_nav_links": ops_nav_links}
