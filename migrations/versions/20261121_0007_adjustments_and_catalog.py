"""Reservation adjustments, room assignment and catalog management.

room_assignments (one row per room given to a reservation, with its stay),
room_features ("quiet", …) and reservation_notes (operators' private notes).
On PostgreSQL an exclusion constraint makes two counting assignments of the
same room over overlapping nights impossible, whatever path writes them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'room_assignments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reservation_id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=False),
        sa.Column('check_in', sa.Date(), nullable=False),
        sa.Column('check_out', sa.Date(), nullable=False),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('assigned_by', sa.String(length=200), nullable=False),
        sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('release_reason', sa.String(length=200), nullable=True),
        sa.CheckConstraint('check_out > check_in', name=op.f('ck_room_assignments_assignment_stay_order')),
        sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'],
                                name=op.f('fk_room_assignments_reservation_id_reservations')),
        sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_room_assignments_room_id_rooms')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_room_assignments')),
    )
    op.create_index('ix_room_assignments_reservation_id', 'room_assignments', ['reservation_id'])
    op.create_index('ix_room_assignments_room_stay', 'room_assignments', ['room_id', 'check_in', 'check_out'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE room_assignments ADD CONSTRAINT ex_room_assignments_room_night "
            "EXCLUDE USING gist (room_id WITH =, daterange(check_in, check_out) WITH &&) "
            "WHERE (released_at IS NULL)")

    op.create_table(
        'room_features',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=False),
        sa.Column('feature', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_room_features_room_id_rooms')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_room_features')),
        sa.UniqueConstraint('room_id', 'feature', name=op.f('uq_room_features_room_id_feature')),
    )

    op.create_table(
        'reservation_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reservation_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('author_name', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['operators.id'], name=op.f('fk_reservation_notes_author_id_operators')),
        sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'],
                                name=op.f('fk_reservation_notes_reservation_id_reservations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reservation_notes')),
    )
    op.create_index('ix_reservation_notes_reservation_id', 'reservation_notes', ['reservation_id', 'created_at'])


def downgrade():
    op.drop_index('ix_reservation_notes_reservation_id', table_name='reservation_notes')
    op.drop_table('reservation_notes')
    op.drop_table('room_features')
    op.drop_index('ix_room_assignments_room_stay', table_name='room_assignments')
    op.drop_index('ix_room_assignments_reservation_id', table_name='room_assignments')
    op.drop_table('room_assignments')
