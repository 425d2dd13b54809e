"""Read helpers behind the Today counts and their list pages (all read-only)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from app.booking.models import BookingConflict, ConflictResolution, Reservation
from app.booking.states import ReservationStatus
from app.catalog.models import Hotel
from app.core import clock
from app.extensions import db
from app.ops import policies
from app.payments.states import PaymentMethod

LIST_LIMIT = 200


# --- bank-transfer orders waiting for a deposit ------------------------------------

def _waiting_transfers():
    # A booking whose time ended with part paid waits for a person instead (app.deposits.shortfall).
    return (Reservation.status == ReservationStatus.PENDING,
            Reservation.payment_method == PaymentMethod.BANK_TRANSFER, Reservation.payment_shortfall_at.is_(None))


@dataclass
class CountWithSoonest:
    count: int
    soonest: datetime | None  # the earliest deadline among them


def count_waiting_transfers() -> CountWithSoonest:
    """Bank-transfer orders still waiting for their deposit, and the soonest automatic cancel."""
    count, soonest = db.session.execute(
        select(func.count(), func.min(Reservation.hold_expires_at)).where(*_waiting_transfers())).one()
    return CountWithSoonest(count, _aware(soonest))


def list_waiting_transfers(limit: int = LIST_LIMIT) -> list[Reservation]:
    """Waiting bank-transfer orders, oldest first (the first to be canceled first)."""
    return list(db.session.scalars(
        select(Reservation).options(joinedload(Reservation.hotel), joinedload(Reservation.room_type))
        .where(*_waiting_transfers())
        .order_by(Reservation.hold_expires_at.asc().nulls_last(), Reservation.created_at, Reservation.id)
        .limit(limit)))


# --- card holds about to expire ------------------------------------------------------

def _card_holds():
    return (Reservation.status == ReservationStatus.PENDING, Reservation.payment_method == PaymentMethod.CARD)


def count_expiring_holds(now: datetime, within: timedelta = policies.HOLD_EXPIRING_WITHIN) -> CountWithSoonest:
    """Pending card holds whose rooms go back on sale within `within` (not yet expired)."""
    count, soonest = db.session.execute(
        select(func.count(), func.min(Reservation.hold_expires_at)).where(
            *_card_holds(), Reservation.hold_expires_at > now, Reservation.hold_expires_at <= now + within)).one()
    return CountWithSoonest(count, _aware(soonest))


def list_card_holds(limit: int = LIST_LIMIT) -> list[Reservation]:
    """Every pending card hold, the soonest to expire first."""
    return list(db.session.scalars(
        select(Reservation).options(joinedload(Reservation.hotel), joinedload(Reservation.room_type))
        .where(*_card_holds()).order_by(Reservation.hold_expires_at.asc().nulls_last(), Reservation.id)
        .limit(limit)))


# --- tomorrow's arrivals without a room ----------------------------------------------

def tomorrow_by_timezone(now: datetime) -> dict[str, date]:
    """Each hotel time zone in use → tomorrow's date there."""
    zones = db.session.scalars(select(Hotel.timezone).distinct()).all()
    return {tz: clock.to_local(now, tz).date() + timedelta(days=1) for tz in zones}


def _arrivals_without_room(now: datetime):
    tomorrow = tomorrow_by_timezone(now)
    if not tomorrow:
        return None
    return and_(Reservation.status == ReservationStatus.PAID, Reservation.room_id.is_(None),
                or_(*(and_(Hotel.timezone == tz, Reservation.check_in == day) for tz, day in tomorrow.items())))


def count_arrivals_without_room(now: datetime) -> int:
    """Paid bookings arriving tomorrow (in their hotel's time zone) with no room assigned."""
    condition = _arrivals_without_room(now)
    if condition is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(Reservation)
                             .join(Hotel, Hotel.id == Reservation.hotel_id).where(condition))


def list_arrivals_without_room(now: datetime, limit: int = LIST_LIMIT) -> list[Reservation]:
    condition = _arrivals_without_room(now)
    if condition is None:
        return []
    return list(db.session.scalars(
        select(Reservation).join(Hotel, Hotel.id == Reservation.hotel_id)
        .options(joinedload(Reservation.hotel), joinedload(Reservation.room_type))
        .where(condition).order_by(Hotel.name, Reservation.room_type_id, Reservation.id).limit(limit)))


# --- booking conflicts ---------------------------------------------------------------

def count_conflicts_to_review() -> CountWithSoonest:
    """Conflicts waiting for a person (PENDING_REVIEW), and when the oldest happened."""
    count, oldest = db.session.execute(select(func.count(), func.min(BookingConflict.created_at)).where(
        BookingConflict.resolution == ConflictResolution.PENDING_REVIEW)).one()
    return CountWithSoonest(count, _aware(oldest))


def count_conflicts_since(since: datetime) -> int:
    """Every conflict recorded since `since`, whatever its resolution (seed 000 counts failures)."""
    return db.session.scalar(select(func.count()).select_from(BookingConflict)
                             .where(BookingConflict.created_at >= since))


