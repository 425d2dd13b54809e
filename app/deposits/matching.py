"""Which booking a deposit pays: by the booking code in the memo, else by name and amount.

Pure rules first (`normalize`, `find_codes`, `near_misses`, `names_match`), then
`analyze_many`, which reads the bookings the lines may pay once and says, per
line, what it found (`analyze` is the same for one line):

* code + exact amount owed → confirmed without a person (PROBLEM None);
* several codes whose amounts owed add up exactly → split without a person;
* anything else is a problem for a person (PROBLEMS), with proposals.

Codes are compared ignoring case, spaces, hyphens and leading zeros after
"FD"; a code one character off is only ever a proposal. Name + amount is
only ever a proposal, and so is a deposit dated before its booking was made.

Speed: the bookings of the last 60 days are read once as plain rows with one
grouped ledger query for what each has paid, and codes are found by looking
up the parts of a memo that start with "FD" in a dict of codes, so matching a
day's statement costs about one lookup per memo, not one per memo and booking.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, func, or_, select, type_coerce

from app.booking.models import Reservation
from app.booking.states import ReservationStatus
from app.core import clock
from app.extensions import db

#: How far back a deposit may still belong to a booking (bookings created since).
LOOKBACK = timedelta(days=60)
#: A statement's dates are the bank's (Korean) dates; a booking's creation day is read there too.
BANK_TIMEZONE = "Asia/Seoul"

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
    "before_booking": _l("The money arrived before the booking was made, so it may be for something else: "
                         "check with the guest before you confirm it."),
}


_NOT_CODE_CHARS = re.compile(r"[^0-9A-Z]")
_FD_ZEROS = re.compile(r"FD0+")
_FD = re.compile("FD")
_SPACES = re.compile(r"\s+")
_CODE_WORD = re.compile(r"(?i)f\s*d[-\s]?[0-9a-z]{3,}")


def normalize(text: str) -> str:
    """Upper case, letters and digits only: 'fd-7k3 m9q' → 'FD7K3M9Q'."""
    return _NOT_CODE_CHARS.sub("", (text or "").upper())


def canonical_code(code: str) -> str:
    """'FD007K3M' → 'FD7K3M': leading zeros after FD do not count.

    The zeros after every "FD" are dropped, as canonical_memo drops them in a memo, so a code
    with "FD0" inside it ('FDXFD0AB') is still found where it is written.
    """
    if not (code.isascii() and code.isalnum() and code.isupper()):  # as stored, a code is already normal
        code = normalize(code)
    if code.startswith("FD"):
        canon = _FD_ZEROS.sub("FD", code) if "FD0" in code else code
        return canon if len(canon) > 2 else "FD0"  # FD000000: never the bare "FD" every code starts with
    return code


def canonical_memo(memo: str) -> str:
    text = normalize(memo)
    return _FD_ZEROS.sub("FD", text) if "FD0" in text else text


def _keep_outermost(found: list, canon) -> list:
    """Longest first; a code found inside a longer one found too is dropped."""
    found = sorted(found, key=lambda c: -len(canon(c)))
    kept: list = []
    for c in found:
        if not any(canon(c) in canon(k) for k in kept):
            kept.append(c)
    return kept


def find_codes(memo: str, codes: list[str]) -> list[str]:
    """The codes (as given) that appear in the memo, longest first, none inside another."""
    text = canonical_memo(memo)
    return _keep_outermost([c for c in codes if canonical_code(c) in text], canonical_code)


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


def _code_starts(text: str) -> list[int]:
    return [m.start() for m in _FD.finditer(text)]


def near_misses(memo: str, codes: list[str]) -> list[str]:
    """Codes one character off (changed, missing or extra) from a code-like part of the memo."""
    text = canonical_memo(memo)
    starts = _code_starts(text)
    out = []
    for code in codes:
        canon = canonical_code(code)
        n = len(canon)
        windows = {text[s:s + k] for s in starts for k in (n - 1, n, n + 1)}
        if any(_one_edit_apart(w, canon) for w in windows):
            out.append(code)
    return out


def _name_forms(first: str, last: str) -> tuple[str, ...]:
    first, last = _SPACES.sub("", first or "").lower(), _SPACES.sub("", last or "").lower()
    return tuple({f for f in (first + last, last + first) if f})


def _sender_key(sender: str) -> str:
    return _SPACES.sub("", sender or "").lower()


def _forms_match(key: str, forms) -> bool:
    return len(key) >= 2 and any(form in key or key in form for form in forms)


def names_match(sender: str, reservation) -> bool:
    """The sender's name is the guest's, in either order, ignoring spaces and case."""
    return _forms_match(_sender_key(sender), _name_forms(reservation.guest_first_name, reservation.guest_last_name))


def sender_of(line) -> str:
    """The depositor's name: its own column, else the memo without booking-code-like words."""
    if line.depositor:
        return line.depositor.strip()
    words = [w for w in (line.memo or "").split() if not _CODE_WORD.search(w) and not normalize(w).startswith("FD")]
    return " ".join(words).strip()


