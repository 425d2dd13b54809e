"""The operator's own account: name, language, password, where they are signed in."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user

from app.auth import services
from app.auth.decorators import role_required
from app.auth.forms import ChangePasswordForm, ProfileForm
from app.auth.sessions import list_live_sessions
from app.auth.views import bp, client_address
from app.core.errors import ValidationFailed


def apply_errors(form, exc: ValidationFailed) -> None:
    """Put a service's field errors next to the form's fields (others as a general error)."""
    if not exc.fields:
        form.form_errors.append(str(exc.message))
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, str(message)]
        else:
            form.form_errors.append(str(message))


def _render(profile_form=None, password_form=None, status=200):
    operator = current_user._get_current_object()
    profile_form = profile_form or ProfileForm(formdata=None, name=operator.name, language=operator.language)
    password_form = password_form or ChangePasswordForm(formdata=None)
    return render_template("auth/account.html", profile_form=profile_form, password_form=password_form,
                           sessions=list_live_sessions(operator.id), current_token=operator.session_token), status


@bp.get("/account")
@role_required("staff")
def account():
    return _render()


@bp.post("/account/profile")
@role_required("staff")
def account_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render(profile_form=form, status=422)
    try:
        services.update_profile(current_user.id, name=form.name.data, language=form.language.data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _render(profile_form=form, status=422)
    session.pop("lang", None)  # the operator's own choice wins over an earlier ?lang=
    refresh()  # and this message is already in it
    flash(_("Saved. Pages now use the language you chose."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/password")
@role_required("staff")
def account_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _render(password_form=form, status=422)
    operator = current_user._get_current_object()
    try:
        token = services.change_password(operator.id, form.current_password.data, form.new_password.data,
                                         form.confirm_password.data, address=client_address(),
                                         user_agent=request.user_agent.string)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _render(password_form=form, status=422)
    operator.session_token = token
    login_user(operator)  # this browser continues on its new session
    flash(_("Your password is changed. Every other place where you were signed in has been signed out."),
          "success")
    return redirect(url_for("auth.account"))
