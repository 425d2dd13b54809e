"""Shift handover notes (the closing check's note to the next shift).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    # Shift handover notes (seed 001 §2.3): what the closing shift leaves for the next one.
    op.create_table(
        'shift_handover_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('open_items', JSON_TYPE, nullable=False),
        sa.Column('written_by_id', sa.Integer(), nullable=False),
        sa.Column('written_by_name', sa.String(length=200), nullable=False),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
        sa.Column('acknowledged_by_name', sa.String(length=200), nullable=True),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['written_by_id'], ['operators.id']),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['operators.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('shift_handover_notes', schema=None) as batch_op:
        batch_op.create_index('ix_shift_handover_notes_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('shift_handover_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_shift_handover_notes_created_at')
    op.drop_table('shift_handover_notes')
