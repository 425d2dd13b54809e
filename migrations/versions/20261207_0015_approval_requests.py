"""Approval requests: four eyes on large money (one asks, another approves).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'approval_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('subject_type', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('subject_public_id', sa.String(length=40), nullable=True),
        sa.Column('reservation_id', sa.Integer(), nullable=True),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('params', JSON_TYPE, nullable=False),
        sa.Column('bank_code', sa.String(length=10), nullable=True),
        sa.Column('account_number', sa.String(length=20), nullable=True),
        sa.Column('account_holder', sa.String(length=50), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('requested_by_name', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_by_name', sa.String(length=200), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.Column('stale', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('amount >= 0', name='approval_amount_non_negative'),
        sa.CheckConstraint("status IN ('pending', 'approved', 'refused', 'withdrawn')",
                           name='approval_status_known'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['operators.id']),
        sa.ForeignKeyConstraint(['requested_by_id'], ['operators.id']),
        sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_id'),
    )
    with op.batch_alter_table('approval_requests', schema=None) as batch_op:
        batch_op.create_index('ix_approval_requests_reservation_id', ['reservation_id'], unique=False)
        batch_op.create_index('ix_approval_requests_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_approval_requests_subject', ['subject_type', 'subject_id'], unique=False)
        batch_op.create_index('uq_approval_requests_pending_subject', ['kind', 'subject_type', 'subject_id'],
                              unique=True, postgresql_where=sa.text("status = 'pending'"),
                              sqlite_where=sa.text("status = 'pending'"))


def downgrade():
    with op.batch_alter_table('approval_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_approval_requests_pending_subject')
        batch_op.drop_index('ix_approval_requests_subject')
        batch_op.drop_index('ix_approval_requests_status_created')
        batch_op.drop_index('ix_approval_requests_reservation_id')
    op.drop_table('approval_requests')
