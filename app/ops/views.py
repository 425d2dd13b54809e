"""Back-office pages: Today, and the lists behind the counts this package owns."""
from __future__ import annotations

from datetime import datetime

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import BuildError

from app.auth.decorators import role_required
from app.booking import display
from app.booking.queries import get_reservation_by_public_id
from app.booking.services import outstanding_amount
from app.core import clock
from app.ledger.labels import kind_label, source_label
from app.ledger.services import money_summary
from app.ops import policies, queries
from app.ops import today as _today_items  # noqa: F401  (registers this package's Today items)
from app.ops.checklist import SECTION_TIMES, actions_for, collect_today, nav_link, panels_for
from app.ops.formatting import format_time_ago, format_time_left
from app.refunds.coupons import coupon_use

log = logging.getLogger(__name__)

bp = Blueprint("ops", __name__, url_prefix="/ops")

nav_link("orders", "ops.orders", _l("Bank transfers"), role="staff", order=10)
nav_link("conflicts", "ops.conflicts", _l("Conflicts"), role="staff", order=20)
nav_link("arrivals", "ops.arrivals", _l("Tomorrow's arrivals"), role="staff", order=30)
nav_link("handover", "ops.handover", _l("Handover"), role="staff", order=31)


@bp.app_template_filter("time_left")
def _time_left(deadline: datetime | None) -> str:
    return format_time_left(deadline, clock.now())


@bp.app_template_filter("time_ago")
def _time_ago(moment: datetime | None) -> str:
    return format_time_ago(moment, clock.now())


@bp.app_template_global("ops_url")
def ops_url(endpoint: str | None, args: dict | None = None) -> str | None:
    """url_for that answers None for an endpoint that does not exist (a Today
    item registered by a domain whose page is missing must not break Today)."""
    if not endpoint:
        return None
    try:
        return url_for(endpoint, **(args or {}))
    except BuildError:
        log.warning("Today link to a missing page", extra={"endpoint": endpoint})
        return None


def current_section(local_now: datetime) -> str:
    """Which of seed 001's checks is due now (morning until 14:00, afternoon until 18:00)."""
    hhmm = local_now.strftime("%H:%M")
    if hhmm >= SECTION_TIMES["closing"]:
        return "closing"
    if hhmm >= SECTION_TIMES["afternoon"]:
        return "afternoon"
    return "morning"


@bp.get("/")
@role_required("staff")
def today():
    sections = collect_today(current_user)
    local_now = clock.to_local(clock.now(), current_user.timezone)
    open_items = sum(1 for entries in sections.values() for e in entries if not e.done)
    from app.ops.forms import AcknowledgeNoteForm

    return render_template("ops/today.html", sections=sections, section_times=SECTION_TIMES,
                           current=current_section(local_now), local_now=local_now, open_items=open_items,
                           handover_note=queries.latest_handover_note(), ack_form=AcknowledgeNoteForm())


@bp.get("/orders")
@role_required("staff")
def orders():
    from app.deposits.shortfall import count_shortfalls
    from app.ledger.services import paid_amounts

    found = queries.list_waiting_transfers()
    # What each still owes comes from the ledger (a partial deposit counts); short ones past their time
    # wait on their own 🛑 list.
    return render_template("ops/orders.html", orders=found, now=clock.now(), paid=paid_amounts(r.id for r in found),
                           shortfalls=count_shortfalls().count,
                           urgent_within=policies.TRANSFER_URGENT_WITHIN, limit=queries.LIST_LIMIT)


@bp.get("/holds")
@role_required("staff")
def holds():
    return render_template("ops/holds.html", holds=queries.list_card_holds(), now=clock.now(),
                           expiring_within=policies.HOLD_EXPIRING_WITHIN, limit=queries.LIST_LIMIT)


@bp.get("/arrivals")
@role_required("staff")
def arrivals():
    now = clock.now()
    return render_template("ops/arrivals.html", arrivals=queries.list_arrivals_without_room(now),
                           limit=queries.LIST_LIMIT)


@bp.get("/conflicts")
@role_required("staff")
def conflicts():
    now = clock.now()
    last_hour, level = queries.conflict_alert(now)
    return render_template("ops/conflicts.html", conflicts=queries.list_conflicts_to_review(), now=now,
                           last_hour=last_hour, level=level, levels=policies.CONFLICT_ALERT_LEVELS,
                           limit=queries.LIST_LIMIT)


