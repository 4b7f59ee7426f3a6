"""a task a revised plan no longer has: the re-import's file that dropped it

``task.removed_in`` holds the file name of the re-import whose plan no longer had the
task (its open parts were cancelled then); NULL while the plan has it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_in", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_column("removed_in")
