"""indicator cells: the weekly report's read model, written when data arrives

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 23:49:26

The engine's additive parts per (week, office), (week, office, service) and (week, office,
staff), the final indicators per (week, scope), the scope values seen, the weeks computed and
the marks of weeks to recompute (models/cells.py). Empty after the upgrade: ``flask cells
refresh --all`` builds them from the stored rows.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indicator_cells',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('scope_kind', sa.String(length=10), nullable=False),
    sa.Column('office_code', sa.String(length=40), nullable=False),
    sa.Column('scope_value', sa.String(length=80), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('asked_badly', sa.Integer(), nullable=False),
    sa.Column('ticketed', sa.Integer(), nullable=False),
    sa.Column('wait_within_limit', sa.Integer(), nullable=False),
    sa.Column('red_tape_visit', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('confirmed', sa.Integer(), nullable=False),
    sa.Column('disputed', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('red_tape_case', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('unfounded_refusal', sa.Integer(), nullable=False),
    sa.Column('visit_count', sa.Integer(), nullable=False),
    sa.Column('overdue_open', sa.Integer(), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.Column('seen', sa.Integer(), nullable=False),
    sa.Column('lead_hours', sa.LargeBinary(), nullable=False),
    sa.Column('wait_minutes', sa.LargeBinary(), nullable=False),
    sa.CheckConstraint("scope_kind IN ('office', 'service', 'staff')", name=op.f('ck_indicator_cells_scope_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_cells')),
    sa.UniqueConstraint('week', 'scope_kind', 'office_code', 'scope_value', name=op.f('uq_indicator_cells_week_scope_kind_office_code_scope_value'))
    )
    op.create_table('indicator_scope_values',
    sa.Column('scope_kind', sa.String(length=10), nullable=False),
    sa.Column('office_code', sa.String(length=40), nullable=False),
    sa.Column('scope_value', sa.String(length=80), nullable=False),
    sa.Column('weeks', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope_kind', 'office_code', 'scope_value', name=op.f('pk_indicator_scope_values'))
    )
    op.create_table('indicator_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('scope_kind', sa.String(length=10), nullable=False),
    sa.Column('scope_value', sa.String(length=80), nullable=False),
    sa.Column('cases_accepted', sa.Float(), nullable=True),
    sa.Column('cases_completed', sa.Float(), nullable=True),
    sa.Column('on_time_rate', sa.Float(), nullable=True),
    sa.Column('overdue_open', sa.Float(), nullable=True),
    sa.Column('lead_time_p50_hours', sa.Float(), nullable=True),
    sa.Column('lead_time_p90_hours', sa.Float(), nullable=True),
    sa.Column('extra_document_rate', sa.Float(), nullable=True),
    sa.Column('queue_wait_p90_minutes', sa.Float(), nullable=True),
    sa.Column('queue_wait_within_limit_rate', sa.Float(), nullable=True),
    sa.Column('red_tape_per_100_cases', sa.Float(), nullable=True),
    sa.Column('refusal_rate', sa.Float(), nullable=True),
    sa.Column('unfounded_refusal_rate', sa.Float(), nullable=True),
    sa.Column('visits_per_case', sa.Float(), nullable=True),
    sa.Column('complaints', sa.Float(), nullable=True),
    sa.Column('confirmation_rate', sa.Float(), nullable=True),
    sa.Column('disputes_per_100_cases', sa.Float(), nullable=True),
    sa.CheckConstraint("scope_kind IN ('network', 'office', 'service', 'staff')", name=op.f('ck_indicator_values_scope_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_values')),
    sa.UniqueConstraint('week', 'scope_kind', 'scope_value', name=op.f('uq_indicator_values_week_scope_kind_scope_value'))
    )
    op.create_table('indicator_weeks',
    sa.Column('week', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('week', name=op.f('pk_indicator_weeks'))
    )
    op.create_table('stale_indicator_weeks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_week', sa.Integer(), nullable=False),
    sa.Column('last_week', sa.Integer(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stale_indicator_weeks'))
    )
    with op.batch_alter_table('stale_indicator_weeks', schema=None) as batch_op:
        batch_op.create_index('ix_stale_indicator_weeks_first', ['first_week'], unique=False)



def downgrade():
    with op.batch_alter_table('stale_indicator_weeks', schema=None) as batch_op:
        batch_op.drop_index('ix_stale_indicator_weeks_first')

    op.drop_table('stale_indicator_weeks')
    op.drop_table('indicator_weeks')
    op.drop_table('indicator_values')
    op.drop_table('indicator_scope_values')
    op.drop_table('indicator_cells')
