"""Support tickets with SLA clocks (seed 002 B, C, F, G, H).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    dt = sa.DateTime(timezone=True)
    op.create_table(
        'support_tickets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=20), nullable=False),
        sa.Column('severity', sa.String(length=2), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('purpose', sa.String(length=300), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('queue', sa.String(length=4), nullable=False),
        sa.Column('reservation_id', sa.Integer(), nullable=True),
        sa.Column('guest_name', sa.String(length=200), nullable=False),
        sa.Column('guest_email', sa.String(length=254), nullable=False),
        sa.Column('guest_phone', sa.String(length=30), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('first_response_due_at', dt, nullable=True),
        sa.Column('first_responded_at', dt, nullable=True),
        sa.Column('resolution_due_at', dt, nullable=True),
        sa.Column('next_update_due_at', dt, nullable=True),
        sa.Column('last_reply_at', dt, nullable=True),
        sa.Column('resolved_at', dt, nullable=True),
        sa.Column('closed_at', dt, nullable=True),
        sa.Column('updates_sent', sa.Integer(), nullable=False),
        sa.Column('updates_late', sa.Integer(), nullable=False),
        sa.Column('first_response_met', sa.Boolean(), nullable=True),
        sa.Column('resolution_met', sa.Boolean(), nullable=True),
        sa.Column('csat_score', sa.Integer(), nullable=True),
        sa.Column('csat_comment', sa.Text(), nullable=True),
        sa.Column('csat_at', dt, nullable=True),
        sa.Column('email_message_id', sa.String(length=300), nullable=True),
        sa.Column('created_at', dt, nullable=False),
        sa.Column('updated_at', dt, nullable=False),
        sa.CheckConstraint("severity IN ('S1', 'S2', 'S3', 'S4')", name='support_ticket_severity_known'),
        sa.CheckConstraint("status IN ('new', 'open', 'waiting_on_customer', 'resolved', 'closed')",
                           name='support_ticket_status_known'),
        sa.CheckConstraint('csat_score IS NULL OR (csat_score BETWEEN 1 AND 5)', name='support_ticket_csat_range'),
        sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id']),
        sa.ForeignKeyConstraint(['owner_id'], ['operators.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_id'),
    )
    op.create_index('ix_support_tickets_reservation_id', 'support_tickets', ['reservation_id'])
    op.create_index('ix_support_tickets_owner_id', 'support_tickets', ['owner_id'])
    op.create_index('ix_support_tickets_email_message_id', 'support_tickets', ['email_message_id'])
    op.create_index('ix_support_tickets_status_created', 'support_tickets', ['status', 'created_at'])
    op.create_table(
        'support_ticket_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=True),
        sa.Column('author_operator_id', sa.Integer(), nullable=True),
        sa.Column('author_name', sa.String(length=200), nullable=False),
        sa.Column('macro', sa.String(length=40), nullable=True),
        sa.Column('email_message_id', sa.String(length=300), nullable=True),
        sa.Column('created_at', dt, nullable=False),
        sa.CheckConstraint("kind IN ('guest', 'reply', 'note')", name='support_message_kind_known'),
        sa.ForeignKeyConstraint(['ticket_id'], ['support_tickets.id']),
        sa.ForeignKeyConstraint(['author_operator_id'], ['operators.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('email_message_id'),
    )
    op.create_index('ix_support_ticket_messages_ticket_id', 'support_ticket_messages', ['ticket_id'])
    op.create_table(
        'support_ticket_pauses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('started_at', dt, nullable=False),
        sa.Column('ended_at', dt, nullable=True),
        sa.ForeignKeyConstraint(['ticket_id'], ['support_tickets.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_support_ticket_pauses_ticket_id', 'support_ticket_pauses', ['ticket_id'])


def downgrade():
    op.drop_index('ix_support_ticket_pauses_ticket_id', table_name='support_ticket_pauses')
    op.drop_table('support_ticket_pauses')
    op.drop_index('ix_support_ticket_messages_ticket_id', table_name='support_ticket_messages')
    op.drop_table('support_ticket_messages')
    for name in ('ix_support_tickets_status_created', 'ix_support_tickets_email_message_id',
                 'ix_support_tickets_owner_id', 'ix_support_tickets_reservation_id'):
        op.drop_index(name, table_name='support_tickets')
    op.drop_table('support_tickets')
