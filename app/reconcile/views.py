"""Reconciliation pages: the recent days and what is open, one day's summary per source (and its CSV),
one item with both sides side by side and its 🛑 decision, running a day again, uploading the
gateway's settlement file.

Thin: check the role → validate the form → (confirm step) → call one service → flash what happens
next → redirect. Views never commit.
"""
from __future__ import annotations

import csv
import io
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.approvals import views as approvals
from app.approvals.guard import NeedsApproval
from app.auth.decorators import role_required
from app.auth.models import Operator
from app.core import clock
from app.core.actor import Actor
from app.core.errors import DomainError, Forbidden, IllegalTransition, NotFound, ValidationFailed
from app.core.money import format_money
from app.extensions import db
from app.payments.settlement import SettlementFileError
from app.reconcile import actions, queries, services
from app.reconcile import today  # noqa: F401  (registers the Today item and the navigation link)
from app.reconcile.forms import OwnerForm, ResolveForm, RunForm, UploadForm
from app.reconcile.policies import (
    ACTIONS,
    MATCH_RATE_SLO,
    MISMATCH_TYPES,
    PAYMENT_STATES,
    RESOLUTION_LABELS,
    ROW_LABELS,
    SOURCE_ORDER,
    SOURCES,
    TYPE_ORDER,
    is_overdue,
)

bp = Blueprint("reconcile", __name__, url_prefix="/ops/reconciliation")


@bp.app_context_processor
def _reconcile_helpers():
    return {"mismatch_label": lambda t: MISMATCH_TYPES[t]["label"] if t in MISMATCH_TYPES else t,
            "source_label": lambda s: SOURCES[s]["label"] if s in SOURCES else s,
            "resolution_label": lambda r: RESOLUTION_LABELS.get(r, r or ""),
            "row_label": lambda k: ROW_LABELS.get(k, k or ""),
            "recon_payment_state": lambda s: PAYMENT_STATES.get(s, s)}


@bp.app_template_filter("recon_date")
def _recon_date(value) -> str:
    """An ISO date kept on an item ('2026-12-07') in the page's date style."""
    from app.core.language import day

    return day(value) if value else ""


@bp.app_template_filter("recon_rate")
def _recon_rate(value) -> str:
    """A match rate (a fraction) as a percent with two decimals, rounded down: 99.998 % shows 99.99 %."""
    from decimal import ROUND_DOWN, Decimal

    if value is None:
        return ""
    return f"{(Decimal(value) * 100).quantize(Decimal('0.01'), rounding=ROUND_DOWN)} %"


@bp.app_template_filter("recon_time")
def _recon_time(value) -> str:
    from app.core.language import moment

    return moment(value) if value else ""


def _actor() -> Actor:
    return Actor.operator(current_user)


def _is_manager() -> bool:
    return current_user.has_role("manager")


def _day_or_404(text: str) -> date:
    try:
        return date.fromisoformat(text) if len(text) == 10 else abort(404)
    except ValueError:
        abort(404)


def _item_or_404(public_id: str):
    try:
        return actions.get_item(public_id)
    except NotFound:
        abort(404)


def _money(amount: int | None, currency: str = "KRW") -> str:
    from flask_babel import get_locale

    return format_money(amount, currency, str(get_locale() or "ko")) if amount is not None else ""


# --- the list of days and open items ---------------------------------------------------------------

def _index(run_form=None, upload_form=None, upload_error=None, status: int = 200):
    open_items, total = queries.list_items()
    yesterday = queries.korean_today().toordinal() - 1
    run_form = run_form or RunForm(formdata=None, day=date.fromordinal(yesterday))
    return render_template("reconcile/index.html", days=queries.recent_days(), items=open_items, total=total,
                           run_form=run_form, upload_form=upload_form or UploadForm(formdata=None),
                           upload_error=upload_error, sources=SOURCE_ORDER, slo=MATCH_RATE_SLO,
                           now=clock.now(), is_overdue=is_overdue), status


@bp.get("/")
@role_required("staff")
def index():
    return _index()


