"""Requisitions remember a close-out waiting for its last deliveries (closing_as)

Revision ID: 0005_closing_as
Revises: 0004_waiting
Create Date: 2026-11-22 04:51:12.647425

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_closing_as'
down_revision = '0004_waiting'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('requisitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing_as', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('requisitions', schema=None) as batch_op:
        batch_op.drop_column('closing_as')
