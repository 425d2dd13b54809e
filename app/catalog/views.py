"""Catalog pages of the back office: hotels, room types and rooms, a room's
status with its effect on inventory, the rate calendar, the inventory
calendar, and a hotel's deactivation and reactivation.

Thin: check the role → validate the form → (preview, then confirm) → call one
catalog service → flash what happens next → redirect. The rules on values are
the catalog services' (the /v1 API uses the same ones).

Who may do what (PAGE_ROLES, the same split as the API's REQUIRED_ROLE):
staff see everything and change a room's status day to day; managers shape
the catalog (hotels, room types, adding rooms, moving a room to another type),
set prices, deactivate or reactivate a hotel, and take a room out when that
leaves nights sold beyond their cap.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from app.auth.decorators import role_required
from app.catalog import management, queries
from app.catalog import services as catalog
from app.catalog.forms import (
    ROOM_STATUS_LABELS,
    WEEKDAY_LABELS,
    DeactivateForm,
    HotelForm,
    RateForm,
    ReactivateForm,
    RoomForm,
    RoomStatusForm,
    RoomTypeForm,
)
from app.catalog.states import HotelStatus, RoomStatus
from app.core import clock
from app.core.actor import Actor
from app.core.errors import IllegalTransition, ValidationFailed
from app.ops.checklist import nav_link

bp = Blueprint("catalog", __name__, url_prefix="/ops/catalog")

#: Who may do what on these pages (one table, read by the views and the tests).
PAGE_ROLES = {
    "view": "staff",
    "hotels.write": "manager",
    "room_types.write": "manager",
    "rooms.add": "manager",
    "rooms.update": "staff",
    "rooms.change_type": "manager",
    "rooms.status": "staff",
    "rooms.over_cap": "manager",
    "rates.write": "manager",
    "hotels.deactivate": "manager",
}

nav_link("hotels", "catalog.hotels", _l("Hotels"), role=PAGE_ROLES["view"], order=60)

#: Customer messages, by event, in the operator's words.
MESSAGE_LABELS = {"booking_canceled": _l("“Your booking was canceled” e-mail"),
                  "refund_requested": _l("“Your refund is being processed” e-mail")}


@bp.app_context_processor
def _catalog_helpers():
    return {"room_status_label": lambda s: ROOM_STATUS_LABELS.get(RoomStatus(s), s) if s in set(RoomStatus) else s,
            "weekday_label": lambda i: WEEKDAY_LABELS[i], "message_label": lambda e: MESSAGE_LABELS.get(e, e)}


def _actor() -> Actor:
    return Actor.operator(current_user)


def _is_manager() -> bool:
    return current_user.has_role("manager")


def _refuse(required: str):
    """A change this operator's role does not allow (found past the route's own check): audit, then 403."""
    from app.auth.services import record_permission_refused

    record_permission_refused(current_user._get_current_object(), path=request.path, method=request.method,
                              required=required)
    abort(403)


def _apply_errors(form, exc: ValidationFailed) -> None:
    """The service's field messages next to the form's fields (others as a page message)."""
    for name, message in exc.fields.items():
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*(target.errors or []), message]
        else:
            flash(str(message), "error")


# --- hotels ---------------------------------------------------------------------------------


@bp.get("/")
@role_required(PAGE_ROLES["view"])
def hotels():
    return render_template("catalog/hotels.html", hotels=queries.list_hotels(), may_write=_is_manager())


@bp.get("/hotels/<int:hotel_id>")
@role_required(PAGE_ROLES["view"])
def hotel(hotel_id: int):
    h = queries.get_hotel(hotel_id)
    return render_template("catalog/hotel.html", hotel=h, rooms=queries.rooms_of(h), is_manager=_is_manager(),
                           preview=queries.deactivation_preview(h) if h.status == HotelStatus.INACTIVE else None)


@bp.route("/hotels/new", methods=["GET", "POST"])
@role_required(PAGE_ROLES["hotels.write"])
def hotel_new():
    form = HotelForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                h = catalog.create_hotel(actor=_actor(), **form.values(creating=True))
            except ValidationFailed as exc:
                _apply_errors(form, exc)
            else:
                flash(_("Hotel “%(name)s” added. Next, add its room types and rooms; it takes bookings once "
                        "rooms exist.", name=h.name), "success")
                return redirect(url_for(".hotel", hotel_id=h.id))
        return render_template("catalog/hotel_form.html", form=form, hotel=None), 422
    return render_template("catalog/hotel_form.html", form=form, hotel=None)


@bp.route("/hotels/<int:hotel_id>/edit", methods=["GET", "POST"])
@role_required(PAGE_ROLES["hotels.write"])
def hotel_edit(hotel_id: int):
    h = queries.get_hotel(hotel_id)
    form = HotelForm(obj=h)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                catalog.update_hotel(h, actor=_actor(), **form.values(creating=False))
            except ValidationFailed as exc:
                _apply_errors(form, exc)
            else:
                flash(_("Saved. Guests see the new details right away."), "success")
                return redirect(url_for(".hotel", hotel_id=h.id))
        return render_template("catalog/hotel_form.html", form=form, hotel=h), 422
    return render_template("catalog/hotel_form.html", form=form, hotel=h)


# --- room types ------------------------------------------------------------------------------------


@bp.route("/hotels/<int:hotel_id>/room-types/new", methods=["GET", "POST"])
@role_required(PAGE_ROLES["room_types.write"])
def room_type_new(hotel_id: int):
    h = queries.get_hotel(hotel_id)
    form = RoomTypeForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                rt = catalog.create_room_type(h, actor=_actor(), **form.values())
            except ValidationFailed as exc:
                _apply_errors(form, exc)
            else:
                flash(_("Room type “%(name)s” added. Add its rooms so it can be sold.", name=rt.name), "success")
                return redirect(url_for(".hotel", hotel_id=h.id))
        return render_template("catalog/room_type_form.html", form=form, hotel=h, room_type=None), 422
    return render_template("catalog/room_type_form.html", form=form, hotel=h, room_type=None)


@bp.route("/hotels/<int:hotel_id>/room-types/<int:room_type_id>/edit", methods=["GET", "POST"])
@role_required(PAGE_ROLES["room_types.write"])
def room_type_edit(hotel_id: int, room_type_id: int):
    h = queries.get_hotel(hotel_id)
    rt = queries.get_room_type(h, room_type_id)
    form = RoomTypeForm(obj=rt)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                catalog.update_room_type(rt, actor=_actor(), **form.values())
            except ValidationFailed as exc:
                _apply_errors(form, exc)
            else:
                flash(_("Saved. New bookings use these details from now on; existing bookings keep their price."),
                      "success")
                return redirect(url_for(".hotel", hotel_id=h.id))
        return render_template("catalog/room_type_form.html", form=form, hotel=h, room_type=rt), 422
    return render_template("catalog/room_type_form.html", form=form, hotel=h, room_type=rt)


# --- rooms -------------------------------------------------------------------------------------------


def _room_form(h, room=None) -> RoomForm:
    form = RoomForm(obj=room)
    form.room_type_id.choices = [SelectChoice(rt.id, rt.name) for rt in h.room_types]
    return form


@bp.route("/hotels/<int:hotel_id>/rooms/new", methods=["GET", "POST"])
@role_required(PAGE_ROLES["rooms.add"])
def room_new(hotel_id: int):
    h = queries.get_hotel(hotel_id)
    form = _room_form(h)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                room = catalog.create_room(h, actor=_actor(), **form.values())
            except ValidationFailed as exc:
                _apply_errors(form, exc)
            else:
                flash(_("Room %(number)s added: one more room of this type can be sold every night from today.",
                        number=room.room_number), "success")
                return redirect(url_for(".hotel", hotel_id=h.id))
        return render_template("catalog/room_form.html", form=form, hotel=h, room=None), 422
    return render_template("catalog/room_form.html", form=form, hotel=h, room=None)


@bp.route("/hotels/<int:hotel_id>/rooms/<int:room_id>/edit", methods=["GET", "POST"])
@role_required(PAGE_ROLES["rooms.update"])
def room_edit(hotel_id: int, room_id: int):
    h = queries.get_hotel(hotel_id)
    room = queries.get_room(h, room_id)
    if not room.active:
        flash(_("This room was removed from the hotel and cannot be changed."), "warning")
        return redirect(url_for(".hotel", hotel_id=h.id))
    form = _room_form(h, room)
    may_change_type = current_user.has_role(PAGE_ROLES["rooms.change_type"])
    if request.method == "POST":
        values = form.values() if form.validate_on_submit() else None
        if values is not None and values["room_type_id"] != room.room_type_id and not may_change_type:
            _refuse(PAGE_ROLES["rooms.change_type"])
        if values is not None:
            try:
                catalog.update_room(room, actor=_actor(), **values)
            except ValidationFailed as exc:
                _apply_errors(form, exc)
            else:
                flash(_("Room %(number)s saved.", number=room.room_number), "success")
                return redirect(url_for(".hotel", hotel_id=h.id))
        return render_template("catalog/room_form.html", form=form, hotel=h, room=room,
                               may_change_type=may_change_type), 422
    return render_template("catalog/room_form.html", form=form, hotel=h, room=room, may_change_type=may_change_type)


@bp.route("/hotels/<int:hotel_id>/rooms/<int:room_id>/status", methods=["GET", "POST"])
@role_required(PAGE_ROLES["rooms.status"])
def room_status(hotel_id: int, room_id: int):
    """Step 1: choose the status. Step 2: see the effect on inventory. Step 3: confirm."""
    h = queries.get_hotel(hotel_id)
    room = queries.get_room(h, room_id)
    if not room.active:
        flash(_("This room was removed from the hotel and cannot be changed."), "warning")
        return redirect(url_for(".hotel", hotel_id=h.id))
    form = RoomStatusForm()
    if request.method == "GET":
        if request.args.get("to") in set(RoomStatus):
            form.status.data = request.args["to"]
        else:
            form.status.data = RoomStatus.MAINTENANCE.value if room.status != RoomStatus.MAINTENANCE \
                else RoomStatus.AVAILABLE.value
        return render_template("catalog/room_status.html", form=form, hotel=h, room=room, effect=None)
    if not form.validate_on_submit() or form.status.data not in set(RoomStatus):
        if form.status.data not in set(RoomStatus):
            form.status.errors = [_("One of available, occupied, maintenance, cleaning.")]
        return render_template("catalog/room_status.html", form=form, hotel=h, room=room, effect=None), 422
    effect = queries.room_status_effect(room, form.status.data)
    if effect.needs_manager and not current_user.has_role(PAGE_ROLES["rooms.over_cap"]) and form.is_confirmed:
        _refuse(PAGE_ROLES["rooms.over_cap"])
    if not form.is_confirmed:
        return render_template("catalog/room_status.html", form=form, hotel=h, room=room, effect=effect,
                               may_over_cap=current_user.has_role(PAGE_ROLES["rooms.over_cap"]))
    try:
        room, done, changed = management.set_room_status(room.id, form.status.data, actor=_actor(),
                                                         is_manager=_is_manager(), reason=form.reason.data)
    except management.ManagerNeeded:
        _refuse(PAGE_ROLES["rooms.over_cap"])
    except ValidationFailed as exc:
        _apply_errors(form, exc)
        return render_template("catalog/room_status.html", form=form, hotel=h, room=room, effect=effect,
                               may_over_cap=True), 422
    except IllegalTransition as exc:
        flash(str(exc.message), "warning")
        return redirect(url_for(".hotel", hotel_id=h.id))
    if not changed:
        flash(_("Room %(number)s was already “%(status)s”; nothing changed.", number=room.room_number,
                status=ROOM_STATUS_LABELS[RoomStatus(room.status)]), "info")
    elif done.changes_inventory:
        flash(_("Room %(number)s is now “%(status)s”. %(type)s: %(before)s → %(after)s rooms for sale on "
                "%(nights)s nights from today.", number=room.room_number,
                status=ROOM_STATUS_LABELS[RoomStatus(room.status)], type=room.room_type.name,
                before=done.total_before, after=done.total_after, nights=done.nights_changed), "success")
    else:
        flash(_("Room %(number)s is now “%(status)s”. The rooms for sale do not change.", number=room.room_number,
                status=ROOM_STATUS_LABELS[RoomStatus(room.status)]), "success")
    return redirect(url_for(".hotel", hotel_id=h.id))


# --- rates ----------------------------------------------------------------------------------------------


def _rate_form(h) -> RateForm:
    form = RateForm()
    form.room_type_id.choices = [SelectChoice(rt.id, rt.name) for rt in h.room_types]
    return form


@bp.get("/hotels/<int:hotel_id>/rates")
@role_required(PAGE_ROLES["view"])
def rates(hotel_id: int):
    """Step 1: a price for a range of nights on chosen weekdays (managers get the form)."""
    h = queries.get_hotel(hotel_id)
    form = _rate_form(h)
    form.weekdays.data = list(range(7))
    if request.args.get("room_type", "").isdigit():
        form.room_type_id.data = int(request.args["room_type"])
    return render_template("catalog/rates.html", form=form, hotel=h, preview=None,
                           may_write=current_user.has_role(PAGE_ROLES["rates.write"]),
                           today=clock.local_today(h.timezone))


@bp.post("/hotels/<int:hotel_id>/rates")
@role_required(PAGE_ROLES["rates.write"])
def rates_submit(hotel_id: int):
    """Step 2: old → new prices of every night that changes; step 3 (confirmed): set them."""
    h = queries.get_hotel(hotel_id)
    form = _rate_form(h)
    today = clock.local_today(h.timezone)
    if not form.validate_on_submit():
        return render_template("catalog/rates.html", form=form, hotel=h, preview=None, may_write=True,
                               today=today), 422
    room_type = next((rt for rt in h.room_types if rt.id == form.room_type_id.data), None)
    start, last = form.first_night.data, form.last_night.data
    if room_type is None:
        form.room_type_id.errors = [_("Not a room type of this hotel.")]
    if start < today:
        form.first_night.errors = [_("Past nights cannot be priced.")]
    if last < start:
        form.last_night.errors = [_("The last night must be on or after the first night.")]
    if form.errors:
        return render_template("catalog/rates.html", form=form, hotel=h, preview=None, may_write=True,
                               today=today), 422
    end = last + timedelta(days=1)
    preview = queries.rate_preview(room_type, start, end, form.price.data, form.weekdays.data)
    if preview.count == 0:
        form.weekdays.errors = [_("None of these days of the week falls between the first and the last night.")]
        return render_template("catalog/rates.html", form=form, hotel=h, preview=None, may_write=True,
                               today=today), 422
    if not form.is_confirmed:
        return render_template("catalog/rates.html", form=form, hotel=h, preview=preview, may_write=True,
                               today=today)
    try:
        priced = catalog.set_rates(room_type, start, end, form.price.data, sorted(set(form.weekdays.data)),
                                   actor=_actor())
    except ValidationFailed as exc:
        _apply_errors(form, exc)
        return render_template("catalog/rates.html", form=form, hotel=h, preview=None, may_write=True,
                               today=today), 422
    flash(_("%(count)s nights of %(type)s now cost %(price)s. Bookings made from now on pay this price; "
            "existing bookings keep theirs.", count=priced, type=room_type.name,
            price=_money(form.price.data, h.currency)), "success")
    return redirect(url_for(".rates", hotel_id=h.id, room_type=room_type.id))


def _money(amount: int, currency: str) -> str:
    from flask_babel import get_locale

    from app.core.money import format_money

    return format_money(amount, currency, str(get_locale() or "ko"))


# --- inventory calendar --------------------------------------------------------------------------------------


@bp.get("/hotels/<int:hotel_id>/inventory")
@role_required(PAGE_ROLES["view"])
def inventory(hotel_id: int):
    h = queries.get_hotel(hotel_id)
    month = request.args.get("month", "")
    try:
        first = date.fromisoformat(month + "-01") if month else clock.local_today(h.timezone).replace(day=1)
    except ValueError:
        first = clock.local_today(h.timezone).replace(day=1)
    if not 2000 <= first.year <= 2100:  # the calendar's neighbours must be real months too
        first = clock.local_today(h.timezone).replace(day=1)
    return render_template("catalog/inventory.html", hotel=h, cal=queries.inventory_month(h, first))


# --- deactivation and reactivation ---------------------------------------------------------------------------


@bp.get("/hotels/<int:hotel_id>/deactivate")
@role_required(PAGE_ROLES["view"])
def deactivate(hotel_id: int):
    """Step 1 (anyone): the bookings, refunds and messages it affects; managers get the form.

    For a hotel deactivated earlier with its bookings kept, the same page cancels
    and refunds the bookings still kept (when the hotel cannot receive them after all).
    """
    h = queries.get_hotel(hotel_id)
    preview = queries.deactivation_preview(h)
    if h.status == HotelStatus.INACTIVE and not preview.reservations:
        return redirect(url_for(".hotel", hotel_id=h.id))
    form = DeactivateForm()
    if h.status == HotelStatus.INACTIVE:
        form.bookings.data = "cancel"
    return render_template("catalog/deactivate.html", form=form, hotel=h, preview=preview,
                           may_decide=current_user.has_role(PAGE_ROLES["hotels.deactivate"]))


@bp.post("/hotels/<int:hotel_id>/deactivate")
@role_required(PAGE_ROLES["hotels.deactivate"])
def deactivate_submit(hotel_id: int):
    """Step 2: the choice and the reason → the confirm step; step 3 (confirmed): deactivate."""
    h = queries.get_hotel(hotel_id)
    form = DeactivateForm()
    preview = queries.deactivation_preview(h)
    context = dict(hotel=h, preview=preview, may_decide=True)
    if not form.validate_on_submit():
        return render_template("catalog/deactivate.html", form=form, **context), 422
    if not form.is_confirmed:
        return render_template("catalog/deactivate_confirm.html", form=form, messages=preview.messages(form.cancel),
                               **context)
    try:
        outcome = management.close_hotel(h.id, form.reason.data, actor=_actor(), cancel_affected=form.cancel)
    except ValidationFailed as exc:
        _apply_errors(form, exc)
        return render_template("catalog/deactivate.html", form=form, **context), 422
    if form.cancel:
        flash(_("%(hotel)s takes no new bookings. %(count)s bookings were canceled; %(refunds)s refunds "
                "(%(amount)s in all, with an apology coupon) wait in the refund list, and each guest gets an "
                "e-mail in their language within a minute.", hotel=h.name, count=len(outcome.canceled),
                refunds=len(outcome.refunds), amount=_money(outcome.refund_total, h.currency)), "success")
    elif outcome.deactivated:
        flash(_("%(hotel)s takes no new bookings. Existing bookings are kept; no message was sent.",
                hotel=h.name), "success")
    else:
        flash(_("%(hotel)s was already deactivated; nothing changed.", hotel=h.name), "info")
    return redirect(url_for(".hotel", hotel_id=h.id))


@bp.route("/hotels/<int:hotel_id>/reactivate", methods=["GET", "POST"])
@role_required(PAGE_ROLES["hotels.deactivate"])
def reactivate(hotel_id: int):
    h = queries.get_hotel(hotel_id)
    form = ReactivateForm()
    if h.status == HotelStatus.ACTIVE and not form.is_confirmed:
        flash(_("%(hotel)s is active; nothing to do.", hotel=h.name), "info")
        return redirect(url_for(".hotel", hotel_id=h.id))
    if request.method == "GET" or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("catalog/reactivate.html", form=form, hotel=h, confirm=False), status
    if not form.is_confirmed:
        return render_template("catalog/reactivate.html", form=form, hotel=h, confirm=True)
    changed = management.reactivate_hotel(h.id, form.reason.data, actor=_actor())[1]
    if changed:
        flash(_("%(hotel)s takes bookings again from now on.", hotel=h.name), "success")
    else:
        flash(_("%(hotel)s was already active; nothing changed.", hotel=h.name), "info")
    return redirect(url_for(".hotel", hotel_id=h.id))
