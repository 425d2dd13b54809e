"""Migration 0010 on lines imported before it: kinds backfilled, one identity per account, and the
keys of lines with a bank reference rewritten to the parsers' new keys (so re-importing an old file
adds nothing). Runs on a scratch SQLite database, whatever database the suite uses."""
from datetime import date

from sqlalchemy import text

from app import create_app
from app.deposits import parsers
from app.extensions import db
from tests.conftest import ROOT, _TMP
from tests.deposits.test_parsers import MT940

OLD_LINES = [  # (account, dedupe_key, bank_ref, amount, reversal) as the importer wrote them before 0010
    ("88/1234567890", "ref:88/1234567890/BANKREF1", "88/1234567890/BANKREF1", 120_000, False),
    ("88/1234567890", "ref:88/1234567890/BANKREF3", "88/1234567890/BANKREF3", -50_000, True),
    ("110-123-456789", "row:2026-11-20|50000|1050000||홍길동|홍길동#1", None, 50_000, False),
    ("110-123-456789", "row:2026-11-20|-500|1049500||수수료|수수료#1", None, -500, False),
]


def test_migration_0010_backfills_kinds_and_rewrites_old_keys_to_the_new_ones(app):
    from flask_migrate import upgrade

    path = _TMP / "migration_0010.sqlite3"
    scratch = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with scratch.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="0009")
        with db.engine.begin() as conn:
            for n, account in enumerate(("88/1234567890", "110-123-456789"), start=1):
                conn.execute(text(
                    "INSERT INTO bank_statements (id, public_id, source_format, bank, account, file_name, file_sha256,"
                    " currency, lines_in_file, lines_new, created_at, updated_at) VALUES (:id, :pid, 'mt940', '',"
                    " :account, 'f', 'x', 'KRW', 2, 2, '2026-11-20 00:00:00', '2026-11-20 00:00:00')"),
                    {"id": n, "pid": f"stm_{n}", "account": account})
            for i, (account, key, ref, amount, reversal) in enumerate(OLD_LINES, start=1):
                conn.execute(text(
                    "INSERT INTO statement_lines (id, public_id, statement_id, account, dedupe_key, booked_on, amount,"
                    " currency, memo, depositor, bank_ref, reversal, status, created_at, updated_at) VALUES (:id,"
                    " :pid, :st, :account, :key, '2026-11-20', :amount, 'KRW', '', '', :ref, :rev, 'outgoing',"
                    " '2026-11-20 00:00:00', '2026-11-20 00:00:00')"),
                    {"id": i, "pid": f"sln_{i}", "st": 1 if account.startswith("88") else 2, "account": account,
                     "key": key, "amount": amount, "ref": ref, "rev": reversal})
        upgrade(directory=str(ROOT / "migrations"), revision="0010")
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT account, dedupe_key, bank_ref, kind FROM statement_lines ORDER BY id")).all()
            accounts = set(conn.execute(text("SELECT account FROM bank_statements")).scalars())
            dates = conn.execute(text("SELECT from_date, to_date FROM bank_statements WHERE id = 1")).one()
        db.engine.dispose()
    path.unlink()
    # The keys the parser makes today for the same MT940 lines are the ones the migration wrote.
    new_keys = [line.dedupe_key for line in parsers.parse(MT940.encode()).statements[0].lines]
    assert [tuple(r) for r in rows] == [
        ("881234567890", new_keys[0], "881234567890/BANKREF1", "deposit"),
        ("881234567890", new_keys[2], "881234567890/BANKREF3", "reversal"),
        ("110123456789", "row:2026-11-20|50000|1050000||홍길동|홍길동#1", None, "deposit"),
        ("110123456789", "row:2026-11-20|-500|1049500||수수료|수수료#1", None, "other")]
    assert accounts == {"881234567890", "110123456789"}
    assert tuple(str(d) for d in dates) == (str(date(2026, 11, 20)),) * 2
