"""findings keep their rule's parameters (params, JSON) beside the English detail; correction requests their why as data

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:50:00

Pages, exports and mails render a finding from its rule and parameters in the reader's
language. Findings stored before this revision have no parameters: `flask findings
backfill-params` re-judges the stored visits and fills those it can match; the others keep
their English detail, shown as it is. A correction request keeps why it waits for a
supervisor as a code and parameters too (why_code, why_params) beside its English.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('findings') as batch:
        batch.add_column(sa.Column('params', sa.JSON(), nullable=True))
    with op.batch_alter_table('correction_requests') as batch:
        batch.add_column(sa.Column('why_code', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('why_params', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('correction_requests') as batch:
        batch.drop_column('why_params')
        batch.drop_column('why_code')
    with op.batch_alter_table('findings') as batch:
        batch.drop_column('params')
