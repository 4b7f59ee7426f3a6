"""web view: its signing key and address, and the one-time sign-in links

``website`` holds one row: the key that signs the web view's sign-in links and session
cookies (generated on first need, shared by every process on the database) and the
address the web is served at. ``weblink`` records each link answered to /web in a chat
and when it was used, so that a link works once, across processes and restarts.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'website',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('base_url', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'weblink',
        sa.Column('jti', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('chat_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['chat_id'], ['chat.id']),
        sa.PrimaryKeyConstraint('jti'),
    )
    with op.batch_alter_table('weblink', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weblink_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_weblink_issued_at'), ['issued_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('weblink', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weblink_issued_at'))
        batch_op.drop_index(batch_op.f('ix_weblink_chat_id'))
    op.drop_table('weblink')
    op.drop_table('website')
