"""Which lines of a statement file were imported before (app.deposits.importing).

A line is a duplicate when its dedupe key (app.deposits.parse_base) is stored for the same account
— or the key it had before keys stopped depending on the column mapping (`legacy_keys`, for files
imported before migration 0010). A whole statement is "already imported" when every line of it is,
or when it is the bank's copy (CAMT CpyDplctInd=DUPL) of a statement id we have. Only reads.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.deposits import parsers
from app.deposits.models import BankStatement, StatementLine
from app.deposits.services import MAX_FILE_BYTES
from app.extensions import db

CHUNK = 500


def normalize_account(account: str | None) -> str:
    """One identity per account (parsers.normalize_account), cut to the column's size."""
    return parsers.normalize_account(account)[:60]


@dataclass
class Preview:
    parsed: parsers.Parsed
    new: int
    already: int
    deposits: int
    outgoing: int
    pending: int = 0


# --- duplicates -------------------------------------------------------------------------------------

def legacy_keys(lines: list[parsers.ParsedLine]) -> list[str | None]:
    """The keys lines without a bank reference had before dedupe keys stopped depending on the column
    mapping (imports made before migration 0010): date, amount, balance, reversal, sender and memo,
    and the ordinal among identical lines. Lines with a reference had their keys rewritten by 0010."""
    seen: Counter = Counter()
    out: list[str | None] = []
    for line in lines:
        if line.bank_ref or line.pending:
            out.append(None)
            continue
        fields = (line.booked_on.isoformat(), str(line.amount),
                  "-" if line.running_balance is None else str(line.running_balance),
                  "R" if line.reversal else "", " ".join(line.depositor.split())[:40], " ".join(line.memo.split())[:150])
        seen[fields] += 1
        out.append(("row:" + "|".join(fields) + f"#{seen[fields]}")[:300])
    return out


def existing_keys(account: str, keys: list[str]) -> dict[str, str]:
    """dedupe key → public id of the account's lines already stored with one of these keys."""
    found: dict[str, str] = {}
    wanted = sorted({k for k in keys if k})
    for i in range(0, len(wanted), CHUNK):
        found.update(db.session.execute(select(StatementLine.dedupe_key, StatementLine.public_id).where(
            StatementLine.account == account, StatementLine.dedupe_key.in_(wanted[i:i + CHUNK]))).all())
    return found


def statement_known(account: str, statement_id: str | None) -> bool:
    return bool(statement_id) and db.session.scalar(select(func.count()).select_from(BankStatement).where(
        BankStatement.account == account, BankStatement.statement_id == statement_id)) > 0


@dataclass
class Seen:
    """One parsed statement against what is stored: per line the stored twin's public id (or None)."""

    account: str
    twins: list[str | None]
    whole_copy: bool  # nothing of it is new (all lines stored, or the bank's copy of a known statement)


def seen_before(st: parsers.ParsedStatement, fallback_account: str) -> Seen:
    account = normalize_account(st.account or fallback_account)
    keys = [line.dedupe_key for line in st.lines]
    old = legacy_keys(st.lines)
    stored = existing_keys(account, keys + [k for k in old if k])
    twins = [stored.get(k) or (stored.get(o) if o else None) for k, o in zip(keys, old)]
    known = statement_known(account, st.statement_id)
    whole = (known and (st.copy_duplicate or not st.lines)) or (bool(st.lines) and all(twins))
    return Seen(account, [t or "?" for t in twins] if whole and known else twins, whole)


def preview_import(raw: bytes, *, source_format: str, mapping: dict[str, str] | None, account: str,
                   currency: str = "KRW") -> Preview:
    """Read the file and count what importing it would add. Only reads."""
    if len(raw) > MAX_FILE_BYTES:
        raise parsers.StatementError(_l("The file is larger than 2 MB."))
    parsed = parsers.parse(raw, source_format=source_format, mapping=mapping, account=account, currency=currency)
    new = already = 0
    for st in parsed.statements:
        seen = seen_before(st, account)
        dup = sum(1 for t in seen.twins if t)
        already += len(st.lines) if seen.whole_copy else dup
        new += 0 if seen.whole_copy else len(st.lines) - dup
    lines = parsed.lines
    booked = [line for line in lines if not line.pending]
    return Preview(parsed, new, already, sum(1 for line in booked if line.amount > 0 and not line.reversal),
                   sum(1 for line in booked if line.amount < 0 or line.reversal),
                   sum(1 for line in lines if line.pending))


