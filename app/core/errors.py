"""Domain errors. Views turn them into a message on the page; the API into
`{"error": {"code", "message", "fields", "requestId"}}` with the status below.
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """Base class: a request that cannot be done as asked. Changes nothing."""

    code = "error"
    status = 400
    default_message = _l("The request could not be completed.")

    def __init__(self, message: Any = None, *, fields: dict[str, Any] | None = None, **extra: Any):
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        self.extra = extra
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422
    default_message = _l("Some fields are not valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _l("Not found.")


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401
    default_message = _l("Sign-in is required.")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = _l("You are not allowed to do this.")


class SoldOut(DomainError):
    code = "sold_out"
    status = 409
    default_message = _l("There are not enough rooms left for these dates.")


class IllegalTransition(DomainError):
    code = "invalid_transition"
    status = 409
    default_message = _l("This change is not possible in the booking's current state.")


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"
    status = 422
    default_message = _l("This idempotency key was already used with a different request.")


class IdempotencyInProgress(DomainError):
    code = "idempotency_in_progress"
    status = 409
    default_message = _l("The same request is still being processed. Try again in a moment.")


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_message = _l("Too many requests. Wait a minute and try again.")


class PaymentDeclined(DomainError):
    code = "payment_declined"
    status = 402
    default_message = _l("The card was declined.")
