"""open files read in pages by (check day, id): the index carries the id

The files planner reads open files whose check day has come a page at a time, each
page after the last one's (check_on, id). On PostgreSQL an index on (status, check_on)
alone would sort every remaining file for each page; with the id in the index a page is
a range scan. (SQLite's index already ended with the rowid: same plan, new name.)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 02:45:00.000000
"""

from __future__ import annotations

from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tthcfile', schema=None) as batch_op:
        batch_op.drop_index('ix_tthcfile_status_check')
        batch_op.create_index(
            'ix_tthcfile_status_check_id', ['status', 'check_on', 'id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('tthcfile', schema=None) as batch_op:
        batch_op.drop_index('ix_tthcfile_status_check_id')
        batch_op.create_index('ix_tthcfile_status_check', ['status', 'check_on'], unique=False)
