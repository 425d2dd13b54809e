"""Balance continuity per account: each statement should open where the one before it closed.

An account's statements with both balances and dates are read in date order (by their last
day). When a statement starts after the previous one ended and its opening balance is not
the previous closing balance, a statement is missing in between: a StatementGap (the days
and the two balances). Importing the missing statement makes both pairs chain again, and the
gap is closed by it (kept, with when and by which statement, for the history). Statements
that overlap in days (an export that repeats yesterday's lines) are not compared.

`refresh(account)` is called by the import in its own transaction; nothing here commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from app.core import clock
from app.deposits.models import BankStatement, StatementGap
from app.extensions import db


@dataclass(frozen=True)
class Link:
    before: BankStatement
    after: BankStatement


def breaks(statements: list[BankStatement]) -> list[Link]:
    """The consecutive pairs of one account's statements that do not chain (see the module doc)."""
    usable = [s for s in statements if s.opening_balance is not None and s.closing_balance is not None
              and s.from_date is not None and s.to_date is not None]
    usable.sort(key=lambda s: (s.to_date, s.from_date, s.id))
    out: list[Link] = []
    last: BankStatement | None = None
    for s in usable:
        if last is not None and s.from_date > last.to_date and s.opening_balance != last.closing_balance:
            out.append(Link(last, s))
        if last is None or s.to_date >= last.to_date:
            last = s
    return out


def describe(gap: StatementGap) -> dict[str, Any]:
    """A gap as the import result and the API give it."""
    return {"account": gap.account, "currency": gap.currency,
            "previous_statement": gap.before.public_id, "next_statement": gap.after.public_id,
            "from_date": _iso(gap.from_date), "to_date": _iso(gap.to_date),
            "expected_opening": gap.expected_opening, "found_opening": gap.found_opening,
            "difference": gap.found_opening - gap.expected_opening,
            "closed_by": _public_id(gap.closed_by_statement_id) if gap.closed_by_statement_id else None}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _public_id(statement_id: int) -> str | None:
    return db.session.scalar(select(BankStatement.public_id).where(BankStatement.id == statement_id))


def refresh(account: str, *, by: BankStatement | None = None) -> tuple[list[StatementGap], list[StatementGap]]:
    """Record the account's gaps as they are now: (open gaps, gaps this closed). No commit.

    New breaks become open gaps; an open gap whose pair now chains is closed by `by` (the
    statement just imported). Running it twice changes nothing the second time.
    """
    statements = list(db.session.scalars(select(BankStatement).where(BankStatement.account == account)))
    current = {(link.before.id, link.after.id): link for link in breaks(statements)}
    known = {(g.before_statement_id, g.after_statement_id): g for g in db.session.scalars(
        select(StatementGap).where(StatementGap.account == account))}
    now = clock.now()
    closed: list[StatementGap] = []
    for pair, gap in known.items():
        if gap.closed_at is None and pair not in current:
            gap.closed_at, gap.updated_at = now, now
            gap.closed_by_statement_id = by.id if by is not None else None
            closed.append(gap)
        elif gap.closed_at is not None and pair in current:  # the same pair breaks again
            gap.closed_at = gap.closed_by_statement_id = None
            gap.updated_at = now
    for pair, link in current.items():
        if pair in known:
            continue
        gap = StatementGap(account=account, currency=link.after.currency, before_statement_id=link.before.id,
                           after_statement_id=link.after.id, expected_opening=link.before.closing_balance,
                           found_opening=link.after.opening_balance, from_date=link.before.to_date,
                           to_date=link.after.from_date, created_at=now, updated_at=now)
        db.session.add(gap)
        known[pair] = gap
    db.session.flush()
    open_gaps = sorted((g for g in known.values() if g.closed_at is None), key=lambda g: (g.from_date or date.min))
    return open_gaps, closed


def open_gaps(limit: int = 50) -> list[StatementGap]:
    """Every account's open gaps, oldest first (the statements page and Today)."""
    return list(db.session.scalars(select(StatementGap).where(StatementGap.closed_at.is_(None))
                                   .order_by(StatementGap.from_date, StatementGap.id).limit(limit)))


def count_open() -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(StatementGap)
                             .where(StatementGap.closed_at.is_(None))) or 0
