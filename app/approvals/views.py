"""Approval pages: the list of waiting requests (managers), one request with its 🛑
decision box, approve / refuse with a confirm step, withdraw. Plus `ask`, which the
money pages call when a service answered NeedsApproval.

Thin: check the role → validate the form → (confirm step) → call one service →
flash what happens next → redirect. Views never commit and never enqueue.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.approvals import queries, services
from app.approvals import today  # noqa: F401  (registers the Today item and the nav link)
from app.approvals.forms import ApproveForm, RefuseForm, WithdrawForm
from app.approvals.models import ApprovalStatus
from app.approvals.policies import KINDS
from app.auth.decorators import role_required
from app.core.actor import Actor
from app.core.errors import Forbidden, NotFound, ValidationFailed
from app.core.money import format_money
from app.core.web import audit_attempt_not_done
from app.ops.checklist import reservation_panel

bp = Blueprint("approvals", __name__)

reservation_panel("approvals", "approvals/_pending.html", role="staff", order=5)


def _locale() -> str:
    return str(get_locale() or "ko")


def _actor() -> Actor:
    return Actor.operator(current_user)


def status_label(status: str) -> str:
    return {ApprovalStatus.PENDING: _("Waiting for a manager"), ApprovalStatus.APPROVED: _("Approved and done"),
            ApprovalStatus.REFUSED: _("Refused"), ApprovalStatus.WITHDRAWN: _("Withdrawn")}.get(status, status)


def subject_text(req) -> str:
    """What the request is about, in words: the booking's code when there is one, the payout's
    recipient, the reconciliation difference's day; an id only when nothing else names it."""
    if req.reservation is not None:
        from app.core.web import display_code

        return display_code(req.reservation.code)
    from app.core import language
    from app.extensions import db

    if req.subject_type == "payout":
        from app.remittance.models import Payout

        payout = db.session.get(Payout, req.subject_id)
        if payout is not None:
            return _("the payout to %(holder)s", holder=language.with_honorific(payout.account_holder))
    if req.subject_type == "reconciliation_item":
        from app.reconcile.models import ReconciliationItem

        item = db.session.get(ReconciliationItem, req.subject_id)
        if item is not None:
            return _("the reconciliation item of %(day)s", day=language.day(item.business_date))
    return req.subject_public_id or str(req.subject_id)


def subject_url(req) -> str | None:
    p = req.subject_public_id
    try:
        return {"refund": lambda: url_for("refunds.refund_detail", public_id=p),
                "reservation": lambda: url_for("ops.reservation", reservation_id=p),
                "payout": lambda: url_for("remittance.payout_detail", public_id=p),
                "reconciliation_item": lambda: url_for("reconcile.item_detail", public_id=p),
                "operating_fund": lambda: url_for("remittance.fund")}[req.subject_type]()
    except Exception:  # noqa: BLE001 — a link is a convenience; the page still shows the request
        return None


def effect_text(req) -> str:
    account = req.account.label(_locale()) if req.account is not None else ""
    return str(KINDS[req.kind].effect) % {"amount": format_money(req.amount, req.currency, _locale()),
                                          "subject": subject_text(req), "account": account}


@bp.app_context_processor
def _approval_helpers():
    return {"approval_status_label": status_label, "approval_kind_label": lambda k: str(KINDS[k].label),
            "approval_effect": effect_text, "approval_subject": subject_text, "approval_subject_url": subject_url,
            "approvals_for_reservation": queries.pending_for_reservation,
            "approvals_for_subject": queries.pending_for_subject}


def ask(exc, *, subject_id: int, reason: str | None, subject_public_id: str | None = None,
        reservation_id: int | None = None, params: dict | None = None, account=None):
    """A money page's service answered NeedsApproval: the same input becomes a request
    (audited `approval.requested`) and the operator is told that nothing has moved."""
    req = services.request_approval(exc.kind, subject_id=subject_id, amount=exc.amount, currency=exc.currency,
                                    reason=reason, actor=_actor(), subject_public_id=subject_public_id,
                                    reservation_id=reservation_id, params=params, account=account)
    flash(_("A manager must approve this; nothing has moved yet. The request for %(amount)s waits on the managers' "
            "Today page, and this page shows it as waiting until someone other than you decides it.",
            amount=format_money(req.amount, req.currency, _locale())), "warning")
    return req


# --- the list and one request ------------------------------------------------------------------------


