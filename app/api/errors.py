"""The API's error answers: `{"error": {code, message, fields, requestId}}` (API.md).

Domain errors raised by the services carry a generic default message; the
API answers with its own sentence per code instead, translated from the
API's catalog into the caller's language (Accept-Language: ko, ja, en).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from app.api import bp
from app.core.errors import DomainError
from app.core.web import HTTP_CODES, audit_refusal, error_body

#: code → the message sent when the error carries no more specific one.
MESSAGES = {
    "validation_error": _l("Some fields are not valid. See `fields` for what to fix."),
    "not_found": _l("Nothing was found with this id."),
    "unauthorized": _l("Authentication is required for this request."),
    "forbidden": _l("Your token does not allow this action."),
    "sold_out": _l("There are not enough rooms left for these dates. See `alternatives` for other options."),
    "idempotency_conflict": _l("This idempotency key was already used for a different request. "
                               "Use a new key for a new request."),
    "idempotency_in_progress": _l("The first request with this idempotency key is still being processed. "
                                  "Try again in a moment."),
    "invalid_transition": _l("This change is not possible in the current state."),
    "rate_limited": _l("Too many requests. Wait a minute and try again."),
    "payment_declined": _l("The card was declined."),
}

#: HTTP errors raised inside a view (bad body size, method, …), in plain words.
HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    404: _l("Nothing was found at this address."),
    405: _l("This method is not allowed here."),
    413: _l("The request body is too large."),
    415: _l("This content type is not supported."),
    503: _l("A service we depend on is not answering. Try again in a minute."),
}


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    message = exc.message
    if message is type(exc).default_message and exc.code in MESSAGES:
        message = MESSAGES[exc.code]
    if exc.status == 403:
        audit_refusal(message)
    return error_body(exc.code, message, exc.fields, exc.status, **exc.extra)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    status = exc.code or 500
    if status == 403:
        audit_refusal(exc.description or exc.name)
    return error_body(HTTP_CODES.get(status, "error"), HTTP_MESSAGES.get(status, exc.description or exc.name),
                      status=status)
