"""Refund pages: the list (requests waiting first), a refund with its 🛑 decision box,
the decision with its confirm step, the account typed from a phone call, a refund
opened from a reservation, and compensation for booking conflicts.

Thin: check the role → validate the form → (confirm step) → call one service →
flash what happens next → redirect. Views never commit and never enqueue.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.approvals import views as approvals
from app.approvals.guard import NeedsApproval, asks_approval
from app.auth.decorators import role_required
from app.core.actor import Actor
from app.core.errors import Forbidden, IllegalTransition, ValidationFailed
from app.core.web import audit_attempt_not_done
from app.core.money import format_money
from app.ops.checklist import reservation_action, reservation_panel
from app.refunds import compensation, decisions, labels, queries
from app.refunds import today  # noqa: F401  (registers the Today items and nav links)
from app.notifications.guest_text import preview as guest_preview
from app.refunds.forms import AccountForm, CompensateForm, DecisionForm, OpenRefundForm, RefusalForm, SendAgainForm
from app.refunds.policies import COMPENSATION_TIERS, MAX_REFUND_CHECKS, needs_manager
from app.refunds.services import MoneyNotHeld, refundable_amount
from app.refunds.states import RefundStatus

bp = Blueprint("refunds", __name__)

CHOICES = ("approve", "other_amount", "refuse")


def _may_open_refund(r) -> bool:
    return r.status in ("paid", "canceled", "checked_in", "checked_out") and refundable_amount(r) > 0


reservation_action("refund", "refunds.open_refund", _l("Refund"), role="staff", order=40, when=_may_open_refund)
reservation_action("compensate", "refunds.compensate_reservation", _l("Compensate the customer"), role="staff",
                   order=45)
reservation_panel("refunds", "refunds/_panel.html", role="staff", order=30)


@bp.app_context_processor
def _refund_helpers():
    return {"refund_status_label": labels.status_label, "policy_reason_text": labels.policy_reason,
            "refund_case_label": lambda c: str(labels.CASE_LABELS.get(c, c)),
            "refund_method_label": lambda m: str(labels.METHOD_LABELS.get(m, m)),
            "refunds_of": queries.refunds_of, "refund_money_of": queries.money_of,
            "compensations_for": queries.compensations_for_email,
            "coupons_for": queries.coupons_for_email}


def _locale() -> str:
    return str(get_locale() or "ko")


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, _locale())


def _is_manager() -> bool:
    return current_user.has_role("manager")


def _actor() -> Actor:
    return Actor.operator(current_user)


def _error_text(field: str, exc: ValidationFailed) -> str:
    """The service's complaint in the operator's words (the service speaks English to logs)."""
    if field == "amount" and "left" in exc.extra:
        return _("That is more than is still refundable: %(left)s. Nothing was changed.",
                 left=_money(exc.extra["left"], exc.extra.get("currency", "KRW")))
    if field == "amount":
        return _("Enter an amount above zero; to give nothing, refuse instead.")
    if field == "reason":
        return _("Write the reason in a sentence: it goes against the policy.")
    if field == "reservation":
        return _("Nothing paid for this booking is left to refund.")
    return _("This could not be done: %(why)s", why=exc.fields[field])


def _field_errors(form, exc: ValidationFailed) -> None:
    for field in (exc.fields or {}):
        flash(_error_text(field, exc), "error")


# --- the list and one refund ---------------------------------------------------------------------


@bp.get("/ops/refunds/")
@role_required("staff")
def refunds():
    return render_template("refunds/list.html", waiting=queries.waiting(), in_progress=queries.in_progress(),
                           done=queries.recent_done())


def _detail(refund, **extra):
    facts = decisions.facts_for(refund)
    waiting = refund.status == RefundStatus.REQUESTED
    recommended = "refuse" if refund.policy_amount == 0 else "approve"
    return dict(refund=refund, r=refund.reservation, facts=facts, waiting=waiting, recommended=recommended,
                is_manager=_is_manager(), coupon=queries.coupon_of(refund), history=queries.history_of(refund),
                refuse_needs_manager=needs_manager(refund.policy_amount, 0), locale=_locale(),
                send_again_form=SendAgainForm(), max_checks=MAX_REFUND_CHECKS, **extra)


@bp.get("/ops/refunds/<public_id>")
@role_required("staff")
def refund_detail(public_id: str):
    return render_template("refunds/detail.html", **_detail(queries.get_refund(public_id)))


def _allowed(choice: str, refund) -> bool:
    """Whether the signed-in operator may make this choice (the service checks again)."""
    if choice == "other_amount":
        return True   # staff's other amount becomes a request a manager approves (app.approvals)
    if choice == "refuse":
        return _is_manager() or not needs_manager(refund.policy_amount, 0)
    return refund.policy_amount > 0


def _check_form(choice: str, refund, form) -> bool:
    ok = form.validate_on_submit()
    if choice == "other_amount" and not form.amount.data:
        form.amount.errors = [*form.amount.errors, _("Enter the amount to refund, in won.")]
        ok = False
    manager_choice = choice == "other_amount" or (choice == "refuse" and needs_manager(refund.policy_amount, 0))
    if manager_choice and not (form.reason.data or "").strip():
        form.reason.errors = [*form.reason.errors, _("Write the reason in a sentence: it goes against the policy.")]
        ok = False
    return ok


@bp.route("/ops/refunds/<public_id>/decide/<choice>", methods=["GET", "POST"])
@role_required("staff")
def decide(public_id: str, choice: str):
    if choice not in CHOICES:
        abort(404)
    refund = queries.get_refund(public_id)
    if not _allowed(choice, refund):
        abort(403)
    if refund.status != RefundStatus.REQUESTED:
        if request.method == "POST":
            audit_attempt_not_done("refund.decision_not_done", entity_type="refund", entity_id=refund.public_id,
                                   reservation_id=refund.reservation_id, why="already_decided",
                                   data={"choice": choice, "status": refund.status})
        flash(_("This refund was already decided: it is now “%(status)s”. Nothing was changed.",
                status=labels.status_label(refund.status)), "warning")
        return redirect(url_for(".refund_detail", public_id=public_id))
    form = RefusalForm() if choice == "refuse" else DecisionForm()
    if request.method == "GET" or not _check_form(choice, refund, form):
        status = 422 if request.method == "POST" else 200
        return render_template("refunds/decide.html", form=form, choice=choice, confirming=False,
                               **_detail(refund)), status
    amount = form.amount.data if choice == "other_amount" else None
    if choice == "other_amount" and amount == refund.policy_amount:
        amount = None
    chosen = amount if amount is not None else refund.policy_amount
    if not form.is_confirmed:
        asks = choice != "refuse" and asks_approval(chosen, manager_decision=amount is not None)
        guest_message = None
        if choice == "refuse":   # the exact email the guest will receive, before anything is sent
            guest_message = guest_preview("refund_refused", reservation=refund.reservation,
                                          context=decisions.refusal_context(refund, form.guest_choice.data,
                                                                            form.guest_written.data))
        return render_template("refunds/decide.html", form=form, choice=choice, confirming=True, chosen=chosen,
                               asks_approval=asks, guest_message=guest_message, **_detail(refund))
    try:
        if choice == "refuse":
            done = decisions.refuse_refund(refund.id, actor=_actor(), may_override=_is_manager(),
                                           reason=form.reason.data, guest_choice=form.guest_choice.data,
                                           guest_written=form.guest_written.data)
        else:
            done = decisions.approve_refund(refund.id, actor=_actor(), may_override=_is_manager(), amount=amount,
                                            reason=form.reason.data)
    except NeedsApproval as exc:
        approvals.ask(exc, subject_id=refund.id, subject_public_id=refund.public_id,
                      reservation_id=refund.reservation_id, params={"amount": amount},
                      reason=form.reason.data or _("Refund as the policy recommends (%(case)s).",
                                                   case=labels.CASE_LABELS.get(refund.policy_case,
                                                                               refund.policy_case)))
        return redirect(url_for(".refund_detail", public_id=public_id))
    except Forbidden:
        abort(403)
    except ValidationFailed as exc:
        _field_errors(form, exc)
        return render_template("refunds/decide.html", form=form, choice=choice, confirming=False,
                               **_detail(refund)), 422
    except MoneyNotHeld as exc:
        audit_attempt_not_done("refund.decision_not_done", entity_type="refund", entity_id=refund.public_id,
                               reservation_id=refund.reservation_id, why="money_no_longer_held",
                               data={"choice": choice})
        flash(str(exc.message), "error")
        return redirect(url_for(".refund_detail", public_id=public_id))
    except IllegalTransition as exc:
        audit_attempt_not_done("refund.decision_not_done", entity_type="refund", entity_id=refund.public_id,
                               reservation_id=refund.reservation_id, why="already_decided",
                               data={"choice": choice, "detail": {k: str(v) for k, v in exc.fields.items()}})
        flash(_("Someone else decided this refund meanwhile; nothing was done twice. Check it again."), "warning")
        return redirect(url_for(".refund_detail", public_id=public_id))
    flash(_done_message(done), "success")
    return redirect(url_for(".refund_detail", public_id=public_id))


def _done_message(refund) -> str:
    language = {"ko": _("Korean"), "ja": _("Japanese")}.get(refund.reservation.language, _("English"))
    amount = _money(refund.amount, refund.currency)
    if refund.status == RefundStatus.REFUSED:
        return _("Refused. The customer gets the “refund not possible” message in %(language)s within a minute.",
                 language=language)
    if refund.status == RefundStatus.PROCESSING:
        return _("Approved. %(amount)s is being sent back to the card. The customer gets an email in %(language)s "
                 "now, and a second one when the money has left; if the card company does not answer, it is asked "
                 "again by itself.", amount=amount, language=language)
    if refund.status == RefundStatus.AWAITING_ACCOUNT:
        return _("Approved. The customer gets a link in %(language)s to give the account for %(amount)s; the "
                 "refund waits here until then. If they call, you can enter the account yourself.",
                 amount=amount, language=language)
    return _("Approved. %(amount)s is on its way; the customer gets an email in %(language)s.",
             amount=amount, language=language)


@bp.route("/ops/refunds/<public_id>/account", methods=["GET", "POST"])
@role_required("staff")
def enter_account(public_id: str):
    refund = queries.get_refund(public_id)
    if refund.status not in (RefundStatus.APPROVED, RefundStatus.AWAITING_ACCOUNT):
        flash(_("This refund does not need an account any more."), "warning")
        return redirect(url_for(".refund_detail", public_id=public_id))
    form = AccountForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("refunds/account.html", form=form, confirming=False, **_detail(refund)), status
    if not form.is_confirmed:
        return render_template("refunds/account.html", form=form, confirming=True,
                               asks_approval=asks_approval(refund.amount),
                               **_detail(refund))
    try:
        payout = decisions.enter_account(refund.id, form.account, actor=_actor(), reason=form.reason.data)
    except NeedsApproval as exc:
        approvals.ask(exc, subject_id=refund.id, subject_public_id=refund.public_id,
                      reservation_id=refund.reservation_id, account=form.account, reason=form.reason.data)
        return redirect(url_for(".refund_detail", public_id=public_id))
    except ValidationFailed as exc:
        _field_errors(form, exc)
        return render_template("refunds/account.html", form=form, confirming=False, **_detail(refund)), 422
    except MoneyNotHeld as exc:
        flash(str(exc.message), "error")
        return redirect(url_for(".refund_detail", public_id=public_id))
    except IllegalTransition:
        flash(_("Someone else changed this refund meanwhile; nothing was done. Check it again."), "warning")
        return redirect(url_for(".refund_detail", public_id=public_id))
    flash(_("Done. %(amount)s will be sent to %(account)s within a minute.",
            amount=_money(payout.amount, payout.currency), account=payout.account.label(_locale())), "success")
    return redirect(url_for(".refund_detail", public_id=public_id))


@bp.post("/ops/refunds/<public_id>/send-again")
@role_required("staff")
def send_again(public_id: str):
    refund = queries.get_refund(public_id)
    if not SendAgainForm().validate_on_submit():
        abort(400)
    try:
        decisions.send_again(refund.id, actor=_actor(), reason="sent again from the refund page")
    except IllegalTransition:
        flash(_("Someone else changed this refund meanwhile; nothing was done. Check it again."), "warning")
        return redirect(url_for(".refund_detail", public_id=public_id))
    flash(_("Sent again. The card company is asked within a minute; a refund that already went through is not "
            "made twice."), "success")
    return redirect(url_for(".refund_detail", public_id=public_id))


# --- opening a refund from a reservation -----------------------------------------------------------


@bp.route("/ops/reservations/<reservation_id>/refund", methods=["GET", "POST"])
@role_required("staff")
def open_refund(reservation_id: str):
    from app.refunds.policies import compute_refund
    from app.core import clock

    r = queries.get_reservation(reservation_id)
    form = OpenRefundForm()
    left = refundable_amount(r)
    if request.method == "GET" or left <= 0 or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("refunds/open.html", form=form, r=r, left=left, confirming=False), status
    preview = compute_refund(refundable=left, check_in=r.check_in, today=clock.local_today(r.hotel.timezone),
                             stay_started=r.status in ("checked_in", "checked_out"),
                             our_fault=form.our_fault.data or None)
    if not form.is_confirmed:
        asks = bool(form.our_fault.data) and asks_approval(left, manager_decision=True)
        return render_template("refunds/open.html", form=form, r=r, left=left, confirming=True, preview=preview,
                               asks_approval=asks)
    try:
        refund = decisions.open_refund(r.id, our_fault=form.our_fault.data or None, note=form.note.data,
                                       actor=_actor())
    except NeedsApproval as exc:
        approvals.ask(exc, subject_id=r.id, subject_public_id=r.public_id, reservation_id=r.id,
                      params={"our_fault": form.our_fault.data}, reason=form.note.data)
        return redirect(url_for("ops.reservation", reservation_id=r.public_id))
    except ValidationFailed as exc:
        _field_errors(form, exc)
        return render_template("refunds/open.html", form=form, r=r, left=left, confirming=False), 422
    except decisions.AlreadyDecided as exc:
        flash(_("A refund request of this booking is already waiting: decide that one."), "warning")
        waiting = exc.extra.get("refund") if hasattr(exc, "extra") else None
        if waiting:
            return redirect(url_for(".refund_detail", public_id=waiting))
        return redirect(url_for("ops.reservation", reservation_id=reservation_id))
    except IllegalTransition:
        flash(_("Someone else changed this booking meanwhile; nothing was done. Check it again."), "warning")
        return redirect(url_for("ops.reservation", reservation_id=reservation_id))
    flash(_("The refund request is open. Decide it below."), "success")
    return redirect(url_for(".refund_detail", public_id=refund.public_id))


# --- compensation for booking conflicts ------------------------------------------------------------


@bp.get("/ops/compensation/")
@role_required("staff")
def compensation_list():
    return render_template("refunds/compensation_list.html", conflicts=queries.conflicts_to_compensate())


def _compensate_page(form, proposal, *, conflict=None, reservation=None, confirming=False, status=200):
    return render_template("refunds/compensate.html", form=form, p=proposal, conflict=conflict, r=reservation,
                           confirming=confirming, describe=compensation.describe, tiers=COMPENSATION_TIERS), status


def _compensate(proposal, give, here: str, already: str, language: str, **page):
    """The compensation flow for a conflict or a reservation: form → confirm → given once."""
    form = CompensateForm()
    if request.method == "GET" or proposal.existing is not None or not form.validate_on_submit():
        return _compensate_page(form, proposal, **page, status=422 if request.method == "POST" else 200)
    if not form.is_confirmed:
        return _compensate_page(form, proposal, **page, confirming=True)
    try:
        give(actor=_actor(), reason=form.reason.data or None)
    except IllegalTransition:
        flash(already, "warning")
        return redirect(here)
    flash(_compensated_message(proposal, language), "success")
    return redirect(here)


@bp.route("/ops/compensation/conflict/<int:conflict_id>", methods=["GET", "POST"])
@role_required("staff")
def compensate_conflict(conflict_id: int):
    conflict = queries.get_conflict(conflict_id)
    return _compensate(compensation.propose_for_conflict(conflict),
                       lambda **kw: compensation.compensate_conflict(conflict.id, **kw),
                       url_for(".compensate_conflict", conflict_id=conflict_id),
                       _("This conflict was already compensated; nothing was given twice."),
                       conflict.language, conflict=conflict)


@bp.route("/ops/compensation/reservation/<reservation_id>", methods=["GET", "POST"])
@role_required("staff")
def compensate_reservation(reservation_id: str):
    r = queries.get_reservation(reservation_id)
    return _compensate(compensation.propose_for_reservation(r),
                       lambda **kw: compensation.compensate_reservation(r.id, **kw),
                       url_for(".compensate_reservation", reservation_id=reservation_id),
                       _("This reservation was already compensated; nothing was given twice."),
                       r.language, reservation=r)


def _compensated_message(proposal, language: str) -> str:
    name = {"ko": _("Korean"), "ja": _("Japanese")}.get(language, _("English"))
    return _("Given: %(what)s. The apology email goes out in %(language)s within a minute.",
             what=compensation.describe(proposal.tier), language=name)


# --- compensation for a lodging business: coupon, free night, upgrade, booking an alternative -----

def _stay_date(value) -> str:
    """An offer's ISO date in the page's date style (one style per page)."""
    from datetime import date  # noqa: PLC0415
    from flask import current_app  # noqa: PLC0415

    try:
        return current_app.jinja_env.filters["local_date"](date.fromisoformat(str(value)))
    except (TypeError, ValueError):
        return str(value or "")


bp.add_app_template_global(_stay_date, "stay_date")


def _lodging_choices(conflict, tier) -> list[tuple[str, str]]:
    """The options the tier allows, then one "book this alternative" per offer (with an upgrade
    at the original price when the tier allows one)."""
    from app.refunds import lodging  # noqa: PLC0415
    from app.refunds.policies import LodgingOption  # noqa: PLC0415

    choices = [(o, str(lodging.OPTION_LABELS[o])) for o in tier.options if o != LodgingOption.UPGRADE]
    for i, offer in enumerate(conflict.alternatives or []):
        where = _("%(hotel)s, %(room)s, %(start)s – %(end)s", hotel=offer.get("hotelName", ""),
                  room=offer.get("roomTypeName", ""), start=_stay_date(offer.get("checkInDate")),
                  end=_stay_date(offer.get("checkOutDate")))
        price = _money(int((offer.get("totalPrice") or {}).get("amount", 0)),
                       (offer.get("totalPrice") or {}).get("currency", "KRW"))
        choices.append((f"book:{i}", _("Book for the guest: %(where)s at its price %(price)s", where=where,
                                       price=price)))
        if LodgingOption.UPGRADE in tier.options and offer.get("kind") == "room_type":
            choices.append((f"upgrade:{i}", _("Book for the guest as an upgrade at the original price: %(where)s",
                                              where=where)))
    return choices


def _lodging_effect(conflict, option: str, value: int | None) -> str:
    from app.refunds import lodging  # noqa: PLC0415
    from app.refunds.policies import LodgingOption  # noqa: PLC0415

    guest = conflict.guest_name or conflict.guest_email
    if option.startswith(("book:", "upgrade:")):
        offer = (conflict.alternatives or [])[int(option.split(":")[1])]
        price = _money(lodging.original_price(conflict), conflict.hotel.currency) if option.startswith("upgrade:") \
            else _money(int(offer["totalPrice"]["amount"]), offer["totalPrice"].get("currency", "KRW"))
        return _("Book %(room)s at %(hotel)s from %(start)s to %(end)s for %(guest)s, to pay %(price)s. "
                 "The guest gets the booking email in their language and pays from it; the conflict is "
                 "marked resolved.", room=offer.get("roomTypeName", ""), hotel=offer.get("hotelName", ""),
                 start=_stay_date(offer.get("checkInDate")), end=_stay_date(offer.get("checkOutDate")), guest=guest,
                 price=price)
    if option == LodgingOption.FREE_NIGHT:
        value = lodging.one_night_price(conflict)
    return _("Give %(guest)s %(what)s, valid for 180 days at this hotel. The apology email with the coupon "
             "code is sent and the conflict is marked resolved.", guest=guest,
             what=lodging.describe(option, int(value or 0), conflict.hotel.currency))


@bp.route("/ops/compensation/conflict/<int:conflict_id>/lodging", methods=["GET", "POST"])
@role_required("staff")
def lodging_conflict(conflict_id: int):
    from app.core.errors import NotFound, SoldOut  # noqa: PLC0415
    from app.refunds import lodging  # noqa: PLC0415
    from app.refunds.compensation import AlreadyCompensated, _occurrence_for_conflict  # noqa: PLC0415
    from app.refunds.forms import LodgingCompensationForm  # noqa: PLC0415
    from app.refunds.policies import (LODGING_COMPENSATION_TIERS, LodgingOption, check_lodging_choice,  # noqa: PLC0415
                                      lodging_tier)

    if not 0 < conflict_id <= 2**31 - 1:
        abort(404)
    conflict = queries.get_conflict(conflict_id)
    occurrence = _occurrence_for_conflict(conflict)
    tier = lodging_tier(occurrence)
    form = LodgingCompensationForm()
    form.option.choices = _lodging_choices(conflict, tier)
    existing = compensation.propose_for_conflict(conflict).existing
    here = url_for(".lodging_conflict", conflict_id=conflict_id)

    def page(confirming=False, status=200, effect=None):
        return render_template("refunds/lodging.html", c=conflict, form=form, tier=tier, occurrence=occurrence,
                               tiers=LODGING_COMPENSATION_TIERS, labels=lodging.OPTION_LABELS, existing=existing,
                               confirming=confirming, effect=effect, money=_money, stay_date=_stay_date,
                               option_list=lambda opts: ", ".join(str(lodging.OPTION_LABELS[o]) for o in opts)), status

    if request.method == "GET" or existing is not None or not form.validate_on_submit():
        return page(status=422 if request.method == "POST" else 200)
    option, value = form.option.data, form.value.data
    if option in (LodgingOption.COUPON_PERCENT, LodgingOption.COUPON_AMOUNT) and not value:
        form.value.errors = [*form.value.errors, _("Enter the percent or the amount.")]
        return page(status=422)
    if not option.startswith(("book:", "upgrade:")):
        why = check_lodging_choice(tier, option, value if option != LodgingOption.FREE_NIGHT else None)
        if why:  # refused before the confirm step, not only by the service
            form.value.errors = [*form.value.errors, str(lodging.REFUSALS[why])]
            return page(status=422)
    if not form.is_confirmed:
        return page(confirming=True, effect=_lodging_effect(conflict, option, value))
    try:
        if option.startswith(("book:", "upgrade:")):
            kind, index = option.split(":")
            outcome = lodging.book_alternative(conflict.id, alternative=int(index), upgrade=kind == "upgrade",
                                               actor=_actor(), note=form.note.data or None)
            flash(_("Booked %(code)s for the guest. They get the booking email within a minute and pay from it.",
                    code=outcome.reservation.code), "success")
            return redirect(url_for("ops.reservation", reservation_id=outcome.reservation.public_id))
        lodging.give_coupon(conflict.id, option=option, value=value, actor=_actor(), note=form.note.data or None)
    except AlreadyCompensated:
        flash(_("This conflict was already compensated; nothing was given twice."), "warning")
        return redirect(here)
    except SoldOut:
        form.option.errors = [*form.option.errors, _("This alternative is no longer free. Choose another one.")]
        return page(status=422)
    except ValidationFailed as exc:
        form.option.errors = [*form.option.errors, *[str(v) for v in exc.fields.values()]]
        return page(status=422)
    except NotFound:
        abort(404)
    flash(_("Given. The apology email with the coupon goes out in the guest's language within a minute."), "success")
    return redirect(here)
