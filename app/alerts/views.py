"""Pages of the alerts package: the list (open / acknowledged / resolved), one alert with its
🛑 decision box and timeline, silences and the on-call lists. Also the navigation link with
its red count and the Today item.

Roles: staff may read the list and an alert; managers acknowledge, resolve and silence;
admins edit the on-call lists (managers read them). Thin: role → form → one service → flash.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.alerts import policies, queries, services, texts
from app.alerts.forms import AcknowledgeForm, EndSilenceForm, OnCallForm, ResolveForm, SilenceForm
from app.alerts.models import AlertStatus
from app.alerts.rules import ALERT_RULES, RULES
from app.auth.decorators import role_required
from app.core import clock
from app.core.errors import IllegalTransition, NotFound, ValidationFailed
from app.ops.checklist import TodayCount, nav_link, today_item

bp = Blueprint("alerts", __name__, url_prefix="/ops/alerts")

nav_link("alerts", "alerts.alerts", _l("Alerts"), role="staff", order=15,
         badge=queries.count_open_unacknowledged, badge_role="manager")


@bp.app_context_processor
def _alert_helpers():
    return {"alert_severity_label": lambda s: texts.SEVERITY_LABELS.get(s, s),
            "alert_area_label": lambda a: texts.AREA_LABELS.get(a, a),
            "alert_status_label": lambda s: texts.STATUS_LABELS.get(s, s),
            "alert_rule": RULES.get, "alert_facts": texts.facts_sentence}


@bp.app_template_filter("alert_moment")
def _alert_moment(value) -> str:
    """A moment in the operator's zone and language: "2026. 12. 7. 오후 3:30" in Korean."""
    from app.core.language import moment

    return moment(value) if value else ""


def _alert_or_404(public_id: str):
    alert = queries.get_alert(public_id)
    if alert is None:
        abort(404)
    return alert


# --- the list and one alert -----------------------------------------------------------------------

@bp.get("/")
@role_required("staff")
def alerts():
    status = request.args.get("status", AlertStatus.OPEN)
    if status not in AlertStatus.ALL:
        status = AlertStatus.OPEN
    severity = request.args.get("severity") or None
    area = request.args.get("area") or None
    rule = request.args.get("rule") or None
    severity = severity if severity in policies.SEVERITIES else None
    area = area if area in policies.AREAS else None
    rule = rule if rule in RULES else None
    return render_template("alerts/list.html", alerts=queries.list_alerts(status, severity=severity, area=area,
                                                                         rule=rule),
                           status=status, severity=severity, area=area, rule=rule, counts=queries.count_by_status(),
                           rules=ALERT_RULES, severities=policies.SEVERITIES, areas=policies.AREAS,
                           may_act=current_user.has_role("manager"))


def _detail(alert, **extra):
    rule = RULES.get(alert.rule)
    due_ack = alert.opened_at + rule.respond_within if rule else None
    due_resolve = alert.opened_at + rule.resolve_by if rule else None
    return dict(alert=alert, rule=rule, due_ack=due_ack, due_resolve=due_resolve, now=clock.now(),
                timeline=queries.timeline(alert), messages=queries.messages_of(alert),
                contacts=services.oncall_contacts(alert.area),
                silence=services.active_silence(alert.rule, alert.subject, clock.now()),
                may_act=current_user.has_role("manager"), **extra)


@bp.get("/<public_id>")
@role_required("staff")
def alert_detail(public_id: str):
    return render_template("alerts/detail.html", **_detail(_alert_or_404(public_id)))


@bp.route("/<public_id>/acknowledge", methods=["GET", "POST"])
@role_required("manager")
def acknowledge(public_id: str):
    alert = _alert_or_404(public_id)
    form = AcknowledgeForm()
    if alert.status != AlertStatus.OPEN:
        flash(_("This alert is no longer waiting: it is “%(status)s”. Nothing was changed.",
                status=texts.STATUS_LABELS[alert.status]), "warning")
        return redirect(url_for(".alert_detail", public_id=public_id))
    if request.method == "GET" or not form.validate_on_submit() or not form.is_confirmed:
        if request.method == "POST" and form.errors:
            abort(400)
        return render_template("alerts/act.html", form=form, action="acknowledge",
                               confirming=request.method == "POST", **_detail(alert))
    try:
        services.acknowledge(public_id, current_user._get_current_object())
    except IllegalTransition:
        flash(_("Someone acknowledged this alert meanwhile; nothing was done twice."), "warning")
        return redirect(url_for(".alert_detail", public_id=public_id))
    flash(_("You are on it. No more reminders are sent and nobody else is called; resolve the alert when "
            "the work is done."), "success")
    return redirect(url_for(".alert_detail", public_id=public_id))


@bp.route("/<public_id>/resolve", methods=["GET", "POST"])
@role_required("manager")
def resolve(public_id: str):
    alert = _alert_or_404(public_id)
    if alert.status == AlertStatus.RESOLVED:
        flash(_("This alert is resolved already. Nothing was changed."), "warning")
        return redirect(url_for(".alert_detail", public_id=public_id))
    form = ResolveForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("alerts/act.html", form=form, action="resolve", confirming=False,
                               **_detail(alert)), status
    if not form.is_confirmed:
        return render_template("alerts/act.html", form=form, action="resolve", confirming=True, **_detail(alert))
    try:
        services.resolve_by_operator(public_id, current_user._get_current_object(), form.note.data)
    except IllegalTransition:
        flash(_("This alert was resolved meanwhile; nothing was done twice."), "warning")
        return redirect(url_for(".alert_detail", public_id=public_id))
    flash(_("Resolved. The people who were told get a short “resolved” message. If the problem is still "
            "there, a new alert opens within a minute."), "success")
    return redirect(url_for(".alert_detail", public_id=public_id))


