"""finding cells: the report's findings by rule stored per week, read by index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 03:20:00

The findings that fire per (week, visit office, case office, rule), counted in the week the
findings page's week filter puts them (models/cells.py: IndicatorFindingCell), and an index
on the findings cleared by cause and when (the report's "cleared by corrections this
week"). Backfill: every computed week is marked stale, so that the next ``cells`` job (or
``flask cells refresh``) computes the new cells of every week with the rest of its cells;
until then the report shows no findings by rule.
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indicator_finding_cells',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('visit_office', sa.String(length=40), nullable=False),
    sa.Column('case_office', sa.String(length=40), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('findings', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_finding_cells')),
    sa.UniqueConstraint('week', 'visit_office', 'case_office', 'rule',
                        name=op.f('uq_indicator_finding_cells_week_visit_office_case_office_rule'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index('ix_findings_cleared', ['cleared_cause', 'cleared_at'], unique=False)
    # Backfill: every computed week is recomputed by the next refresh.
    bind = op.get_bind()
    first, last = bind.execute(sa.text("SELECT min(week), max(week) FROM indicator_weeks")).one()
    if first is not None:
        marks = sa.table('stale_indicator_weeks', sa.column('first_week', sa.Integer),
                         sa.column('last_week', sa.Integer), sa.column('marked_at', sa.DateTime(timezone=True)))
        op.bulk_insert(marks, [{"first_week": int(first), "last_week": int(last),
                                "marked_at": dt.datetime.now(dt.timezone.utc)}])


def downgrade():
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index('ix_findings_cleared')
    op.drop_table('indicator_finding_cells')
