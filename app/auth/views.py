"""Operator sign-in and sign-out, and the session loader (the account and admin pages
register on the same blueprint from account_views.py and admin_views.py)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth.decorators import session_end_message
from app.auth.forms import LoginForm
from app.auth.sessions import SignInFailed, SignInThrottled, load_session, sign_in, sign_out
from app.core.actor import Actor
from app.extensions import login_manager

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"


@login_manager.user_loader
def _load_operator(session_id: str):
    operator = load_session(session_id)
    # The /v1 API acts for its bearer token's owner, never for a browser cookie.
    if operator is not None and getattr(g, "actor", None) is None and not request.path.startswith("/v1/"):
        g.actor = Actor.operator(operator)
    return operator


#: Per-request values kept in `g`. Cleared at the start of every request: requests
#: that share an app context (tests, stream_with_context) must not inherit them.
_PER_REQUEST = ("_login_user", "actor", "session_end", "_flask_babel")


@bp.before_app_request
def _load_session_first():
    """Resolve the operator before the view runs (so the session's small
    last-seen write never lands in the middle of a view's work)."""
    for name in _PER_REQUEST:
        g.pop(name, None)
    if request.path.startswith(("/static/", "/v1/")):
        return
    current_user._get_current_object()


@bp.teardown_app_request
def _forget_request_state(_exc):
    for name in _PER_REQUEST:
        g.pop(name, None)


@bp.app_template_global("role_label")
def role_label(role: str) -> str:
    """A role's name in the page's language ("Staff" / "직원")."""
    from app.auth.roles import ROLE_LABELS, Role

    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return role


def client_address() -> str:
    """The client's address (ProxyFix, when enabled, has already applied X-Forwarded-For)."""
    return (request.remote_addr or "unknown")[:64]


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no `//` or `\\` tricks)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("ops.today")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    ended = g.pop("session_end", None)
    if ended and request.method == "GET":
        logout_user()
        flash(session_end_message(ended), "warning")
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    if form.validate_on_submit():
        previous = current_user.session_token if current_user.is_authenticated else None
        try:
            signed_in = sign_in(form.email.data, form.password.data, address=client_address(),
                                user_agent=request.user_agent.string, previous_token=previous)
        except SignInThrottled as exc:
            return (render_template("auth/login.html", form=form, error=str(exc.message)), 429,
                    {"Retry-After": str(exc.seconds)})
        except SignInFailed as exc:
            return render_template("auth/login.html", form=form, error=str(exc.message))
        # A fresh cookie: nothing from before sign-in (CSRF token, language) carries over.
        session.clear()
        login_user(signed_in.operator)
        if signed_in.failed_tries is not None:
            flash(failed_tries_message(signed_in.failed_tries), "error")
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form, error=None)


def failed_tries_message(tries) -> str:
    """What an operator is told after signing in when others failed their password."""
    from flask_babel import format_datetime

    return _("🛑 Since you last signed in, a wrong password was typed for your account %(count)s time(s), "
             "from %(addresses)s network(s); the last try was at %(when)s. If this was not you, tell an admin "
             "and change your password now (My account → Change password).",
             count=tries.count, addresses=tries.addresses, when=format_datetime(tries.last_at, "medium"))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        sign_out(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You are signed out. See you next time."), "success")
    return redirect(url_for("auth.login"))


from app.auth import account_views, admin_views  # noqa: E402,F401  (routes on bp)
