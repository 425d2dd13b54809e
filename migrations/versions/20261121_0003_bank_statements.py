"""Bank statements, statement lines, deposit matching and CSV column mappings.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _timestamps():
    return [sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False)]


def upgrade():
    op.create_table('bank_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('source_format', sa.String(length=10), nullable=False),
    sa.Column('bank', sa.String(length=60), nullable=False),
    sa.Column('account', sa.String(length=60), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('opening_balance', sa.BigInteger(), nullable=True),
    sa.Column('closing_balance', sa.BigInteger(), nullable=True),
    sa.Column('lines_in_file', sa.Integer(), nullable=False),
    sa.Column('lines_new', sa.Integer(), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('balance_problems', JSON_TYPE, nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    *_timestamps(),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['operators.id'], name=op.f('fk_bank_statements_uploaded_by_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statements')),
    sa.UniqueConstraint('public_id', name=op.f('uq_bank_statements_public_id'))
    )
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_statements_file_sha256'), ['file_sha256'], unique=False)

    op.create_table('statement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=60), nullable=False),
    sa.Column('dedupe_key', sa.String(length=300), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.Column('depositor', sa.String(length=200), nullable=False),
    sa.Column('bank_ref', sa.String(length=100), nullable=True),
    sa.Column('running_balance', sa.BigInteger(), nullable=True),
    sa.Column('reversal', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('problem', sa.String(length=20), nullable=True),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('proposals', JSON_TYPE, nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('payment_ids', JSON_TYPE, nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    *_timestamps(),
    sa.ForeignKeyConstraint(['statement_id'], ['bank_statements.id'], name=op.f('fk_statement_lines_statement_id_bank_statements')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'], name=op.f('fk_statement_lines_reservation_id_reservations')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_statement_lines_refund_id_refunds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statement_lines')),
    sa.UniqueConstraint('public_id', name=op.f('uq_statement_lines_public_id')),
    sa.UniqueConstraint('account', 'dedupe_key', name='uq_statement_lines_account_dedupe_key')
    )
    with op.batch_alter_table('statement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statement_lines_statement_id'), ['statement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_statement_lines_reservation_id'), ['reservation_id'], unique=False)
        batch_op.create_index('ix_statement_lines_status_booked', ['status', 'booked_on'], unique=False)

    op.create_table('csv_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank', sa.String(length=60), nullable=False),
    sa.Column('columns', JSON_TYPE, nullable=False),
    *_timestamps(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csv_mappings')),
    sa.UniqueConstraint('bank', name=op.f('uq_csv_mappings_bank'))
    )


def downgrade():
    op.drop_table('csv_mappings')
    with op.batch_alter_table('statement_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_statement_lines_status_booked')
        batch_op.drop_index(batch_op.f('ix_statement_lines_reservation_id'))
        batch_op.drop_index(batch_op.f('ix_statement_lines_statement_id'))
    op.drop_table('statement_lines')
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_statements_file_sha256'))
    op.drop_table('bank_statements')
