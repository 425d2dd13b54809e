"""/v1/reservations."""
from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.api import bp
from app.api.auth import check_reservation_access, require_operator
from app.api.common import json_body, page_args, reject_unknown
from app.booking import policies
from app.booking.models import Reservation
from app.booking.queries import get_reservation_by_public_id, money, reservation_receipt
from app.booking.services import cancel_reservation, create_reservation, modify_reservation, outstanding_amount
from app.booking.states import ReservationStatus
from app.core.errors import ValidationFailed
from app.core.idempotency import MAX_KEY_LENGTH
from app.extensions import db

BOOKING_FIELDS = {"hotelID", "roomTypeID", "checkInDate", "checkOutDate", "numberOfRooms", "numberOfGuests",
                  "guestInfo", "specialRequests", "paymentMethod", "couponCode", "idempotencyKey"}


def refund_body(refund) -> dict[str, Any] | None:
    if refund is None:
        return None
    return {
        "refundID": refund.public_id,
        "status": refund.status,
        "amount": money(refund.amount, refund.currency),
        "policy": {"case": refund.policy_case, "percent": refund.policy_percent,
                   "reason": refund.policy_reason},
        "createdAt": refund.created_at.isoformat().replace("+00:00", "Z"),
    }


def reservation_body(r: Reservation) -> dict[str, Any]:
    """GET /v1/reservations/{id}: the receipt plus guest, room, payments and refunds."""
    from app.payments.services import payment_body

    body = reservation_receipt(r)
    body.update({
        "numberOfGuests": r.number_of_guests,
        "roomID": str(r.room_id) if r.room_id else None,
        "guestInfo": {"firstName": r.guest_first_name, "lastName": r.guest_last_name,
                      "email": r.guest_email, "phone": r.guest_phone, "language": r.language},
        "specialRequests": r.special_requests,
        "paymentMethod": r.payment_method,
        "amountDue": money(outstanding_amount(r), r.currency),
        "createdAt": r.created_at.isoformat().replace("+00:00", "Z"),
        "payments": [payment_body(p) for p in sorted(r.payments, key=lambda p: p.id)],
        "refunds": [refund_body(x) for x in sorted(r.refunds, key=lambda x: x.id)],
    })
    return body


def _load(reservation_id: str) -> Reservation:
    """The reservation, for an operator or the holder of its access token."""
    reservation = get_reservation_by_public_id(reservation_id)
    check_reservation_access(reservation)
    return reservation


@bp.post("/reservations")
def create_reservation_endpoint():
    """Hold rooms (201 pending); the same key and body again → the same 201 body."""
    data = json_body()
    errors: dict[str, Any] = {}
    reject_unknown(data, BOOKING_FIELDS, errors)
    key = request.headers.get("Idempotency-Key") or data.get("idempotencyKey")
    if not isinstance(key, str) or not key.strip() or len(key.strip()) > MAX_KEY_LENGTH:
        errors["idempotencyKey"] = _l("Required: a unique key per booking (header Idempotency-Key or body "
                                      "field idempotencyKey), at most %(n)s characters.", n=MAX_KEY_LENGTH)
    body = {k: v for k, v in data.items() if k != "idempotencyKey"}
    try:
        req = policies.parse_booking_request(body)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, fields={**errors, **exc.fields}) from None
    if errors:
        raise ValidationFailed(fields=errors)
    outcome = create_reservation(req, idempotency_key=key, channel="api")
    return jsonify(outcome.response_body), 201


@bp.get("/reservations/<reservation_id>")
def get_reservation_endpoint(reservation_id: str):
    return jsonify(reservation_body(_load(reservation_id)))


@bp.get("/reservations")
def list_reservations_endpoint():
    require_operator()
    page, size = page_args()
    query = select(Reservation)
    email = request.args.get("guestEmail")
    if email:
        query = query.where(Reservation.guest_email == email.strip().lower())
    hotel_id = request.args.get("hotelID")
    if hotel_id:
        if not hotel_id.isdigit():
            raise ValidationFailed(fields={"hotelID": _l("Not a valid id.")})
        query = query.where(Reservation.hotel_id == int(hotel_id))
    status = request.args.get("status")
    if status:
        if status not in set(ReservationStatus):
            raise ValidationFailed(fields={"status": _l("One of %(values)s.", values=", ".join(ReservationStatus))})
        query = query.where(Reservation.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(Reservation.id.desc()).offset((page - 1) * size).limit(size)).all()
    return jsonify({"results": [reservation_body(r) for r in rows], "page": page, "pageSize": size,
                    "total": total})


@bp.put("/reservations/<reservation_id>")
def modify_reservation_endpoint(reservation_id: str):
    reservation = _load(reservation_id)
    data = json_body()
    allowed = {"checkInDate", "checkOutDate", "roomTypeID", "numberOfRooms"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationFailed(fields={k: _l("This field cannot be changed here.") for k in sorted(unknown)})
    if not data:
        raise ValidationFailed(_l("Nothing to change: send checkInDate, checkOutDate, roomTypeID or numberOfRooms."))
    errors: dict[str, Any] = {}
    check_in = policies.parse_date(data["checkInDate"], "checkInDate", errors) if "checkInDate" in data else None
    check_out = policies.parse_date(data["checkOutDate"], "checkOutDate", errors) if "checkOutDate" in data else None
    room_type_id = policies.parse_id(data["roomTypeID"], "roomTypeID", errors) if "roomTypeID" in data else None
    rooms = (policies.parse_int(data["numberOfRooms"], "numberOfRooms", errors, low=1, high=policies.MAX_ROOMS)
             if "numberOfRooms" in data else None)
    if errors:
        raise ValidationFailed(fields=errors)
    outcome = modify_reservation(reservation.id, check_in=check_in, check_out=check_out,
                                 room_type_id=room_type_id, rooms=rooms)
    body = reservation_body(outcome.reservation)
    if outcome.refund is not None:
        body["refund"] = refund_body(outcome.refund)
    return jsonify(body)


@bp.delete("/reservations/<reservation_id>")
def cancel_reservation_endpoint(reservation_id: str):
    reservation = _load(reservation_id)
    outcome = cancel_reservation(reservation.id, reason="Canceled through the API",
                                 source="operator" if g.get("api_operator") else "customer")
    body = reservation_body(outcome.reservation)
    body["refund"] = refund_body(outcome.refund)
    return jsonify(body)
