"""Operator sign-in and sign-out."""
from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from app.auth.forms import LoginForm
from app.auth.models import Operator
from app.core import clock
from app.extensions import db, login_manager

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"


@login_manager.user_loader
def _load_operator(operator_id: str):
    if not operator_id.isdigit():
        return None
    operator = db.session.get(Operator, int(operator_id))
    return operator if operator is not None and operator.active else None


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("ops.today")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        operator = db.session.scalar(select(Operator).where(Operator.email == email))
        if operator is not None and operator.active and operator.check_password(form.password.data):
            login_user(operator)
            operator.last_login_at = clock.now()
            db.session.commit()
            log.info("operator signed in", extra={"operator": operator.email})
            return redirect(_safe_next(request.args.get("next")))
        log.warning("sign-in failed", extra={"email": email})
        flash(_("The email or password is not right."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        log.info("operator signed out", extra={"operator": current_user.email})
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))
