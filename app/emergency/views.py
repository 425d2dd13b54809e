"""Pages of the emergency package: the server-down procedure (staff+) and the contact list
(staff read it, admins change it). Thin: role → form → one service → flash."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.decorators import role_required
from app.core.errors import NotFound, ValidationFailed
from app.emergency import policies, publish, queries, services
from app.emergency.forms import ContactForm, DeleteContactForm
from app.ops.checklist import TodayCount, nav_link, today_item

bp = Blueprint("emergency", __name__, url_prefix="/ops/emergency", cli_group="emergency")

nav_link("emergency", "emergency.procedure", _l("Site down?"), role="staff", order=95)


@bp.app_context_processor
def _emergency_helpers():
    """The guest-facing settings (brand, support line, status page) and the procedure's helpers;
    reads no database, so the outage pages can use it too."""
    from app.emergency.settings import guest_settings

    return {"tel_href": policies.tel_href, "contact_role_label": lambda r: policies.CONTACT_ROLES.get(r, r),
            "server_down_url": publish.server_down_url, **guest_settings()}


@bp.get("/")
@role_required("staff")
def procedure():
    return render_template("emergency/procedure.html", **publish.procedure_context(live=True))


def _oncall_lists():
    """The automatic escalation lists of the alerts (read-only here; edited on their own page)."""
    from app.alerts import policies as alert_policies
    from app.alerts import services as alert_services
    from app.alerts import texts as alert_texts

    return [(alert_texts.AREA_LABELS.get(area, area), alert_services.oncall_contacts(area))
            for area in alert_policies.AREAS]


@bp.get("/contacts")
@role_required("staff")
def contacts():
    return render_template("emergency/contacts.html", contacts=queries.list_contacts(), oncall=_oncall_lists(),
                           may_edit=current_user.has_role("admin"), may_see_oncall=current_user.has_role("manager"))


def _contact_or_404(contact_id: int):
    contact = queries.get_contact(contact_id)
    if contact is None:
        abort(404)
    return contact


def _edit(contact=None):
    form = ContactForm(obj=contact) if request.method == "GET" else ContactForm()
    back = url_for(".contacts")
    if request.method == "POST" and form.validate_on_submit():
        if not form.is_confirmed:
            return render_template("emergency/contact_edit.html", form=form, contact=contact, confirming=True,
                                   back=back)
        try:
            if contact is None:
                services.create_contact(form.values(), current_user._get_current_object())
            else:
                services.update_contact(contact.id, form.values(), current_user._get_current_object())
        except NotFound:
            flash(_("This contact was removed meanwhile. Nothing was saved."), "warning")
            return redirect(back)
        except ValidationFailed:
            flash(_("Check the fields and try again."), "error")
        else:
            flash(_("Saved. The printable server-down page now shows the new list."), "success")
            return redirect(back)
    status = 422 if request.method == "POST" else 200
    return render_template("emergency/contact_edit.html", form=form, contact=contact, confirming=False,
                           back=back), status


@bp.route("/contacts/new", methods=["GET", "POST"])
@role_required("admin")
def contact_new():
    return _edit()


@bp.route("/contacts/<int:contact_id>", methods=["GET", "POST"])
@role_required("admin")
def contact_edit(contact_id: int):
    return _edit(_contact_or_404(contact_id))


@bp.route("/contacts/<int:contact_id>/delete", methods=["GET", "POST"])
@role_required("admin")
def contact_delete(contact_id: int):
    contact = _contact_or_404(contact_id)
    form = DeleteContactForm()
    if request.method == "POST" and form.validate_on_submit() and form.is_confirmed:
        try:
            services.delete_contact(contact.id, current_user._get_current_object())
        except NotFound:
            pass
        flash(_("Removed. The printable server-down page no longer shows this contact."), "success")
        return redirect(url_for(".contacts"))
    if request.method == "POST" and form.errors:
        abort(400)
    return render_template("emergency/contact_delete.html", form=form, contact=contact)


@today_item("morning", order=95, role="staff", title=_l("Who to call when the site is down"),
            endpoint="emergency.contacts")
def contact_list_today() -> TodayCount:
    """The server-down page is only as good as its contact list: the developer and the overall lead."""
    missing = queries.missing_roles()
    return TodayCount(key="emergency_contacts", title=_l("Who to call when the site is down"),
                      why=_l("The printable server-down page tells the operator to call the developer, then the "
                             "overall lead; without their numbers nobody can be called."),
                      count=len(missing), endpoint="emergency.contacts", severity="warn" if missing else "ok",
                      detail=", ".join(str(policies.CONTACT_ROLES[r]) for r in missing) or None)


def _register_cli() -> None:
    import click

    @bp.cli.command("publish")
    @click.option("--dir", "directory", default=None,
                  help="Where to write (default: STATUS_STATIC_DIR, else instance/status-site).")
    def publish_command(directory: str | None):
        """Write server-down.ko.html and server-down.en.html (self-contained, printable)."""
        from pathlib import Path

        target = directory or publish.default_directory()
        written = publish.render_static_files(target)
        for name in written:
            click.echo(str(Path(target) / name))
        current_app.logger.info("server-down pages published: %s", written)


_register_cli()
