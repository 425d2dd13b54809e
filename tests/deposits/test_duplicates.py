"""Lines seen before: keys of files imported before migration 0010 still count, and a pending entry's
booked copy is a new line that takes over from it."""
from datetime import date

from sqlalchemy import func, select

from app.deposits import parsers
from app.deposits.duplicates import legacy_keys
from app.deposits.models import BankStatement, LineKind, LineStatus, StatementLine
from app.extensions import db
from tests.deposits.conftest import ACCOUNT, MAPPING, korean_csv, today
from tests.deposits.money import camt, fresh, import_file, line


def test_a_line_imported_before_the_keys_changed_is_still_a_duplicate(import_csv):
    raw = korean_csv([(today(), "홍길동", 50_000, 0), (today(), "홍길동", 50_000, 0), (today(), "수수료", 0, 500)])
    parsed = parsers.parse_csv(raw, MAPPING, account=ACCOUNT).lines
    old = legacy_keys(parsed)
    assert old[0] != old[1] and all(k.startswith("row:") for k in old)
    statement = BankStatement(public_id="stm_old", source_format="csv", account="110123456789", file_sha256="x",
                              lines_in_file=3, lines_new=1)
    db.session.add(statement)
    db.session.flush()
    db.session.add(StatementLine(public_id="sln_old", statement_id=statement.id, account="110123456789",
                                 dedupe_key=old[0], booked_on=parsed[0].booked_on, amount=50_000, memo="홍길동"))
    db.session.flush()
    result = import_csv(raw)
    assert [o.outcome for o in result.lines] == ["duplicate", "needs_decision", "fee"]
    assert result.lines[0].line == "sln_old"
    assert db.session.scalar(select(func.count()).select_from(StatementLine)) == 3


def test_a_pending_entry_and_its_booked_copy_are_two_lines_and_the_first_stops_waiting():
    day = date(2026, 11, 20)
    pending = camt(day, 1_000_000, [(30_000, "이순신")], pending=True)
    first = import_file(pending, "camt053")
    assert first.counts["pending"] == 1 and line(30_000).status == LineStatus.PENDING
    booked = camt(day, 1_000_000, [(30_000, "이순신")], statement_id="S-20261120-final")
    second = import_file(booked, "camt053")
    assert second.counts["duplicates"] == 0 and second.counts["decisions_needed"] == 1
    shown, real = line(30_000, 0), line(30_000, 1)
    assert (shown.kind, shown.status, shown.outcome) == (LineKind.PENDING, LineStatus.OUTGOING, "booked_later")
    assert (real.kind, real.status, real.pending) == (LineKind.DEPOSIT, LineStatus.NEEDS_DECISION, False)
    assert shown.bank_ref == real.bank_ref and shown.dedupe_key != real.dedupe_key
    assert fresh(shown).payment_ids is None
