"""The /v1 JSON API (API.md). Thin: parse, call a service, serialize."""
from flask import Blueprint, g, request
from flask_babel import refresh as refresh_locale

bp = Blueprint("api", __name__, url_prefix="/v1")

#: Per-request values the API keeps on `g`.
_REQUEST_STATE = ("api_operator", "actor", "ratelimit", "_api_token_operators")


@bp.before_app_request
def _fresh_request_state():
    """Start every /v1 request from a clean `g`.

    Flask gives each request its own app context, except when one is already
    pushed (the test suite keeps one open across requests); then `g` and the
    locale Flask-Babel cached on it would leak from one request into the next.
    """
    if request.path.startswith("/v1/"):
        for name in _REQUEST_STATE:
            g.pop(name, None)
        refresh_locale()


# Routes and hooks, in the order their hooks must run (this one, then limits, then auth).
from app.api import auth, errors, limits, reservations, hotels, catalog, payments, openapi  # noqa: E402,F401,I001
from app.api import ops_reconciliation  # noqa: E402,F401
from app.api import ops_statements  # noqa: E402,F401
from app.api import status  # noqa: E402,F401
