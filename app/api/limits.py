"""Rate limits on every /v1 request (seed 003: anonymous 10/min, signed-in 100/min).

A client is its bearer token when the token is genuine (an operator's token,
or a reservation's token used on that reservation), the payment gateway when
a webhook's signature is right, and otherwise its remote address. A made-up
token therefore counts as anonymous: inventing tokens buys no extra requests.

On by default; `RATELIMIT_ENABLED=false` turns it off (load tests, the test
suite's default). Every limited response carries `X-RateLimit-Limit` and
`X-RateLimit-Remaining`; a refused one is 429 `rate_limited` with `Retry-After`.
"""
from __future__ import annotations

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l

from app.api import bp
from app.api.auth import bearer_token, is_signed_in
from app.core.errors import RateLimited
from app.core.ratelimit import client_key, count_request

WINDOW_SECONDS = 60


def identify_client() -> tuple[str, bool]:
    """(client key, signed in?) for the current request."""
    if is_signed_in():
        return client_key("token", bearer_token()), True
    if request.endpoint == "api.gateway_webhook_endpoint":
        from app.payments.webhooks import signature_valid

        if signature_valid(request.get_data(cache=True), request.headers.get("X-Sandbox-Signature")):
            return "gateway", True
    return client_key("addr", request.remote_addr or "unknown"), False


@bp.before_app_request
def _limit_requests():
    if not request.path.startswith("/v1/") or not current_app.config["RATELIMIT_ENABLED"]:
        return
    client, signed_in = identify_client()
    cfg = current_app.config
    limit = cfg["RATELIMIT_SIGNED_IN_PER_MINUTE"] if signed_in else cfg["RATELIMIT_ANONYMOUS_PER_MINUTE"]
    result = count_request(client, limit, window=WINDOW_SECONDS)
    if result is None:  # Redis unavailable: fail open
        return
    g.ratelimit = result
    if not result.allowed:
        raise RateLimited(_l("Too many requests: at most %(n)s a minute. Try again in %(s)s seconds.",
                             n=limit, s=result.reset_in))


@bp.after_app_request
def _rate_limit_headers(response):
    result = g.get("ratelimit")
    if result is not None and request.path.startswith("/v1/"):
        response.headers["X-RateLimit-Limit"] = str(result.limit)
        response.headers["X-RateLimit-Remaining"] = str(result.remaining)
        response.headers["X-RateLimit-Reset"] = str(result.reset_in)
        if response.status_code == 429:
            response.headers["Retry-After"] = str(result.reset_in)
    return response
