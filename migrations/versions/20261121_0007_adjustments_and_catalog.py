"""Reservation adjustments, room assignment and catalog management.

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
    pass


def downgrade():
    pass