nav_link("reservations", "ops.reservations", _l("Reservations"), role="staff", order=5)


@bp.get("/reservations")
@role_required("staff")
def reservations():
    term = (request.args.get("q") or "").strip()[:200]
    found = queries.find_reservations(term) if term else queries.recent_reservations()
    return render_template("ops/reservations.html", **display.template_labels(), term=term, reservations=found, limit=queries.LIST_LIMIT)


def reservation_or_404(public_id: str):
    """The reservation with this public id, or a 404 page that says what to do."""
    found = get_reservation_by_public_id(public_id)
    if found is None:
        abort(404, description=_("There is no reservation with this number. Search again by booking code or e-mail."))
    return found


@bp.get("/reservations/<reservation_id>")
@role_required("staff")
def reservation(reservation_id: str):
    found = reservation_or_404(reservation_id)
    payments, refunds = queries.reservation_money(found.id)
    return render_template("ops/reservation.html", **display.template_labels(), r=found, payments=payments,
                           refunds=refunds, history=queries.reservation_history(found.id),
                           actions=actions_for(found, current_user), panels=panels_for(found, current_user),
                           outstanding=outstanding_amount(found), money=money_summary(found),
                           ledger_kind=kind_label, ledger_source=source_label, coupon=coupon_use(found))


# --- conflicts: patterns and statistics (seed 000) -------------------------------------

MAX_ID = 2**31 - 1


def _actor():
    from app.core.actor import Actor

    return Actor.operator(current_user)


@bp.get("/conflicts/patterns")
@role_required("staff")
def conflict_patterns():
    from datetime import timedelta

    from app.ops import conflict_stats
    from app.ops.forms import PatternRangeForm

    today = queries.local_today(clock.now())
    form = PatternRangeForm(request.args)
    status = 200
    start, end = today - timedelta(days=policies.PATTERN_DEFAULT_DAYS - 1), today
    if request.args and not form.validate():
        status = 422
    else:
        start = form.start.data or (form.end.data - timedelta(days=policies.PATTERN_DEFAULT_DAYS - 1)
                                    if form.end.data else start)
        end = form.end.data or max(start, min(today, start + timedelta(days=policies.PATTERN_DEFAULT_DAYS - 1)))
        if (end - start).days + 1 > policies.PATTERN_RANGE_MAX_DAYS or end < start:
            start, end, status = end - timedelta(days=policies.PATTERN_DEFAULT_DAYS - 1), end, 422
            form.end.errors = [*form.end.errors, _("Choose at most %(n)s days.", n=policies.PATTERN_RANGE_MAX_DAYS)]
    form.start.data, form.end.data = start, end
    since, _unused = queries.day_bounds(start, conflict_stats.PATTERN_TIMEZONE)
    _unused, until = queries.day_bounds(end, conflict_stats.PATTERN_TIMEZONE)
    patterns = conflict_stats.conflict_patterns(since, until)
    previous = conflict_stats.conflict_patterns(*conflict_stats.previous_period(since, until))
    return render_template(
        "ops/conflict_patterns.html", form=form, start=start, end=end, p=patterns, previous_total=previous.total,
        change=conflict_stats.percent_change(patterns.total, previous.total),
        weeks=conflict_stats.weekly_stats(today, policies.STATS_WEEKS),
        months=conflict_stats.monthly_stats(today, policies.STATS_MONTHS),
        max_hour=max(patterns.by_hour_of_day) or 1, max_days=policies.PATTERN_RANGE_MAX_DAYS), status