# --- silences ------------------------------------------------------------------------------------------

def _parse_local(value: str) -> datetime | None:
    """'2026-12-24 18:00' (or with a T) in the operator's time zone → UTC; None if unreadable or absurd."""
    value = (value or "").strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if not 2000 <= parsed.year <= 2100:
            return None
        return parsed.replace(tzinfo=ZoneInfo(current_user.timezone or "Asia/Seoul"))
    return None


def _silence_form() -> SilenceForm:
    form = SilenceForm()
    form.rule.choices = [(r.key, str(r.title)) for r in ALERT_RULES]
    if request.method == "GET" and request.args.get("rule") in RULES:
        form.rule.data = request.args["rule"]
        form.subject.data = (request.args.get("subject") or "")[:200]
    return form


@bp.route("/silences", methods=["GET", "POST"])
@role_required("manager")
def silences():
    form = _silence_form()
    active, ended = queries.list_silences()
    ends_at = None
    if request.method == "POST" and form.validate_on_submit():
        ends_at = _parse_local(form.ends_at.data)
        now = clock.now()
        if ends_at is None or ends_at <= now or ends_at > now + policies.SILENCE_MAX:
            form.ends_at.errors = [*form.ends_at.errors,
                                   _("Choose an end time in the future, within 7 days (e.g. 2026-12-24 18:00).")]
        elif not form.is_confirmed:
            return render_template("alerts/silences.html", form=form, active=active, ended=ended, confirming=True,
                                   ends_at=ends_at, end_form=EndSilenceForm())
        else:
            try:
                services.create_silence(rule=form.rule.data, subject=form.subject.data or None, ends_at=ends_at,
                                        reason=form.reason.data, operator=current_user._get_current_object())
            except ValidationFailed:
                form.reason.errors = [*form.reason.errors, _("Check the fields and try again.")]
            else:
                flash(_("Silenced. Alerts are still recorded and shown here, but no message is sent for them "
                        "until the end time."), "success")
                return redirect(url_for(".silences"))
    status = 422 if request.method == "POST" else 200
    return render_template("alerts/silences.html", form=form, active=active, ended=ended, confirming=False,
                           ends_at=ends_at, end_form=EndSilenceForm()), status


@bp.route("/silences/<public_id>/end", methods=["GET", "POST"])
@role_required("manager")
def end_silence(public_id: str):
    silence = queries.get_silence(public_id)
    if silence is None:
        abort(404)
    form = EndSilenceForm()
    if request.method == "GET" or not form.validate_on_submit() or not form.is_confirmed:
        if request.method == "POST" and form.errors:
            abort(400)
        return render_template("alerts/end_silence.html", silence=silence, form=form, rule=RULES.get(silence.rule))
    try:
        services.end_silence(public_id, current_user._get_current_object())
    except IllegalTransition:
        flash(_("This silence had ended already; nothing was changed."), "warning")
    except NotFound:
        abort(404)
    else:
        flash(_("The silence has ended. Messages for these alerts are sent again from the next minute."), "success")
    return redirect(url_for(".silences"))


# --- on-call lists -----------------------------------------------------------------------------------

def _oncall_form(area: str) -> OnCallForm:
    from sqlalchemy import select

    from app.auth.models import Operator
    from app.extensions import db

    form = OnCallForm()
    people = db.session.scalars(select(Operator).where(Operator.active.is_(True)).order_by(Operator.name)).all()
    choices = [(0, _("— nobody / use the address —"))] + [(p.id, f"{p.name or p.email} ({p.email})") for p in people]
    for i in policies.ONCALL_POSITIONS:
        getattr(form, f"person_{i}").choices = choices
    if request.method == "GET":
        for entry in queries.oncall_lists()[area]:
            getattr(form, f"person_{entry.position}").data = entry.operator_id or 0
            getattr(form, f"email_{entry.position}").data = entry.email or ""
            getattr(form, f"phone_{entry.position}").data = entry.phone or ""
    return form


@bp.get("/oncall")
@role_required("manager")
def oncall():
    return render_template("alerts/oncall.html", lists=queries.oncall_lists(), areas=policies.AREAS,
                           contacts={a: services.oncall_contacts(a) for a in policies.AREAS},
                           may_edit=current_user.has_role("admin"))


@bp.route("/oncall/<area>", methods=["GET", "POST"])
@role_required("admin")
def oncall_edit(area: str):
    if area not in policies.AREAS:
        abort(404)
    form = _oncall_form(area)
    if request.method == "POST" and form.validate_on_submit():
        entries = [{"operator_id": getattr(form, f"person_{i}").data or None,
                    "email": getattr(form, f"email_{i}").data, "phone": getattr(form, f"phone_{i}").data,
                    "language": "ko"} for i in policies.ONCALL_POSITIONS]
        try:
            services.set_oncall(area, entries, current_user._get_current_object())
        except ValidationFailed:
            flash(_("One of the people chosen no longer exists. Choose again."), "error")
        else:
            flash(_("Saved. The next alert of this area calls these people in this order."), "success")
            return redirect(url_for(".oncall"))
    status = 422 if request.method == "POST" else 200
    return render_template("alerts/oncall_edit.html", form=form, area=area), status


# --- Today ------------------------------------------------------------------------------------------

@today_item("morning", order=1, role="staff", title=_l("Open alerts"), endpoint="alerts.alerts")
def open_alerts_today() -> TodayCount:
    open_count = queries.count_open_unacknowledged()
    return TodayCount(key="open_alerts", title=_l("Alerts nobody has acknowledged yet"),
                      why=_l("Urgent alerts must be acknowledged within 15 minutes (booking conflicts: 5 minutes)."),
                      count=open_count, endpoint="alerts.alerts", severity="bad" if open_count else "ok")
