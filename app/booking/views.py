"""Customer pages: search, hotel, booking form, sold out, booking (pay), find my booking, cancel.

A guest only ever sees their own booking: the browser is granted a
reservation (its public id kept in the Flask session) by creating it or by
giving its code and email; any other `/booking/<id>` goes to Find my booking.
The reservation's access token is never put into a page.
"""
from __future__ import annotations

import logging
from datetime import time, timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app.booking import display, policies
from app.booking import links as booking_links
from app.booking.display import Stay
from app.booking.forms import (
    CITY_NAMES,
    DEMO_CITIES,
    LANGUAGE_NAMES,
    BookingForm,
    CancelForm,
    CardForm,
    FindBookingForm,
    LostCodeForm,
    new_form_key,
    normalize_city,
)
from app.booking.lost_code import send_booking_codes
from app.booking.models import Reservation
from app.booking.queries import (
    find_alternatives,
    find_reservation_by_code_and_contact,
    get_reservation_by_public_id,
    list_city_amenities,
)
from app.booking.search import parse_search_args, search_hotels
from app.booking.services import (
    IDEMPOTENCY_SCOPE,
    cancel_reservation,
    create_reservation,
    hold_remaining_seconds,
    outstanding_amount,
)
from app.booking.states import ReservationStatus
from app.catalog.models import Hotel, RoomType
from app.core import clock, idempotency
from app.core.actor import Actor
from app.core.errors import (
    DomainError,
    IdempotencyConflict,
    IdempotencyInProgress,
    IllegalTransition,
    SoldOut,
    ValidationFailed,
)
from app.core.replica import reading_session, replica_reads
from app.extensions import db
from app.payments.gateway import uses_sandbox_gateway
from app.payments.services import deposit_instructions, pay_by_card, start_bank_transfer
from app.payments.states import PaymentMethod, PaymentStatus
from app.refunds.coupons import coupon_use
from app.refunds.policies import FULL_REFUND_DAYS
from app.catalog import i18n as catalog_i18n

log = logging.getLogger(__name__)

bp = Blueprint("booking", __name__)

SEARCH_PAGE_SIZE = 10
MAX_GUESTS = 20
GRANTS = "granted_reservations"   # session: public ids this browser may open
DRAFT = "booking_draft"           # session: guest details kept after a sold-out booking
FORM_KEYS = "booking_form_keys"   # session: the booking form's idempotency key per room type and dates
MAX_GRANTS = 20
MAX_FORM_KEYS = 10
CANCELABLE = (ReservationStatus.PENDING, ReservationStatus.PAID)


for _helper in (display.lang_url, display.query_url):
    bp.add_app_template_global(_helper)
bp.add_app_template_global(FULL_REFUND_DAYS, "full_refund_days")
for _name, _helper in (("isodate", display.iso_date), ("hotel_time", display.hotel_time),
                       ("amenity", display.amenity_name),
                       ("tr_name", catalog_i18n.localized_name), ("tr_description", catalog_i18n.localized_description),
                       ("reservation_status", lambda value: display.label(display.RESERVATION_STATUS, value)[0])):
    bp.add_app_template_filter(_helper, _name)


# --- access ---------------------------------------------------------------------------

def _grant(public_id: str) -> None:
    granted = [g for g in session.get(GRANTS, []) if g != public_id]
    session[GRANTS] = (granted + [public_id])[-MAX_GRANTS:]


def _own_reservation(public_id: str) -> Reservation:
    """The reservation if this browser was granted it; otherwise off to Find my booking."""
    reservation = get_reservation_by_public_id(public_id) if public_id in session.get(GRANTS, []) else None
    if reservation is None:
        flash(_("To open a booking, enter its booking code and the email you booked with."), "info")
        abort(redirect(url_for(".find")))
    return reservation


# --- search and hotel -------------------------------------------------------------------

def _default_stay() -> Stay:
    today = clock.local_today(current_app.config["FRONTDESK_TIMEZONE"])
    return Stay(today + timedelta(days=1), today + timedelta(days=2), 2)


