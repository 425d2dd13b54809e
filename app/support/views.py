"""Pages of the support package: the queue, one ticket (reply with a ready reply → preview → send,
internal notes, urgency / status / owner with a confirm step), a new ticket from a phone call, the
monthly report (staff+); the guests' contact form and the one-question rating link (public).

Thin: check the role → validate the form → (confirm step) → call one service → flash → redirect.
"""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.auth.decorators import role_required
from app.auth.models import Operator
from app.auth.roles import Role
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.extensions import db
from app.support import macros, policies, queries, services
from app.support import today  # noqa: F401  (registers the Today items and the nav link)
from app.support.forms import (ContactForm, CsatForm, NoteForm, OwnerForm, PhoneTicketForm, ReplyForm, SeverityForm,
                               StatusForm)

log = logging.getLogger(__name__)

bp = Blueprint("support", __name__)

#: The guests' contact form is counted per address in 15-minute windows.
CONTACT_WINDOW = 15 * 60


def _lang() -> str:
    return str(get_locale() or "ko")[:2]


def severity_label(severity: str) -> str:
    return {"S1": _("S1 · service down"), "S2": _("S2 · serious"), "S3": _("S3 · normal"),
            "S4": _("S4 · question")}.get(severity, severity)


def status_label(status: str) -> str:
    return {"new": _("New, not answered yet"), "open": _("Being handled"),
            "waiting_on_customer": _("Waiting for the guest (clocks paused)"), "resolved": _("Solved"),
            "closed": _("Closed")}.get(status, status)


def clock_label(name: str | None) -> str:
    return {"first_response": _("first answer"), "resolution": _("solution"), "update": _("next update")}.get(
        name or "", "")


def language_label(language: str) -> str:
    """The guest's language in the operator's words (Korean: 일본어)."""
    return {"ko": _("Korean"), "ja": _("Japanese"), "en": _("English")}.get(language, language)


def category_label(category: str) -> str:
    return {"booking": _("Booking"), "billing": _("Payment or refund"), "incident": _("Something does not work"),
            "howto": _("How-to question"), "other": _("Other")}.get(category, category)


def channel_label(channel: str) -> str:
    return {"web": _("contact form"), "phone": _("phone call"), "email": _("email")}.get(channel, channel)


#: Support pages show moments in the one style of app.core.language ("2026년 12월 7일 (월) 오후 3:05").


@bp.app_template_filter("ticket_time")
def ticket_time(value) -> str:
    if value is None:
        return ""
    from app.core.language import moment

    return moment(value)


@bp.app_context_processor
def _labels():
    # severity_label: seed 002's S1-S4 in words, for tickets and status-page notices alike
    return {"severity_label": severity_label, "ticket_severity_label": severity_label,
            "ticket_status_label": status_label,
            "ticket_clock_label": clock_label, "ticket_category_label": category_label,
            "ticket_channel_label": channel_label}


def _get(public_id: str):
    try:
        return services.get_ticket(public_id)
    except NotFound:
        abort(404)


# --- back office --------------------------------------------------------------------------------------

@bp.get("/ops/support")
@role_required(Role.STAFF)
def queue():
    chosen = request.args.get("queue") if request.args.get("queue") in policies.QUEUES else None
    return render_template("support/queue.html", rows=queries.list_queue(chosen), chosen=chosen,
                           done=queries.list_recent_done(), queues=policies.QUEUES,
                           minutes_left=queries.time_left_minutes)


@bp.route("/ops/support/new", methods=["GET", "POST"])
@role_required(Role.STAFF)
def new_ticket():
    form = PhoneTicketForm()
    term = (request.args.get("q") or "").strip()[:254]
    from app.ops.queries import find_reservations

    matches = find_reservations(term, limit=10) if term else []
    reservation = None
    rid = (form.reservation.data or request.args.get("reservation") or "").strip()[:40]
    if rid:
        from app.booking.queries import get_reservation_by_public_id

        reservation = get_reservation_by_public_id(rid)
    if request.method == "GET" and reservation is not None:
        form.reservation.data = reservation.public_id
        form.name.data = form.name.data or services.guest_name_of(reservation)
        form.email.data = form.email.data or reservation.guest_email
        form.phone.data = form.phone.data or reservation.guest_phone
        form.language.data = reservation.language if reservation.language in ("ko", "ja", "en") else "en"
    suggested = services.suggest_for(form.category.data or "booking", reservation)
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("support/new.html", form=form, term=term, matches=matches, reservation=reservation,
                               suggested=suggested, confirming=False), 422 if request.method == "POST" else 200
    severity = form.severity.data or suggested
    if not form.is_confirmed:
        return render_template("support/new.html", form=form, term=term, matches=[], reservation=reservation,
                               suggested=suggested, severity=severity, confirming=True)
    ticket = services.create_ticket(
        channel="phone", category=form.category.data, purpose=form.purpose.data, body=form.message.data,
        actor=Actor.operator(current_user), reservation=reservation, guest_name=form.name.data or "",
        guest_email=(form.email.data or "").strip().lower(), guest_phone=form.phone.data or "",
        language=form.language.data, severity=severity, author_name=current_user.name or current_user.email)
    flash(_("The call is saved as inquiry %(id)s. Its clock has started.", id=ticket.public_id), "success")
    return redirect(url_for(".ticket", public_id=ticket.public_id), 303)