@bp.post("/run")
@role_required("staff")
def run():
    form = RunForm()
    if not form.validate_on_submit():
        return _index(run_form=form, status=422)
    day, source = form.day.data, form.source.data or None
    if source is not None and source not in SOURCE_ORDER:
        abort(400)
    try:
        if source is None:
            results = services.reconcile_all(day, actor=_actor())
        else:
            try:
                results = [(source, services.reconcile_day(day, source, actor=_actor()), None)]
            except (ValidationFailed, IllegalTransition, SettlementFileError) as exc:
                results = [(source, services.get_run(day, source), str(getattr(exc, "message", exc)))]
    except ValidationFailed as exc:
        form.day.errors = [str(exc.fields.get("date", exc.message))]
        return _index(run_form=form, status=422)
    for source_name, found, error in results:
        label = SOURCES[source_name]["label"]
        if error:
            flash(_("%(source)s: not reconciled. %(why)s", source=label, why=error), "warning")
        else:
            flash(_("%(source)s: %(matched)s of %(total)s matched; %(open)s to look at.", source=label,
                    matched=found.matched_count, total=found.total_count,
                    open=found.total_count - found.matched_count), "success")
    return redirect(url_for(".day", day=day.isoformat()))


@bp.post("/upload")
@role_required("staff")
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _index(upload_form=form, status=422)
    raw = form.settlement_file.data.read()
    try:
        stored = services.store_settlement_file(raw, origin="uploaded", file_name=form.settlement_file.data.filename
                                                or "", actor=_actor())
    except SettlementFileError as exc:
        return _index(upload_form=form, upload_error=exc, status=422)
    day = stored.file.business_date
    if not stored.created:
        flash(_("This file was uploaded before (the same file, byte for byte); nothing changed."), "warning")
        return redirect(url_for(".day", day=day.isoformat()))
    try:
        found = services.reconcile_day(day, "gateway", actor=_actor())
    except DomainError as exc:
        flash(_("The file is kept, but the day could not be reconciled now: %(why)s", why=exc.message), "warning")
        return redirect(url_for(".day", day=day.isoformat()))
    flash(_("The settlement file of %(day)s is kept (%(rows)s rows, net %(net)s) and the card payments of that day "
            "were reconciled: %(matched)s of %(total)s matched.", day=day.isoformat(), rows=stored.file.row_count,
            net=_money(stored.file.total_net, stored.file.currency), matched=found.matched_count,
            total=found.total_count), "success")
    return redirect(url_for(".day", day=day.isoformat()))


# --- one day ------------------------------------------------------------------------------------

@bp.get("/days/<day>")
@role_required("staff")
def day(day: str):
    business_date = _day_or_404(day)
    return render_template("reconcile/day.html", day=business_date, summaries=queries.day_summary(business_date),
                           items=queries.items_of_day(business_date), files=queries.files_of(business_date),
                           run_form=RunForm(formdata=None, day=business_date), slo=MATCH_RATE_SLO,
                           type_order=TYPE_ORDER, now=clock.now(), is_overdue=is_overdue,
                           sort_types=queries.sort_types)


EXPORT_COLUMNS = ("item", "source", "business_date", "type", "status", "internal_amount", "external_amount",
                  "difference", "currency", "reference", "first_seen_at", "due_at", "owner", "resolution",
                  "resolved_by", "resolved_at", "reason")


def _reference(item) -> str:
    external = item.external or {}
    if external.get("transactionId"):
        return external["transactionId"]
    lines = external.get("lines") or []
    if lines:
        return " ".join(ln.get("memo") or ln.get("publicId") or "" for ln in lines)
    return item.natural_key