def _search_args() -> dict[str, str]:
    """The query string as parse_search_args wants it (amenity checkboxes joined)."""
    args = {k: v for k, v in request.args.items() if k != "amenities"}
    args["location"] = normalize_city(args.get("location", ""))
    args["amenities"] = ",".join(a for a in request.args.getlist("amenities") if a)
    args["pageSize"] = str(SEARCH_PAGE_SIZE)
    return args


@bp.get("/")
@replica_reads
def index():
    args = _search_args()
    result = errors = None
    hotel_count, amenities = 0, []
    if args["location"] or "checkInDate" in request.args:
        try:
            query = parse_search_args(args)
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            result = search_hotels(query)
            hotel_count, amenities = list_city_amenities(query.location)
    return render_template("booking/index.html", args=args, result=result, errors=errors or {},
                           hotel_count=hotel_count, amenity_options=amenities,
                           chosen_amenities=request.args.getlist("amenities"), default=_default_stay(),
                           demo_cities=DEMO_CITIES, city_names=CITY_NAMES,
                           page_size=SEARCH_PAGE_SIZE), 422 if errors else 200


def _active_hotel(hotel_id: int) -> Hotel:
    hotel = reading_session().get(Hotel, hotel_id)
    if hotel is None or not hotel.is_active:
        abort(404)
    return hotel


def _parse_stay(args: Any, hotel: Hotel) -> tuple[Stay | None, dict[str, Any]]:
    """The stay in the query string, checked for this hotel (its local today and
    same-day cutoff); errors keyed by the query's names."""
    errors: dict[str, Any] = {}
    check_in = policies.parse_date(args.get("checkInDate"), "checkInDate", errors)
    check_out = policies.parse_date(args.get("checkOutDate"), "checkOutDate", errors)
    guests = policies.parse_int(args.get("guests") or None, "guests", errors, default=1, low=1, high=MAX_GUESTS)
    if check_in and check_out:
        cfg = current_app.config
        local_now = clock.to_local(clock.now(), hotel.timezone)
        try:
            policies.validate_stay(check_in, check_out, today=local_now.date(), local_now=local_now,
                                   same_day_cutoff=time.fromisoformat(cfg["SAME_DAY_CUTOFF"]),
                                   max_nights=cfg["MAX_NIGHTS"], horizon_days=cfg["INVENTORY_HORIZON_DAYS"])
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        return None, errors
    return Stay(check_in, check_out, guests), {}


@bp.get("/hotels/<int:hotel_id>")
@replica_reads
def hotel_detail(hotel_id: int):
    hotel = _active_hotel(hotel_id)
    stay, errors = None, {}
    if "checkInDate" in request.args or "checkOutDate" in request.args:
        stay, errors = _parse_stay(request.args, hotel)
    offers = display.room_offers(hotel, stay) if stay else []
    return render_template("booking/hotel.html", hotel=hotel, stay=stay, offers=offers, errors=errors,
                           args=request.args, default=_default_stay()), 422 if errors else 200


# --- booking form -------------------------------------------------------------------------

def _room_type_of(hotel: Hotel, room_type_id: int) -> RoomType:
    room_type = db.session.get(RoomType, room_type_id)
    if room_type is None or room_type.hotel_id != hotel.id or not room_type.active:
        abort(404)
    return room_type


def _sold_out_page(hotel: Hotel, room_type: RoomType, stay: Stay, rooms: int,
                   alternatives: list[dict[str, Any]], status: int):
    """Kind words and one-click alternatives; 409 when the booking lost the race."""
    return render_template("booking/sold_out.html", hotel=hotel, room_type=room_type, stay=stay, rooms=rooms,
                           groups=display.group_alternatives(alternatives), lost_race=status == 409), status


def _render_form(form: BookingForm, hotel: Hotel, room_type: RoomType, stay: Stay | None, status: int = 200,
                 previous: Reservation | None = None):
    rooms = policies.parse_int(form.rooms.data or None, "rooms", {}, default=1, low=1, high=policies.MAX_ROOMS)
    offer = display.room_offer(room_type, stay, rooms or 1) if stay else None
    return render_template("booking/book.html", form=form, hotel=hotel, room_type=room_type, stay=stay,
                           offer=offer, max_text=policies.MAX_TEXT, previous=previous), status


