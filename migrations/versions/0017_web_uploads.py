"""web uploads: a file an admin uploads on the web, kept from its preview to its import

``webupload`` holds the uploaded bytes, their SHA-256 and the import's options between
the dry run shown to the admin and their "Xác nhận": the import is that very file, once
(``confirmed_at`` is claimed by a conditional UPDATE), by the person who uploaded it,
before it expires.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 16:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'webupload',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('chat_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['chat_id'], ['chat.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('webupload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webupload_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webupload_uploaded_at'), ['uploaded_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webupload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webupload_uploaded_at'))
        batch_op.drop_index(batch_op.f('ix_webupload_chat_id'))
    op.drop_table('webupload')
