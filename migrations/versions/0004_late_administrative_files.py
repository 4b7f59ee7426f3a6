"""late administrative files

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 07:29:00.849758
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tthcfile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('procedure', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('applicant_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('applicant_address', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('applicant_phone', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processing_days', sa.Integer(), nullable=True),
    sa.Column('original_due_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status_text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('check_on', sa.Date(), nullable=False),
    sa.Column('source_line', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('tthcfile', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tthcfile_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tthcfile_due_on'), ['due_on'], unique=False)
        batch_op.create_index('ix_tthcfile_status_check', ['status', 'check_on'], unique=False)

    op.create_table('apology',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('new_due_on', sa.Date(), nullable=True),
    sa.Column('original_due_on', sa.Date(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('started_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], ),
    sa.ForeignKeyConstraint(['chat_id'], ['chat.id'], ),
    sa.ForeignKeyConstraint(['file_id'], ['tthcfile.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('apology', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apology_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_apology_file_id'), ['file_id'], unique=False)

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch_op.alter_column('assignment_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_notice_file_id'), ['file_id'], unique=False)
        batch_op.create_foreign_key('fk_notice_file_id_tthcfile', 'tthcfile', ['file_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_constraint('fk_notice_file_id_tthcfile', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notice_file_id'))
        batch_op.alter_column('assignment_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('file_id')

    with op.batch_alter_table('apology', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apology_file_id'))
        batch_op.drop_index(batch_op.f('ix_apology_agency_id'))

    op.drop_table('apology')
    with op.batch_alter_table('tthcfile', schema=None) as batch_op:
        batch_op.drop_index('ix_tthcfile_status_check')
        batch_op.drop_index(batch_op.f('ix_tthcfile_due_on'))
        batch_op.drop_index(batch_op.f('ix_tthcfile_agency_id'))

    op.drop_table('tthcfile')