def conflict_alert(now: datetime) -> tuple[int, dict]:
    """(conflicts in the last hour, their CONFLICT_ALERT_LEVELS row)."""
    last_hour = count_conflicts_since(now - timedelta(hours=1))
    return last_hour, policies.compute_conflict_alert_level(last_hour)


def list_conflicts_to_review(limit: int = LIST_LIMIT) -> list[BookingConflict]:
    """Conflicts waiting for review, oldest first."""
    return list(db.session.scalars(
        select(BookingConflict).options(joinedload(BookingConflict.hotel), joinedload(BookingConflict.room_type))
        .where(BookingConflict.resolution == ConflictResolution.PENDING_REVIEW)
        .order_by(BookingConflict.created_at, BookingConflict.id).limit(limit)))


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates (MIN) skip the column type on SQLite and come back naive: tag them UTC."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns MIN() of a datetime column as text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        from datetime import timezone

        return value.replace(tzinfo=timezone.utc)
    return value


# --- the reservation pages -----------------------------------------------------------

#: characters a phone number may be written with besides its digits ("+82 (10) 3456-7890").
_PHONE_PUNCTUATION = ("-", " ", "+", "(", ")", ".", "/")
#: shortest part of a booking code that is looked for inside codes (shorter: exact codes only)
MIN_PARTIAL_CODE = 4
#: shortest run of digits treated as (part of) a phone number
MIN_PHONE_DIGITS = 7
#: shortest id (with its prefix, e.g. "pay_5d7e") matched by its beginning
MIN_PARTIAL_ID = 8


def _digits_only(column):
    """`column` with phone punctuation removed, in SQL (PostgreSQL and SQLite): no schema change."""
    for ch in _PHONE_PUNCTUATION:
        column = func.replace(column, ch, "")
    return column


def phone_variants(term: str) -> list[str]:
    """The digits of `term` as a Korean number may be stored: national ("010…") and with the
    country code ("8210…"); [] when there are too few digits to be a phone number."""
    digits = "".join(ch for ch in term if ch.isdigit())
    if len(digits) < MIN_PHONE_DIGITS:
        return []
    variants = {digits}
    if digits.startswith("82") and len(digits) > 9:
        rest = digits[2:].lstrip("0")
        variants |= {"0" + rest, "82" + rest}
    elif digits.startswith("0"):
        variants.add("82" + digits[1:])
    return sorted(variants)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ids_matching(term: str) -> list:
    """Conditions on Reservation.id for a payment, refund or payout id (whole, or its first
    MIN_PARTIAL_ID characters or more)."""
    from app.payments.models import Payment
    from app.refunds.models import Refund
    from app.remittance.models import Payout

    raw = term.strip()
    if "_" not in raw or len(raw) > 64 or any(ch.isspace() for ch in raw):
        return []
    value = raw.lower()
    prefix = value.split("_", 1)[0]
    pattern = _like_escape(value) + "%"

    def matches(column):
        return column == value if len(value) < MIN_PARTIAL_ID else column.like(pattern, escape="\\")

    conditions = []
    if prefix == "pay":
        conditions.append(Reservation.id.in_(select(Payment.reservation_id).where(matches(Payment.public_id))))
    elif prefix == "rfd":
        conditions.append(Reservation.id.in_(select(Refund.reservation_id).where(matches(Refund.public_id))))
    elif prefix == "po":
        conditions.append(Reservation.id.in_(select(Payout.reservation_id).where(matches(Payout.public_id),
                                                                                 Payout.reservation_id.is_not(None))))
        conditions.append(Reservation.id.in_(select(Refund.reservation_id).join(Payout, Payout.refund_id == Refund.id)
                                             .where(matches(Payout.public_id))))
    elif prefix == "rsv":
        conditions.append(matches(Reservation.public_id))
    return conditions


def find_reservations(term: str, limit: int = LIST_LIMIT) -> list[Reservation]:
    """Reservations matching `term`, newest first: a booking code or any part of it of at least
    MIN_PARTIAL_CODE characters (ignoring case, spaces and hyphens), the guest's e-mail, the
    guest's name in either order ("오지현", "지현 오", "Oh Jihyun"), a phone number written any
    way ("01034567890", "010 3456 7890", "+82 10-3456-7890"), or a payment, refund or payout id
    (pay_…, rfd_…, po_…). Any input is safe: no match is an empty list."""
    term = (term or "").strip()[:200]
    if not term:
        return []
    compact = "".join(ch for ch in term if ch.isalnum()).upper()
    lowered = term.lower()
    joined = _like_escape("".join(lowered.split()))
    like = f"%{_like_escape(lowered)}%"
    first, last = Reservation.guest_first_name, Reservation.guest_last_name
    conditions = [func.lower(Reservation.guest_email) == lowered,
                  func.lower(Reservation.guest_first_name + " " + Reservation.guest_last_name).like(like, escape="\\"),
                  Reservation.public_id == term]
    if joined:
        conditions += [func.lower(last + first).like(f"%{joined}%", escape="\\"),
                       func.lower(first + last).like(f"%{joined}%", escape="\\")]
    if compact:
        conditions.append(Reservation.code == compact)
        if len(compact) >= MIN_PARTIAL_CODE and compact.isascii():
            conditions.append(Reservation.code.like(f"%{compact}%"))
    digits_stored = _digits_only(Reservation.guest_phone)
    for variant in phone_variants(term):
        conditions.append(digits_stored.like(f"%{variant}%"))
    conditions += _ids_matching(term)
    return list(db.session.scalars(select(Reservation).where(or_(*conditions))
                                   .order_by(Reservation.created_at.desc()).limit(limit)))


