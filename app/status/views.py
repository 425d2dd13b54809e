"""Pages of the status package: the public /status page (ko/ja/en), subscribing, and the
operators' editor under /ops/status (Korean first). Thin: role → form → one service → flash → redirect."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.decorators import role_required
from app.core import clock
from app.core.actor import Actor
from app.core.errors import DomainError, ValidationFailed
from app.core.ratelimit import client_key, count_request
from app.ops.checklist import TodayCount, nav_link, today_item
from app.status import policies, queries, services, states
from app.status.forms import (NoticeForm, PublishForm, RcaForm, SubscribeForm, UnsubscribeForm, UpdateForm,
                              parse_local, rca_texts)

bp = Blueprint("status", __name__, cli_group="status")

nav_link("status", "status.ops_list", _l("Status page"), role="staff", order=40)


@today_item("morning", order=30, role="staff", title=_l("Incident reports (RCA) to publish"),
            endpoint="status.ops_list")
def rca_today() -> TodayCount:
    waiting = queries.rca_waiting()
    late = queries.rca_overdue()
    return TodayCount(key="status_rca_due", title=_l("Incident reports (RCA) to publish"),
                      why=_l("After a serious incident guests read what happened and what we changed: within 48 "
                             "hours (S1) or 72 hours (S2) of the end."),
                      count=len(waiting), endpoint="status.ops_list",
                      severity="danger" if late else "warn" if waiting else "ok")


def _locale() -> str:
    return str(get_locale() or "ko")


def _actor() -> Actor:
    return Actor.operator(current_user)


def status_text(status: str) -> str:
    from app.status.mail import status_label

    return status_label(status)


def level_text(level: str) -> str:
    return {states.OPERATIONAL: _("Working normally"), states.DEGRADED: _("Slower than usual"),
            states.PARTIAL_OUTAGE: _("Partly not working"), states.MAJOR_OUTAGE: _("Not working"),
            states.MAINTENANCE: _("Maintenance")}.get(level, level)


def component_text(component: str) -> str:
    return {"booking_pages": _("Booking pages"), "api": _("Booking API"), "payments": _("Card payments"),
            "bank_transfers": _("Bank transfers"), "notifications": _("Emails and text messages"),
            "back_office": _("Back office")}.get(component, component)


def rca_field_text(field: str) -> str:
    return {"overview": _("Overview: period, impact, guests affected"),
            "cause": _("Cause: direct cause and contributing factors"),
            "mitigation": _("Recovery: immediate and permanent measures, with due dates"),
            "prevention": _("Prevention"), "evidence": _("Evidence"), "contact": _("Contact")}.get(field, field)


@bp.app_context_processor
def _status_helpers():
    def banner():
        try:
            return queries.banner_notices()
        except Exception:  # noqa: BLE001 — a banner must never break a booking page
            return []

    return {"status_banner_notices": banner, "status_level_text": level_text, "status_text": status_text,
            "status_component_text": component_text, "status_times": policies.timeline_times,
            "status_rca_field_text": rca_field_text, "status_components": states.COMPONENTS,
            "status_rca_fields": policies.RCA_FIELDS, "status_languages": policies.LANGUAGES}


# --- public -----------------------------------------------------------------------------------------


@bp.get("/status")
def public():
    lang = _locale() if _locale() in policies.LANGUAGES else "en"
    return render_template("status/public.html", **_public_context(lang))


def _public_context(lang: str, form=None) -> dict:
    now = clock.now()
    notices = queries.open_published()
    return dict(lang=lang, static=False, now=now, notices=notices, levels=queries.component_levels(notices, now),
                history=queries.history(now), css=None, generated=policies.timeline_times(now, lang),
                form=form or SubscribeForm(language=lang))


@bp.get("/status-site/")
@bp.get("/status-site/<path:filename>")
def static_site(filename: str = "index.html"):
    """The rendered static site (STATUS_STATIC_DIR), so STATUS_PAGE_URL's default works on one machine.

    In production the same files belong on another web server or a CDN (STATUS_PAGE_URL pointing
    there), which keeps them readable while this app is down; this route only serves what was rendered.
    """
    from flask import send_from_directory

    return send_from_directory(current_app.config["STATUS_STATIC_DIR"], filename, max_age=60)


@bp.post("/status/subscribe")
def subscribe():
    lang = _locale() if _locale() in policies.LANGUAGES else "en"
    form = SubscribeForm()
    if not form.validate_on_submit():
        return render_template("status/public.html", **_public_context(lang, form)), 422
    limit = current_app.config["STATUS_SUBSCRIBE_PER_HOUR"]
    counted = count_request(client_key("status-subscribe", request.remote_addr or "?"), limit, window=3600)
    if counted is not None and counted.count > limit:
        flash(_("Too many requests from here. Please try again in an hour."), "error")
        return redirect(url_for("status.public"))
    try:
        services.subscribe(form.email.data, form.language.data)
    except ValidationFailed:
        form.email.errors = [_("This is not an email address.")]
        return render_template("status/public.html", **_public_context(lang, form)), 422
    flash(_("Almost done: we sent you an email. Open the link in it to start receiving status mail."), "success")
    return redirect(url_for("status.public"))


@bp.get("/status/subscribe/confirm/<token>")
def confirm(token: str):
    try:
        sub = services.confirm_subscription(token[:500])
    except DomainError:
        abort(404)
    with force_locale(sub.language):
        flash(_("Thank you: you will receive status mail in this language."), "success")
    return redirect(url_for("status.public", lang=sub.language))


@bp.route("/status/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    form = UnsubscribeForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.unsubscribe(token[:500])
        except DomainError:
            abort(404)
        flash(_("You will not receive status mail any more."), "success")
        return redirect(url_for("status.public"))
    try:
        services._from_token(token[:500], "unsubscribe")
    except DomainError:
        abort(404)
    return render_template("status/unsubscribe.html", form=form, token=token)


# --- operators --------------------------------------------------------------------------------------


@bp.get("/ops/status/")
@role_required("staff")
def ops_list():
    return render_template("status/ops_list.html", notices=queries.list_all(), rca_waiting=queries.rca_waiting(),
                           overdue=queries.overdue_updates(), subscribers=services.count_active_subscribers(),
                           now=clock.now(), policies=policies)


def _next_update(raw: str | None):
    return clock.now() + timedelta(minutes=int(raw)) if raw and raw.isdigit() and int(raw) <= 10080 else None


@bp.route("/ops/status/new", methods=["GET", "POST"])
@role_required("staff")
def ops_new():
    form = NoticeForm()
    if form.validate_on_submit():
        components = {c: getattr(form, f"component_{c}").data for c in states.COMPONENTS
                      if getattr(form, f"component_{c}").data}
        if form.kind.data == states.PLANNED:
            components = {c: states.MAINTENANCE for c in components}
        try:
            notice = services.create_notice(
                kind=form.kind.data, severity=form.severity.data, components=components, texts=form.texts(),
                actor=_actor(), next_update_at=_next_update(form.next_update.data),
                started_at=parse_local(form.started_at.data), scheduled_start=parse_local(form.scheduled_start.data),
                scheduled_end=parse_local(form.scheduled_end.data))
        except ValidationFailed as exc:
            flash(_("Please check: %(fields)s", fields=", ".join(exc.fields) or str(exc.message)), "error")
        else:
            flash(_("Draft saved. Nothing is public yet: check the preview, then publish."), "success")
            return redirect(url_for("status.ops_detail", public_id=notice.public_id))
    return render_template("status/ops_new.html", form=form)


def _detail_context(notice, **forms):
    check = services.publish_check(notice)
    draft = notice.latest
    update_form = forms.get("update_form") or UpdateForm()
    update_form.status.choices = [(s, status_text(s)) for s in states.STATUSES[notice.kind]
                                  if s == notice.status or s in states.TRANSITIONS[notice.kind][notice.status]]
    rca_form = forms.get("rca_form") or RcaForm(data={f"{f}_{lang}": ((notice.rca or {}).get(lang) or {}).get(f, "")
                                                      for lang in policies.LANGUAGES for f in policies.RCA_FIELDS})
    previews = {}
    for lang in policies.LANGUAGES:
        with force_locale(lang):       # exactly what a guest reading this language sees
            previews[lang] = render_template("status/_preview.html", notice=notice, lang=lang, now=clock.now())
    return dict(notice=notice, check=check, previews=previews, missing=policies.missing_languages(draft.texts if draft else {}),
                publish_form=forms.get("publish_form") or PublishForm(), update_form=update_form, rca_form=rca_form,
                is_manager=current_user.has_role("manager"), now=clock.now(),
                rca_due=policies.rca_due_at(notice.severity, notice.resolved_at),
                confirming=forms.get("confirming"), policies=policies)


def _notice_or_404(public_id: str):
    notice = queries.get_notice(public_id)
    if notice is None:
        abort(404)
    return notice


@bp.get("/ops/status/<public_id>")
@role_required("staff")
def ops_detail(public_id: str):
    return render_template("status/ops_detail.html", **_detail_context(_notice_or_404(public_id)))


@bp.post("/ops/status/<public_id>/publish")
@role_required("staff")
def ops_publish(public_id: str):
    notice = _notice_or_404(public_id)
    form = PublishForm()
    if not form.validate_on_submit():
        return render_template("status/ops_detail.html", **_detail_context(notice, publish_form=form)), 422
    if not form.is_confirmed:
        return render_template("status/ops_detail.html", **_detail_context(notice, publish_form=form,
                                                                             confirming="publish"))
    try:
        services.publish_notice(public_id, actor=_actor(), override_reason=form.override_reason.data)
    except DomainError as exc:
        flash(str(_refusal_text(exc)), "error")
        return render_template("status/ops_detail.html", **_detail_context(notice, publish_form=form)), 422
    flash(_("Published in Korean, Japanese and English. The public page and its offline copy are updated, and "
            "subscribers get an email in their language within a minute."), "success")
    return redirect(url_for("status.ops_detail", public_id=public_id))


def _refusal_text(exc: DomainError):
    missing = exc.extra.get("missing") if exc.extra else None
    if missing:
        names = {"ko": _("Korean"), "ja": _("Japanese"), "en": _("English")}
        return _("Not published: some languages are not finished (%(langs)s).",
                 langs=", ".join(str(names[lang]) for lang in missing))
    rule = exc.extra.get("rule") if exc.extra else None
    if rule == "too_early":
        return _("Not published: an S2 incident is announced once it has lasted 10 minutes. A manager may "
                 "publish sooner with a reason.")
    if rule == "short_notice":
        return _("Not published: maintenance is announced at least 3 business days ahead. A manager may "
                 "publish sooner with a reason.")
    if exc.status == 403:
        return _("Only a manager may publish before the rule's time.")
    return exc.message


@bp.post("/ops/status/<public_id>/update")
@role_required("staff")
def ops_update(public_id: str):
    notice = _notice_or_404(public_id)
    form = UpdateForm()
    form.status.choices = [(s, s) for s in states.STATUSES[notice.kind]]
    if not form.validate_on_submit():
        return render_template("status/ops_detail.html", **_detail_context(notice, update_form=form)), 422
    if not form.is_confirmed:
        return render_template("status/ops_detail.html", **_detail_context(notice, update_form=form,
                                                                             confirming="update"))
    try:
        services.post_update(public_id, status=form.status.data, texts=form.texts(), actor=_actor(),
                             next_update_at=_next_update(form.next_update.data))
    except DomainError as exc:
        flash(str(_refusal_text(exc)), "error")
        return render_template("status/ops_detail.html", **_detail_context(notice, update_form=form)), 422
    flash(_("Update published in three languages; subscribers are emailed."), "success")
    return redirect(url_for("status.ops_detail", public_id=public_id))


@bp.post("/ops/status/<public_id>/rca")
@role_required("staff")
def ops_rca(public_id: str):
    notice = _notice_or_404(public_id)
    form = RcaForm()
    if not form.validate_on_submit():
        return render_template("status/ops_detail.html", **_detail_context(notice, rca_form=form)), 422
    publish = request.form.get("action") == "publish"
    try:
        services.save_rca(public_id, texts=rca_texts(form), actor=_actor(), publish=publish)
    except DomainError as exc:
        flash(str(_refusal_text(exc)), "error")
        return render_template("status/ops_detail.html", **_detail_context(notice, rca_form=form)), 422
    flash(_("The incident report is published and linked from the incident.") if publish
          else _("The incident report is saved (not public yet)."), "success")
    return redirect(url_for("status.ops_detail", public_id=public_id))


@bp.cli.command("publish")
def publish_command():
    """Render the static status site again (and upload it when a bucket is set)."""
    import click

    from app.status.static import publish_site

    names = publish_site()
    click.echo(f"{len(names)} files written to {current_app.config['STATUS_STATIC_DIR']}")
