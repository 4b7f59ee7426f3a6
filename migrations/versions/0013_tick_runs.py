"""tick runs: each worker's last planning tick, for dondoc health in another process

``dondoc run`` plans in its own process; ``dondoc health`` and the operator's tools need
to know when it last planned, how long that took and whether it failed. One row per
worker (``host:pid``), replaced after every tick; rows of workers gone a day are removed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 05:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'tickrun',
        sa.Column('worker', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seconds', sa.Float(), nullable=False),
        sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint('worker'),
    )
    with op.batch_alter_table('tickrun', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickrun_started_at'), ['started_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickrun', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickrun_started_at'))
    op.drop_table('tickrun')