def _prefill(form: BookingForm, stay: Stay, rooms: int) -> None:
    form.check_in.data, form.check_out.data = stay.check_in.isoformat(), stay.check_out.isoformat()
    form.rooms.data, form.guests.data = str(rooms), str(stay.guests)
    form.language.data = str(get_locale() or "ko")
    form.payment_method.data = "card"
    for name, value in session.get(DRAFT, {}).items():
        if hasattr(form, name) and value:
            getattr(form, name).data = value


@bp.route("/hotels/<int:hotel_id>/rooms/<int:room_type_id>/book", methods=["GET", "POST"])
def book(hotel_id: int, room_type_id: int):
    hotel = _active_hotel(hotel_id)
    room_type = _room_type_of(hotel, room_type_id)
    form = BookingForm()
    form.set_guest_choices(min(MAX_GUESTS, room_type.max_occupancy * policies.MAX_ROOMS))
    if request.method == "GET":
        stay, errors = _parse_stay(request.args, hotel)
        if stay is None:
            return redirect(url_for(".hotel_detail", hotel_id=hotel.id, **request.args))
        rooms = policies.parse_int(request.args.get("rooms") or None, "rooms", {}, low=1,
                                   high=policies.MAX_ROOMS) or display.rooms_for(stay.guests, room_type.max_occupancy)
        if request.args.get("another"):
            _form_key(room_type, stay, rotate=True)
            return redirect(display.query_url(another=None))
        _prefill(form, stay, rooms)
        form.idempotency_key.data = _form_key(room_type, stay)
        previous = _booking_made_with(form.idempotency_key.data)
        if previous is not None and previous.status not in CANCELABLE:
            form.idempotency_key.data, previous = _form_key(room_type, stay, rotate=True), None
        if not display.room_offer(room_type, stay, rooms).bookable:
            alternatives = find_alternatives(hotel, room_type, stay.check_in, stay.check_out, rooms=rooms,
                                             guests=stay.guests, today=clock.local_today(hotel.timezone))
            return _sold_out_page(hotel, room_type, stay, rooms, alternatives, 200)
        return _render_form(form, hotel, room_type, stay, previous=previous)

    stay, _errors = _parse_stay({"checkInDate": form.check_in.data, "checkOutDate": form.check_out.data,
                                 "guests": form.guests.data}, hotel)
    if not form.validate_on_submit():
        return _render_form(form, hotel, room_type, stay, 422)
    if not form.has_valid_key():
        form.form_errors.append(_("This form was incomplete. Please check the details and press Book again."))
        form.idempotency_key.data = _form_key(room_type, stay) if stay else new_form_key()
        return _render_form(form, hotel, room_type, stay, 422)
    key = form.idempotency_key.data
    try:
        req = policies.parse_booking_request(form.request_body(hotel.id, room_type.id))
        outcome = create_reservation(req, idempotency_key=key, channel="web")
    except ValidationFailed as exc:
        form.apply_api_errors(exc.fields or {"": exc.message})
        return _render_form(form, hotel, room_type, stay, 422)
    except SoldOut as exc:
        session[DRAFT] = form.draft()
        return _sold_out_page(hotel, room_type, Stay(req.check_in, req.check_out, req.guests), req.rooms,
                              exc.extra.get("alternatives", []), 409)
    except IdempotencyConflict:
        return _already_booked(key) or _render_form(form, hotel, room_type, stay, 422)
    except IdempotencyInProgress:
        form.form_errors.append(_("We are still saving this booking. Wait a few seconds, then press Book again: "
                                  "it will not book twice."))
        return _render_form(form, hotel, room_type, stay, 409)
    reservation = outcome.reservation
    _grant(reservation.public_id)
    session.pop(DRAFT, None)
    if reservation.payment_method == PaymentMethod.BANK_TRANSFER and reservation.status == ReservationStatus.PENDING:
        _open_bank_transfer(reservation, key)
    log.info("booking page: reservation %s", "replayed" if outcome.replayed else "created",
             extra={"reservation": reservation.public_id})
    return redirect(url_for(".reservation_detail", public_id=reservation.public_id), 303)


