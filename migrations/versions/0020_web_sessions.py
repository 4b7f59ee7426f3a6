"""web sessions: each session of the web view recorded, so that signing out ends it

``websession`` holds one row per sign-in: a random id (the only thing the signed cookie
carries), the chat and the person, when it started and when it ended. A cookie whose
session has ended (signed out) opens nothing, even replayed.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 17:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'websession',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('chat_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['chat_id'], ['chat.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('websession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_websession_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_websession_started_at'), ['started_at'], unique=False)
    with op.batch_alter_table('webupload', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report', sqlmodel.sql.sqltypes.AutoString(),
                                      server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('webupload', schema=None) as batch_op:
        batch_op.drop_column('report')
    with op.batch_alter_table('websession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_websession_started_at'))
        batch_op.drop_index(batch_op.f('ix_websession_chat_id'))
    op.drop_table('websession')
