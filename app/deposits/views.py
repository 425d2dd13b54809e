"""Deposit pages: import a bank statement, the statement lines (those needing a
decision first), one line with its 🛑 decision, today's automatic cancellations,
a manager's "mark as paid", and the bookings whose window ended short of money
(app.deposits.shortfall) with their 🛑 decision.

Thin: check the role → validate the form → (confirm step) → call one service →
flash what happens next → redirect. Views never commit.
"""
from __future__ import annotations

import base64
import binascii
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from app.approvals import views as approvals
from app.approvals.guard import NeedsApproval
from app.auth.decorators import role_required
from app.booking import display
from app.booking.services import outstanding_amount
from app.core import clock
from app.core.actor import Actor
from app.core.errors import IllegalTransition, NotFound, ValidationFailed
from app.core.web import audit_attempt_not_done
from app.deposits import matching, parsers, queries, services
from app.deposits import shortfall as shortfall_service
from app.deposits import today  # noqa: F401  (registers the Today items and nav links)
from app.deposits.forms import ConfirmMixin, DecisionForm, ImportForm, MarkPaidForm, UploadForm
from app.deposits.models import CsvMapping, LineKind, LineStatus
from app.extensions import db
from app.ops.views import reservation_or_404

bp = Blueprint("deposits", __name__, url_prefix="/ops/deposits")

#: Which choices each problem offers, the recommended one first.
OFFERED = {
    "exact": ("confirm", "assign", "not_ours"),
    "short": ("partial", "accept_short", "assign", "not_ours"),
    "over": ("overpaid", "assign", "not_ours"),
    "already_paid": ("refund_payer", "assign", "not_ours"),
    "not_payable": ("refund_payer", "assign", "not_ours"),
    "expired": ("revive", "refund_payer", "assign", "not_ours"),
    "near_miss": ("confirm", "assign", "not_ours"),
    "name_amount": ("confirm", "assign", "not_ours"),
    "name_differs": ("confirm", "assign", "not_ours"),
    "unknown": ("assign", "not_ours"),
    "split_mismatch": ("assign", "not_ours"),
    "before_booking": ("confirm", "assign", "not_ours"),
}


OUTCOMES = {
    "auto_confirmed": _l("Confirmed by itself"), "confirmed": _l("Confirmed"), "split": _l("Split over bookings"),
    "partial": _l("Partial deposit recorded"), "accepted_short": _l("Smaller amount accepted"),
    "overpaid": _l("Paid; extra to refund"), "revived": _l("Booking brought back"),
    "refunded": _l("To refund to the sender"), "not_ours": _l("Not ours"),
    # what lines other than deposits did (app.deposits.importing)
    "payout_confirmed": _l("Our payout, booked by the bank"), "fee": _l("Bank fee"),
    "reversal": _l("Taken back by the bank"), "reversal_unmatched": _l("Taken back by the bank (deposit not found)"),
    "reversed": _l("Taken back by the bank later"), "returned": _l("Our payout came back"),
    "pending": _l("Not yet booked by the bank"), "booked_later": _l("Booked by the bank later (its own line)"),
    "gateway_settlement": _l("Card company's settlement"),
    "money_out": _l("Money out"), "collect_again": _l("Guest asked to pay again"),
    "canceled": _l("Booking canceled"),
}


@bp.app_context_processor
def _deposit_helpers():
    return {"outcome_label": lambda o: OUTCOMES.get(o, o or "")}


def _actor() -> Actor:
    return Actor.operator(current_user)


def _is_manager() -> bool:
    return current_user.has_role("manager")


# --- the list and the upload ------------------------------------------------------------------

@bp.get("/")
@role_required("staff")
def index():
    return render_template("deposits/index.html", lines=queries.list_lines(), form=UploadForm(
        formdata=None, account=current_app.config["DEPOSIT_ACCOUNT_NUMBER"]), problems=matching.PROBLEMS,
        waiting=queries.count_needing_decision())