@bp.get("/days/<day>/export.csv")
@role_required("staff")
def export(day: str):
    business_date = _day_or_404(day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for item in queries.items_of_day(business_date):
        writer.writerow([item.public_id, item.source, item.business_date.isoformat(), item.type, item.status,
                         "" if item.internal_amount is None else item.internal_amount,
                         "" if item.external_amount is None else item.external_amount, item.difference,
                         item.currency, _safe_cell(_reference(item)), item.first_seen_at.isoformat(),
                         item.due_at.isoformat(), _safe_cell(item.owner.email if item.owner else ""),
                         item.resolution or "", _safe_cell(item.resolved_by or ""),
                         item.resolved_at.isoformat() if item.resolved_at else "",
                         _safe_cell(item.resolution_reason or "")])
    body = "\ufeff" + out.getvalue()    # a BOM, so spreadsheet programs read the Korean text as UTF-8
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=reconciliation-{business_date.isoformat()}.csv"})


def _safe_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# --- one item -------------------------------------------------------------------------------------

def _owner_choices() -> list[tuple[str, str]]:
    owners = db.session.scalars(select(Operator).where(Operator.active.is_(True)).order_by(Operator.name))
    return [("", _("Nobody yet"))] + [(str(o.id), o.name or o.email) for o in owners]


def _item_context(item, **extra):
    owner_form = OwnerForm(formdata=None, owner=str(item.owner_id or ""))
    owner_form.owner.choices = _owner_choices()
    return dict(item=item, meta=MISMATCH_TYPES[item.type], source=SOURCES[item.source],
                offered=actions.offered_actions(item), related=queries.related_to(item),
                history=queries.history_of(item), owner_form=owner_form, is_manager=_is_manager(),
                overdue=is_overdue(item.due_at, clock.now()), now=clock.now(), action_meta=ACTIONS,
                **extra)


@bp.get("/items/<public_id>")
@role_required("staff")
def item_detail(public_id: str):
    return render_template("reconcile/item.html", **_item_context(_item_or_404(public_id)))


@bp.post("/items/<public_id>/owner")
@role_required("staff")
def change_owner(public_id: str):
    item = _item_or_404(public_id)
    form = OwnerForm()
    form.owner.choices = _owner_choices()
    if not form.validate_on_submit():
        abort(400)
    owner = db.session.get(Operator, int(form.owner.data)) if form.owner.data else None
    if not _is_manager() and (owner is None or owner.id != current_user.id):
        abort(403)   # staff take an item themselves; a manager hands it to someone (or to nobody)
    actions.take_item(item.public_id, owner, actor=_actor())
    flash(_("%(who)s looks after this item now.", who=owner.name or owner.email) if owner
          else _("Nobody looks after this item now."), "success")
    return redirect(url_for(".item_detail", public_id=item.public_id))


@bp.route("/items/<public_id>/<action>", methods=["GET", "POST"])
@role_required("staff")
def resolve(public_id: str, action: str):
    item = _item_or_404(public_id)
    if action not in ACTIONS:
        abort(404)
    if ACTIONS[action]["role"] == "manager" and not _is_manager():
        abort(403)
    if action not in actions.offered_actions(item):
        flash(_("That is not possible any more: someone resolved this item or it changed. Look again."), "warning")
        return redirect(url_for(".item_detail", public_id=public_id))
    form = ResolveForm()
    if request.method == "POST" and form.validate_on_submit():
        if not form.is_confirmed:
            from app.approvals.guard import asks_approval

            asks = action == "write_off" and asks_approval(abs(item.difference or 0))
            return render_template("reconcile/confirm.html", form=form, action=action, **_item_context(item),
                                   asks_approval=asks)
        return _act(item, action, form)
    status = 422 if request.method == "POST" else 200
    return render_template("reconcile/decide.html", form=form, action=action, **_item_context(item)), status


def _act(item, action: str, form: ResolveForm):
    try:
        done = actions.resolve_item(item.public_id, action, reason=form.reason.data, actor=_actor(),
                                    is_manager=_is_manager())
    except NeedsApproval as exc:
        approvals.ask(exc, subject_id=item.id, subject_public_id=item.public_id, reservation_id=item.reservation_id,
                      reason=form.reason.data)
        return redirect(url_for(".item_detail", public_id=item.public_id))
    except actions.ItemClosed:
        flash(_("Someone resolved this item meanwhile; nothing was done twice."), "warning")
        return redirect(url_for(".item_detail", public_id=item.public_id))
    except Forbidden:
        abort(403)
    except ValidationFailed as exc:
        form.reason.errors = [str(v) for v in exc.fields.values()] or [str(exc.message)]
        return render_template("reconcile/decide.html", form=form, action=action, **_item_context(item)), 422
    except IllegalTransition as exc:
        why = next(iter((exc.fields or {}).values()), None) or exc.message
        flash(_("Nothing was done: %(why)s", why=why), "warning")
        return redirect(url_for(".item_detail", public_id=item.public_id))
    flash(_done_message(done), "success")
    return redirect(url_for(".day", day=done.item.business_date.isoformat()))


def _done_message(done: actions.Resolution) -> str:
    d = done.details
    if done.action == "sync_status":
        return _("Done. We asked and our record now says what the other side says; the booking and the guest's "
                 "messages follow from it. The item is closed.")
    if done.action == "refund_capture":
        return _("Done. The gateway is giving %(amount)s back to the card (usually within 3–5 business days at "
                 "the card company). The item is closed.", amount=_money(d.get("amount"), done.item.currency))
    if done.action == "write_off":
        return _("Written off: %(amount)s is recorded in the history as accepted. The item is closed.",
                 amount=_money(abs(d.get("writtenOff") or 0), done.item.currency))
    return _("Closed with your explanation. Nothing else changed.")
