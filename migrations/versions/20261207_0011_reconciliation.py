"""Three-way daily reconciliation: runs, gateway settlement files and mismatch items.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reconciliation_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by', sa.String(length=200), nullable=False),
    sa.Column('trigger', sa.String(length=10), nullable=False),
    sa.Column('times_run', sa.Integer(), nullable=False),
    sa.Column('internal_count', sa.Integer(), nullable=False),
    sa.Column('internal_amount', sa.BigInteger(), nullable=False),
    sa.Column('external_count', sa.Integer(), nullable=False),
    sa.Column('external_amount', sa.BigInteger(), nullable=False),
    sa.Column('matched_count', sa.Integer(), nullable=False),
    sa.Column('total_count', sa.Integer(), nullable=False),
    sa.Column('match_rate', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('details', JSON_TYPE, nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('gateway', 'payouts', 'settlement')", name=op.f('ck_reconciliation_runs_source_known')),
    sa.CheckConstraint("status IN ('running', 'completed', 'failed')", name=op.f('ck_reconciliation_runs_status_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_runs')),
    sa.UniqueConstraint('business_date', 'source', name=op.f('uq_reconciliation_runs_business_date_source'))
    )
    op.create_table('reconciliation_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('natural_key', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('internal', JSON_TYPE, nullable=True),
    sa.Column('external', JSON_TYPE, nullable=True),
    sa.Column('facts', JSON_TYPE, nullable=True),
    sa.Column('internal_amount', sa.BigInteger(), nullable=True),
    sa.Column('external_amount', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('resolution', sa.String(length=20), nullable=True),
    sa.Column('resolution_reason', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.String(length=200), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_details', JSON_TYPE, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f('ck_reconciliation_items_status_known')),
    sa.CheckConstraint("type IN ('AMOUNT_MISMATCH', 'STATUS_MISMATCH', 'GHOST_TRANSACTION', 'TIMING_MISMATCH', 'INTERNAL_ONLY', 'EXTERNAL_ONLY')", name=op.f('ck_reconciliation_items_type_known')),
    sa.ForeignKeyConstraint(['owner_id'], ['operators.id'], name=op.f('fk_reconciliation_items_owner_id_operators')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'], name=op.f('fk_reconciliation_items_reservation_id_reservations')),
    sa.ForeignKeyConstraint(['run_id'], ['reconciliation_runs.id'], name=op.f('fk_reconciliation_items_run_id_reconciliation_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_items')),
    sa.UniqueConstraint('natural_key', name=op.f('uq_reconciliation_items_natural_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_reconciliation_items_public_id'))
    )
    with op.batch_alter_table('reconciliation_items', schema=None) as batch_op:
        batch_op.create_index('ix_reconciliation_items_date_source', ['business_date', 'source'], unique=False)
        batch_op.create_index(batch_op.f('ix_reconciliation_items_reservation_id'), ['reservation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reconciliation_items_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_reconciliation_items_status_due', ['status', 'due_at'], unique=False)

    op.create_table('settlement_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('gateway', sa.String(length=40), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('total_amount', sa.BigInteger(), nullable=False),
    sa.Column('total_fee', sa.BigInteger(), nullable=False),
    sa.Column('total_net', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('received_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("origin IN ('fetched', 'uploaded')", name=op.f('ck_settlement_files_origin_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_files')),
    sa.UniqueConstraint('public_id', name=op.f('uq_settlement_files_public_id')),
    sa.UniqueConstraint('sha256', name=op.f('uq_settlement_files_sha256'))
    )
    with op.batch_alter_table('settlement_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_files_business_date'), ['business_date'], unique=False)


def downgrade():
    op.drop_table('settlement_files')
    op.drop_table('reconciliation_items')
    op.drop_table('reconciliation_runs')
