"""Money going out finishes by itself: card refund status checks and payout schedule.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # A card refund whose outcome is unknown is asked about on a schedule (app.refunds.policies).
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('checks', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_refunds_status_next_check', ['status', 'next_check_at'], unique=False)


def downgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_refunds_status_next_check')
        batch_op.drop_column('checks')
        batch_op.drop_column('next_check_at')
