"""Statement lines for every direction (pending, payouts, fees, reversals, returns) and import runs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

"""
import hashlib
import unicodedata

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _timestamps():
    return [sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False)]


def _add_reference(table, column, referred):
    """A nullable integer column with its named foreign key. SQLite adds it in place
    (ALTER TABLE … ADD COLUMN … REFERENCES): a batch copy-and-move would drop the
    table, which foreign keys from rows of other tables (ledger_entries) refuse."""
    name = f'fk_{table}_{column}_{referred}'
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {name} REFERENCES {referred} (id)')
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f(name), referred, [column], ['id'])


def upgrade():
    op.create_table('import_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('source_format', sa.String(length=10), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('lines_in_file', sa.Integer(), nullable=False),
    sa.Column('already_imported', sa.Integer(), nullable=False),
    sa.Column('counts', JSON_TYPE, nullable=False),
    sa.Column('gaps', JSON_TYPE, nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    *_timestamps(),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['operators.id'], name=op.f('fk_import_runs_uploaded_by_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs')),
    sa.UniqueConstraint('public_id', name=op.f('uq_import_runs_public_id'))
    )

    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statement_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('copy_duplicate', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('from_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('to_date', sa.Date(), nullable=True))
    _add_reference('bank_statements', 'import_run_id', 'import_runs')
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_statements_import_run_id'), ['import_run_id'], unique=False)
        batch_op.create_index('ix_bank_statements_account_to_date', ['account', 'to_date'], unique=False)

    with op.batch_alter_table('statement_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='deposit', nullable=False))
        batch_op.add_column(sa.Column('pending', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('our_ref', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('bank_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('return_reason', sa.String(length=20), nullable=True))
    _add_reference('statement_lines', 'payout_id', 'payouts')
    _add_reference('statement_lines', 'reverses_line_id', 'statement_lines')
    with op.batch_alter_table('statement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_lines_payout_id'), ['payout_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_lines_reverses_line_id'), ['reverses_line_id'], unique=False)
        batch_op.create_index('ix_statement_lines_account_amount', ['account', 'amount'], unique=False)

    op.create_table('statement_gaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=60), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('before_statement_id', sa.Integer(), nullable=False),
    sa.Column('after_statement_id', sa.Integer(), nullable=False),
    sa.Column('expected_opening', sa.BigInteger(), nullable=False),
    sa.Column('found_opening', sa.BigInteger(), nullable=False),
    sa.Column('from_date', sa.Date(), nullable=True),
    sa.Column('to_date', sa.Date(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_statement_id', sa.Integer(), nullable=True),
    *_timestamps(),
    sa.ForeignKeyConstraint(['before_statement_id'], ['bank_statements.id'], name=op.f('fk_statement_gaps_before_statement_id_bank_statements')),
    sa.ForeignKeyConstraint(['after_statement_id'], ['bank_statements.id'], name=op.f('fk_statement_gaps_after_statement_id_bank_statements')),
    sa.ForeignKeyConstraint(['closed_by_statement_id'], ['bank_statements.id'], name=op.f('fk_statement_gaps_closed_by_statement_id_bank_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_gaps')),
    sa.UniqueConstraint('before_statement_id', 'after_statement_id', name='uq_statement_gaps_before_after')
    )
    with op.batch_alter_table('statement_gaps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_gaps_account'), ['account'], unique=False)

    _backfill()


def _normalized(account):
    """app.deposits.parse_base.normalize_account as of this revision: letters and digits, upper case."""
    text = unicodedata.normalize("NFKC", account or "").upper()
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())[:60]


def _one_identity_per_account():
    """Accounts become one identity ("999-0001-234560" = "9990001234560"), and a line with the bank's
    reference gets the key the parsers now make: ref:<account>/<ref>|<amount>|<C or D>|<ordinal>.
    Before, a reference was unique per account, so the ordinal is 1. A line whose new key another
    line already holds (the same movement imported under two spellings of the account) keeps its
    old values, so nothing is lost; lines without a reference keep their keys (the import checks
    those old keys too: app.deposits.duplicates.legacy_keys)."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, account, dedupe_key, bank_ref, amount FROM statement_lines "
                                "ORDER BY id")).all()
    taken = {(r.account, r.dedupe_key) for r in rows}
    for r in rows:
        account, key, bank_ref = _normalized(r.account), r.dedupe_key, r.bank_ref
        if key.startswith("ref:") and "|" not in key and bank_ref and bank_ref.startswith(r.account + "/"):
            bank_ref = f"{account}/{bank_ref[len(r.account) + 1:]}"[:100]
            tail = f"|{abs(r.amount)}|{'D' if r.amount < 0 else 'C'}|1"
            key = f"ref:{bank_ref}{tail}"
            if len(key) > 300:
                key = f"ref:sha1:{hashlib.sha1(bank_ref.encode('utf-8')).hexdigest()}{tail}"
        if (account, key, bank_ref) == (r.account, r.dedupe_key, r.bank_ref) or (account, key) in taken:
            continue
        conn.execute(sa.text("UPDATE statement_lines SET account = :account, dedupe_key = :key, bank_ref = :ref "
                             "WHERE id = :id"), {"account": account, "key": key, "ref": bank_ref, "id": r.id})
        taken.discard((r.account, r.dedupe_key))
        taken.add((account, key))
    for (account,) in conn.execute(sa.text("SELECT DISTINCT account FROM bank_statements")).all():
        if _normalized(account) != account:
            conn.execute(sa.text("UPDATE bank_statements SET account = :new WHERE account = :old"),
                         {"new": _normalized(account), "old": account})


def _backfill():
    """What the lines imported so far are: a reversal, money in (a deposit), or other money
    out (whether it was a payout or a fee was never recorded; it stays "other")."""
    _one_identity_per_account()
    op.execute("""
        UPDATE statement_lines SET kind = CASE WHEN reversal THEN 'reversal'
                                               WHEN amount > 0 THEN 'deposit' ELSE 'other' END
    """)
    op.execute("""
        UPDATE bank_statements SET
          from_date = (SELECT MIN(booked_on) FROM statement_lines l WHERE l.statement_id = bank_statements.id),
          to_date = (SELECT MAX(booked_on) FROM statement_lines l WHERE l.statement_id = bank_statements.id)
    """)


def downgrade():
    with op.batch_alter_table('statement_gaps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statement_gaps_account'))
    op.drop_table('statement_gaps')
    with op.batch_alter_table('statement_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_statement_lines_account_amount')
        batch_op.drop_index(batch_op.f('ix_statement_lines_reverses_line_id'))
        batch_op.drop_index(batch_op.f('ix_statement_lines_payout_id'))
        batch_op.drop_constraint(batch_op.f('fk_statement_lines_reverses_line_id_statement_lines'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_statement_lines_payout_id_payouts'), type_='foreignkey')
        batch_op.drop_column('reverses_line_id')
        batch_op.drop_column('payout_id')
        batch_op.drop_column('return_reason')
        batch_op.drop_column('bank_code')
        batch_op.drop_column('our_ref')
        batch_op.drop_column('pending')
        batch_op.drop_column('kind')
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_statements_account_to_date')
        batch_op.drop_index(batch_op.f('ix_bank_statements_import_run_id'))
        batch_op.drop_constraint(batch_op.f('fk_bank_statements_import_run_id_import_runs'), type_='foreignkey')
        batch_op.drop_column('import_run_id')
        batch_op.drop_column('to_date')
        batch_op.drop_column('from_date')
        batch_op.drop_column('copy_duplicate')
        batch_op.drop_column('statement_id')
    op.drop_table('import_runs')