def recent_reservations(limit: int = 20) -> list[Reservation]:
    return list(db.session.scalars(select(Reservation).order_by(Reservation.created_at.desc()).limit(limit)))


def reservation_history(reservation_id: int, limit: int = 200) -> list:
    """The reservation's audit events, oldest first."""
    from app.core.audit import AuditEvent

    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.reservation_id == reservation_id)
                                   .order_by(AuditEvent.created_at, AuditEvent.id).limit(limit)))


def reservation_money(reservation_id: int) -> tuple[list, list]:
    """(payments, refunds) of a reservation, oldest first."""
    from app.payments.models import Payment
    from app.refunds.models import Refund

    payments = list(db.session.scalars(select(Payment).where(Payment.reservation_id == reservation_id)
                                       .order_by(Payment.id)))
    refunds = list(db.session.scalars(select(Refund).where(Refund.reservation_id == reservation_id)
                                      .order_by(Refund.id)))
    return payments, refunds


# --- the business day (operators' time zone) --------------------------------------------

def business_timezone() -> str:
    from flask import current_app

    return current_app.config.get("FRONTDESK_TIMEZONE") or "Asia/Seoul"


def day_bounds(day: date, tz_name: str | None = None) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) of a local calendar day, as aware UTC datetimes."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz_name or business_timezone())
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = start + timedelta(days=1)
    return start.astimezone(timezone.utc), datetime(end.year, end.month, end.day, tzinfo=zone).astimezone(timezone.utc)


def local_today(now: datetime) -> date:
    return clock.to_local(now, business_timezone()).date()


# --- morning: today's bank statement, the fund against today's payouts -----------------

def statement_uploaded_at(now: datetime) -> datetime | None:
    """When the first bank statement of today (local day) was imported; None before one is.

    A file imported again as an identical copy does not count: it brings no new lines."""
    from app.deposits.models import BankStatement

    start, end = day_bounds(local_today(now))
    return _aware(db.session.scalar(select(func.min(BankStatement.created_at)).where(
        BankStatement.created_at >= start, BankStatement.created_at < end,
        BankStatement.copy_duplicate.is_(False))))


#: Payouts that will draw on the fund without a person deciding first.
PAYOUT_STATUSES_DUE = ("requested", "processing", "held_by_breaker", "transfer_failed")


@dataclass
class PayoutsDue:
    count: int
    amount: int
    currency: str


def payouts_due_today(now: datetime, currency: str) -> PayoutsDue:
    """Payouts expected to go out by the end of today (local day): waiting, being sent, held by
    the breaker, or failed with a retry due today. Those waiting for a person are not counted."""
    from app.remittance.models import Payout

    _start, end = day_bounds(local_today(now))
    count, amount = db.session.execute(
        select(func.count(Payout.id), func.coalesce(func.sum(Payout.amount), 0)).where(
            Payout.status.in_(PAYOUT_STATUSES_DUE), Payout.currency == currency,
            or_(Payout.next_attempt_at.is_(None), Payout.next_attempt_at < end))).one()
    return PayoutsDue(count, int(amount), currency)


# --- afternoon: volume so far -------------------------------------------------------------

def count_bookings_between(since: datetime, until: datetime) -> int:
    """Reservations created in [since, until) (every status: the demand that reached us)."""
    return db.session.scalar(select(func.count()).select_from(Reservation).where(
        Reservation.created_at >= since, Reservation.created_at < until)) or 0


# --- closing: the handover note ------------------------------------------------------------

def latest_handover_note():
    """The most recent shift handover note, or None."""
    from app.ops.models import HandoverNote

    return db.session.scalar(select(HandoverNote).order_by(HandoverNote.created_at.desc(), HandoverNote.id.desc())
                             .limit(1))


def list_handover_notes(limit: int = 20) -> list:
    from app.ops.models import HandoverNote

    return list(db.session.scalars(select(HandoverNote).order_by(HandoverNote.created_at.desc(),
                                                                 HandoverNote.id.desc()).limit(limit)))


def get_handover_note(note_id: int):
    from app.ops.models import HandoverNote

    return db.session.get(HandoverNote, note_id)
