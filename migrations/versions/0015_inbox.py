"""inbox: the updates a channel delivered, kept before they are confirmed to it

Telegram forgets an update once the next ``getUpdates`` confirms it, which
python-telegram-bot does before the update is handled: a process killed in between lost
what officers wrote. Each update is now kept first, claimed while it is handled, and
marked handled; what a killed process left is handled by another (``bot.services.inbox``).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 14:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'inboxupdate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('update_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('channel', 'update_key'),
    )
    with op.batch_alter_table('inboxupdate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inboxupdate_handled_at'), ['handled_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inboxupdate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inboxupdate_handled_at'))
    op.drop_table('inboxupdate')
