"""Outbox: an index of pending messages in claiming order

Revision ID: 0006_outbox_pending
Revises: 0005_closing_as
Create Date: 2026-11-22 22:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_outbox_pending'
down_revision = '0005_closing_as'
branch_labels = None
depends_on = None

PENDING = "status IN ('scheduled', 'sending', 'retrying')"


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(
            'ix_outbox_messages_pending',
            ['next_attempt_at', 'id'],
            unique=False,
            postgresql_where=sa.text(PENDING),
            sqlite_where=sa.text(PENDING),
        )


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_pending')