def _form_key(room_type: RoomType, stay: Stay, rotate: bool = False) -> str:
    """The idempotency key of this browser's booking form for this room type and these dates.

    Kept in the session, so the form shows the same key however often it is
    opened again (the Back button reloads it): sending it again can only
    replay the booking it made. `rotate` starts a new one ("book another room").
    """
    keys = dict(session.get(FORM_KEYS, {}))
    context = f"{room_type.id}:{stay.check_in.isoformat()}:{stay.check_out.isoformat()}"
    key = keys.pop(context, None)
    if key is None or rotate:
        key = new_form_key()
    keys[context] = key
    session[FORM_KEYS] = dict(list(keys.items())[-MAX_FORM_KEYS:])
    return key


def _booking_made_with(key: str) -> Reservation | None:
    row = idempotency.find(IDEMPOTENCY_SCOPE, key)
    return get_reservation_by_public_id(row.resource_id) if row is not None and row.resource_id else None


def _already_booked(key: str):
    """The same form came back with other details: show the booking it already made."""
    reservation = _booking_made_with(key)
    if reservation is None:
        return None
    _grant(reservation.public_id)
    flash(_("This booking form was already sent, so nothing new was booked. Here is the booking it made. "
            "To book another room, start again from the hotel page."), "warning")
    return redirect(url_for(".reservation_detail", public_id=reservation.public_id), 303)


def _open_bank_transfer(reservation: Reservation, key: str) -> None:
    """The bank-transfer order with its deposit instructions (the same one on a replay).

    Should it fail, the booking page still shows the instructions of the booking itself.
    """
    try:
        start_bank_transfer(reservation, amount=outstanding_amount(reservation), currency=reservation.currency,
                            idempotency_key=f"{key}-bank", actor=Actor.guest(reservation.guest_email))
    except DomainError as exc:
        log.warning("bank-transfer order not opened: %s", exc.code, extra={"reservation": reservation.public_id})


# --- the booking page: status, hold, payment ---------------------------------------------------

def _booking_page(reservation: Reservation, card_form: CardForm | None = None, status: int = 200):
    payments = display.payments_of(reservation)
    due = outstanding_amount(reservation)
    seconds = hold_remaining_seconds(reservation)
    pending = reservation.status == ReservationStatus.PENDING
    instructions = None
    if pending and reservation.payment_method == PaymentMethod.BANK_TRANSFER and seconds > 0 and due > 0:
        order = display.open_bank_transfer(payments)
        instructions = deposit_instructions(reservation, order.amount if order else due)
    can_pay_card = pending and reservation.payment_method == PaymentMethod.CARD and seconds > 0 and due > 0
    if can_pay_card and card_form is None:
        card_form = CardForm(formdata=None)
        card_form.holder.data = display.person_name(reservation, str(get_locale() or "ko"))
    if card_form is not None:
        card_form.ensure_key()
    return render_template(
        "booking/reservation.html", **display.template_labels(), sandbox=uses_sandbox_gateway(),
        r=reservation, hotel=reservation.hotel, room_type=reservation.room_type,
        payments=payments, refunds=display.refunds_of(reservation), due=due, hold_seconds=seconds,
        hold_expired=pending and seconds == 0, minutes_left=display.minutes_left(seconds),
        clock_text=display.clock_text(seconds), instructions=instructions,
        card_form=card_form if can_pay_card else None,
        can_cancel=reservation.status in CANCELABLE and not (pending and seconds == 0),
        coupon=coupon_use(reservation),
        language_name=LANGUAGE_NAMES.get(reservation.language, reservation.language),
        search_args=Stay(reservation.check_in, reservation.check_out, reservation.number_of_guests).args(
            location=reservation.hotel.city),
    ), status


@bp.get("/booking/<public_id>")
def reservation_detail(public_id: str):
    return _booking_page(_own_reservation(public_id))


@bp.get("/booking/<public_id>/pay")
def pay_page(public_id: str):
    """The payment form lives on the booking page (a language switch after an error lands here)."""
    return redirect(url_for(".reservation_detail", public_id=public_id, **request.args))


