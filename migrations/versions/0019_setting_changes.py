"""the audit trail of the province's settings: calendar days, link codes, chats unbound

``settingchange`` records who added or removed a day off or a make-up working day, issued
or revoked a link code, or unbound a chat, and when (the web view's admin pages and the
CLI write it).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 16:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'settingchange',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
        sa.Column('old', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('new', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('settingchange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settingchange_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_settingchange_subject'), ['subject'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('settingchange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settingchange_subject'))
        batch_op.drop_index(batch_op.f('ix_settingchange_at'))
    op.drop_table('settingchange')
