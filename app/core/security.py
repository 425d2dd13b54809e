"""Security headers on every response, Secure cookies over HTTPS, and the proxy setting.

* Content-Security-Policy allows only same-origin scripts, styles and images
  (plus data: images): no inline <script>, no style="" and no javascript: links.
* HSTS on HTTPS requests, and always in production (browsers honour it only
  over HTTPS, so it is harmless on the plain-HTTP hop behind a proxy). Behind a reverse proxy, set TRUSTED_PROXY_COUNT
  so werkzeug's ProxyFix trusts X-Forwarded-Proto/-For/-Host from that many
  proxies; without it those headers are ignored (a client could forge them).
* The session cookie is Secure whenever the request came over HTTPS (and
  always when SESSION_COOKIE_SECURE is set, the production default).
* Back-office pages are never cached (they show personal data and hidden form values).
"""
from __future__ import annotations

from flask import Flask, Response, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

#: Pages whose responses must not be stored by the browser or a proxy.
NO_STORE_PREFIXES = ("/ops", "/auth")


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure on HTTPS requests too."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def init_security(app: Flask) -> None:
    """Register the headers, the cookie rule and (if configured) ProxyFix on `app`."""
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)
    app.session_interface = HttpsAwareSessionInterface()

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure or app.config.get("FRONTDESK_ENV") == "production":
            response.headers.setdefault("Strict-Transport-Security",
                                        f"max-age={app.config.get('HSTS_MAX_AGE', 31536000)}; includeSubDomains")
        if request.path.startswith(NO_STORE_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response