# --- the bookings a deposit may pay, read once ------------------------------------------------

class Candidate:
    """A booking as matching reads it: plain values, with what the ledger says it has paid."""

    __slots__ = ("id", "code", "status", "total_amount", "guest_first_name", "guest_last_name", "created_at",
                 "paid", "recent", "_canon", "_forms")

    def __init__(self, id: int, code: str, status: str, total_amount: int, guest_first_name: str,  # noqa: A002
                 guest_last_name: str, created_at: datetime, paid: int, recent: bool = True):
        self.id, self.code, self.status, self.total_amount = id, code, status, total_amount
        self.guest_first_name, self.guest_last_name = guest_first_name, guest_last_name
        self.created_at, self.paid = created_at, paid
        self.recent = recent  # a bank transfer made within LOOKBACK (else read because a person assigned it)
        self._canon: str | None = None
        self._forms: tuple[str, ...] | None = None

    @property
    def owed(self) -> int:
        return max(0, self.total_amount - self.paid)

    @property
    def created_on(self) -> date:
        """The bank's date (Asia/Seoul) on which the booking was made."""
        return self.created_at.astimezone(ZoneInfo(BANK_TIMEZONE)).date()

    @property
    def canon(self) -> str:
        if self._canon is None:
            self._canon = canonical_code(self.code)
        return self._canon

    @property
    def forms(self) -> tuple[str, ...]:
        if self._forms is None:
            self._forms = _name_forms(self.guest_first_name, self.guest_last_name)
        return self._forms


_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # what normalize() keeps


class CodeIndex:
    """Canonical codes → candidates: finds the codes in a memo by lookups, not by trying every code.

    `find(memo)` answers what `find_codes` answers and `near(memo)` what
    `near_misses` answers (tests hold them equal), for the indexed candidates.
    """

    def __init__(self, candidates: Iterable[Candidate]):
        self.by_canonical: dict[str, list[Candidate]] = {}
        for c in sorted(candidates, key=lambda c: c.id):
            self.by_canonical.setdefault(c.canon, []).append(c)
        self.lengths = sorted({len(k) for k in self.by_canonical})
        self.window_lengths = sorted({k for n in self.lengths for k in (n - 1, n, n + 1) if k > 0})

    def find(self, memo: str) -> list[Candidate]:
        text = canonical_memo(memo)
        found: dict[int, Candidate] = {}
        for s in _code_starts(text):
            for n in self.lengths:
                if s + n <= len(text):
                    for c in self.by_canonical.get(text[s:s + n], ()):
                        found[c.id] = c
        if len(found) < 2:
            return list(found.values())
        return _keep_outermost([found[i] for i in sorted(found)], lambda c: c.canon)

    def near(self, memo: str) -> list[Candidate]:
        text = canonical_memo(memo)
        windows = {text[s:s + k] for s in _code_starts(text) for k in self.window_lengths}
        found: dict[int, Candidate] = {}
        lengths = set(self.lengths)
        for w in windows:
            for variant in _one_edit_variants(w, lengths):
                for c in self.by_canonical.get(variant, ()):
                    found[c.id] = c
        return [found[i] for i in sorted(found)]


def _one_edit_variants(word: str, lengths: set[int] | None = None) -> set[str]:
    """Every string one character changed, missing or extra from `word` (not `word` itself); only
    those of a length in `lengths` when given (no code has another length)."""
    n = len(word)
    drop, change, add = (True, True, True) if lengths is None else (n - 1 in lengths, n in lengths,
                                                                   n + 1 in lengths)
    out: set[str] = set()
    for i in range(n + 1):
        head, tail = word[:i], word[i:]
        if tail and drop:
            out.add(head + tail[1:])
        if tail and change:
            out.update(head + ch + tail[1:] for ch in _ALPHABET if ch != tail[0])
        if add:
            out.update(head + ch + tail for ch in _ALPHABET)
    out.discard(word)
    return out


