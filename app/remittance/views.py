"""Payout pages: the back office's "needs a person" list, a payout with its 🛑 decision,
the operating fund, and the customer's bank-account form (a signed link, no sign-in).

Thin: check the role → validate the form → (confirm step) → call one service →
flash what happens next → redirect. Views never commit and never enqueue.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.approvals import views as approvals
from app.approvals.guard import NeedsApproval
from app.auth.decorators import role_required
from app.core.actor import Actor
from app.core.errors import IllegalTransition, NotFound, ValidationFailed
from app.core.web import audit_attempt_not_done
from app.core.money import format_money
from app.refunds.services import MoneyNotHeld
from app.remittance import decisions, queries
from app.remittance import fund as fund_service
from app.remittance import today  # noqa: F401  (registers the Today items and nav links)
from app.remittance.forms import FORMS, CustomerAccountForm, TopUpForm
from app.remittance.policies import (
    BREAKER_LABELS,
    CHOICES,
    FAILURE_TYPES,
    FUND_LEVELS,
    HELD_REASONS,
    LEVEL_LABELS,
    RETRY_DELAYS,
    STATUS_LABELS,
    failure_type,
    fund_level,
    needs_manager,
    next_breaker_state,
    recommend,
)
from app.remittance.returns import PayoutNotCompleted
from app.remittance.states import PayoutStatus
from app.remittance.tokens import LinkExpired, LinkInvalid

bp = Blueprint("remittance", __name__)


@bp.app_context_processor
def _remittance_helpers():
    return {"payout_status_label": lambda s: STATUS_LABELS.get(PayoutStatus(s), s),
            "breaker_label": lambda s: BREAKER_LABELS.get(s, s), "fund_level_label": lambda s: LEVEL_LABELS.get(s, s),
            "failure_meaning": lambda code: failure_type(code).meaning if code else "",
            "held_reason_text": lambda r: HELD_REASONS.get(r, "")}


def _locale() -> str:
    return str(get_locale() or "ko")


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, _locale())


def _may_decide(payout) -> bool:
    return not needs_manager(payout.amount, current_app.config["PAYOUT_MANAGER_ABOVE"]) \
        or current_user.has_role("manager")


# --- back office: the list and one payout ----------------------------------------------------


@bp.get("/ops/payouts/")
@role_required("staff")
def attention():
    return render_template("remittance/attention.html", payouts=queries.list_needing_attention(),
                           in_doubt=queries.list_in_doubt(), recent=queries.list_recent())


def _detail(payout, **extra):
    choice, why = recommend(payout.status, payout.last_failure_type, payout.abandon_reason)
    return dict(payout=payout, choices=CHOICES.get(PayoutStatus(payout.status), ()), recommended=choice, why=why,
                attempts=queries.attempts_of(payout), history=queries.history_of(payout),
                held_now=queries.held_reason_now(payout) if payout.status == PayoutStatus.HELD_BY_BREAKER else None,
                may_decide=_may_decide(payout), manager_above=current_app.config["PAYOUT_MANAGER_ABOVE"],
                retry_delays=RETRY_DELAYS, locale=_locale(), **extra)


@bp.get("/ops/payouts/<public_id>")
@role_required("staff")
def payout_detail(public_id: str):
    return render_template("remittance/payout_detail.html", **_detail(queries.get_payout(public_id)))


def _act(choice: str, payout, form):
    actor = Actor.operator(current_user)
    if choice == "retry":
        return decisions.retry_payout(payout.id, actor=actor, reason=form.reason.data)
    if choice == "edit_account":
        return decisions.change_payout_account(payout.id, form.account, actor=actor, reason=form.reason.data)
    if choice == "give_up":
        return decisions.give_up_payout(payout.id, actor=actor, reason=form.reason.data)
    return decisions.mark_returned(payout.id, form.reference.data, actor, form.reason.data)


def _done_message(choice: str, before, after) -> str:
    amount = _money(after.amount, after.currency)
    if choice == "retry":
        return _("Done. %(amount)s will be sent again within a minute; if the bank refuses it, it is retried "
                 "automatically.", amount=amount)
    if choice == "edit_account":
        if after.id != before.id:
            return _("Done. A new payout of %(amount)s to %(account)s was created and goes out within a minute.",
                     amount=amount, account=after.account.label(_locale()))
        return _("Done. %(amount)s will be sent to %(account)s within a minute.", amount=amount,
                 account=after.account.label(_locale()))
    if choice == "give_up":
        if after.refund_id:
            return _("Done. Nothing more will be sent. The refund is marked failed: pay it back another way.")
        return _("Done. Nothing more will be sent. Pay the partner another way.")
    if after.refund_id:
        return _("Recorded. The operating fund got %(amount)s back. The refund is open again and the customer "
                 "was asked by e-mail for another account; when they give it, a new payout goes out by itself.",
                 amount=amount)
    return _("Recorded. The operating fund got %(amount)s back; the payout now waits in the list of payouts "
             "that need a person.", amount=amount)


@bp.route("/ops/payouts/<public_id>/<choice>", methods=["GET", "POST"])
@role_required("staff")
def decide(public_id: str, choice: str):
    payout = queries.get_payout(public_id)
    if choice not in FORMS:
        abort(404)
    if choice not in CHOICES.get(PayoutStatus(payout.status), ()):
        flash(_("That choice is not possible any more: the payout is now “%(status)s”.",
                status=STATUS_LABELS[PayoutStatus(payout.status)]), "warning")
        return redirect(url_for(".payout_detail", public_id=public_id))
    if not _may_decide(payout):
        abort(403)
    form = FORMS[choice]()
    if request.method == "GET" or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("remittance/decide.html", form=form, choice=choice, **_detail(payout)), status
    if not form.is_confirmed:
        from app.approvals.guard import asks_approval

        return render_template("remittance/confirm.html", form=form, choice=choice, **_detail(payout),
                               asks_approval=choice == "edit_account" and asks_approval(payout.amount))
    try:
        result = _act(choice, payout, form)
    except NeedsApproval as exc:
        approvals.ask(exc, subject_id=payout.id, subject_public_id=payout.public_id,
                      reservation_id=payout.reservation_id, account=getattr(form, "account", None),
                      reason=form.reason.data)
        return redirect(url_for(".payout_detail", public_id=public_id))
    except ValidationFailed as exc:
        for field, message in exc.fields.items():
            if hasattr(form, field):
                getattr(form, field).errors = [message]
        return render_template("remittance/decide.html", form=form, choice=choice, **_detail(payout)), 422
    except (IllegalTransition, PayoutNotCompleted) as exc:
        audit_attempt_not_done("payout.decision_not_done", entity_type="payout", entity_id=payout.public_id,
                               reservation_id=payout.reservation_id, why="changed_meanwhile",
                               data={"choice": choice, "amount": payout.amount,
                                     "detail": {k: str(v) for k, v in exc.fields.items()}})
        flash(_("Someone else changed this payout meanwhile; nothing was done. Check it again."), "warning")
        return redirect(url_for(".payout_detail", public_id=public_id))
    flash(_done_message(choice, payout, result), "success")
    return redirect(url_for(".payout_detail", public_id=result.public_id))


# --- back office: the operating fund ------------------------------------------------------------


def _fund_page(form: TopUpForm | None = None, status: int = 200):
    overview = queries.fund_overview()
    if form is None:
        form = TopUpForm(formdata=None, key=fund_service.new_top_up_key())
    return render_template("remittance/fund.html", o=overview, form=form, levels=FUND_LEVELS,
                           may_top_up=current_user.has_role("manager")), status


@bp.get("/ops/fund")
@role_required("staff")
def fund():
    return _fund_page()


@bp.post("/ops/fund/top-up")
@role_required("manager")
def top_up():
    form = TopUpForm()
    if not form.validate_on_submit():
        return _fund_page(form, 422)
    overview = queries.fund_overview()
    after = overview.fund.balance + form.amount.data
    if not form.is_confirmed:
        t = overview.thresholds
        from app.approvals.guard import asks_approval

        return render_template("remittance/fund_confirm.html", form=form, o=overview, balance_after=after,
                               state_after=next_breaker_state(overview.fund.breaker_state, after, t),
                               level_after=fund_level(after, t), asks_approval=asks_approval(form.amount.data))
    try:
        entry = fund_service.top_up_fund(form.amount.data, form.reason.data, key=form.key.data,
                                         actor=Actor.operator(current_user))
    except NeedsApproval as exc:
        from app.remittance.fund import lock_fund

        fund_id = queries.fund_overview().fund.id or lock_fund(exc.currency).id
        approvals.ask(exc, subject_id=fund_id, subject_public_id=exc.currency, reason=form.reason.data)
        return redirect(url_for(".fund"))
    except ValidationFailed as exc:
        for field, message in exc.fields.items():
            if hasattr(form, field):
                getattr(form, field).errors = [message]
        return _fund_page(form, 422)
    if entry is None:
        flash(_("This top-up was already recorded; it was not added twice."), "warning")
    else:
        flash(_("Added %(amount)s. The fund now holds %(balance)s. Payouts on hold go out by themselves within a "
                "minute if the fund allows.", amount=_money(entry.amount, overview.fund.currency),
                balance=_money(entry.balance_after, overview.fund.currency)), "success")
    return redirect(url_for(".fund"))


# --- the customer's bank-account form --------------------------------------------------------------


@bp.route("/payout-account/<token>", methods=["GET", "POST"])
def account_form(token: str):
    try:
        req = decisions.describe_account_request(token)
    except LinkExpired:
        return render_template("remittance/account_link_error.html", expired=True), 410
    except (LinkInvalid, NotFound):
        return render_template("remittance/account_link_error.html", expired=False), 404
    if not req.still_needed:
        return render_template("remittance/account_done.html", req=req)
    form = CustomerAccountForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("remittance/account_form.html", form=form, req=req, failures=FAILURE_TYPES), status
    if not form.is_confirmed:
        return render_template("remittance/account_confirm.html", form=form, req=req)
    try:
        payout = decisions.submit_account(token, form.account)
    except decisions.NothingToDo as exc:
        flash(str(exc.message), "info")
        return redirect(url_for(".account_form", token=token))
    except ValidationFailed as exc:
        for field, message in exc.fields.items():
            if hasattr(form, field):
                getattr(form, field).errors = [message]
        return render_template("remittance/account_form.html", form=form, req=req, failures=FAILURE_TYPES), 422
    except MoneyNotHeld:
        # the operators' reason stays internal: the guest is told a person will contact them
        flash(_("We cannot send this refund right now. Our staff will contact you; there is nothing more to do "
                "here."), "info")
        return redirect(url_for(".account_form", token=token))
    flash(_("Thank you. We will send %(amount)s to %(account)s within a few minutes.",
            amount=_money(payout.amount, payout.currency), account=payout.account.label(_locale())), "success")
    return redirect(url_for(".account_form", token=token))
