"""Adjustment pages of a reservation: change the status, change dates or rooms,
assign rooms (one booking, or tomorrow's arrivals at once), keep private notes.

Thin: check the role → validate the form → confirm step that restates the
effect → call one service → flash what happens next → redirect to the booking.
Views never commit.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.adjust import policies, services
from app.adjust.forms import BulkAssignForm, ChangeForm, NoteForm, RoomsForm, StatusForm, decode_plan, encode_plan
from app.auth.decorators import role_required
from app.booking.models import Reservation
from app.booking.services import outstanding_amount
from app.booking.states import HOLDS_INVENTORY
from app.catalog.models import Room, RoomType
from app.core import clock
from app.core.actor import Actor
from app.core.errors import DomainError, Forbidden
from app.extensions import db
from app.ops.checklist import TodayCount, nav_link, reservation_action, reservation_panel, today_item
from app.ops.views import reservation_or_404

bp = Blueprint("adjust", __name__, url_prefix="/ops")

reservation_action("status", "adjust.status", _l("Check in, check out or cancel"), role="staff", order=10,
                   when=lambda r: bool(policies.moves_from(r.status)))
reservation_action("change", "adjust.change", _l("Change dates or rooms"), role="staff", order=20,
                   when=lambda r: r.status in ("pending", "paid"))
reservation_action("rooms", "adjust.rooms", _l("Assign a room"), role="staff", order=30,
                   when=lambda r: r.status in services.ASSIGNABLE)
reservation_action("note", "adjust.note", _l("Add a private note"), role="staff", order=90)
reservation_panel("rooms", "adjust/_rooms_panel.html", role="staff", order=10,
                  when=lambda r: r.status in HOLDS_INVENTORY or r.room_id is not None)
reservation_panel("due", "adjust/_due_panel.html", role="staff", order=5,
                  when=lambda r: r.status == "paid" and outstanding_amount(r) > 0)
reservation_panel("notes", "adjust/_notes_panel.html", role="staff", order=50)
nav_link("room_features", "adjust.room_features", _l("Room features"), role="staff", order=35)


@today_item("afternoon", order=40, title=_l("Price differences still to collect"), endpoint="adjust.owing")
def owing_a_difference() -> TodayCount:
    from app.adjust import queries

    return TodayCount(
        key="owing_a_difference", title=_("Price differences still to collect"),
        why=_("These paid bookings cost more after a change. Ask the guest to pay the difference before check-in."),
        count=queries.count_owing_a_difference(), endpoint="adjust.owing", severity="info")


@bp.get("/owing")
@role_required("staff")
def owing():
    from app.adjust import queries

    return render_template("adjust/owing.html", rows=queries.list_owing_a_difference(), limit=queries.LIST_LIMIT)


@bp.app_context_processor
def _adjust_helpers():
    return {"adjust_assignments": lambda r: services.assignments_of(r.id) or [
                a for a in services.assignments_of(r.id, live_only=False) if a.check_in == r.check_in][:r.number_of_rooms],
            "adjust_notes": lambda r: services.notes_of(r.id),
            "adjust_outstanding": outstanding_amount,
            "preference_label": lambda p: policies.PREFERENCE_LABELS.get(p, p)}


def _back(r: Reservation):
    return redirect(url_for("ops.reservation", reservation_id=r.public_id))


def _put_errors(form, exc: DomainError, fallback: str) -> None:
    fields = exc.fields or {fallback: exc.message}
    for name, message in fields.items():
        target = getattr(form, name, None) if hasattr(form, name) else getattr(form, fallback)
        if target is None or not hasattr(target, "errors"):
            target = getattr(form, fallback)
        target.errors = [*list(target.errors or []), str(message)]


def _actor() -> Actor:
    return Actor.operator(current_user)


# --- status ------------------------------------------------------------------------------


@bp.route("/reservations/<reservation_id>/status", methods=["GET", "POST"])
@role_required("staff")
def status(reservation_id: str):
    r = reservation_or_404(reservation_id)
    moves = services.offered_moves(r, current_user.role)
    form = StatusForm()
    form.move.choices = [(m.key, m.label) for m in moves]
    if request.method == "POST" and form.move.data:
        move = policies.MOVES_BY_KEY.get(form.move.data)
        if move is not None and not current_user.has_role(move.role):
            from app.auth.services import record_permission_refused

            record_permission_refused(current_user._get_current_object(), path=request.path,
                                      method=request.method, required=move.role)
            abort(403)
    page = dict(r=r, form=form, moves=moves, all_moves=policies.moves_from(r.status))
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("adjust/status.html", **page), 422 if request.method == "POST" else 200
    done_before = policies.MOVES_BY_KEY.get(form.move.data)
    if form.is_confirmed and done_before is not None and r.status == done_before.target:
        flash(_("This was already done (a second click changes nothing)."), "info")
        return _back(r)
    try:
        move = services.check_move(r, form.move.data, current_user.role)
    except Forbidden:
        abort(403)
    except DomainError as exc:
        _put_errors(form, exc, "move")
        return render_template("adjust/status.html", **page), 409 if exc.status == 409 else 422
    if not form.is_confirmed:
        return render_template("adjust/status_confirm.html", move=move, paid=r.total_amount - outstanding_amount(r),
                               **page)
    try:
        after = services.change_status(r.id, move.key, actor=_actor(), operator_role=current_user.role,
                                       reason=form.reason.data)
    except Forbidden:
        abort(403)
    except DomainError as exc:
        _put_errors(form, exc, "move")
        return render_template("adjust/status.html", **page), 409 if exc.status == 409 else 422
    messages = {
        "check_in": _("Checked in. Enjoy the stay: the booking now shows “checked in”."),
        "check_out": _("Checked out. The room is free for the next guest."),
        "no_show": _("Canceled as a no-show. The nights are free again; the guest gets an e-mail within a minute "
                     "and the refund request waits in the refunds list."),
        "cancel_paid": _("Canceled. The nights are free again; the guest gets an e-mail within a minute and the "
                         "refund request waits in the refunds list."),
        "cancel_unpaid": _("Canceled. The nights are free again and the guest gets an e-mail within a minute."),
        "reopen": _("Reopened. The booking is valid again and its nights are taken."),
    }
    flash(messages[move.key], "success")
    return _back(after)


# --- dates, room type, number of rooms -------------------------------------------------------


def _change_form(r: Reservation) -> ChangeForm:
    if request.method == "GET":
        form = ChangeForm(formdata=None, check_in=r.check_in, check_out=r.check_out, room_type=r.room_type_id,
                          rooms=r.number_of_rooms)
    else:
        form = ChangeForm()
    types = db.session.scalars(select(RoomType).where(RoomType.hotel_id == r.hotel_id)
                               .order_by(RoomType.id)).all()
    form.room_type.choices = [(t.id, t.name) for t in types if t.active or t.id == r.room_type_id]
    return form


@bp.route("/reservations/<reservation_id>/change", methods=["GET", "POST"])
@role_required("staff")
def change(reservation_id: str):
    r = reservation_or_404(reservation_id)
    form = _change_form(r)
    page = dict(r=r, form=form)
    if r.status not in ("pending", "paid"):
        from app.booking.display import RESERVATION_STATUS, label

        flash(_("This booking can no longer be changed: it is “%(status)s”.",
                status=label(RESERVATION_STATUS, r.status)[0]), "warning")
        return _back(r)
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("adjust/change.html", **page), 422 if request.method == "POST" else 200
    values = dict(check_in=form.check_in.data, check_out=form.check_out.data, room_type_id=form.room_type.data,
                  rooms=form.rooms.data)
    try:
        preview = services.preview_change(r.id, **values)
    except DomainError as exc:
        _put_errors(form, exc, "check_in")
        return render_template("adjust/change.html", **page), 422
    if preview.unchanged and form.is_confirmed:
        flash(_("This was already done (a second click changes nothing)."), "info")
        return _back(r)
    if preview.unchanged:
        form.check_in.errors = [_("Nothing would change: enter other dates, another room type or another number "
                                  "of rooms.")]
        return render_template("adjust/change.html", **page), 422
    if preview.sold_out:
        return render_template("adjust/change.html", preview=preview, **page), 409
    if not form.is_confirmed:
        return render_template("adjust/change_confirm.html", p=preview, **page)
    try:
        outcome = services.change_booking(r.id, actor=_actor(), reason=form.reason.data, **values)
    except DomainError as exc:
        if exc.code == "sold_out":
            preview = services.preview_change(r.id, **values)
            if not preview.full_nights:
                form.check_in.errors = [str(exc.message)]
            return render_template("adjust/change.html", preview=preview, **page), 409
        _put_errors(form, exc, "check_in")
        return render_template("adjust/change.html", **page), 409 if exc.status == 409 else 422
    after = outcome.reservation
    diff = outcome.new_total - outcome.old_total
    if outcome.refund is not None:
        flash(_("Changed. A refund of %(amount)s waits for a decision in the refunds list; the guest gets an "
                "e-mail with the new details within a minute.",
                amount=_money(outcome.refund.amount, after.currency)), "success")
    elif diff > 0 and after.status == "paid":
        flash(_("Changed. The guest owes %(amount)s more: it shows as “still to pay” on the booking. The guest "
                "gets an e-mail with the new details within a minute.", amount=_money(diff, after.currency)),
              "success")
    else:
        flash(_("Changed. The guest gets an e-mail with the new details within a minute."), "success")
    return _back(after)


def _money(amount: int, currency: str) -> str:
    from flask_babel import get_locale

    from app.core.money import format_money

    return format_money(amount, currency, str(get_locale() or "ko"))


# --- rooms -------------------------------------------------------------------------------------


@bp.route("/reservations/<reservation_id>/rooms", methods=["GET", "POST"])
@role_required("staff")
def rooms(reservation_id: str):
    r = reservation_or_404(reservation_id)
    if r.status not in services.ASSIGNABLE:
        flash(_("Rooms are given to paid or checked-in bookings only."), "warning")
        return _back(r)
    form = RoomsForm()
    suggestions = services.free_rooms(r)
    if request.method == "GET":
        current = [a.room_id for a in services.assignments_of(r.id)]
        form.rooms.data = current or [s.room.id for s in suggestions[:r.number_of_rooms]]
    form.rooms.choices = [(s.room.id, s.room.room_number) for s in suggestions]
    page = dict(r=r, form=form, suggestions=suggestions, preferences=policies.parse_requests(r.special_requests),
                current=services.assignments_of(r.id))
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("adjust/rooms.html", **page), 422 if request.method == "POST" else 200
    chosen = list(db.session.scalars(select(Room).where(Room.id.in_(form.rooms.data)).order_by(Room.room_number)))
    if len(chosen) != r.number_of_rooms:
        form.rooms.errors = [_("Choose exactly %(n)s room(s): one for each booked room.", n=r.number_of_rooms)]
        return render_template("adjust/rooms.html", **page), 422
    if policies.assignment_needs_reason([a.room_id for a in page["current"]], form.rooms.data) \
            and not (form.reason.data or "").strip():
        form.reason.errors = [_("Moving the guest from a room they already have needs a written reason.")]
        return render_template("adjust/rooms.html", **page), 422
    if not form.is_confirmed:
        return render_template("adjust/rooms_confirm.html", chosen=chosen, **page)
    try:
        services.assign_rooms(r.id, form.rooms.data, actor=_actor(), reason=form.reason.data)
    except DomainError as exc:
        _put_errors(form, exc, "rooms")
        page["suggestions"] = services.free_rooms(r)
        return render_template("adjust/rooms.html", **page), 409 if exc.status == 409 else 422
    flash(_("Room %(rooms)s given. The guest gets an e-mail with the room number within a minute.",
            rooms=", ".join(x.room_number for x in chosen)), "success")
    return _back(r)


@bp.route("/arrivals/assign", methods=["GET", "POST"])
@role_required("staff")
def assign_arrivals():
    form = BulkAssignForm()
    if request.method == "POST" and form.validate_on_submit():
        lines = decode_plan(form.plan.data)
        if lines is None:
            abort(400)
        result = services.assign_plan(lines, actor=_actor(), reason=form.reason.data)
        if result.assigned:
            flash(_("Rooms given to %(n)s booking(s). Each guest gets an e-mail with the room number within a "
                    "minute.", n=len(result.assigned)), "success")
        for code, why in result.failed:
            flash(_("Booking %(code)s got no room: %(why)s", code=code, why=why), "warning")
        return redirect(url_for("ops.arrivals"))
    plan = services.plan_tomorrow(clock.now())
    ready = [(line.reservation.public_id, [room.id for room in line.rooms]) for line in plan if line.rooms]
    if request.method == "GET":
        form.plan.data = encode_plan(ready)
    return render_template("adjust/bulk.html", form=form, plan=plan, ready=ready), \
        422 if request.method == "POST" else 200


# --- notes -------------------------------------------------------------------------------------


@bp.route("/reservations/<reservation_id>/note", methods=["GET", "POST"])
@role_required("staff")
def note(reservation_id: str):
    r = reservation_or_404(reservation_id)
    form = NoteForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("adjust/note.html", r=r, form=form), 422 if request.method == "POST" else 200
    try:
        services.add_note(r.id, form.body.data, operator=current_user, actor=_actor())
    except DomainError as exc:
        _put_errors(form, exc, "body")
        return render_template("adjust/note.html", r=r, form=form), 422
    flash(_("Note kept. Only operators see it."), "success")
    return _back(r)


# --- room features -----------------------------------------------------------------------------


@bp.get("/rooms")
@role_required("staff")
def room_features():
    from app.catalog.models import Hotel

    hotels = db.session.scalars(select(Hotel).order_by(Hotel.name)).all()
    chosen = request.args.get("hotel", type=int) or (hotels[0].id if hotels else None)
    hotel = db.session.get(Hotel, chosen) if chosen else None
    rooms_list = list(db.session.scalars(select(Room).where(Room.hotel_id == hotel.id)
                                         .order_by(Room.floor.desc(), Room.room_number))) if hotel else []
    return render_template("adjust/room_features.html", hotels=hotels, hotel=hotel, rooms=rooms_list,
                           features=services.features_by_room(hotel.id) if hotel else {},
                           labels=policies.ROOM_FEATURES, may_edit=current_user.has_role("manager"))


@bp.post("/rooms/<int:room_id>/features")
@role_required("manager")
def set_room_features(room_id: int):
    from flask_wtf import FlaskForm

    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    room = db.session.get(Room, room_id)
    if room is None:
        abort(404)
    try:
        services.set_room_features(room_id, request.form.getlist("features"), actor=_actor())
    except DomainError:
        abort(400)
    flash(_("Saved. Room %(number)s is suggested accordingly from now on.", number=room.room_number), "success")
    return redirect(url_for(".room_features", hotel=room.hotel_id))
