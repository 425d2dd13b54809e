"""Partial and over-payments at the end of a bank-transfer window become decisions.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # A bank transfer whose window ended with part of the money paid waits for a person
    # (app.deposits.shortfall); deposit matching reads the bank transfers of the last 60 days.
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_shortfall_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_reservations_status_shortfall', ['status', 'payment_shortfall_at'], unique=False)
        batch_op.create_index('ix_reservations_method_created', ['payment_method', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_reservations_method_created')
        batch_op.drop_index('ix_reservations_status_shortfall')
        batch_op.drop_column('payment_shortfall_at')