def _import_form_from(raw: bytes, file_name: str, source_format: str, bank: str, account: str,
                      mapping: dict[str, str] | None, headers: list[str] | None) -> ImportForm:
    form = ImportForm(formdata=None, content=base64.b64encode(raw).decode(), file_name=file_name,
                      source_format=source_format, bank=bank, account=account)
    _fill_mapping_choices(form, headers or [], mapping or {})
    return form


def _fill_mapping_choices(form: ImportForm, headers: list[str], mapping: dict[str, str]) -> None:
    for role in parsers.CSV_ROLES:
        field = getattr(form, f"map_{role}")
        field.label.text = str(parsers.ROLE_LABELS[role])
        field.choices = [("", _("— not in this file —"))] + [(h, h) for h in headers if h]
        if field.data is None and role in mapping:
            field.data = mapping[role]


def _mapping_of(form: ImportForm) -> dict[str, str]:
    return {role: getattr(form, f"map_{role}").data or "" for role in parsers.CSV_ROLES}


def _preview_page(form: ImportForm, raw: bytes, status: int = 200, error=None, headers=None, sample=None):
    preview = None
    if error is None:
        try:
            preview = services.preview_import(raw, source_format=form.source_format.data,
                                              mapping=_mapping_of(form), account=form.account.data or "")
        except parsers.StatementError as exc:
            error = exc
            status = 422
    return render_template("deposits/preview.html", form=form, preview=preview, error=error, headers=headers,
                           sample=sample, may_override=_is_manager(), roles=parsers.CSV_ROLES), status


@bp.post("/upload")
@role_required("staff")
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("deposits/index.html", lines=queries.list_lines(), form=form,
                               problems=matching.PROBLEMS, waiting=queries.count_needing_decision()), 422
    raw = form.statement.data.read()
    file_name = form.statement.data.filename or ""
    source_format = parsers.detect_format(raw)
    bank = (form.bank.data or "").strip()
    account = (form.account.data or current_app.config["DEPOSIT_ACCOUNT_NUMBER"]).strip()
    headers = sample = None
    mapping: dict[str, str] = {}
    error = None
    if source_format in parsers.TABULAR_FORMATS:  # CSV and Excel exports: the same mapping flow
        saved = db.session.scalar(select(CsvMapping.columns).where(CsvMapping.bank == bank)) if bank else None
        try:
            csv_preview = parsers.preview_csv(raw, saved)
            headers, sample, mapping = csv_preview.headers, csv_preview.sample, csv_preview.mapping
        except parsers.StatementError as exc:
            error = exc
    form = _import_form_from(raw, file_name, source_format, bank, account, mapping, headers)
    return _preview_page(form, raw, 422 if error else 200, error, headers, sample)


