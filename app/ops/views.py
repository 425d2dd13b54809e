"""Back-office pages: Today, and the lists behind the counts this package owns."""
from __future__ import annotations

from datetime import datetime

import logging

from flask import Blueprint, abort, render_template, request, url_for
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

log = logging.getLogger(__name__)

bp = Blueprint("ops", __name__, url_prefix="/ops")

nav_link("orders", "ops.orders", _l("Bank transfers"), role="staff", order=10)
nav_link("conflicts", "ops.conflicts", _l("Conflicts"), role="staff", order=20)
nav_link("arrivals", "ops.arrivals", _l("Tomorrow's arrivals"), role="staff", order=30)


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
    return render_template("ops/today.html", sections=sections, section_times=SECTION_TIMES,
                           current=current_section(local_now), local_now=local_now, open_items=open_items)


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
                           ledger_kind=kind_label, ledger_source=source_label)