@bp.route("/conflicts/<int:conflict_id>/dismiss", methods=["GET", "POST"])
@role_required("staff")
def dismiss_conflict(conflict_id: int):
    from app.booking.models import BookingConflict, ConflictResolution
    from app.core.errors import NotFound, ValidationFailed
    from app.extensions import db
    from app.ops import services
    from app.ops.forms import DismissConflictForm

    if conflict_id > MAX_ID:
        abort(404)
    conflict = db.session.get(BookingConflict, conflict_id)
    if conflict is None:
        abort(404)
    if conflict.resolution != ConflictResolution.PENDING_REVIEW:
        flash(_("This conflict was already handled; nothing was changed."), "warning")
        return redirect(url_for(".conflicts"))
    form = DismissConflictForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("ops/conflict_dismiss.html", c=conflict, form=form, confirming=False), \
            422 if request.method == "POST" else 200
    if not form.is_confirmed:
        return render_template("ops/conflict_dismiss.html", c=conflict, form=form, confirming=True)
    try:
        services.dismiss_conflict(conflict.id, reason=form.reason.data, actor=_actor())
    except services.ConflictAlreadyClosed:
        flash(_("Someone handled this conflict meanwhile; nothing was changed."), "warning")
        return redirect(url_for(".conflicts"))
    except ValidationFailed:
        form.reason.errors = [*form.reason.errors, _("Write why this conflict needs no contact.")]
        return render_template("ops/conflict_dismiss.html", c=conflict, form=form, confirming=False), 422
    except NotFound:
        abort(404)
    flash(_("Closed without contact. Nothing was sent to the guest; your reason is kept in the history."),
          "success")
    return redirect(url_for(".conflicts"))


# --- shift handover (seed 001 §2.3) ------------------------------------------------------

@bp.route("/handover", methods=["GET", "POST"])
@role_required("staff")
def handover():
    from app.core.errors import ValidationFailed
    from app.ops import services
    from app.ops.forms import AcknowledgeNoteForm, HandoverNoteForm

    form = HandoverNoteForm()
    context = dict(latest=queries.latest_handover_note(), notes=queries.list_handover_notes(),
                   ack_form=AcknowledgeNoteForm(), open_now=None)
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("ops/handover.html", form=form, confirming=False, **context), \
            422 if request.method == "POST" else 200
    if not form.is_confirmed:
        context["open_now"] = services.snapshot_open_items(current_user)
        return render_template("ops/handover.html", form=form, confirming=True, **context)
    try:
        services.write_handover_note(current_user, form.note.data, actor=_actor())
    except ValidationFailed:
        form.note.errors = [*form.note.errors, _("Write the note.")]
        return render_template("ops/handover.html", form=form, confirming=False, **context), 422
    flash(_("Handed over. The next person sees your note at the top of Today's morning check and confirms "
            "reading it."), "success")
    return redirect(url_for(".handover"))


@bp.post("/handover/<int:note_id>/acknowledge")
@role_required("staff")
def acknowledge_handover(note_id: int):
    from app.core.errors import Forbidden, NotFound
    from app.core.web import audit_attempt_not_done
    from app.ops import services
    from app.ops.forms import AcknowledgeNoteForm

    if note_id > MAX_ID or not AcknowledgeNoteForm().validate_on_submit():
        abort(404 if note_id > MAX_ID else 400)
    try:
        services.acknowledge_handover_note(note_id, current_user, actor=_actor())
    except NotFound:
        abort(404)
    except Forbidden:
        audit_attempt_not_done("handover.acknowledge_refused", entity_type="handover_note", entity_id=note_id,
                               why="own_note")
        flash(_("You wrote this note yourself: the next person on duty confirms reading it."), "warning")
        return redirect(url_for(".handover"))
    except services.NoteAlreadyAcknowledged:
        flash(_("Someone already confirmed reading this note."), "warning")
        return redirect(url_for(".handover"))
    flash(_("Thank you. The note is marked as read by you."), "success")
    return redirect(url_for(".today"))


@bp.app_template_global("ops_hour_range")
def _hour_range(hour: int) -> str:
    from app.ops.formatting import format_hour_range

    return format_hour_range(hour)


@bp.app_template_global("ops_change")
def _change(current: int, previous: int) -> str:
    from app.ops.formatting import format_percent_change

    return format_percent_change(current, previous)


@bp.app_template_global("ops_weekday_names")
def _weekday_names() -> list[str]:
    from babel.dates import get_day_names
    from flask_babel import get_locale

    names = get_day_names("wide", locale=get_locale() or "ko")
    return [names[i] for i in range(7)]


@bp.app_template_global("ops_resolution_label")
def _resolution_label(code: str) -> str:
    return str(policies.RESOLUTION_LABELS.get(code, code))