@bp.post("/import")
@role_required("staff")
def import_file():
    form = ImportForm()
    try:
        raw = base64.b64decode(form.content.data or "", validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    headers = None
    if form.source_format.data in parsers.TABULAR_FORMATS:
        try:
            headers = parsers.preview_csv(raw).headers
        except parsers.StatementError:
            headers = []
    _fill_mapping_choices(form, headers or [], {})
    if not form.validate_on_submit():
        return _preview_page(form, raw, 422, headers=headers)
    override = (form.override_reason.data or "").strip() or None
    if override and not _is_manager():
        abort(403)
    if not form.is_confirmed:
        return _preview_page(form, raw, headers=headers)
    try:
        result = services.import_statement(
            raw, source_format=form.source_format.data, file_name=form.file_name.data or "",
            account=form.account.data or "", bank=form.bank.data or "", mapping=_mapping_of(form),
            actor=_actor(), override_reason=override)
    except services.BalanceRefused:
        flash(_("Nothing was imported: the balances do not add up."), "warning")
        return _preview_page(form, raw, 422, headers=headers)
    except parsers.StatementError as exc:
        return _preview_page(form, raw, 422, error=exc, headers=headers)
    if result.run is None:  # every line was imported before (or a bank's copy of a statement we have)
        flash(_("This file was already imported (%(n)s lines). Nothing changed.", n=result.already_imported),
              "warning")
        return redirect(url_for(".index"))
    flash(_("Imported %(new)s new lines (%(skipped)s were already imported). Below is what each line did.",
            new=sum(result.counts.values()) - result.already_imported, skipped=result.already_imported), "success")
    return redirect(url_for(".import_result", public_id=result.run))


# --- one line and its decision ------------------------------------------------------------------

def _line_or_404(public_id: str):
    line = queries.get_line(public_id)
    if line is None:
        abort(404)
    return line


def _context(line):
    if line.kind != LineKind.DEPOSIT:  # money out, reversals, returns, pending: app.deposits.direction_views
        return direction_views.line_context(line, is_manager=_is_manager(), payments=_payments_of(line))
    found = matching.analyze(line) if line.status == LineStatus.NEEDS_DECISION else None
    problem = (found.problem or "exact") if found else None
    owed = outstanding_amount(found.reservation) if found and found.reservation is not None else None
    return dict(line=line, found=found, problem=problem, choices=OFFERED.get(problem, ()) if problem else (),
                problems=matching.PROBLEMS, owed=owed, sender=matching.sender_of(line),
                is_manager=_is_manager(), payments=_payments_of(line),
                reversed_by=direction_views.reversal_of(line))


def _payments_of(line):
    from app.payments.models import Payment

    if not line.payment_ids:
        return []
    return list(db.session.scalars(select(Payment).where(Payment.id.in_(line.payment_ids))))


@bp.get("/lines/<public_id>")
@role_required("staff")
def line_detail(public_id: str):
    return render_template("deposits/line.html", **_context(_line_or_404(public_id)))


@bp.route("/lines/<public_id>/<choice>", methods=["GET", "POST"])
@role_required("staff")
def decide(public_id: str, choice: str):
    line = _line_or_404(public_id)
    if choice not in services.CHOICES:
        abort(404)
    if services.CHOICES[choice][2] and not _is_manager():
        abort(403)
    ctx = _context(line)
    if line.status != LineStatus.NEEDS_DECISION or choice not in ctx["choices"]:
        flash(_("That choice is not possible any more: someone decided this line or the booking changed. "
                "Look again."), "warning")
        return redirect(url_for(".line_detail", public_id=public_id))
    form = DecisionForm()
    query = request.args.get("q", "") if choice == "assign" else ""
    results = matching.search_bookings(query) if query else []
    if request.method == "GET" and choice in ("confirm", "assign") and request.args.get("code"):
        form.code.data = request.args["code"]
    target = None
    if request.method == "POST" and form.code.data:
        try:
            target = services.reservation_by_code(form.code.data)
        except ValidationFailed as exc:
            form.code.errors = [str(exc.fields["code"])]
    needs_reason = services.CHOICES[choice][1] or (
        choice == "confirm" and target is not None and not matching.names_match(ctx["sender"], target))
    if request.method == "POST" and form.validate_on_submit() and not form.code.errors:
        if needs_reason and not (form.reason.data or "").strip():
            form.reason.errors = [_("Write the reason in a sentence.")]
        elif choice in ("assign",) and target is None:
            form.code.errors = [_("Choose the booking this deposit pays.")]
        elif choice == "confirm" and ctx["found"].reservation is None and target is None:
            form.code.errors = [_("Choose one of the proposed bookings.")]
        elif not form.is_confirmed:
            return render_template("deposits/confirm.html", form=form, choice=choice, target=target, **ctx)
        else:
            return _act(line, choice, form, ctx)
    status = 422 if request.method == "POST" else 200
    return render_template("deposits/decide.html", form=form, choice=choice, query=query, results=results,
                           target=target, needs_reason=needs_reason, **ctx), status


def _act(line, choice: str, form: DecisionForm, ctx):
    try:
        decision = services.decide(line.public_id, choice, actor=_actor(), reason=form.reason.data,
                                   code=form.code.data, is_manager=_is_manager())
    except services.AlreadyDecided:
        audit_attempt_not_done("deposit.decision_not_done", entity_type="statement_line", entity_id=line.public_id,
                               why="already_decided", data={"choice": choice, "amount": line.amount})
        flash(_("Someone else decided this line meanwhile; nothing was done twice."), "warning")
        return redirect(url_for(".line_detail", public_id=line.public_id))
    except IllegalTransition as exc:
        message = next(iter((exc.fields or {}).values()), None) or _("The booking changed meanwhile.")
        audit_attempt_not_done("deposit.decision_not_done", entity_type="statement_line", entity_id=line.public_id,
                               why=message, data={"choice": choice, "amount": line.amount})
        flash(_("Nothing was done: %(why)s", why=message), "warning")
        return redirect(url_for(".line_detail", public_id=line.public_id))
    except ValidationFailed as exc:
        for name, message in (exc.fields or {}).items():
            if hasattr(form, name):
                getattr(form, name).errors = [str(message)]
        return render_template("deposits/decide.html", form=form, choice=choice, query="", results=[],
                               target=None, needs_reason=True, **ctx), 422
    flash(_done_message(decision), "success")
    return redirect(url_for(".index"))


def _done_message(d: services.Decision) -> str:
    code = d.reservation.display_code if d.reservation is not None else ""
    lang = {"ko": "한국어", "ja": "日本語", "en": "English"}.get(d.reservation.language, "") if d.reservation else ""
    from app.core.money import format_money
    from flask_babel import get_locale

    money = (lambda a: format_money(a, d.line.currency if d.line else "KRW", str(get_locale() or "ko")))
    if d.outcome in ("confirmed", "revived", "accepted_short", "manual"):
        return _("Done. Booking %(code)s is paid; the guest gets the payment confirmation (%(lang)s) within a "
                 "minute.", code=code, lang=lang)
    if d.outcome == "partial":
        return _("Recorded the partial deposit. Booking %(code)s still waits for %(rest)s; the guest gets the "
                 "“amount differs” notice (%(lang)s) within a minute.", code=code, rest=money(d.amount), lang=lang)
    if d.outcome == "overpaid":
        return _("Done. Booking %(code)s is paid. The extra %(excess)s waits in the refunds list to be paid back.",
                 code=code, excess=money(d.amount))
    if d.outcome == "refunded":
        return _("Recorded. %(amount)s waits in the refunds list to be paid back to the sender.",
                 amount=money(d.amount))
    if d.outcome == "assigned":
        return _("Linked to booking %(code)s. The amounts differ: decide what to do below.", code=code)
    return _("Recorded as not ours. Nothing else changes.")


# --- today's automatic cancellations and a manager's "mark as paid" -----------------------------------

@bp.get("/canceled-today")
@role_required("staff")
def canceled_today():
    return render_template("deposits/canceled_today.html", reservations=queries.canceled_for_no_deposit_today())


@bp.route("/mark-paid/<reservation_id>", methods=["GET", "POST"])
@role_required("staff")
def mark_paid(reservation_id: str):
    """Seed 004 §2.1's [결제 완료]: staff record a deposit seen elsewhere, with a reason. At or above
    FOUR_EYES_ABOVE the service refuses to act alone and the same input becomes an approval request
    (a different manager approves; app.approvals)."""
    r = reservation_or_404(reservation_id)
    if request.method == "GET" and r.status != "pending":   # decided meanwhile: the booking shows the outcome
        flash(_("This booking no longer waits for its deposit: it is “%(status)s”. Nothing to mark.",
                status=display.label(display.RESERVATION_STATUS, r.status)[0]), "info")
        return redirect(url_for("ops.reservation", reservation_id=r.public_id))
    form = MarkPaidForm()
    owed = outstanding_amount(r)
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("deposits/mark_paid.html", form=form, r=r, owed=owed, confirm=False), \
            422 if request.method == "POST" else 200
    if r.status != "pending":
        flash(_("Only a booking waiting for its deposit can be marked paid."), "warning")
        return redirect(url_for("ops.orders"))
    if not form.is_confirmed:
        from app.approvals.guard import asks_approval

        return render_template("deposits/mark_paid.html", form=form, r=r, owed=owed, confirm=True,
                               asks_approval=asks_approval(owed))
    try:
        decision = services.mark_paid_manually(r.public_id, actor=_actor(), reason=form.reason.data)
    except NeedsApproval as exc:
        approvals.ask(exc, subject_id=r.id, subject_public_id=r.public_id, reservation_id=r.id,
                      reason=form.reason.data)
        return redirect(url_for("ops.reservation", reservation_id=r.public_id))
    except (IllegalTransition, NotFound):
        flash(_("Only a booking waiting for its deposit can be marked paid."), "warning")
        return redirect(url_for("ops.orders"))
    if decision is None:
        flash(_("This booking was already paid; nothing was done twice."), "warning")
    else:
        flash(_done_message(decision), "success")
    return redirect(url_for("ops.orders"))


# --- bookings short of money at the end of their window (app.deposits.shortfall) ------------------


class ShortfallForm(ConfirmMixin, FlaskForm):
    days = IntegerField(_l("Days the guest has to pay the rest"), default=3,
                        validators=[Optional(), NumberRange(1, shortfall_service.MAX_EXTENSION_DAYS,
                                                            _l("A whole number from 1 to %(max)s.",
                                                               max=shortfall_service.MAX_EXTENSION_DAYS))])
    reason = TextAreaField(_l("Reason (kept in the history; the guest never sees it)"),
                           validators=[Optional(), Length(max=1000)])


def _shortfall_or_redirect(reservation_id: str):
    r = reservation_or_404(reservation_id)
    item = shortfall_service.get_shortfall(r)
    if item is None:
        flash(_("This booking does not wait for this decision any more (it was decided, paid or canceled)."),
              "warning")
    return r, item


def _shortfall_context(r, item) -> dict:
    from app.ledger.labels import kind_label, source_label
    from app.ledger.services import entries_of

    most = shortfall_service.max_extension_days(clock.now(), r.check_in, r.hotel.timezone)
    return dict(r=r, item=item, entries=entries_of(r.id), most_days=most, is_manager=_is_manager(),
                ledger_kind=kind_label, ledger_source=source_label,
                recommended=shortfall_service.compute_recommendation(item.missing, most),
                lang_name=_LANGUAGE_NAMES.get(r.language, r.language))


_LANGUAGE_NAMES = {"ko": "한국어", "ja": "日本語", "en": "English"}


@bp.get("/shortfalls")
@role_required("staff")
def shortfalls():
    return render_template("deposits/shortfall_list.html", items=shortfall_service.list_shortfalls(),
                           now=clock.now())


@bp.get("/shortfalls/<reservation_id>")
@role_required("staff")
def shortfall(reservation_id: str):
    r, item = _shortfall_or_redirect(reservation_id)
    if item is None:
        return redirect(url_for("ops.reservation", reservation_id=r.public_id))
    return render_template("deposits/shortfall.html", choices=shortfall_service.CHOICES,
                           **_shortfall_context(r, item))


def _shortfall_preview(choice: str, r, item, days: int | None):
    """The guest's message this choice sends, rendered in the guest's language (DESIGN invariant 13)."""
    if choice == "ask_rest":
        deadline = clock.now() + timedelta(days=days or 0)
        return deadline, shortfall_service.preview_message(
            r, "payment_rest_requested", shortfall_service.rest_context(r, item.paid, deadline))
    if choice == "cancel_refund":
        return None, shortfall_service.preview_message(r, "shortfall_canceled",
                                                       {"received": item.paid, "currency": r.currency})
    return None, shortfall_service.preview_message(r, "payment_confirmed", {})


@bp.route("/shortfalls/<reservation_id>/<choice>", methods=["GET", "POST"])
@role_required("staff")
def shortfall_decide(reservation_id: str, choice: str):
    if choice not in shortfall_service.CHOICES:
        abort(404)
    needs_reason, manager_only = shortfall_service.CHOICES[choice]
    if manager_only and not _is_manager():
        abort(403)
    r, item = _shortfall_or_redirect(reservation_id)
    if item is None:
        return redirect(url_for(".shortfalls"))
    ctx = _shortfall_context(r, item)
    form = ShortfallForm()
    if request.method == "GET" and ctx["most_days"] >= 1:
        form.days.data = min(form.days.data or 3, ctx["most_days"])
    if request.method == "POST" and form.validate_on_submit():
        if choice == "ask_rest" and ctx["most_days"] < 1:
            form.days.errors = [_("The guest arrives too soon to wait for more money: accept the amount or cancel "
                                  "and refund.")]
        elif choice == "ask_rest" and not (form.days.data and 1 <= form.days.data <= ctx["most_days"]):
            form.days.errors = [_("Choose from 1 to %(most)s days (the window must end before the check-in day).",
                                  most=ctx["most_days"])]
        elif needs_reason and not (form.reason.data or "").strip():
            form.reason.errors = [_("Write the reason in a sentence.")]
        elif not form.is_confirmed:
            deadline, preview = _shortfall_preview(choice, r, item, form.days.data)
            return render_template("deposits/shortfall_confirm.html", form=form, choice=choice, deadline=deadline,
                                   preview=preview, **ctx)
        else:
            return _act_on_shortfall(r, choice, form, ctx)
    status = 422 if request.method == "POST" else 200
    return render_template("deposits/shortfall_decide.html", form=form, choice=choice, needs_reason=needs_reason,
                           **ctx), status


def _act_on_shortfall(r, choice: str, form: ShortfallForm, ctx):
    from app.core.money import format_money
    from flask_babel import format_datetime, get_locale

    try:
        done = shortfall_service.decide(r.public_id, choice, actor=_actor(), reason=form.reason.data,
                                        days=form.days.data, is_manager=_is_manager())
    except shortfall_service.AlreadyDecided:
        flash(_("Someone decided this booking meanwhile (or it was paid or canceled); nothing was done twice."),
              "warning")
        return redirect(url_for(".shortfalls"))
    except IllegalTransition as exc:
        message = next(iter((exc.fields or {}).values()), None) or _("The booking changed meanwhile.")
        flash(_("Nothing was done: %(why)s", why=message), "warning")
        return redirect(url_for(".shortfall", reservation_id=r.public_id))
    except ValidationFailed as exc:
        for name, message in (exc.fields or {}).items():
            if hasattr(form, name):
                getattr(form, name).errors = [str(message)]
        return render_template("deposits/shortfall_decide.html", form=form, choice=choice,
                               needs_reason=shortfall_service.CHOICES[choice][0], **ctx), 422
    money = (lambda a: format_money(a, r.currency, str(get_locale() or "ko")))
    code, lang = r.display_code, ctx["lang_name"]
    if choice == "ask_rest":
        flash(_("Done. Booking %(code)s now waits for %(missing)s until %(deadline)s; the guest gets the request "
                "with the account details (%(lang)s) within a minute.", code=code, missing=money(done.missing),
                deadline=format_datetime(done.deadline, "short"), lang=lang), "success")
    elif choice == "accept":
        flash(_("Done. Booking %(code)s is paid; %(missing)s was written off with your reason. The guest gets the "
                "payment confirmation (%(lang)s) within a minute.", code=code, missing=money(done.missing),
                lang=lang), "success")
    else:
        flash(_("Done. Booking %(code)s is canceled and its rooms are back on sale. A refund of %(paid)s waits on "
                "the refunds page for a decision; the guest gets an email (%(lang)s) within a minute.", code=code,
                paid=money(done.paid), lang=lang), "success")
    return redirect(url_for(".shortfalls"))


from app.deposits import direction_views  # noqa: E402  (its routes: import results, money out, reversals)
