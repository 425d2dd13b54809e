"""Which booking a deposit pays: by the booking code in the memo, else by name and amount.

Pure rules first (`normalize`, `find_codes`, `near_misses`, `names_match`), then
`analyze`, which reads the bookings a line may pay and says what it found:

* code + exact amount owed → confirmed without a person (PROBLEM None);
* several codes whose amounts owed add up exactly → split without a person;
* anything else is a problem for a person (PROBLEMS), with proposals.

Codes are compared ignoring case, spaces, hyphens and leading zeros after
"FD"; a code one character off is only ever a proposal. Name + amount is
only ever a proposal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from app.booking.models import Reservation
from app.booking.services import outstanding_amount
from app.booking.states import ReservationStatus
from app.core import clock
from app.extensions import db

#: How far back a deposit may still belong to a booking (bookings created since).
LOOKBACK = timedelta(days=60)

PROBLEMS = {
    "exact": _l("Matches a booking exactly: confirm it."),
    "short": _l("Less money than the booking costs."),
    "over": _l("More money than the booking costs."),
    "already_paid": _l("The booking in the memo is already paid."),
    "expired": _l("The booking in the memo was canceled because its time ran out."),
    "near_miss": _l("The memo has a booking code that is one character off."),
    "name_amount": _l("No booking code, but the sender's name and the amount match a waiting booking."),
    "name_differs": _l("No booking code; the amount matches a waiting booking but the sender's name differs."),
    "unknown": _l("No booking found for this deposit."),
    "split_mismatch": _l("The memo names several bookings but the amounts do not add up."),
    "not_payable": _l("The booking in the memo cannot take a payment any more."),
}


def normalize(text: str) -> str:
    """Upper case, letters and digits only: 'fd-7k3 m9q' → 'FD7K3M9Q'."""
    return re.sub(r"[^0-9A-Z]", "", (text or "").upper())


def canonical_code(code: str) -> str:
    """'FD007K3M' → 'FD7K3M': leading zeros after FD do not count."""
    code = normalize(code)
    if code.startswith("FD"):
        core = code[2:].lstrip("0") or "0"
        return "FD" + core
    return code


def canonical_memo(memo: str) -> str:
    return re.sub(r"FD0+", "FD", normalize(memo))


def find_codes(memo: str, codes: list[str]) -> list[str]:
    """The codes (as given) that appear in the memo, longest first, none inside another."""
    text = canonical_memo(memo)
    found = [c for c in codes if canonical_code(c) in text]
    found.sort(key=lambda c: -len(canonical_code(c)))
    kept: list[str] = []
    for c in found:
        if not any(canonical_code(c) in canonical_code(k) for k in kept):
            kept.append(c)
    return kept


def _one_edit_apart(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    if len(a) > len(b):
        a, b = b, a
    for i in range(len(b)):
        if b[:i] + b[i + 1:] == a:
            return True
    return False


def near_misses(memo: str, codes: list[str]) -> list[str]:
    """Codes one character off (changed, missing or extra) from a code-like part of the memo."""
    text = canonical_memo(memo)
    starts = [m.start() for m in re.finditer("FD", text)]
    out = []
    for code in codes:
        canon = canonical_code(code)
        n = len(canon)
        windows = {text[s:s + k] for s in starts for k in (n - 1, n, n + 1)}
        if any(_one_edit_apart(w, canon) for w in windows):
            out.append(code)
    return out


def _name_forms(first: str, last: str) -> set[str]:
    first, last = re.sub(r"\s+", "", first or "").lower(), re.sub(r"\s+", "", last or "").lower()
    return {f for f in (first + last, last + first) if f}


def names_match(sender: str, reservation: Reservation) -> bool:
    """The sender's name is the guest's, in either order, ignoring spaces and case."""
    sender = re.sub(r"\s+", "", sender or "").lower()
    if not sender:
        return False
    return any(form in sender or sender in form for form in
               _name_forms(reservation.guest_first_name, reservation.guest_last_name) if len(sender) >= 2)


def sender_of(line) -> str:
    """The depositor's name: its own column, else the memo without booking-code-like words."""
    if line.depositor:
        return line.depositor.strip()
    words = [w for w in (line.memo or "").split() if not re.search(r"(?i)f\s*d[-\s]?[0-9a-z]{3,}", w)
             and not normalize(w).startswith("FD")]
    return " ".join(words).strip()