@bp.post("/booking/<public_id>/pay")
def pay(public_id: str):
    reservation = _own_reservation(public_id)
    here = url_for(".reservation_detail", public_id=public_id)
    if reservation.status == ReservationStatus.PENDING and hold_remaining_seconds(reservation) == 0:
        flash(_("This booking can no longer be paid: its hold has ended. Nothing was charged."), "error")
        return redirect(here, 303)
    form = CardForm()
    if not form.has_valid_key():
        flash(_("This payment form was incomplete. Nothing was charged. Please enter the card again."), "error")
        return redirect(here, 303)
    card = form.card_details()
    form.forget_secrets()
    if card is None:
        return _booking_page(reservation, form, 422)
    try:
        outcome = pay_by_card(reservation, amount=outstanding_amount(reservation), currency=reservation.currency,
                              card=card, idempotency_key=form.idempotency_key.data,
                              actor=Actor.guest(reservation.guest_email))
    except IllegalTransition:
        if reservation.status == ReservationStatus.PAID:
            flash(_("This booking is already paid."), "info")
        else:
            flash(_("This booking can no longer be paid: its hold has ended. Nothing was charged."), "error")
        return redirect(here, 303)
    except IdempotencyConflict:
        flash(_("This payment form was already used. Nothing more was charged. Please enter the card again."),
              "error")
        return redirect(here, 303)
    except IdempotencyInProgress:
        flash(_("Your payment is still being processed. Wait a few seconds and reload this page."), "info")
        return redirect(here, 303)
    payment = outcome.payment
    if payment.status == PaymentStatus.COMPLETED:
        language = LANGUAGE_NAMES.get(reservation.language, reservation.language)
        flash(_("Paid. A confirmation email in %(language)s is on its way.", language=language), "success")
    elif payment.status == PaymentStatus.FAILED:
        flash(display.decline_message(payment.failure_code), "error")
    else:
        flash(_("We are waiting for the card company's answer. There is nothing more to do: this page will "
                "show the result, and we will email you."), "info")
    return redirect(here, 303)


# --- find my booking ---------------------------------------------------------------------------

#: Find my booking: tries allowed per 15 minutes, per network address and per booking code, so a
#: code cannot be paired with guessed emails (or codes guessed) at speed.
FIND_WINDOW_SECONDS = 15 * 60
FIND_LIMITS = {"addr": 20, "code": 10}


#: "I lost my code": tries per 15 minutes, per network address and per typed email address.
LOST_CODE_LIMITS = {"addr": 20, "email": 5}


