"""The admin's operator pages: list, add, disable/enable, change role.

Each change is two steps: a page restating the effect (and asking for a
reason), then the POST that calls one service.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth import queries, services
from app.auth.account_views import apply_errors
from app.auth.decorators import role_required
from app.auth.forms import NewOperatorForm, ReasonForm
from app.auth.roles import LANGUAGE_LABELS, ROLE_DESCRIPTIONS, ROLE_LABELS, Role
from app.auth.views import bp
from app.core.actor import Actor
from app.core.errors import ValidationFailed
from app.ops.checklist import nav_link

nav_link("operators", "auth.admin_operators", _l("Operators"), role="admin", order=90)


def _actor() -> Actor:
    return Actor.operator(current_user)


@bp.get("/admin/operators")
@role_required("admin")
def admin_operators():
    return render_template("auth/admin_operators.html", operators=queries.list_operators(),
                           sessions=queries.live_session_counts(), role_labels=ROLE_LABELS,
                           language_labels=LANGUAGE_LABELS)


@bp.route("/admin/operators/new", methods=["GET", "POST"])
@role_required("admin")
def admin_operator_new():
    form = NewOperatorForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("auth/admin_operator_new.html", form=form, role_descriptions=ROLE_DESCRIPTIONS), status
    confirming = form.step.data == "confirm"
    try:
        if not confirming:
            # Step 1 → 2: check what can be checked now, then restate the effect.
            services.normalize_email(form.email.data)
            services.validate_password(form.password.data)
            return render_template("auth/admin_operator_confirm_new.html", form=form, role_labels=ROLE_LABELS,
                                   role_descriptions=ROLE_DESCRIPTIONS, language_labels=LANGUAGE_LABELS)
        operator = services.create_operator(form.email.data, form.password.data, role=form.role.data,
                                            name=form.name.data, language=form.language.data, actor=_actor(),
                                            reason=services.validate_reason(form.reason.data))
    except ValidationFailed as exc:
        apply_errors(form, exc)
        template = "auth/admin_operator_confirm_new.html" if confirming and set(exc.fields) <= {"reason"} \
            else "auth/admin_operator_new.html"
        return render_template(template, form=form, role_labels=ROLE_LABELS, role_descriptions=ROLE_DESCRIPTIONS,
                               language_labels=LANGUAGE_LABELS), 422
    flash(_("%(name)s can now sign in with %(email)s and the first password you chose. Ask them to change it "
            "on their account page after signing in.", name=operator.name, email=operator.email), "success")
    return redirect(url_for("auth.admin_operator", operator_id=operator.id))


@bp.get("/admin/operators/<int:operator_id>")
@role_required("admin")
def admin_operator(operator_id: int):
    operator = queries.get_operator(operator_id)
    return render_template("auth/admin_operator.html", operator=operator, role_labels=ROLE_LABELS,
                           role_descriptions=ROLE_DESCRIPTIONS, language_labels=LANGUAGE_LABELS,
                           live_sessions=queries.live_session_counts().get(operator.id, 0),
                           last_admin=queries.is_last_active_admin(operator), roles=list(Role))


def _confirm_page(operator, action: str, form: ReasonForm, status: int = 200, target_role: str | None = None):
    return render_template("auth/admin_operator_confirm.html", operator=operator, action=action, form=form,
                           target_role=target_role, role_labels=ROLE_LABELS, role_descriptions=ROLE_DESCRIPTIONS,
                           live_sessions=queries.live_session_counts().get(operator.id, 0),
                           last_admin=queries.is_last_active_admin(operator),
                           is_self=operator.id == current_user.id), status


def _set_active(operator_id: int, active: bool):
    operator = queries.get_operator(operator_id)
    action = "enable" if active else "disable"
    form = ReasonForm()
    if request.method == "GET":
        return _confirm_page(operator, action, form)
    if not form.validate_on_submit():
        return _confirm_page(operator, action, form, 422)
    is_self = operator.id == current_user.id
    try:
        operator, changed = services.set_operator_active(operator.id, active, actor=_actor(), reason=form.reason.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _confirm_page(operator, action, form, exc.status)
    if not changed:
        flash(_("Nothing changed: this account was already like that."), "info")
    elif active:
        flash(_("%(name)s can sign in again. Their role is still %(role)s.", name=operator.name,
                role=ROLE_LABELS[Role(operator.role)]), "success")
    elif is_self:
        flash(_("Your own account is turned off. You have been signed out."), "success")
        return redirect(url_for("auth.login"))
    else:
        flash(_("%(name)s is signed out everywhere and can no longer sign in. You can turn the account back "
                "on at any time.", name=operator.name), "success")
    return redirect(url_for("auth.admin_operator", operator_id=operator.id))


@bp.route("/admin/operators/<int:operator_id>/disable", methods=["GET", "POST"])
@role_required("admin")
def admin_operator_disable(operator_id: int):
    return _set_active(operator_id, False)


@bp.route("/admin/operators/<int:operator_id>/enable", methods=["GET", "POST"])
@role_required("admin")
def admin_operator_enable(operator_id: int):
    return _set_active(operator_id, True)


@bp.route("/admin/operators/<int:operator_id>/role", methods=["GET", "POST"])
@role_required("admin")
def admin_operator_role(operator_id: int):
    operator = queries.get_operator(operator_id)
    form = ReasonForm()
    target = (form.role.data if request.method == "POST" else request.args.get("role")) or ""
    if target not in set(Role):
        abort(404)
    if request.method == "GET":
        form.role.data = target
        return _confirm_page(operator, "role", form, target_role=target)
    if not form.validate_on_submit():
        return _confirm_page(operator, "role", form, 422, target_role=target)
    try:
        operator, changed = services.change_operator_role(operator.id, target, actor=_actor(),
                                                          reason=form.reason.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _confirm_page(operator, "role", form, exc.status, target_role=target)
    if changed:
        flash(_("%(name)s is now %(role)s. It applies from their next page.", name=operator.name,
                role=ROLE_LABELS[Role(target)]), "success")
    else:
        flash(_("Nothing changed: this account already has that role."), "info")
    return redirect(url_for("auth.admin_operator", operator_id=operator.id))