def _owner_choices():
    ops = db.session.scalars(select(Operator).where(Operator.active.is_(True)).order_by(Operator.name)).all()
    return [SelectChoice(str(op.id), op.name or op.email) for op in ops if op.has_role(Role.STAFF)]


def _macro_choices():
    lang = "ko" if _lang() == "ko" else "en"
    return [SelectChoice("", _("— write it yourself —"))] + [SelectChoice(key, m["label"][lang])
                                                             for key, m in macros.MACROS.items()]


def _ticket_page(ticket, *, reply_form=None, status: int = 200, **extra):
    reply_form = reply_form or ReplyForm(formdata=None)
    reply_form.macro.choices = _macro_choices()
    if reply_form.version.data in (None, ""):
        reply_form.version.data = str(ticket.version)
    others = services.note_viewer(ticket, current_user)
    name, due = queries.next_due(ticket, services.clock.now())
    values = services.reply_values(ticket)
    texts = {key: macros.render_macro(key, ticket.language, values) for key in macros.MACROS}
    severity_form = SeverityForm(formdata=None, severity=ticket.severity)
    status_form = StatusForm(formdata=None)
    owner_form = OwnerForm(formdata=None, owner=ticket.owner_id or 0)
    owner_form.owner.choices = _owner_choices()
    return render_template("support/ticket.html", t=ticket, reply_form=reply_form, note_form=NoteForm(formdata=None),
                           severity_form=severity_form, status_form=status_form, owner_form=owner_form,
                           others=others, next_clock=name, next_due=due, macro_texts=texts,
                           minutes_left=queries.time_left_minutes, history=queries.ticket_history(ticket),
                           language_name=language_label(ticket.language),
                           **extra), status


@bp.get("/ops/support/<public_id>")
@role_required(Role.STAFF)
def ticket(public_id: str):
    return _ticket_page(_get(public_id))


@bp.post("/ops/support/<public_id>/reply")
@role_required(Role.STAFF)
def reply(public_id: str):
    t = _get(public_id)
    form = ReplyForm()
    form.macro.choices = _macro_choices()
    if not form.validate_on_submit():
        return _ticket_page(t, reply_form=form, status=422)
    try:
        version = int(form.version.data or 0)
    except ValueError:
        version = 0
    stale = version != t.version
    if not form.is_confirmed or (stale and form.force.data != "yes"):
        if stale:
            form.force.data = "yes"
        return render_template("support/reply_confirm.html", t=t, form=form, stale=stale,
                               subject=services.reply_subject(t),
                               language_name=language_label(t.language))
    try:
        services.send_reply(public_id, body=form.body.data, operator=current_user, version=version,
                            macro=form.macro.data or None, then_status=form.then_status.data,
                            force=form.force.data == "yes")
    except services.StaleTicket:
        flash(_("Someone changed this inquiry while you were writing. Read it again, then send."), "warning")
        return redirect(url_for(".ticket", public_id=public_id))
    except ValidationFailed as exc:
        flash(str(exc.message if hasattr(exc, "message") else exc), "error")
        return redirect(url_for(".ticket", public_id=public_id))
    flash(_("Sent. The guest gets the email within a minute."), "success")
    return redirect(url_for(".ticket", public_id=public_id), 303)


@bp.post("/ops/support/<public_id>/note")
@role_required(Role.STAFF)
def note(public_id: str):
    t = _get(public_id)
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_("Write the note."), "error")
        return redirect(url_for(".ticket", public_id=t.public_id))
    services.add_note(public_id, body=form.body.data, operator=current_user)
    flash(_("Note saved. Only colleagues see it."), "success")
    return redirect(url_for(".ticket", public_id=public_id), 303)