def _throttled(prefix: str, limits: dict[str, int], counted_values: dict[str, str]) -> int | None:
    """Count this try in each bucket; the seconds to wait when one has tried too often (else None)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return None
    from app.core.ratelimit import client_key, count_request

    waits = []
    for kind, value in counted_values.items():
        counted = count_request(client_key(f"{prefix}-{kind}", value), limits[kind], window=FIND_WINDOW_SECONDS)
        if counted is not None and not counted.allowed:
            waits.append(counted.reset_in)
    return max(waits) if waits else None


def _find_throttled(code: str) -> int | None:
    """Count this try; the seconds to wait when the address or the code has tried too often (else None).
    The code counts as it is matched, so typing it another way (full-width, dashes) is the same code."""
    typed_code = policies.normalize_booking_code(code)[:32] or "-"
    return _throttled("find", FIND_LIMITS, {"addr": request.remote_addr or "unknown", "code": typed_code})


def _too_many_tries(form, wait: int) -> None:
    form.form_errors.append(_("Too many tries. Please wait %(minutes)s minutes and try again, or contact us.",
                              minutes=max(1, -(-wait // 60))))


@bp.route("/find", methods=["GET", "POST"])
def find():
    form = FindBookingForm()
    status = 200
    if request.method == "GET" and not form.code.data and request.args.get("code"):
        form.code.data = request.args.get("code", "")[:20]
    if form.is_submitted() and (wait := _find_throttled(form.code.data)) is not None:
        log.warning("find my booking: throttled")
        _too_many_tries(form, wait)
        return render_template("booking/find.html", form=form), 429
    if form.validate_on_submit():
        reservation = find_reservation_by_code_and_contact(form.code.data, form.email.data)
        if reservation is not None:
            _grant(reservation.public_id)
            return redirect(url_for(".reservation_detail", public_id=reservation.public_id), 303)
        log.info("find my booking: no match")
        form.form_errors.append(_("We could not find a booking with this code and this email or phone number. "
                                  "The code is in the email we sent you (it looks like FD-7K3M9Q); use the "
                                  "email or phone number you booked with."))
        status = 404
    return render_template("booking/find.html", form=form), status


@bp.route("/find/lost-code", methods=["GET", "POST"])
def lost_code():
    """"I lost my code": the same answer whether or not the address has bookings (no enumeration)."""
    form = LostCodeForm()
    if form.is_submitted():
        email = policies.normalize_guest_email(form.email.data)
        wait = _throttled("lost", LOST_CODE_LIMITS, {"addr": request.remote_addr or "unknown",
                                                      "email": email or (form.email.data or "")[:254] or "-"})
        if wait is not None:
            log.warning("lost code: throttled")
            _too_many_tries(form, wait)
            return render_template("booking/lost_code.html", form=form, sent=False), 429
    if form.validate_on_submit():
        email = policies.normalize_guest_email(form.email.data)
        if not email:
            form.email.errors = [*form.email.errors, _("Enter the email address you booked with, like "
                                                       "name@example.com.")]
            return render_template("booking/lost_code.html", form=form, sent=False), 422
        send_booking_codes(email)
        return render_template("booking/lost_code.html", form=form, sent=True, email=email)
    return render_template("booking/lost_code.html", form=form, sent=False), 422 if form.is_submitted() else 200


@bp.get("/booking/open/<path:token>")
def open_booking(token: str):
    """A link from "I lost my code": this browser may open the booking from now on."""
    try:
        reservation = booking_links.reservation_for_token(token)
    except booking_links.LinkExpired:
        flash(_("This link has expired. Ask for a new one below, or enter the booking code and the email or "
                "phone number you booked with."), "warning")
        return redirect(url_for(".find"), 303)
    except booking_links.LinkInvalid:
        flash(_("This link does not work (it may be cut short). Enter the booking code and the email or phone "
                "number you booked with."), "error")
        return redirect(url_for(".find"), 303)
    _grant(reservation.public_id)
    return redirect(url_for(".reservation_detail", public_id=reservation.public_id), 303)


# --- cancelling ------------------------------------------------------------------------------------

@bp.route("/booking/<public_id>/cancel", methods=["GET", "POST"])
def cancel(public_id: str):
    reservation = _own_reservation(public_id)
    here = url_for(".reservation_detail", public_id=public_id)
    if reservation.status not in CANCELABLE:
        if reservation.status in (ReservationStatus.CANCELED, ReservationStatus.REFUNDED):
            flash(_("This booking is already canceled. Nothing more was changed."), "info")
        else:
            flash(_("This booking cannot be canceled online any more. Please contact the hotel."), "error")
        return redirect(here, 303)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            outcome = cancel_reservation(reservation.id, reason="Canceled by the guest on the booking page",
                                         source="customer", actor=Actor.guest(reservation.guest_email))
        except IllegalTransition:
            flash(_("This booking cannot be canceled online any more. Please contact the hotel."), "error")
            return redirect(here, 303)
        if not outcome.changed:
            flash(_("This booking is already canceled. Nothing more was changed."), "info")
            return redirect(here, 303)
        return redirect(url_for(".canceled", public_id=public_id), 303)
    preview = display.cancel_preview(reservation)
    return render_template("booking/cancel.html", r=reservation, hotel=reservation.hotel, form=form,
                           preview=preview, rules=display.refund_rules(),
                           days=display.days_phrase(preview.recommendation.days_before_check_in)
                           if preview.recommendation else None)


@bp.get("/booking/<public_id>/canceled")
def canceled(public_id: str):
    reservation = _own_reservation(public_id)
    if reservation.status not in (ReservationStatus.CANCELED, ReservationStatus.REFUNDED):
        return redirect(url_for(".reservation_detail", public_id=public_id), 303)
    refunds = display.refunds_of(reservation)
    payments = display.payments_of(reservation)
    card = next((p for p in payments if p.method == PaymentMethod.CARD and p.status == PaymentStatus.COMPLETED),
                None)
    return render_template("booking/canceled.html", r=reservation, hotel=reservation.hotel,
                           refund=refunds[-1] if refunds else None, card=card, coupon=coupon_use(reservation),
                           language_name=LANGUAGE_NAMES.get(reservation.language, reservation.language),
                           search_args=Stay(reservation.check_in, reservation.check_out,
                                            reservation.number_of_guests).args(location=reservation.hotel.city))
