"""stored week rows: visits' local day and ISO week, cases' defining visits, indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 17:20:00

The weekly indicators read only the rows of the requested week: each visit keeps the
local day and ISO week it counts in, each case the visits that accepted and completed it
and its visit count. Rows stored before this revision get them from ``flask cases refresh``
(visit_store.refresh_all_cases: re-time every case, fill every visit's day and week),
to be run once after upgrading; the migration itself knows no time zone.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepting_visit_pk', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('completing_visit_pk', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('visit_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_cases_accepted_at'), ['accepted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_completed_at'), ['completed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_withdrawn_at'), ['withdrawn_at'], unique=False)
        batch_op.create_index('ix_cases_open_due', ['due_at'], unique=False,
                              sqlite_where=sa.text('completed_at IS NULL AND withdrawn_at IS NULL'),
                              postgresql_where=sa.text('completed_at IS NULL AND withdrawn_at IS NULL'))
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local_day', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('week', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_visits_week'), ['week'], unique=False)
        batch_op.create_index('ix_visits_office_service', ['office_code', 'service_code'], unique=False)
        batch_op.create_index('ix_visits_office_staff', ['office_code', 'staff_id'], unique=False)
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        # The catalog's and calendar's latest records: the citizens' pages' cache key.
        batch_op.create_index(batch_op.f('ix_audit_records_entity'), ['entity'], unique=False)
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_severity'), ['severity'], unique=False)
        batch_op.create_index(batch_op.f('ix_findings_review_status'), ['review_status'], unique=False)


def downgrade():
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_review_status'))
        batch_op.drop_index(batch_op.f('ix_findings_severity'))
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_records_entity'))
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_office_staff')
        batch_op.drop_index('ix_visits_office_service')
        batch_op.drop_index(batch_op.f('ix_visits_week'))
        batch_op.drop_column('week')
        batch_op.drop_column('local_day')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_open_due')
        batch_op.drop_index(batch_op.f('ix_cases_withdrawn_at'))
        batch_op.drop_index(batch_op.f('ix_cases_completed_at'))
        batch_op.drop_index(batch_op.f('ix_cases_accepted_at'))
        batch_op.drop_column('visit_count')
        batch_op.drop_column('completing_visit_pk')
        batch_op.drop_column('accepting_visit_pk')
