"""Role checks for operator routes: every back-office view carries one.

`role_required` also marks the view (`view.required_role`), so a test can walk
`app.url_map` and check every back-office route for every role.
"""
from __future__ import annotations

import functools

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.auth.roles import Role

def session_end_message(reason: str) -> str:
    """What to tell someone whose session stopped counting, by reason (app.auth.policies)."""
    from flask import current_app

    texts = {
        "idle": _("You were signed out after %(minutes)s minutes without activity. Please sign in again.",
                  minutes=current_app.config["SESSION_IDLE_MINUTES"]),
        "expired": _("You were signed out because you have been signed in for %(hours)s hours. "
                     "Please sign in again.", hours=current_app.config["SESSION_ABSOLUTE_HOURS"]),
        "password_changed": _("Your password was changed, so you were signed out here. "
                              "Sign in with the new password."),
        "disabled": _("This account was turned off by an admin."),
        "replaced": _("You signed in again elsewhere in this browser. Please sign in again."),
    }
    return texts.get(reason, _("You were signed out. Please sign in again."))


def role_required(role: str):
    """Signed-in operators with `role` (or a higher one) only; others get 403.

    Someone not signed in is sent to the sign-in page (GET/HEAD) or refused
    with 401 (other methods). A refusal of a signed-in operator is logged and
    written to the audit log.
    """
    Role(role)  # fail at import time for a misspelt role

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                ended = g.pop("session_end", None)
                if ended:
                    logout_user()  # drop the dead session id from the cookie
                if request.method in ("GET", "HEAD"):
                    if ended:
                        flash(session_end_message(ended), "warning")
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                abort(401, description=_("You are not signed in (or your session ended). Sign in again, "
                                         "then repeat what you were doing."))
            if not current_user.has_role(role):
                from app.auth.services import record_permission_refused

                record_permission_refused(current_user._get_current_object(), path=request.path,
                                          method=request.method, required=role)
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role
        return wrapped

    return decorator
