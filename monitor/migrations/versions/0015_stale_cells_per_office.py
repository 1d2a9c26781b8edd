"""stale cells per office: a mark may name the one office whose cells it makes stale

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 17:30:00

A desk save, a correction, an applicant's answer or a complaint changes the cells of the
offices of one case only; the cells job then recomputes those offices' cells of the weeks
(and the network's, services' and staff's figures that combine them), not every office's.
A mark without an office (every mark before this revision) makes the whole week stale.

Visits are indexed by (office, week, id) instead of office alone: one office's visits of a
week are one range of the index, and its visits' ids are read from the index alone (the index
on the office alone read the office's whole history from the table).
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stale_indicator_weeks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('office_code', sa.String(length=40), nullable=True))
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_office_week', ['office_code', 'week', 'id'], unique=False)
        batch_op.drop_index('ix_visits_office_code')


def downgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_office_code', ['office_code'], unique=False)
        batch_op.drop_index('ix_visits_office_week')
    with op.batch_alter_table('stale_indicator_weeks', schema=None) as batch_op:
        batch_op.drop_column('office_code')