@bp.route("/ops/support/<public_id>/change/<what>", methods=["POST"])
@role_required(Role.STAFF)
def change(public_id: str, what: str):
    t = _get(public_id)
    forms = {"severity": SeverityForm, "status": StatusForm, "owner": OwnerForm}
    if what not in forms:
        abort(404)
    form = forms[what]()
    if what == "owner":
        form.owner.choices = _owner_choices()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for(".ticket", public_id=public_id))
    if not form.is_confirmed:
        owner_name = {c.value: c.label for c in _owner_choices()}.get(str(form.owner.data)) if what == "owner" else None
        return render_template("support/change_confirm.html", t=t, form=form, what=what, owner_name=owner_name)
    try:
        if what == "severity":
            services.change_severity(public_id, form.severity.data, operator=current_user, reason=form.reason.data)
            flash(_("Urgency changed; the promised times are counted again from when the guest wrote."), "success")
        elif what == "status":
            services.change_status(public_id, form.status.data, operator=current_user, reason=form.reason.data)
            flash(_("Status changed."), "success")
        else:
            services.change_owner(public_id, form.owner.data, operator=current_user)
            flash(_("Owner changed."), "success")
    except ValidationFailed:
        flash(_("This change is not possible now. Look at the inquiry again."), "error")
    return redirect(url_for(".ticket", public_id=public_id), 303)


@bp.get("/ops/support/report")
@role_required(Role.STAFF)
def report():
    month = queries.parse_month(request.args.get("month"))
    return render_template("support/report.html", r=queries.monthly_report(month), month=month,
                           csat_target=policies.CSAT_TARGET)


# --- guests ----------------------------------------------------------------------------------------

def _granted_reservation(public_id: str | None):
    """The booking this browser is signed in to (find my booking / the booking page), else None."""
    from app.booking.queries import get_reservation_by_public_id
    from app.booking.views import GRANTS

    if public_id and public_id in session.get(GRANTS, []):
        return get_reservation_by_public_id(public_id)
    return None


def _contact_throttled() -> bool:
    if not current_app.config.get("RATELIMIT_ENABLED"):
        return False
    from app.core.ratelimit import client_key, count_request

    counted = count_request(client_key("support-contact", request.remote_addr or "unknown"),
                            current_app.config.get("SUPPORT_CONTACT_PER_15_MIN", 5), window=CONTACT_WINDOW)
    return counted is not None and not counted.allowed


def _contact_page(form, reservation):
    hours = current_app.config.get("SUPPORT_HOURS", {})
    return render_template("support/contact.html", form=form, reservation=reservation,
                           support_hours=hours.get(_lang()) or hours.get("en", ""))


@bp.route("/contact", methods=["GET", "POST"])
def contact():
    reservation = _granted_reservation(request.values.get("booking"))
    form = ContactForm()
    if request.method == "GET" and reservation is not None:
        form.name.data = services.guest_name_of(reservation)
        form.email.data = reservation.guest_email
    if form.is_submitted() and _contact_throttled():
        form.form_errors.append(_("Too many messages from here. Please wait a little, or call us."))
        return _contact_page(form, reservation), 429
    if request.method == "GET" or not form.validate_on_submit():
        return _contact_page(form, reservation), 422 if request.method == "POST" else 200
    email = form.email.data.strip().lower()
    if reservation is None and form.code.data:
        from app.booking.queries import find_reservation_by_code_and_email

        reservation = find_reservation_by_code_and_email(form.code.data, email)  # linked only if it matches
    language = _lang() if _lang() in ("ko", "ja", "en") else "en"
    message = form.message.data
    purpose = " ".join(message.split())[:120]
    services.create_ticket(channel="web", category=form.category.data, purpose=purpose, body=message,
                           actor=Actor.guest(email), reservation=reservation, guest_name=form.name.data,
                           guest_email=email, language=language)
    return render_template("support/contact_sent.html", email=email), 201


@bp.route("/support/rate/<token>", methods=["GET", "POST"])
def csat(token: str):
    try:
        t = services.csat_ticket(token[:500])
    except NotFound:
        abort(404)
    if t.csat_at is not None:
        return render_template("support/csat.html", done=True, already=True), 200
    form = CsatForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("support/csat.html", form=form, done=False), 422 if request.method == "POST" else 200
    try:
        services.record_csat(token[:500], form.score.data, form.comment.data or "")
    except ValidationFailed:
        return render_template("support/csat.html", done=True, already=True), 200
    return render_template("support/csat.html", done=True, already=False), 200


from app.support.cli import register as _register_cli  # noqa: E402

_register_cli(bp)
