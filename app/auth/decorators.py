"""Role checks for operator routes: every back-office view carries one."""
from __future__ import annotations

import functools
import logging

from flask import abort, redirect, request, url_for
from flask_login import current_user

log = logging.getLogger(__name__)


def role_required(role: str):
    """Signed-in operators with `role` (or a higher one) only; others get 403.

    Someone not signed in is sent to the sign-in page (GET) or refused (other methods).
    """

    def decorator(view):
        view.required_role = role

        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.method == "GET":
                    return redirect(url_for("auth.login", next=request.full_path))
                abort(401)
            if not current_user.has_role(role):
                log.warning("permission refused", extra={"operator": current_user.email, "role": current_user.role,
                                                         "required": role, "path": request.path})
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role
        return wrapped

    return decorator
