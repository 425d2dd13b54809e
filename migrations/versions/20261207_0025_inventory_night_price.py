"""Each inventory night carries its night's rate (null: the room type's base price), so a search
reads one row per room type and night instead of probing the rates as well; and an index on
(hotel_id, night), so a search reads a city's nights hotel by hotel (one descent per hotel, not per
room type). Neither column changes when a booking takes rooms, so those updates stay HOT.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inventory_nights', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_inventory_nights_price_non_negative'), 'price IS NULL OR price >= 0')
    op.execute("UPDATE inventory_nights SET price = (SELECT rates.price FROM rates "
               "WHERE rates.room_type_id = inventory_nights.room_type_id AND rates.night = inventory_nights.night)")
    if op.get_bind().dialect.name == 'postgresql':
        # Built without blocking the bookings that write the table meanwhile.
        with op.get_context().autocommit_block():
            op.create_index(op.f('ix_inventory_nights_hotel_id_night'), 'inventory_nights', ['hotel_id', 'night'],
                            unique=False, postgresql_concurrently=True, if_not_exists=True)
    else:
        op.create_index(op.f('ix_inventory_nights_hotel_id_night'), 'inventory_nights', ['hotel_id', 'night'],
                        unique=False)


def downgrade():
    op.drop_index(op.f('ix_inventory_nights_hotel_id_night'), table_name='inventory_nights')
    with op.batch_alter_table('inventory_nights', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_inventory_nights_price_non_negative'), type_='check')
        batch_op.drop_column('price')