@bp.get("/ops/approvals/")
@role_required("manager")
def approvals():
    return render_template("approvals/list.html", waiting=queries.list_pending(), done=queries.list_recent_decided())


def _detail(req, **extra):
    actor = _actor()
    may_decide = req.is_pending and current_user.has_role("manager") and current_user.id != req.requested_by_id
    return dict(req=req, kind=KINDS[req.kind], may_decide=may_decide,
                is_requester=current_user.id == req.requested_by_id,
                may_withdraw=req.is_pending and services.may_withdraw(req, actor), withdraw_form=WithdrawForm(),
                locale=_locale(), **extra)


@bp.get("/ops/approvals/<public_id>")
@role_required("staff")
def request_detail(public_id: str):
    return render_template("approvals/detail.html", **_detail(queries.get_request(public_id)))


def _refused_attempt(req, why: str, choice: str) -> None:
    audit_attempt_not_done(f"approval.{choice}_refused", entity_type="approval_request", entity_id=req.public_id,
                           reservation_id=req.reservation_id, why=why,
                           data={"kind": req.kind, "amount": req.amount, "requested_by": req.requested_by_id})


@bp.route("/ops/approvals/<public_id>/<choice>", methods=["GET", "POST"])
@role_required("manager")
def decide(public_id: str, choice: str):
    if choice not in ("approve", "refuse"):
        abort(404)
    req = queries.get_request(public_id)
    if req.requested_by_id == current_user.id:
        if request.method == "POST":
            _refused_attempt(req, "self_approval", choice)
        abort(403)
    if not req.is_pending:
        if request.method == "POST":
            _refused_attempt(req, "already_decided", choice)
        flash(_("This request was already decided: it is now “%(status)s”. Nothing was done twice.",
                status=status_label(req.status)), "warning")
        return redirect(url_for(".request_detail", public_id=public_id))
    form = ApproveForm() if choice == "approve" else RefuseForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("approvals/decide.html", form=form, choice=choice, confirming=False,
                               **_detail(req)), status
    if not form.is_confirmed:
        return render_template("approvals/decide.html", form=form, choice=choice, confirming=True, **_detail(req))
    try:
        if choice == "approve":
            services.approve(req.id, actor=_actor(), note=form.note.data)
        else:
            services.refuse(req.id, actor=_actor(), note=form.note.data)
    except services.SelfApproval:
        _refused_attempt(req, "self_approval", choice)
        abort(403)
    except Forbidden:
        _refused_attempt(req, "not_allowed", choice)
        abort(403)
    except services.RequestAlreadyDecided:
        _refused_attempt(req, "already_decided", choice)
        flash(_("Someone else decided this request meanwhile; nothing was done twice. Check it again."), "warning")
        return redirect(url_for(".request_detail", public_id=public_id))
    except services.SubjectChanged:
        flash(_("Nothing was moved: what this request was about has changed since it was asked (for example it "
                "was already decided, sent or canceled). The request is withdrawn; look at the item again and "
                "ask anew if it is still needed."), "error")
        return redirect(url_for(".request_detail", public_id=public_id))
    except ValidationFailed:
        form.note.errors = [*form.note.errors, _("Write why it is refused.")]
        return render_template("approvals/decide.html", form=form, choice=choice, confirming=False,
                               **_detail(req)), 422
    if choice == "approve":
        flash(_("Approved and done: %(effect)s %(who)s sees it on the page.", effect=effect_text(req),
                who=req.requested_by_name), "success")
    else:
        flash(_("Refused. Nothing was moved; %(who)s sees your reason on the request.", who=req.requested_by_name),
              "success")
    return redirect(url_for(".request_detail", public_id=public_id))


@bp.post("/ops/approvals/<public_id>/withdraw")
@role_required("staff")
def withdraw(public_id: str):
    req = queries.get_request(public_id)
    if not WithdrawForm().validate_on_submit():
        abort(400)
    try:
        services.withdraw(req.id, actor=_actor())
    except Forbidden:
        _refused_attempt(req, "not_allowed", "withdraw")
        abort(403)
    except services.RequestAlreadyDecided:
        flash(_("This request was already decided; nothing was changed."), "warning")
        return redirect(url_for(".request_detail", public_id=public_id))
    except NotFound:
        abort(404)
    flash(_("Withdrawn. Nothing was moved."), "success")
    return redirect(url_for(".request_detail", public_id=public_id))
