"""a deadline set by an admin, kept across re-imports while the plan's cell is unchanged

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 17:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_set_to", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("deadline_set_for", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("deadline_set_for")
        batch_op.drop_column("deadline_set_to")