@dataclass
class Analysis:
    problem: str | None
    reservation: Reservation | None = None
    owed: int = 0
    proposals: list[Reservation] = field(default_factory=list)
    split: list[tuple[Reservation, int]] = field(default_factory=list)
    name_ok: bool = True

    @property
    def automatic(self) -> bool:
        return self.problem is None


def _candidates() -> list[Reservation]:
    since = clock.now() - LOOKBACK
    return list(db.session.scalars(select(Reservation).where(
        Reservation.payment_method == "bank_transfer", Reservation.created_at >= since)
        .order_by(Reservation.id)))


def _for_reservation(line, r: Reservation, sender: str) -> Analysis:
    owed = outstanding_amount(r)
    name_ok = not sender or names_match(sender, r)
    if r.status == ReservationStatus.CANCELED:
        return Analysis("expired", r, owed, name_ok=name_ok)
    if r.status != ReservationStatus.PENDING:
        return Analysis("already_paid" if r.status in (ReservationStatus.PAID, ReservationStatus.CHECKED_IN,
                                                      ReservationStatus.CHECKED_OUT) else "not_payable",
                        r, owed, name_ok=name_ok)
    if owed <= 0:
        return Analysis("already_paid", r, owed, name_ok=name_ok)
    if line.amount == owed:
        return Analysis(None, r, owed, name_ok=name_ok)
    return Analysis("short" if line.amount < owed else "over", r, owed, name_ok=name_ok)


def analyze(line) -> Analysis:
    """What this deposit line pays, read now (see the module doc). Only reads."""
    sender = sender_of(line)
    if line.reservation_id is not None:  # a person assigned it
        r = db.session.get(Reservation, line.reservation_id)
        return _for_reservation(line, r, sender)
    candidates = _candidates()
    by_code = {r.code: r for r in candidates}
    codes = find_codes(line.memo + " " + line.depositor, list(by_code))
    if len(codes) == 1:
        return _for_reservation(line, by_code[codes[0]], sender)
    if len(codes) > 1:
        rs = [by_code[c] for c in codes]
        owed = [(r, outstanding_amount(r)) for r in rs]
        if all(r.status == ReservationStatus.PENDING and o > 0 for r, o in owed) \
                and sum(o for _r, o in owed) == line.amount:
            return Analysis(None, None, line.amount, split=owed)
        return Analysis("split_mismatch", None, sum(o for _r, o in owed), proposals=rs)
    near = near_misses(line.memo + " " + line.depositor, list(by_code))
    if near:
        return Analysis("near_miss", None, 0, proposals=[by_code[c] for c in near])
    waiting = [r for r in candidates if r.status == ReservationStatus.PENDING and outstanding_amount(r) == line.amount]
    named = [r for r in waiting if names_match(sender, r)]
    if named:
        return Analysis("name_amount", None, line.amount, proposals=named)
    if waiting:
        return Analysis("name_differs", None, line.amount, proposals=waiting[:10], name_ok=False)
    return Analysis("unknown")


def search_bookings(query: str, limit: int = 20) -> list[Reservation]:
    """Bookings by code (tolerant), guest name or e-mail, or amount, newest first."""
    query = (query or "").strip()
    if not query:
        return []
    conditions = []
    digits = query.replace(",", "").replace("원", "").strip()
    if digits.isdigit():
        conditions.append(Reservation.total_amount == int(digits))
    canon = normalize(query)
    if canon:
        if not canon.startswith("FD"):
            canon = "FD" + canon
        conditions.append(Reservation.code.like(canon[:8] + "%"))
    like = f"%{query}%"
    conditions += [Reservation.guest_last_name.ilike(like), Reservation.guest_first_name.ilike(like),
                   Reservation.guest_email.ilike(like)]
    found = list(db.session.scalars(select(Reservation).where(or_(*conditions))
                                    .order_by(Reservation.created_at.desc()).limit(limit)))
    if not found and canon:  # tolerate leading zeros and one character off
        found = [r for r in _candidates() if canonical_code(r.code) == canonical_code(canon)
                 or _one_edit_apart(canonical_code(r.code), canonical_code(canon))][:limit]
    return found
