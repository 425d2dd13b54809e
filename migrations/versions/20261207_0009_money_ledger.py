"""The money ledger: one row per movement of money, filled from the payments, refunds and payouts so far.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('statement_line_id', sa.Integer(), nullable=True),
    sa.Column('undoes_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('external_ref', sa.String(length=100), nullable=True),
    sa.Column('dedupe_key', sa.String(length=160), nullable=False),
    sa.Column('details', JSON_TYPE, nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('request_id', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('card_charge', 'card_refund', 'bank_deposit', 'deposit_reversal', 'refund_payout', 'payout_return', 'settlement_payout', 'bank_fee', 'unrelated', 'coupon_issued')", name=op.f('ck_ledger_entries_kind_known')),
    sa.CheckConstraint("source IN ('ours', 'gateway', 'bank')", name=op.f('ck_ledger_entries_source_known')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_ledger_entries_payment_id_payments')),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_ledger_entries_payout_id_payouts')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_ledger_entries_refund_id_refunds')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'], name=op.f('fk_ledger_entries_reservation_id_reservations')),
    sa.ForeignKeyConstraint(['statement_line_id'], ['statement_lines.id'], name=op.f('fk_ledger_entries_statement_line_id_statement_lines')),
    sa.ForeignKeyConstraint(['undoes_id'], ['ledger_entries.id'], name=op.f('fk_ledger_entries_undoes_id_ledger_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_ledger_entries_dedupe_key'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_business_date_kind', ['business_date', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_external_ref'), ['external_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_payout_id'), ['payout_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_refund_id'), ['refund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_reservation_id'), ['reservation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_statement_line_id'), ['statement_line_id'], unique=False)
    _backfill()


def _backfill():
    """Money that moved before the ledger existed: completed payments, completed refunds
    (card refunds; bank refunds through their completed or returned payouts) and payouts.
    Business dates are Korean dates (the default FRONTDESK_TIMEZONE)."""
    pg = op.get_bind().dialect.name == "postgresql"
    day = ("((%s) AT TIME ZONE 'Asia/Seoul')::date" if pg else "date(%s, '+9 hours')")
    op.execute(f"""
        INSERT INTO ledger_entries (kind, amount, currency, source, occurred_at, business_date, reservation_id,
                                    payment_id, external_ref, dedupe_key, actor_name, created_at)
        SELECT CASE WHEN method = 'card' THEN 'card_charge' ELSE 'bank_deposit' END, amount, currency,
               CASE WHEN method = 'card' THEN 'gateway' ELSE 'bank' END,
               COALESCE(completed_at, updated_at), {day % 'COALESCE(completed_at, updated_at)'},
               reservation_id, id, gateway_charge_id, 'payment:' || id, 'migration', CURRENT_TIMESTAMP
        FROM payments WHERE status = 'completed'
    """)
    op.execute(f"""
        INSERT INTO ledger_entries (kind, amount, currency, source, occurred_at, business_date, reservation_id,
                                    payment_id, refund_id, external_ref, dedupe_key, actor_name, created_at)
        SELECT 'card_refund', -amount, currency, 'gateway', COALESCE(completed_at, updated_at),
               {day % 'COALESCE(completed_at, updated_at)'}, reservation_id, payment_id, id, gateway_refund_id,
               'card_refund:' || id, 'migration', CURRENT_TIMESTAMP
        FROM refunds r WHERE status = 'completed' AND amount > 0
          AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.refund_id = r.id AND p.status IN ('completed', 'returned', 'canceled') AND p.completed_at IS NOT NULL)
    """)
    op.execute(f"""
        INSERT INTO ledger_entries (kind, amount, currency, source, occurred_at, business_date, reservation_id,
                                    refund_id, payout_id, external_ref, dedupe_key, actor_name, created_at)
        SELECT CASE WHEN refund_id IS NULL THEN 'settlement_payout' ELSE 'refund_payout' END, -amount, currency,
               'bank', completed_at, {day % 'completed_at'}, reservation_id, refund_id, id, bank_reference,
               'payout:' || id, 'migration', CURRENT_TIMESTAMP
        FROM payouts WHERE completed_at IS NOT NULL AND status IN ('completed', 'returned', 'canceled')
    """)
    op.execute(f"""
        INSERT INTO ledger_entries (kind, amount, currency, source, occurred_at, business_date, reservation_id,
                                    refund_id, payout_id, external_ref, dedupe_key, actor_name, created_at)
        SELECT 'payout_return', amount, currency, 'bank', returned_at, {day % 'returned_at'}, reservation_id,
               refund_id, id, return_reference, 'payout_return:' || id, 'migration', CURRENT_TIMESTAMP
        FROM payouts WHERE returned_at IS NOT NULL
    """)


def downgrade():
    op.drop_table('ledger_entries')
