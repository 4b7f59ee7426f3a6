"""channel usage: the messages each channel carried in a month, against its quota

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 02:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'channelusage',
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('sent', sa.Integer(), nullable=False),
        sa.Column('received', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('channel', 'month'),
    )


def downgrade() -> None:
    op.drop_table('channelusage')
