"""open files by appointment day and agency: the web view's late files in an index

The web view (Hồ sơ trễ hạn, the public page) lists the open files late or due soon, a
page at a time in appointment order, counts them and counts them per agency. With
(status, due_on, agency_id) a page is a range scan in order and the counts are read from
the index alone, whatever the number of returned files before them; without it every
open file is read and sorted for each page.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 17:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tthcfile', schema=None) as batch_op:
        batch_op.create_index(
            'ix_tthcfile_status_due_agency', ['status', 'due_on', 'agency_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('tthcfile', schema=None) as batch_op:
        batch_op.drop_index('ix_tthcfile_status_due_agency')
