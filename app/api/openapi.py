"""GET /v1/openapi.json: the OpenAPI 3.1 document of every /v1 endpoint.

One data structure (`DOCUMENT`), written by hand next to the code it
describes; tests check that it names exactly the routes the app serves and
that it is a valid OpenAPI 3.1 document. The small functions below only
spell repeated pieces (a `$ref`, a JSON body, the error responses).
"""
from __future__ import annotations

import re
from typing import Any

from flask import jsonify

from app.api import bp

#: Flask's URL variables → the API's path parameters.
PATH_PARAMS = {"hotel_id": "hotelID", "room_type_id": "roomTypeID", "room_id": "roomID",
               "reservation_id": "reservationID", "payment_id": "paymentID",
               "business_date": "businessDate", "item_id": "itemID", "notice_id": "noticeID"}


def openapi_path(rule: str) -> str:
    """'/v1/hotels/<hotel_id>' → '/v1/hotels/{hotelID}'."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: "{" + PATH_PARAMS.get(m.group(1), m.group(1)) + "}", rule)


def ref(name: str, kind: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def json_content(schema: dict, description: str = "") -> dict[str, Any]:
    body = {"content": {"application/json": {"schema": schema}}}
    if description:
        body["description"] = description
    return body


HEADERS = {"X-Request-Id": {"$ref": "#/components/headers/XRequestId"},
           "X-RateLimit-Limit": {"$ref": "#/components/headers/XRateLimitLimit"},
           "X-RateLimit-Remaining": {"$ref": "#/components/headers/XRateLimitRemaining"},
           "X-RateLimit-Reset": {"$ref": "#/components/headers/XRateLimitReset"}}


def ok(schema: dict, description: str, status: str = "200") -> dict[str, Any]:
    return {status: {**json_content(schema, description), "headers": HEADERS}}


def errors(*statuses: int) -> dict[str, Any]:
    """The error responses of an operation (429 always applies)."""
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
             422: "ValidationError", 429: "RateLimited", 503: "Unavailable"}
    return {str(s): ref(names[s], "responses") for s in sorted({*statuses, 429})}


def params(*names: str) -> list[dict[str, str]]:
    return [ref(n, "parameters") for n in names]


def string(**extra) -> dict[str, Any]:
    return {"type": "string", **extra}


def integer(**extra) -> dict[str, Any]:
    return {"type": "integer", **extra}


def nullable(schema: dict) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


ID = {"type": "string", "pattern": "^[1-9][0-9]{0,11}$", "examples": ["3"]}
PUBLIC_ID = {"type": "string", "maxLength": 40}
DATE = {"type": "string", "format": "date", "examples": ["2027-03-01"]}
DATETIME = {"type": "string", "format": "date-time"}
NAMES = {"type": "array", "maxItems": 30, "items": {"type": "string", "minLength": 1, "maxLength": 50}}
OPERATOR = [{"operatorToken": []}]
OWNER_OR_OPERATOR = [{"operatorToken": []}, {"reservationToken": []}]
PUBLIC: list = []
ERROR_CODES = ["validation_error", "not_found", "unauthorized", "forbidden", "sold_out", "idempotency_conflict",
               "idempotency_in_progress", "invalid_transition", "rate_limited", "method_not_allowed",
               "bad_request", "too_large", "unsupported_media_type", "unavailable", "internal_error"]

HOTEL_FIELDS = {
    "name": string(minLength=1, maxLength=200), "address": string(maxLength=300),
    "city": string(minLength=1, maxLength=100), "country": string(pattern="^[A-Z]{2}$"),
    "latitude": nullable({"type": "number", "minimum": -90, "maximum": 90}),
    "longitude": nullable({"type": "number", "minimum": -180, "maximum": 180}),
    "starRating": integer(minimum=0, maximum=5), "description": string(maxLength=5000), "amenities": NAMES,
    "timezone": string(examples=["Asia/Seoul"]), "checkInTime": string(pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$"),
    "checkOutTime": string(pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$"),
    "currency": string(pattern="^[A-Z]{3}$", description="Set when the hotel is created; cannot change."),
}
ROOM_TYPE_FIELDS = {
    "name": string(minLength=1, maxLength=100), "description": string(maxLength=5000),
    "maxOccupancy": integer(minimum=1, maximum=20), "bedType": string(maxLength=40),
    "sizeSqm": nullable(integer(minimum=1, maximum=10000)), "amenities": NAMES, "basePrice": ref("Money"),
    "overbookingRatio": {"type": "number", "minimum": 1, "maximum": 2, "default": 1.1, "description":
                         "Kept as a whole percent: the nightly cap is total × percent // 100, "
                         "so 5 rooms at 1.10 sell 5."},
}
ROOM_FIELDS = {"roomTypeID": ID, "roomNumber": string(minLength=1, maxLength=20),
               "floor": integer(minimum=-10, maximum=200),
               "status": string(enum=["available", "occupied", "maintenance", "cleaning"])}


def obj(properties: dict, required: tuple = (), closed: bool = False, **extra) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


RECEIPT = {"reservationID": PUBLIC_ID, "code": string(examples=["FD7K3M9Q"]),
           "status": string(enum=["pending", "paid", "checked_in", "checked_out", "canceled", "refunded"]),
           "hotelID": ID, "roomTypeID": ID, "checkInDate": DATE, "checkOutDate": DATE,
           "numberOfRooms": integer(minimum=1, maximum=9), "totalPrice": ref("Money"),
           "discount": ref("Money"),  # present only when a coupon was used: won taken off the price
           "holdExpiresAt": nullable(DATETIME)}
RECEIPT_REQUIRED = tuple(name for name in RECEIPT if name != "discount")

SCHEMAS: dict[str, Any] = {
    "Money": obj({"amount": integer(minimum=0, description="Whole minor units (KRW has no decimals)."),
                  "currency": string(pattern="^[A-Z]{3}$")}, ("amount", "currency"), closed=True,
                 examples=[{"amount": 150000, "currency": "KRW"}]),
    "Error": obj({"error": obj({
        "code": string(enum=ERROR_CODES), "message": string(description="In the Accept-Language (ko, ja, en)."),
        "fields": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Field name (dotted for nested fields) → what is wrong with it."},
        "requestId": string(description="Equals the response's X-Request-Id.")},
        ("code", "message", "fields", "requestId"))}, ("error",)),
    "SoldOutError": {"allOf": [ref("Error"), obj({"alternatives": {"type": "array", "items": ref("Alternative")}},
                                                ("alternatives",))]},
    "Alternative": obj({"kind": string(enum=["room_type", "dates", "hotel"]), "hotelID": ID, "hotelName": string(),
                        "roomTypeID": ID, "roomTypeName": string(), "checkInDate": DATE, "checkOutDate": DATE,
                        "totalPrice": ref("Money")}, ("kind", "hotelID", "roomTypeID", "checkInDate",
                                                      "checkOutDate", "totalPrice")),
    "Hotel": obj({"hotelID": ID, **HOTEL_FIELDS, "status": string(enum=["active", "inactive"])},
                 ("hotelID", "name", "address", "city", "country", "latitude", "longitude", "starRating",
                  "description", "amenities", "timezone", "checkInTime", "checkOutTime", "currency", "status")),
    "HotelInput": obj(HOTEL_FIELDS, ("name", "city"), closed=True),
    "HotelChanges": obj(HOTEL_FIELDS, closed=True),
    "RoomType": obj({"roomTypeID": ID, "hotelID": ID, **ROOM_TYPE_FIELDS, "active": {"type": "boolean"}},
                    ("roomTypeID", "hotelID", "name", "description", "maxOccupancy", "bedType", "sizeSqm",
                     "amenities", "basePrice", "overbookingRatio", "active")),
    "RoomTypeInput": obj(ROOM_TYPE_FIELDS, ("name", "basePrice"), closed=True),
    "RoomTypeChanges": obj(ROOM_TYPE_FIELDS, closed=True),
    "Room": obj({"roomID": ID, "hotelID": ID, **ROOM_FIELDS, "active": {"type": "boolean"}},
                ("roomID", "hotelID", "roomTypeID", "roomNumber", "floor", "status", "active")),
    "RoomInput": obj(ROOM_FIELDS, ("roomTypeID", "roomNumber"), closed=True),
    "RoomChanges": obj(ROOM_FIELDS, closed=True),
    "RatesInput": obj({"from": DATE, "to": {**DATE, "description": "Exclusive: the last night priced is the day "
                                                                   "before."},
                       "price": ref("Money"),
                       "weekdays": {"type": "array", "minItems": 1, "items": integer(minimum=0, maximum=6),
                                    "description": "0 = Monday … 6 = Sunday; all days when left out."}},
                      ("from", "to", "price"), closed=True),
    "RatesResult": obj({"roomTypeID": ID, "from": DATE, "to": DATE, "price": ref("Money"),
                        "weekdays": {"type": "array", "items": integer(minimum=0, maximum=6)},
                        "nightsPriced": integer(minimum=0)},
                       ("roomTypeID", "from", "to", "price", "weekdays", "nightsPriced")),
    "SearchResults": obj({"results": {"type": "array", "items": obj({
        "hotelID": ID, "name": string(), "city": string(), "starRating": integer(minimum=0, maximum=5),
        "amenities": NAMES, "lowestPrice": {**ref("Money"), "description": "Per night, rounded up."},
        "availableRoomTypes": integer(minimum=1)}, ("hotelID", "name", "city", "starRating", "amenities",
                                                    "lowestPrice", "availableRoomTypes"), closed=True)},
        "page": integer(minimum=1), "pageSize": integer(minimum=1, maximum=100), "total": integer(minimum=0)},
        ("results", "page", "pageSize", "total")),
    "Availability": obj({"hotelID": ID, "checkInDate": DATE, "checkOutDate": DATE, "roomTypes": {
        "type": "array", "items": obj({
            "roomTypeID": ID, "name": string(),
            "available": integer(minimum=0, description="The least over the nights."),
            "totalPrice": {**ref("Money"), "description": "One room for the whole stay."},
            "nights": {"type": "array", "items": obj({"date": DATE, "available": integer(minimum=0),
                                                      "price": ref("Money")}, ("date", "available", "price"))}},
            ("roomTypeID", "available", "totalPrice", "nights"))}}, ("roomTypes",)),
    "GuestInfo": obj({"firstName": string(minLength=1, maxLength=100, pattern="\\S"),
                      "lastName": string(minLength=1, maxLength=100, pattern="\\S"),
                      "email": string(format="email", maxLength=254),
                      "phone": string(maxLength=30, pattern="^\\+?[0-9][0-9 ()-]{5,28}$"),
                      "language": string(enum=["ko", "ja", "en"], default="ko")},
                     ("firstName", "lastName", "email")),
    "ReservationRequest": obj({
        "hotelID": ID, "roomTypeID": ID, "checkInDate": DATE, "checkOutDate": DATE,
        "numberOfRooms": integer(minimum=1, maximum=9, default=1),
        "numberOfGuests": integer(minimum=1, maximum=180, default=1),
        "guestInfo": ref("GuestInfo"), "specialRequests": string(maxLength=2000),
        "paymentMethod": string(enum=["card", "bank_transfer"], default="card"),
        "couponCode": string(maxLength=40, description=(
            "Optional. A coupon given to the guest (percent or won off, once, before it expires, "
            "possibly for one hotel only). totalPrice is then the price less `discount` (never below 0); an "
            "unknown, used, expired or other hotel's coupon is a 422 with fields.couponCode. A coupon worth the "
            "whole price (or more) confirms the booking at once: status `paid`, totalPrice 0, holdExpiresAt "
            "null, paymentMethod `coupon` (GET); paymentMethod is then not used and POST /v1/payments answers "
            "409 (nothing is owed).")),
        "idempotencyKey": string(maxLength=255, description="Or the Idempotency-Key header; one of them is required.")},
        ("hotelID", "roomTypeID", "checkInDate", "checkOutDate", "guestInfo"), closed=True,
        description="Check-out after check-in, at most 30 nights, not in the past, guests ≤ rooms × maxOccupancy."),
    "ReservationCreated": obj({**RECEIPT, "accessToken": string(
        pattern="^rat_", description="Bearer token for this reservation's own endpoints. Keep it secret.")},
        (*RECEIPT_REQUIRED, "accessToken")),
    "Refund": obj({"refundID": PUBLIC_ID, "status": string(), "amount": ref("Money"),
                   "policy": obj({"case": string(), "percent": integer(), "reason": string()}),
                   "createdAt": DATETIME}, ("refundID", "status", "amount")),
    "Reservation": obj({**RECEIPT, "numberOfGuests": integer(minimum=1), "roomID": nullable(ID),
                        "guestInfo": ref("GuestInfo"), "specialRequests": string(),
                        "paymentMethod": string(enum=["card", "bank_transfer", "coupon"]),
                        "amountDue": ref("Money"), "createdAt": DATETIME,
                        "payments": {"type": "array", "items": ref("Payment")},
                        "refunds": {"type": "array", "items": ref("Refund")},
                        "refund": nullable(ref("Refund"))},
                       (*RECEIPT_REQUIRED, "roomID", "payments", "refunds")),
    "ReservationList": obj({"results": {"type": "array", "items": ref("Reservation")}, "page": integer(minimum=1),
                            "pageSize": integer(minimum=1, maximum=100), "total": integer(minimum=0)},
                           ("results", "page", "pageSize", "total")),
    "ReservationChanges": obj({"checkInDate": DATE, "checkOutDate": DATE, "roomTypeID": ID,
                               "numberOfRooms": integer(minimum=1, maximum=9)}, closed=True, minProperties=1),
    "CardDetails": obj({"cardNumber": string(pattern="^[0-9 -]{12,23}$", description="Checked with Luhn; never "
                                             "stored or logged."),
                        "expMonth": integer(minimum=1, maximum=12), "expYear": integer(minimum=0, maximum=2099),
                        "cvc": string(pattern="^[0-9]{3,4}$"), "holderName": string(maxLength=100)},
                       ("cardNumber", "expMonth", "expYear", "cvc"), closed=True),
    "PaymentRequest": obj({"reservationID": PUBLIC_ID, "paymentMethod": string(enum=["card", "bank_transfer"]),
                           "amount": integer(minimum=1, description="Must equal what the reservation owes."),
                           "currency": string(pattern="^[A-Z]{3}$"), "paymentDetails": ref("CardDetails"),
                           "idempotencyKey": string(maxLength=255)},
                          ("reservationID", "paymentMethod", "amount", "currency"), closed=True),
    "DepositInstructions": obj({"bankName": string(), "accountNumber": string(), "accountHolder": string(),
                                "amount": ref("Money"), "reference": string(description="Write it in the "
                                                                            "transfer memo."),
                                "payBy": nullable(DATETIME)}, ("bankName", "accountNumber", "amount", "reference")),
    "Payment": obj({"paymentID": PUBLIC_ID, "reservationID": PUBLIC_ID,
                    "paymentMethod": string(enum=["card", "bank_transfer"]),
                    "status": string(enum=["pending", "completed", "failed", "canceled"], description=(
                        "A card payment is `pending` only when the gateway timed out; a webhook or the "
                        "settlement sweep settles it within minutes. A bank transfer is `pending` until "
                        "the deposit is matched.")),
                    "amount": integer(minimum=1), "currency": string(), "createdAt": DATETIME,
                    "card": obj({"last4": string(), "brand": nullable(string())}),
                    "failure": obj({"code": string(), "message": nullable(string())}),
                    "depositInstructions": ref("DepositInstructions"), "refundedAmount": integer(minimum=0)},
                   ("paymentID", "reservationID", "paymentMethod", "status", "amount", "currency")),
    "WebhookEvent": obj({"event": string(examples=["charge.succeeded"]),
                         "data": obj({"idempotencyKey": string(description="Our payment id."),
                                      "chargeId": string()}, ("idempotencyKey",))}, ("data",)),
    "WebhookAck": obj({"received": {"type": "boolean"}, "paymentID": nullable(PUBLIC_ID),
                       "status": nullable(string()), "changed": {"type": "boolean"}},
                      ("received", "paymentID", "status", "changed")),
    **{  # the status page (app/api/status.py)
        "LanguageTexts": obj({"ko": string(maxLength=5000), "ja": string(maxLength=5000),
                              "en": string(maxLength=5000)}, closed=True),
        "StatusComponents": {"type": "object", "minProperties": 1, "propertyNames": {"enum": [
            "booking_pages", "api", "payments", "bank_transfers", "notifications", "back_office"]},
            "additionalProperties": string(enum=["degraded", "partial_outage", "major_outage", "maintenance"])},
        "StatusNoticeInput": obj({
            "kind": string(enum=["incident", "maintenance"], default="incident"),
            "severity": string(enum=["S1", "S2", "S3", "S4"]), "components": ref("StatusComponents"),
            "startedAt": DATETIME, "scheduledStart": DATETIME, "scheduledEnd": DATETIME, "nextUpdateAt": DATETIME,
            "title": ref("LanguageTexts"), "body": ref("LanguageTexts"), "impact": ref("LanguageTexts"),
            "publish": {"type": "boolean", "default": False}, "overrideReason": string(maxLength=1000)},
            ("severity", "components"), closed=True),
        "StatusNoticePatch": obj({
            "status": string(enum=["investigating", "identified", "monitoring", "resolved", "scheduled",
                                   "in_progress", "completed"]),
            "components": ref("StatusComponents"), "nextUpdateAt": DATETIME,
            "title": ref("LanguageTexts"), "body": ref("LanguageTexts"), "impact": ref("LanguageTexts"),
            "publish": {"type": "boolean"}, "overrideReason": string(maxLength=1000)}, closed=True),
        "StatusUpdate": obj({"status": string(), "texts": {"type": "object"}, "publishedAt": nullable(DATETIME),
                             "nextUpdateAt": nullable(DATETIME)}, ("status", "texts")),
        "StatusNotice": obj({
            "id": PUBLIC_ID, "kind": string(enum=["incident", "maintenance"]), "severity": string(),
            "status": string(), "components": {"type": "object"}, "startedAt": nullable(DATETIME),
            "scheduledStart": nullable(DATETIME), "scheduledEnd": nullable(DATETIME),
            "publishedAt": nullable(DATETIME), "resolvedAt": nullable(DATETIME), "rcaPublished": {"type": "boolean"},
            "updates": {"type": "array", "items": ref("StatusUpdate")}},
            ("id", "kind", "severity", "status", "components", "updates")),
        "StatusSummary": obj({"generatedAt": DATETIME, "components": {"type": "object"},
                              "notices": {"type": "array", "items": ref("StatusNotice")}},
                             ("generatedAt", "components", "notices")),
    },
    **{  # the daily reconciliation (app/api/ops_reconciliation.py)
        "ReconciliationRun": obj({
            "source": string(enum=["gateway", "payouts", "settlement"]),
            "businessDate": DATE, "status": nullable(string(enum=["running", "completed", "failed"])),
            "startedAt": DATETIME, "finishedAt": nullable(DATETIME), "trigger": string(), "timesRun": integer(),
            "currency": string(),
            "internal": obj({"count": integer(minimum=0), "amount": integer(description="Signed won: + in, - out.")}),
            "external": obj({"count": integer(minimum=0), "amount": integer()}),
            "matched": integer(minimum=0), "total": integer(minimum=0),
            "matchRate": nullable(string(description="MATCHED / TOTAL as a decimal, e.g. \"0.999000\"; null when "
                                                     "the day had nothing to reconcile.")),
            "meetsSlo": {"type": "boolean", "description": "Seed 001: a match rate of at least 99.9 %."},
            "details": {"type": "object"}, "error": nullable(string())}, ("source", "status")),
        "ReconciliationItem": obj({
            "itemID": PUBLIC_ID, "key": string(), "source": string(enum=["gateway", "payouts", "settlement"]),
            "businessDate": DATE,
            "type": string(enum=["AMOUNT_MISMATCH", "STATUS_MISMATCH", "GHOST_TRANSACTION", "TIMING_MISMATCH",
                                 "INTERNAL_ONLY", "EXTERNAL_ONLY"]),
            "status": string(enum=["open", "resolved"]), "currency": string(),
            "internalAmount": nullable(integer()), "externalAmount": nullable(integer()),
            "difference": integer(description="External minus internal (a missing side counts as 0)."),
            "internal": nullable({"type": "object"}), "external": nullable({"type": "object"}),
            "firstSeenAt": DATETIME, "dueAt": DATETIME, "overdue": {"type": "boolean"}, "owner": nullable(string()),
            "resolution": nullable(obj({"action": string(), "reason": nullable(string()), "by": nullable(string()),
                                        "at": nullable(DATETIME)}))},
            ("itemID", "source", "businessDate", "type", "status", "difference", "dueAt")),
        "ReconciliationDay": obj({"businessDate": DATE, "runs": {"type": "array", "items": ref("ReconciliationRun")},
                                  "openItems": {"type": "array", "items": ref("ReconciliationItem")}},
                                 ("businessDate", "runs", "openItems")),
        "ReconciliationRunRequest": obj({"sources": {"type": "array", "minItems": 1, "items": string(
            enum=["gateway", "payouts", "settlement"])}}, closed=True),
        "ReconciliationItemList": obj({"results": {"type": "array", "items": ref("ReconciliationItem")},
                                       "page": integer(minimum=1), "pageSize": integer(minimum=1, maximum=100),
                                       "total": integer(minimum=0)}, ("results", "page", "pageSize", "total")),
        "SettlementFileStored": obj({"file": obj({
            "fileID": PUBLIC_ID, "businessDate": DATE, "origin": string(enum=["fetched", "uploaded"]),
            "fileName": string(), "sha256": string(), "rows": integer(minimum=0), "amount": integer(),
            "fee": integer(), "net": integer(), "currency": string(), "receivedAt": DATETIME}),
            "alreadyStored": {"type": "boolean"}}, ("file", "alreadyStored")),
    },
    **{  # bank statements (app/api/ops_statements.py)
        "StatementUpload": obj({
            "file": string(contentMediaType="application/octet-stream",
                           description="The statement as the bank gave it: CSV, .xlsx, .xls, MT940 or CAMT.053 "
                                       "(at most 2 MB)."),
            "account": string(maxLength=60, description="Our account the statement is of (when the file does not "
                                                       "say); the configured deposit account when left out."),
            "format": string(enum=["csv", "xlsx", "xls", "mt940", "camt053"],
                             description="Detected from the content when left out."),
            "bank": string(maxLength=60, description="CSV and Excel: the bank whose remembered column mapping to "
                                                    "use; the mapping is guessed from the headers otherwise.")},
            ("file",)),
        "StatementImport": obj({
            "importID": nullable(PUBLIC_ID), "alreadyImported": {"type": "boolean", "description": (
                "Every line was imported before (or the file is the bank's copy of a statement we have): "
                "nothing was stored.")},
            "format": string(enum=["csv", "xlsx", "xls", "mt940", "camt053"]), "account": string(),
            "statements": {"type": "array", "items": PUBLIC_ID, "description": "The statements stored."},
            "counts": obj({name: integer(minimum=0) for name in (
                "depositsMatched", "decisionsNeeded", "payoutsConfirmed", "fees", "reversals", "returns",
                "pending", "duplicates", "other")}, description="Every line of the file counted once."),
            "lines": {"type": "array", "items": obj({
                "lineID": nullable(PUBLIC_ID), "row": integer(minimum=0), "bookedOn": DATE,
                "amount": integer(description="Signed minor units: + money in, - money out."),
                "kind": string(enum=["deposit", "payout", "fee", "reversal", "payout_return", "pending",
                                     "gateway_settlement", "other"]),
                "outcome": string(description="What the line did: auto_confirmed, split, needs_decision, "
                                              "payout_confirmed, fee, reversed, returned, pending, duplicate, …"),
                "problem": nullable(string(description="Why a person must decide (needs_decision only).")),
                "bookingCode": nullable(string()), "payoutID": nullable(PUBLIC_ID)},
                ("lineID", "row", "bookedOn", "amount", "kind", "outcome"))},
            "gaps": {"type": "array", "items": {"type": "object"},
                     "description": "The account's open gaps: statements missing between two imported ones."}},
            ("importID", "alreadyImported", "format", "account", "statements", "counts", "lines", "gaps")),
        "StatementRefused": {"allOf": [ref("Error"), obj({
            "problems": {"type": "array", "items": obj({"row": integer(), "problem": string()})},
            "missingColumns": {"type": "array", "items": string(enum=["date", "memo", "deposit"])},
            "headers": {"type": "array", "items": string(), "description": "The columns the file has."},
            "breaks": {"type": "array", "items": obj({"row": integer(), "expected": integer(), "found": integer(),
                                                     "what": string(enum=["chain", "closing"])})}})]},
        "StatementLine": obj({
            "lineID": PUBLIC_ID, "account": string(), "bookedOn": DATE, "amount": integer(), "currency": string(),
            "memo": string(), "depositor": string(), "kind": string(),
            "status": string(enum=["needs_decision", "done", "outgoing", "pending"]),
            "problem": nullable(string()), "outcome": nullable(string()), "bookingCode": nullable(string()),
            "proposals": {"type": "array", "items": string(), "description": "Booking codes it may pay."},
            "importedAt": DATETIME}, ("lineID", "bookedOn", "amount", "status")),
        "StatementLineList": obj({"results": {"type": "array", "items": ref("StatementLine")},
                                  "page": integer(minimum=1), "pageSize": integer(minimum=1, maximum=100),
                                  "total": integer(minimum=0)}, ("results", "page", "pageSize", "total")),
    },
}


def error_response(description: str, schema: dict | None = None, **extra_headers) -> dict[str, Any]:
    return {**json_content(schema or ref("Error"), description), "headers": {**HEADERS, **extra_headers}}


RESPONSES = {
    "BadRequest": error_response("The request could not be understood."),
    "Unauthorized": error_response("`unauthorized`: no token, or an unknown, revoked or disabled operator's token."),
    "Forbidden": error_response("`forbidden`: the operator's role does not allow this (catalog changes need "
                                "a manager)."),
    "NotFound": error_response("`not_found`: unknown id, another hotel's room type or room, or a reservation "
                               "the token does not open."),
    "Conflict": error_response("`invalid_transition` (not possible in the current state) or "
                               "`idempotency_in_progress` (the first request with this key is still running)."),
    "SoldOutOrConflict": {"description": "`sold_out` (some night is full: `fields` is empty and `alternatives` "
                                         "lists other options), `invalid_transition` or `idempotency_in_progress`.",
                          "headers": HEADERS, "content": {"application/json": {"schema": {
                              "anyOf": [ref("SoldOutError"), ref("Error")]}}}},
    "ValidationError": error_response("`validation_error` (see `fields`), or `idempotency_conflict` (the key "
                                      "was used with another body). Nothing was changed."),
    "RateLimited": error_response(
        "`rate_limited`: anonymous clients get 10 requests a minute, signed-in ones (a genuine operator or "
        "reservation token) 100, per client (token, else remote address), in fixed one-minute windows.",
        **{"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}),
    "Unavailable": error_response("`unavailable`: the payment gateway did not answer; the sender should retry."),
}

PARAMETERS = {
    "HotelID": {"name": "hotelID", "in": "path", "required": True, "schema": {"type": "string"}},
    "RoomTypeID": {"name": "roomTypeID", "in": "path", "required": True, "schema": {"type": "string"}},
    "RoomID": {"name": "roomID", "in": "path", "required": True, "schema": {"type": "string"}},
    "ReservationID": {"name": "reservationID", "in": "path", "required": True, "schema": {"type": "string"}},
    "PaymentID": {"name": "paymentID", "in": "path", "required": True, "schema": {"type": "string"}},
    "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": False,
                       "schema": string(minLength=1, maxLength=255),
                       "description": "Required here or as the body's `idempotencyKey`. The same key and body "
                                      "again return the first response; another body gets 422."},
    "AcceptLanguage": {"name": "Accept-Language", "in": "header", "required": False, "schema": string(),
                       "description": "Language of error messages: ko, ja or en (default en)."},
    "XRequestId": {"name": "X-Request-Id", "in": "header", "required": False,
                   "schema": string(pattern="^[A-Za-z0-9._:-]{1,100}$"),
                   "description": "Echoed in the response and in errors; one is generated when absent."},
    "Page": {"name": "page", "in": "query", "schema": integer(minimum=1, default=1),
             "description": "1-based; 0 or less is 422 (never clamped)."},
    "PageSize": {"name": "pageSize", "in": "query", "schema": integer(minimum=1, maximum=100, default=20),
                 "description": "1–100; outside is 422 (never clamped)."},
    "CheckInDate": {"name": "checkInDate", "in": "query", "required": True, "schema": DATE},
    "CheckOutDate": {"name": "checkOutDate", "in": "query", "required": True, "schema": DATE},
    "BusinessDate": {"name": "businessDate", "in": "path", "required": True, "schema": DATE,
                     "description": "A business date (Korean), YYYY-MM-DD."},
    "ItemID": {"name": "itemID", "in": "path", "required": True, "schema": string(maxLength=40)},
    "NoticeID": {"name": "noticeID", "in": "path", "required": True, "schema": string(maxLength=40)},
}

COMMON = params("AcceptLanguage", "XRequestId")


def op(operation_id: str, summary: str, tag: str, responses: dict, *, security: list = PUBLIC,
       parameters: list | None = None, body: str | None = None, description: str = "") -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": operation_id, "summary": summary, "tags": [tag],
                                 "parameters": [*(parameters or []), *COMMON], "responses": responses,
                                 "security": security}
    if description:
        operation["description"] = description
    if body:
        operation["requestBody"] = {"required": True, **json_content(ref(body))}
    return operation


SEARCH_QUERY = [
    {"name": "location", "in": "query", "required": True, "schema": string(minLength=1, maxLength=100),
     "description": "City (case-insensitive)."},
    ref("CheckInDate", "parameters"), ref("CheckOutDate", "parameters"),
    {"name": "guests", "in": "query", "schema": integer(minimum=1, maximum=20, default=1)},
    {"name": "roomType", "in": "query", "schema": string(maxLength=100), "description": "Name contains."},
    {"name": "minPrice", "in": "query", "schema": integer(minimum=0), "description": "Per night."},
    {"name": "maxPrice", "in": "query", "schema": integer(minimum=0), "description": "Per night."},
    {"name": "amenities", "in": "query", "schema": string(), "description": "Comma list; all must match."},
    {"name": "sortBy", "in": "query", "schema": string(enum=["price", "rating", "name"], default="price")},
    ref("Page", "parameters"), ref("PageSize", "parameters"),
]
HOTEL = params("HotelID")
ROOM_TYPE = params("HotelID", "RoomTypeID")
ROOM = params("HotelID", "RoomID")

PATHS: dict[str, Any] = {
    "/v1/hotels/search": {"get": op(
        "searchHotels", "Hotels in a city with a room type free for every night", "Hotels",
        {**ok(ref("SearchResults"), "Matching hotels, cheapest first by default."), **errors(422)},
        parameters=SEARCH_QUERY)},
    "/v1/hotels": {"post": op(
        "createHotel", "Add a hotel (manager)", "Catalog",
        {**ok(ref("Hotel"), "The hotel, active.", "201"), **errors(401, 403, 422)},
        security=OPERATOR, body="HotelInput")},
    "/v1/hotels/{hotelID}": {
        "get": op("getHotel", "A hotel", "Hotels", {**ok(ref("Hotel"), "The hotel."), **errors(404)},
                  parameters=HOTEL),
        "put": op("updateHotel", "Change a hotel's fields (manager)", "Catalog",
                  {**ok(ref("Hotel"), "The hotel."), **errors(401, 403, 404, 422)},
                  security=OPERATOR, parameters=HOTEL, body="HotelChanges"),
        "delete": op("deactivateHotel", "Deactivate a hotel (manager)", "Catalog",
                     {**ok(ref("Hotel"), "The hotel, inactive."), **errors(401, 403, 404, 422)},
                     security=OPERATOR, parameters=HOTEL, description=(
                         "Soft delete: no new bookings, existing ones kept. An optional body "
                         "`{\"reason\": \"…\"}` is recorded. Repeating it changes nothing."))},
    "/v1/hotels/{hotelID}/room-types": {
        "get": op("listRoomTypes", "A hotel's room types", "Hotels",
                  {**ok({"type": "array", "items": ref("RoomType")}, "Room types open for booking (an operator "
                        "token also lists deactivated ones)."), **errors(401, 404)},
                  security=[{}, *OPERATOR], parameters=HOTEL),
        "post": op("createRoomType", "Add a room type (manager)", "Catalog",
                   {**ok(ref("RoomType"), "The room type, with an empty inventory until rooms are added.", "201"),
                    **errors(401, 403, 404, 422)}, security=OPERATOR, parameters=HOTEL, body="RoomTypeInput")},
    "/v1/hotels/{hotelID}/room-types/{roomTypeID}": {
        "put": op("updateRoomType", "Change a room type (manager)", "Catalog",
                  {**ok(ref("RoomType"), "The room type."), **errors(401, 403, 404, 422)},
                  security=OPERATOR, parameters=ROOM_TYPE, body="RoomTypeChanges"),
        "delete": op("deactivateRoomType", "Deactivate a room type (manager)", "Catalog",
                     {**ok(ref("RoomType"), "The room type, inactive: no new bookings, existing ones kept."),
                      **errors(401, 403, 404)}, security=OPERATOR, parameters=ROOM_TYPE)},
    "/v1/hotels/{hotelID}/room-types/{roomTypeID}/rates": {"put": op(
        "setRates", "Price the nights of a date range (manager)", "Catalog",
        {**ok(ref("RatesResult"), "How many nights were priced."), **errors(401, 403, 404, 422)},
        security=OPERATOR, parameters=ROOM_TYPE, body="RatesInput")},
    "/v1/hotels/{hotelID}/availability": {"get": op(
        "getAvailability", "Rooms left and prices per night", "Hotels",
        {**ok(ref("Availability"), "Per room type: the least available over the nights, the stay's price "
              "for one room and each night."), **errors(404, 422)},
        parameters=[*HOTEL, ref("CheckInDate", "parameters"), ref("CheckOutDate", "parameters"),
                    {"name": "roomTypeID", "in": "query", "schema": {"type": "string"}}])},
    "/v1/hotels/{hotelID}/rooms": {"post": op(
        "createRoom", "Add a room (manager); the inventory grows", "Catalog",
        {**ok(ref("Room"), "The room.", "201"), **errors(401, 403, 404, 422)},
        security=OPERATOR, parameters=HOTEL, body="RoomInput")},
    "/v1/hotels/{hotelID}/rooms/{roomID}": {
        "get": op("getRoom", "A room (staff)", "Catalog", {**ok(ref("Room"), "The room."), **errors(401, 404)},
                  security=OPERATOR, parameters=ROOM),
        "put": op("updateRoom", "Change a room (staff; moving it to another type needs a manager)", "Catalog",
                  {**ok(ref("Room"), "The room; inventory totals follow its status and type."),
                   **errors(401, 403, 404, 409, 422)}, security=OPERATOR, parameters=ROOM, body="RoomChanges"),
        "delete": op("removeRoom", "Remove a room (manager); the inventory shrinks", "Catalog",
                     {**ok(ref("Room"), "The room, inactive (kept for history)."), **errors(401, 403, 404)},
                     security=OPERATOR, parameters=ROOM)},
    "/v1/reservations": {
        "post": op("createReservation", "Hold rooms for a stay", "Reservations",
                   {**ok(ref("ReservationCreated"), "A pending reservation; the same key and body again give "
                         "this same body. With a coupon worth the whole price it is `paid` at once: "
                         "`totalPrice` 0, `discount` the list price, `holdExpiresAt` null, nothing to pay.",
                         "201"), "409": ref("SoldOutOrConflict", "responses"),
                    **errors(404, 422)}, parameters=params("IdempotencyKey"), body="ReservationRequest"),
        "get": op("listReservations", "Reservations (staff)", "Reservations",
                  {**ok(ref("ReservationList"), "Newest first."), **errors(401, 422)}, security=OPERATOR,
                  parameters=[{"name": "guestEmail", "in": "query", "schema": string(format="email")},
                              {"name": "hotelID", "in": "query", "schema": {"type": "string"}},
                              {"name": "status", "in": "query", "schema": RECEIPT["status"]},
                              ref("Page", "parameters"), ref("PageSize", "parameters")])},
    "/v1/reservations/{reservationID}": {
        "get": op("getReservation", "A reservation", "Reservations",
                  {**ok(ref("Reservation"), "With its payments and refunds."), **errors(401, 404)},
                  security=OWNER_OR_OPERATOR, parameters=params("ReservationID")),
        "put": op("changeReservation", "Change dates, room type or rooms: all or nothing", "Reservations",
                  {**ok(ref("Reservation"), "The changed reservation (with `refund` when the price dropped on "
                        "a paid booking)."), "409": ref("SoldOutOrConflict", "responses"), **errors(401, 404, 422)},
                  security=OWNER_OR_OPERATOR, parameters=params("ReservationID"), body="ReservationChanges"),
        "delete": op("cancelReservation", "Cancel; a paid booking gets a refund decided by the policy",
                     "Reservations", {**ok(ref("Reservation"), "The canceled reservation with `refund` "
                                           "(null when nothing was paid, as for a booking a coupon paid in "
                                           "full)."), **errors(401, 404, 409)},
                     security=OWNER_OR_OPERATOR, parameters=params("ReservationID"))},
    "/v1/payments": {"post": op(
        "createPayment", "Pay what a reservation owes", "Payments",
        {**ok(ref("Payment"), "Card: `completed` or `failed` (declined), or `pending` when the gateway timed "
              "out (settled later by its webhook). Bank transfer: `pending` with `depositInstructions`. The "
              "same key and body again give this same body.", "201"), **errors(401, 404, 409, 422)},
        security=OWNER_OR_OPERATOR, parameters=params("IdempotencyKey"), body="PaymentRequest",
        description="Card details are checked (Luhn, expiry, CVC) before anything is recorded; they are "
                    "never stored or logged, only the gateway's token and the last four digits.")},
    "/v1/payments/{paymentID}": {"get": op(
        "getPayment", "A payment", "Payments", {**ok(ref("Payment"), "The payment."), **errors(401, 404)},
        security=OWNER_OR_OPERATOR, parameters=params("PaymentID"))},
    "/v1/webhooks/gateway": {"post": op(
        "gatewayWebhook", "The payment gateway reports a charge", "Payments",
        {**ok(ref("WebhookAck"), "Received. The outcome is asked from the gateway, never taken from the body; "
              "receiving the same webhook twice changes nothing."), **errors(401, 422, 503)},
        security=[{"gatewaySignature": []}], body="WebhookEvent")},
    "/v1/ops/reconciliation/days/{businessDate}": {"get": op(
        "getReconciliationDay", "A day's three reconciliations and its open differences (staff)", "Reconciliation",
        {**ok(ref("ReconciliationDay"), "Card payments (gateway), payouts and settlement, each with both sides' "
              "totals and the match rate; a source never run has status null."), **errors(401, 403, 404)},
        security=OPERATOR, parameters=params("BusinessDate"))},
    "/v1/ops/reconciliation/days/{businessDate}/runs": {"post": op(
        "reconcileDay", "Reconcile a day now (staff)", "Reconciliation",
        {**ok(ref("ReconciliationDay"), "What the runs found. Running a day again gives the same differences (none "
              "twice) and keeps what people decided; it never changes a booking or a payment. A source that could "
              "not run says why in `error` (e.g. the gateway's file is missing)."), **errors(401, 403, 404, 409, 422)},
        security=OPERATOR, parameters=params("BusinessDate"), description=(
            "An optional JSON body `{\"sources\": [\"gateway\", \"payouts\", \"settlement\"]}` picks the "
            "sources (all three when left out). The gateway's settlement file is fetched first when none is "
            "stored for the day."))},
    "/v1/ops/reconciliation/settlement-files": {"post": op(
        "uploadSettlementFile", "Store the gateway's settlement file of a day (staff)", "Reconciliation",
        {**ok(ref("SettlementFileStored"), "Stored.", "201"),
         **ok(ref("SettlementFileStored"), "The very same file was stored before; nothing changed."),
         **errors(401, 403, 422)}, security=OPERATOR, description=(
            "The file as the gateway sent it (CSV, app/payments/settlement.py): multipart form field `file`, or "
            "the raw bytes as the body (`X-File-Name` optional). A file whose rows do not add up to its TOTAL "
            "row is refused with 422 and nothing is stored. Reconcile the day afterwards."))},
    "/v1/ops/reconciliation/items": {"get": op(
        "listReconciliationItems", "Reconciliation differences (staff)", "Reconciliation",
        {**ok(ref("ReconciliationItemList"), "Soonest due first."), **errors(401, 403, 422)}, security=OPERATOR,
        parameters=[{"name": "status", "in": "query", "schema": string(enum=["open", "resolved", "all"],
                                                                         default="open")},
                    {"name": "source", "in": "query", "schema": string(enum=["gateway", "payouts", "settlement"])},
                    {"name": "type", "in": "query", "schema": string()},
                    {"name": "date", "in": "query", "schema": DATE},
                    ref("Page", "parameters"), ref("PageSize", "parameters")])},
    "/v1/ops/reconciliation/items/{itemID}": {"get": op(
        "getReconciliationItem", "One difference with both sides (staff)", "Reconciliation",
        {**ok(ref("ReconciliationItem"), "The item."), **errors(401, 403, 404)}, security=OPERATOR,
        parameters=params("ItemID"))},
    "/v1/ops/statements": {"post": {**op(
        "importStatement", "Import a bank statement file (staff)", "Statements",
        {**ok(ref("StatementImport"), "Imported: every line with what it did, and the counts.", "201"),
         **ok(ref("StatementImport"), "Already imported: every line was stored before; nothing changed."),
         "422": {"description": "`validation_error`: the file cannot be read (`problems` by row), its required "
                                "columns were not found (`missingColumns`), or its balances do not add up "
                                "(`breaks`; import it from the back office with a manager's reason). Nothing "
                                "was imported.", "headers": HEADERS,
                 "content": {"application/json": {"schema": ref("StatementRefused")}}},
         **errors(401, 403)}, security=OPERATOR, description=(
            "The same import as the back office's upload, for scripts (and `flask statements import FILE`): "
            "money in is matched to bookings (exact matches are confirmed, the rest wait for a person), payouts "
            "confirmed, fees and reversals recorded. Importing the same file again changes nothing.")),
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": ref("StatementUpload")}}}}},
    "/v1/ops/statements/lines": {"get": op(
        "listStatementLines", "Statement lines, by default those waiting for a person (staff)", "Statements",
        {**ok(ref("StatementLineList"), "Oldest first."), **errors(401, 403, 422)}, security=OPERATOR,
        parameters=[{"name": "status", "in": "query", "schema": string(
            enum=["needs_decision", "done", "outgoing", "pending"], default="needs_decision")},
                    ref("Page", "parameters"), ref("PageSize", "parameters")])},
    "/v1/status": {"get": op(
        "getStatus", "The public status: each component's level and the open notices", "Status",
        {**ok(ref("StatusSummary"), "Published notices only, with their texts in ko, ja and en."), **errors()})},
    "/v1/status/incidents": {"post": op(
        "createStatusNotice", "Write an incident or planned maintenance notice (staff)", "Status",
        {**ok(ref("StatusNotice"), "The notice: a draft, or published when `publish` was true and allowed.", "201"),
         **errors(401, 403, 404, 409, 422)}, security=OPERATOR, body="StatusNoticeInput", description=(
            "Publishing (`publish: true`) follows seed 002 D: every language's title, body and impact written "
            "(else 422 naming the fields, e.g. `ja.title`); S1 at once, S2 once it has lasted 10 minutes, planned "
            "maintenance at least 3 Korean business days ahead — sooner only with `overrideReason` from a "
            "manager's token (staff: 403). A refused publish leaves the draft."))},
    "/v1/status/{noticeID}": {"patch": op(
        "updateStatusNotice", "Change a draft, publish it, or post an update (staff)", "Status",
        {**ok(ref("StatusNotice"), "The notice."), **errors(401, 403, 404, 409, 422)}, security=OPERATOR,
        parameters=params("NoticeID"), body="StatusNoticePatch", description=(
            "A draft: the texts replace the draft's, `publish: true` publishes it (the same rules as creating). "
            "A published notice: the body is a new update, published at once in ko, ja and en; `status` moves "
            "by the transition table (investigating → identified → monitoring → resolved; scheduled → "
            "in_progress → completed), else 409."))},
    "/v1/openapi.json": {"get": op(
        "getOpenAPIDocument", "This document", "Meta", {**ok({"type": "object"}, "OpenAPI 3.1."), **errors()})},
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Frontdesk API", "version": "1.0.0",
        "description": (
            "Book hotel room types for nights, pay, and run the catalog. JSON in and out; dates are "
            "YYYY-MM-DD (a night is the hotel's local date); money is `{\"amount\": int, \"currency\": "
            "\"KRW\"}` in whole minor units; ids are strings. Errors are "
            "`{\"error\": {code, message, fields, requestId}}`. Rate limits: anonymous 10 requests a minute, "
            "signed-in 100, per client; every response carries X-RateLimit-Limit and X-RateLimit-Remaining, "
            "a refused one Retry-After."),
    },
    "servers": [{"url": "/"}],
    "tags": [{"name": "Hotels"}, {"name": "Catalog"}, {"name": "Reservations"}, {"name": "Payments"},
             {"name": "Reconciliation"}, {"name": "Statements"}, {"name": "Status"}, {"name": "Meta"}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "responses": RESPONSES,
        "parameters": PARAMETERS,
        "headers": {
            "XRequestId": {"schema": string(), "description": "The request id (the client's own when sent)."},
            "XRateLimitLimit": {"schema": integer(), "description": "Requests allowed in this minute."},
            "XRateLimitRemaining": {"schema": integer(), "description": "Requests left in this minute."},
            "XRateLimitReset": {"schema": integer(), "description": "Seconds until this minute's window ends."},
            "RetryAfter": {"schema": integer(), "description": "Seconds until the next window."},
        },
        "securitySchemes": {
            "operatorToken": {"type": "http", "scheme": "bearer", "bearerFormat": "fdt_…",
                              "description": "An operator's API token (`flask tokens create EMAIL`)."},
            "reservationToken": {"type": "http", "scheme": "bearer", "bearerFormat": "rat_…",
                                 "description": "The `accessToken` returned when the reservation was created; "
                                                "opens that reservation and its payments only."},
            "gatewaySignature": {"type": "apiKey", "in": "header", "name": "X-Sandbox-Signature",
                                 "description": "HMAC-SHA256 of the raw body with the shared webhook secret."},
        },
    },
}


@bp.get("/openapi.json")
def openapi_document_endpoint():
    return jsonify(DOCUMENT)
