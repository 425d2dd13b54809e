"""Payouts, payout attempts, the operating fund and its ledger (with the breaker state).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('operating_funds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('breaker_state', sa.String(length=10), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_operating_funds_balance_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operating_funds')),
    sa.UniqueConstraint('currency', name=op.f('uq_operating_funds_currency'))
    )
    op.create_table('payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('bank_code', sa.String(length=3), nullable=False),
    sa.Column('account_number', sa.String(length=20), nullable=False),
    sa.Column('account_holder', sa.String(length=50), nullable=False),
    sa.Column('memo', sa.String(length=200), nullable=False),
    sa.Column('transfer_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('round_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('round_failures', sa.Integer(), nullable=False),
    sa.Column('attempt_count', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('held_reason', sa.String(length=30), nullable=True),
    sa.Column('last_failure_type', sa.String(length=30), nullable=True),
    sa.Column('abandon_reason', sa.String(length=30), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bank_reference', sa.String(length=60), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_reference', sa.String(length=100), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('delay_notices', JSON_TYPE, nullable=False),
    sa.Column('request_id', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payouts_amount_positive')),
    sa.CheckConstraint('attempt_count >= 0 AND round_failures >= 0', name=op.f('ck_payouts_counters_non_negative')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_payouts_refund_id_refunds')),
    sa.ForeignKeyConstraint(['replaces_id'], ['payouts.id'], name=op.f('fk_payouts_replaces_id_payouts')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'], name=op.f('fk_payouts_reservation_id_reservations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts')),
    sa.UniqueConstraint('public_id', name=op.f('uq_payouts_public_id')),
    sa.UniqueConstraint('transfer_id', name=op.f('uq_payouts_transfer_id'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payouts_refund_id'), ['refund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payouts_reservation_id'), ['reservation_id'], unique=False)
        batch_op.create_index('ix_payouts_status_next', ['status', 'next_attempt_at'], unique=False)
    op.create_table('fund_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fund_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('balance_after', sa.BigInteger(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('dedupe_key', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('request_id', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['fund_id'], ['operating_funds.id'], name=op.f('fk_fund_entries_fund_id_operating_funds')),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_fund_entries_payout_id_payouts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fund_entries')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_fund_entries_dedupe_key'))
    )
    with op.batch_alter_table('fund_entries', schema=None) as batch_op:
        batch_op.create_index('ix_fund_entries_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_fund_entries_fund_id'), ['fund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fund_entries_payout_id'), ['payout_id'], unique=False)
    op.create_table('payout_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('bank_code', sa.String(length=3), nullable=False),
    sa.Column('account_masked', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('failure_type', sa.String(length=30), nullable=True),
    sa.Column('failure_message', sa.Text(), nullable=True),
    sa.Column('bank_reference', sa.String(length=60), nullable=True),
    sa.Column('resolved_by', sa.String(length=10), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('latency_ms', sa.Integer(), nullable=True),
    sa.Column('sends', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=120), nullable=True),
    sa.Column('request_id', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_payout_attempts_payout_id_payouts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_attempts')),
    sa.UniqueConstraint('payout_id', 'number', name='uq_payout_attempts_payout_number')
    )
    with op.batch_alter_table('payout_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_payout_attempts_outcome', ['outcome'], unique=False)


def downgrade():
    with op.batch_alter_table('payout_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_payout_attempts_outcome')
    op.drop_table('payout_attempts')
    with op.batch_alter_table('fund_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fund_entries_payout_id'))
        batch_op.drop_index(batch_op.f('ix_fund_entries_fund_id'))
        batch_op.drop_index('ix_fund_entries_created_at')
    op.drop_table('fund_entries')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index('ix_payouts_status_next')
        batch_op.drop_index(batch_op.f('ix_payouts_reservation_id'))
        batch_op.drop_index(batch_op.f('ix_payouts_refund_id'))
    op.drop_table('payouts')
    op.drop_table('operating_funds')