class Candidates:
    """The bank-transfer bookings of the last 60 days (plus any asked for by id), with their paid
    amounts from one grouped ledger query. Only reads."""

    def __init__(self, rows: Sequence[Candidate]):
        self.by_id = {c.id: c for c in rows}
        self.index = CodeIndex(c for c in rows if c.recent)
        self._waiting: dict[int, list[Candidate]] | None = None

    def waiting_for(self, amount: int) -> list[Candidate]:
        """Recent pending bookings that still owe exactly `amount`, in id order."""
        if self._waiting is None:
            self._waiting = {}
            for c in sorted(self.by_id.values(), key=lambda c: c.id):
                if c.recent and c.status == ReservationStatus.PENDING and c.owed > 0:
                    self._waiting.setdefault(c.owed, []).append(c)
        return self._waiting.get(amount, [])


def load_candidates(extra_ids: Iterable[int] = ()) -> Candidates:
    """Read the candidates (see Candidates). Two queries, whatever the number of bookings."""
    from app.ledger.models import PAID_KINDS, LedgerEntry

    since = clock.now() - LOOKBACK
    extra = sorted({i for i in extra_ids if i is not None})
    recent = (Reservation.payment_method == "bank_transfer") & (Reservation.created_at >= since)
    wanted = or_(recent, Reservation.id.in_(extra)) if extra else recent
    paid = dict(db.session.execute(
        select(LedgerEntry.reservation_id, func.sum(LedgerEntry.amount))
        .join(Reservation, Reservation.id == LedgerEntry.reservation_id)
        .where(wanted, LedgerEntry.kind.in_(PAID_KINDS)).group_by(LedgerEntry.reservation_id)).all())
    rows = db.session.execute(
        select(Reservation.id, Reservation.code, Reservation.status, Reservation.total_amount,
               Reservation.guest_first_name, Reservation.guest_last_name,
               type_coerce(Reservation.created_at, DateTime(timezone=True)),  # tagged UTC below, row by row
               Reservation.payment_method)
        .where(wanted).order_by(Reservation.id)).all()
    candidates = []
    for rid, code, status, total, first, last, created, method in rows:
        if created.tzinfo is None:  # SQLite keeps naive UTC
            created = created.replace(tzinfo=clock.UTC)
        candidates.append(Candidate(rid, code, status, total, first, last, created, int(paid.get(rid) or 0),
                                    method == "bank_transfer" and created >= since))
    return Candidates(candidates)


# --- what one line pays ------------------------------------------------------------------------

class _Draft:
    """What a line pays, naming candidates (plain values)."""

    __slots__ = ("problem", "reservation", "owed", "proposals", "split", "name_ok")

    def __init__(self, problem: str | None, reservation: Candidate | None = None, owed: int = 0,
                 proposals: list[Candidate] | None = None, split: list[tuple[Candidate, int]] | None = None,
                 name_ok: bool = True):
        self.problem, self.reservation, self.owed = problem, reservation, owed
        self.proposals, self.split, self.name_ok = proposals or [], split or [], name_ok


class _Loader:
    """The Reservation objects the analyses of one analyze_many call name: loaded together, in chunks,
    the first time any of them is read (a caller that only reads the problems loads none)."""

    def __init__(self, ids: set[int]):
        self.ids, self.loaded = ids, None

    def __call__(self, candidate: Candidate) -> Reservation:
        if self.loaded is None:
            self.loaded = _reservations(self.ids)
        return self.loaded[candidate.id]


class Analysis:
    """What a deposit line pays: `problem` (None: confirm it without a person; else a PROBLEMS key),
    the booking it names, what that booking still owes, the bookings proposed, the exact split."""

    __slots__ = ("problem", "owed", "name_ok", "_draft", "_load")

    def __init__(self, draft: _Draft, load: _Loader):
        self.problem, self.owed, self.name_ok = draft.problem, draft.owed, draft.name_ok
        self._draft, self._load = draft, load

    @property
    def automatic(self) -> bool:
        return self.problem is None

    @property
    def reservation(self) -> Reservation | None:
        return self._load(self._draft.reservation) if self._draft.reservation is not None else None

    @property
    def proposals(self) -> list[Reservation]:
        return [self._load(c) for c in self._draft.proposals]

    @property
    def split(self) -> list[tuple[Reservation, int]]:
        return [(self._load(c), owed) for c, owed in self._draft.split]

    def __repr__(self) -> str:
        return f"<Analysis {self.problem} {self._draft.reservation.code if self._draft.reservation else '-'}>"


