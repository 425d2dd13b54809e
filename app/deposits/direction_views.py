"""Deposit pages for every direction: an import's result (every line counted in plain words),
what a line other than a deposit did (a payout, a fee, a reversal, a return, a pending entry),
and the 🛑 decisions those lines may need: a reversal that un-paid a booking whose time to pay
has ended (collect again / cancel), and money out that may be one of our payouts.

Routes on the deposits blueprint (app.deposits.views imports this module). Thin: role →
form → confirm step → one service → flash → redirect. Nothing here commits.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from app.auth.decorators import role_required
from app.booking.models import Reservation
from app.booking.services import outstanding_amount
from app.core.actor import Actor
from app.core.errors import IllegalTransition, ValidationFailed
from app.deposits import continuity, matching, outgoing, reversals
from app.deposits.forms import ConfirmMixin
from app.deposits.importing import COUNT_KEYS
from app.deposits.models import ImportRun, LineKind, LineStatus, StatementLine
from app.deposits.views import _line_or_404, bp
from app.extensions import db
from app.remittance.models import Payout

#: What a line other than a deposit waits for, in plain words.
PROBLEMS = {
    reversals.HOLD_ENDED: _l("The bank took back the deposit that paid this booking, and its time to pay has "
                             "ended."),
    outgoing.PAYOUT_PROBLEM: _l("Money left the account without our reference: it may be one of our payouts."),
    "return_not_sent": _l("Money came back for a payout that, as far as we know, was never sent."),
}
#: What a line is, in plain words (the statements list and the result page).
KINDS = {
    LineKind.DEPOSIT: _l("Deposit"), LineKind.PAYOUT: _l("Our payout"), LineKind.FEE: _l("Bank fee"),
    LineKind.REVERSAL: _l("Taken back by the bank"), LineKind.PAYOUT_RETURN: _l("Our payout came back"),
    LineKind.PENDING: _l("Not yet booked"), LineKind.GATEWAY_SETTLEMENT: _l("Card company's settlement"),
    LineKind.OTHER: _l("Money out"),
}
#: The 🛑 choices of each problem, the recommended one first.
SETTLE_OFFERED = {reversals.HOLD_ENDED: ("collect_again", "cancel_booking"),
                  outgoing.PAYOUT_PROBLEM: ("link_payout", "not_payout")}


class SettleForm(ConfirmMixin, FlaskForm):
    payout = HiddenField(validators=[Optional(), Length(max=40)])
    reason = TextAreaField(_l("Memo (kept in the history)"), validators=[Optional(), Length(max=1000)])


#: A returned transfer's reason code (ISO 20022 ExternalReturnReason1Code), in plain words.
RETURN_REASONS = {
    "AC01": _l("the account number is wrong"), "AC04": _l("the account is closed"),
    "AC06": _l("the account is blocked"), "AG01": _l("the account cannot receive this transfer"),
    "AM05": _l("a duplicate transfer"), "BE01": _l("the name does not match the account"),
    "MD07": _l("the account holder has died"), "MS02": _l("the receiver refused it"),
    "MS03": _l("no reason given"),
}


@bp.app_context_processor
def _direction_helpers():
    return {"problem_label": lambda p: PROBLEMS.get(p) or matching.PROBLEMS.get(p, ""),
            "kind_label": lambda k: KINDS.get(k, k or ""), "open_gaps": continuity.open_gaps,
            "return_reason_label": lambda code: RETURN_REASONS.get((code or "").upper(), code or "")}


def _actor() -> Actor:
    return Actor.operator(current_user)


def reversal_of(line: StatementLine) -> StatementLine | None:
    """The line that took `line` back, if any."""
    return db.session.scalar(select(StatementLine).where(StatementLine.reverses_line_id == line.id)
                             .order_by(StatementLine.id).limit(1))


def _reservations(ids) -> list[Reservation]:
    ids = [i for i in (ids or []) if i is not None]
    if not ids:
        return []
    return list(db.session.scalars(select(Reservation).where(Reservation.id.in_(ids)).order_by(Reservation.id)))


def line_context(line: StatementLine, *, is_manager: bool, payments: list) -> dict:
    """What the line page shows for a line other than a deposit."""
    problem = line.problem if line.status == LineStatus.NEEDS_DECISION else None
    bookings = _reservations(line.proposals if problem == reversals.HOLD_ENDED else [line.reservation_id])
    proposals = []
    if problem == outgoing.PAYOUT_PROBLEM:
        proposals = list(db.session.scalars(select(Payout).where(Payout.id.in_(line.proposals or []))))
    return dict(line=line, found=None, problem=problem, choices=(), problems=PROBLEMS, owed=None,
                sender=line.depositor, is_manager=is_manager, payments=payments,
                reversed_by=reversal_of(line), original=line.reverses, payout=line.payout,
                bookings=[(r, outstanding_amount(r), reversals.hold_end(r)) for r in bookings],
                settle_choices=SETTLE_OFFERED.get(problem, ()), payout_proposals=proposals)


# --- an import's result ----------------------------------------------------------------------------

@bp.get("/imports/<public_id>")
@role_required("staff")
def import_result(public_id: str):
    run = db.session.scalar(select(ImportRun).where(ImportRun.public_id == public_id))
    if run is None:
        abort(404)
    ids = [s.id for s in run.statements]
    lines = list(db.session.scalars(select(StatementLine).where(StatementLine.statement_id.in_(ids))
                                    .order_by(StatementLine.id))) if ids else []
    counts = {key: (run.counts or {}).get(key, 0) for key in COUNT_KEYS}
    accounts = {s.account for s in run.statements}
    gaps = [g for g in continuity.open_gaps() if g.account in accounts]  # as they are now, not at the import
    still_waiting = sum(1 for line in lines if line.status == LineStatus.NEEDS_DECISION)
    return render_template("deposits/import_result.html", run=run, counts=counts, lines=lines, gaps=gaps,
                           still_waiting=still_waiting)


# --- the 🛑 decisions of lines other than deposits ----------------------------------------------------

@bp.route("/lines/<public_id>/settle/<choice>", methods=["GET", "POST"])
@role_required("staff")
def settle(public_id: str, choice: str):
    line = _line_or_404(public_id)
    if choice not in reversals.REVERSAL_CHOICES and choice not in outgoing.PAYOUT_CHOICES:
        abort(404)
    ctx = line_context(line, is_manager=current_user.has_role("manager"), payments=[])
    if choice not in ctx["settle_choices"]:
        flash(_("That choice is not possible any more: someone decided this line or the booking changed. "
                "Look again."), "warning")
        return redirect(url_for(".line_detail", public_id=public_id))
    form = SettleForm()
    if request.method == "GET" and request.args.get("payout"):
        form.payout.data = request.args["payout"]
    target = next((p for p in ctx["payout_proposals"] if p.public_id == form.payout.data), None)
    needs_reason = reversals.REVERSAL_CHOICES.get(choice) or outgoing.PAYOUT_CHOICES.get(choice)
    if request.method == "POST" and form.validate_on_submit():
        if needs_reason and not (form.reason.data or "").strip():
            form.reason.errors = [_("Write the reason in a sentence.")]
        elif choice == "link_payout" and target is None:
            form.payout.errors = [_("Choose one of the proposed payouts.")]
        elif not form.is_confirmed:
            return render_template("deposits/settle_confirm.html", form=form, choice=choice, target=target, **ctx)
        else:
            return _settle(line, choice, form, target)
    status = 422 if request.method == "POST" else 200
    return render_template("deposits/settle.html", form=form, choice=choice, target=target,
                           needs_reason=needs_reason, **ctx), status


def _settle(line: StatementLine, choice: str, form: SettleForm, target):
    try:
        if choice in reversals.REVERSAL_CHOICES:
            reversals.decide_reversal(line.public_id, choice, actor=_actor(), reason=form.reason.data)
        else:
            outgoing.decide_payout_line(line.public_id, choice, actor=_actor(), reason=form.reason.data,
                                        payout_public_id=target.public_id if target is not None else None)
    except (IllegalTransition, ValidationFailed) as exc:
        message = next(iter((exc.fields or {}).values()), None) or _("The booking changed meanwhile.")
        flash(_("Nothing was done: %(why)s", why=message), "warning")
        return redirect(url_for(".line_detail", public_id=line.public_id))
    flash({"collect_again": _("Done. The booking waits for its money again; the guest gets a message saying what "
                              "is missing and until when to pay, within a minute."),
           "cancel_booking": _("Done. The booking is canceled, its rooms are free again and the guest gets an "
                               "email within a minute."),
           "link_payout": _("Done. The payout is marked as booked by the bank."),
           "not_payout": _("Recorded as not ours. Nothing else changes.")}[choice], "success")
    return redirect(url_for(".line_detail", public_id=line.public_id))
