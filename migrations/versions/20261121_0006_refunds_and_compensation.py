"""Refund decisions and compensation: coupons and compensations.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coupons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('guest_email', sa.String(length=254), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('value > 0', name=op.f('ck_coupons_value_positive')),
    sa.CheckConstraint("kind IN ('amount', 'percent', 'minutes')", name=op.f('ck_coupons_kind_known')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_coupons_refund_id_refunds')),
    sa.ForeignKeyConstraint(['created_by_id'], ['operators.id'], name=op.f('fk_coupons_created_by_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupons')),
    sa.UniqueConstraint('code', name=op.f('uq_coupons_code')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_coupons_refund_id'))
    )
    op.create_index(op.f('ix_coupons_guest_email'), 'coupons', ['guest_email'], unique=False)
    op.create_table('compensations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('guest_email', sa.String(length=254), nullable=False),
    sa.Column('conflict_id', sa.Integer(), nullable=True),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('occurrence', sa.Integer(), nullable=False),
    sa.Column('credit_minutes', sa.Integer(), nullable=False),
    sa.Column('coupon_minutes', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Boolean(), nullable=False),
    sa.Column('coupon_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('credit_minutes >= 0 AND coupon_minutes >= 0',
                       name=op.f('ck_compensations_minutes_non_negative')),
    sa.CheckConstraint('conflict_id IS NOT NULL OR reservation_id IS NOT NULL',
                       name=op.f('ck_compensations_about_something')),
    sa.ForeignKeyConstraint(['conflict_id'], ['booking_conflicts.id'],
                            name=op.f('fk_compensations_conflict_id_booking_conflicts')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'],
                            name=op.f('fk_compensations_reservation_id_reservations')),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_compensations_coupon_id_coupons')),
    sa.ForeignKeyConstraint(['created_by_id'], ['operators.id'],
                            name=op.f('fk_compensations_created_by_id_operators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compensations')),
    sa.UniqueConstraint('public_id', name=op.f('uq_compensations_public_id')),
    sa.UniqueConstraint('conflict_id', name=op.f('uq_compensations_conflict_id')),
    sa.UniqueConstraint('reservation_id', name=op.f('uq_compensations_reservation_id'))
    )
    op.create_index(op.f('ix_compensations_guest_email'), 'compensations', ['guest_email'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_compensations_guest_email'), table_name='compensations')
    op.drop_table('compensations')
    op.drop_index(op.f('ix_coupons_guest_email'), table_name='coupons')
    op.drop_table('coupons')