def _predates(line, c: Candidate) -> bool:
    """The deposit is dated before the booking existed (bank dates, Asia/Seoul)."""
    booked_on = getattr(line, "booked_on", None)
    return booked_on is not None and booked_on < c.created_on


def _for_candidate(line, c: Candidate, key: str, *, assigned: bool) -> _Draft:
    owed = c.owed
    name_ok = not key or _forms_match(key, c.forms)
    if c.status == ReservationStatus.CANCELED:
        return _Draft("expired", c, owed, name_ok=name_ok)
    if c.status != ReservationStatus.PENDING:
        return _Draft("already_paid" if c.status in (ReservationStatus.PAID, ReservationStatus.CHECKED_IN,
                                                    ReservationStatus.CHECKED_OUT) else "not_payable",
                      c, owed, name_ok=name_ok)
    if owed <= 0:
        return _Draft("already_paid", c, owed, name_ok=name_ok)
    if line.amount == owed:
        if not assigned and _predates(line, c):  # a person's own assignment is a decision, not a guess
            return _Draft("before_booking", c, owed, proposals=[c], name_ok=name_ok)
        return _Draft(None, c, owed, name_ok=name_ok)
    return _Draft("short" if line.amount < owed else "over", c, owed, name_ok=name_ok)


def _draft(line, world: Candidates) -> _Draft:
    key = _sender_key(sender_of(line))
    if line.reservation_id is not None:  # a person assigned it
        return _for_candidate(line, world.by_id[line.reservation_id], key, assigned=True)
    text = (line.memo or "") + " " + (line.depositor or "")
    codes = world.index.find(text)
    if len(codes) == 1:
        return _for_candidate(line, codes[0], key, assigned=False)
    if len(codes) > 1:
        owed = [(c, c.owed) for c in codes]
        if all(c.status == ReservationStatus.PENDING and o > 0 for c, o in owed) \
                and sum(o for _c, o in owed) == line.amount:
            if any(_predates(line, c) for c in codes):
                return _Draft("before_booking", None, line.amount, proposals=list(codes))
            return _Draft(None, None, line.amount, split=owed)
        return _Draft("split_mismatch", None, sum(o for _c, o in owed), proposals=list(codes))
    near = world.index.near(text)
    if near:
        return _Draft("near_miss", None, 0, proposals=near)
    waiting = world.waiting_for(line.amount)
    named = [c for c in waiting if _forms_match(key, c.forms)]
    if named:
        return _Draft("name_amount", None, line.amount, proposals=named)
    if waiting:
        return _Draft("name_differs", None, line.amount, proposals=waiting[:10], name_ok=False)
    return _Draft("unknown")


_LOAD_CHUNK = 1000


def _reservations(ids: set[int]) -> dict[int, Reservation]:
    out: dict[int, Reservation] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), _LOAD_CHUNK):
        out.update((r.id, r) for r in db.session.scalars(
            select(Reservation).where(Reservation.id.in_(ordered[i:i + _LOAD_CHUNK]))))
    return out


def analyze_many(lines: Sequence) -> list[Analysis]:
    """What each deposit line pays, read now (see the module doc), in the order given. Only reads.

    The candidates and what they owe are read once for all lines; the Reservation
    objects the answers name are loaded together the first time one is read.
    """
    lines = list(lines)
    if not lines:
        return []
    world = load_candidates(line.reservation_id for line in lines)
    drafts = [_draft(line, world) for line in lines]
    load = _Loader({c.id for d in drafts for c in (d.reservation, *d.proposals, *(c for c, _o in d.split))
                    if c is not None})
    return [Analysis(d, load) for d in drafts]


def analyze(line) -> Analysis:
    """What this deposit line pays, read now: `analyze_many([line])`. Only reads."""
    return analyze_many([line])[0]


def _candidates() -> list[Reservation]:
    since = clock.now() - LOOKBACK
    return list(db.session.scalars(select(Reservation).where(
        Reservation.payment_method == "bank_transfer", Reservation.created_at >= since)
        .order_by(Reservation.id)))


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
