"""finding backlog: the report's "Needs your attention" counters per office

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:40:00

The findings waiting for a supervisor, whatever their week (no longer firing and not yet
closed or reopened, awaiting review, of high severity, held), counted per (visit office, case
office) and kept by every writer of findings (models/cells.py: FindingBacklog,
monitor/stores/backlog.py). Data step: the counters are built here from every stored finding,
by the definition of stores.backlog.BACKLOGS as it stands at this revision (``flask cells
refresh --all`` rebuilds them with the current one).
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('finding_backlog',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_office', sa.String(length=40), nullable=False),
    sa.Column('case_office', sa.String(length=40), nullable=False),
    sa.Column('no_longer_firing_unreviewed', sa.Integer(), nullable=False),
    sa.Column('awaiting_review', sa.Integer(), nullable=False),
    sa.Column('awaiting_review_high', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding_backlog'))
    )
    with op.batch_alter_table('finding_backlog', schema=None) as batch_op:
        batch_op.create_index('ix_finding_backlog_case_office', ['case_office'], unique=False)
        batch_op.create_index('ix_finding_backlog_visit_office', ['visit_office'], unique=False)
    # Data step: one row per key of the findings nobody has closed or dismissed yet.
    op.execute(sa.text("""
        INSERT INTO finding_backlog (visit_office, case_office, no_longer_firing_unreviewed, awaiting_review,
                                     awaiting_review_high, held)
        SELECT coalesce(visits.office_code, ''), coalesce(cases.office_code, ''),
               sum(CASE WHEN NOT findings.firing THEN 1 ELSE 0 END),
               sum(CASE WHEN findings.firing AND findings.review_status = 'open' THEN 1 ELSE 0 END),
               sum(CASE WHEN findings.firing AND findings.review_status = 'open' AND findings.severity = 'high'
                        THEN 1 ELSE 0 END),
               sum(CASE WHEN findings.firing AND findings.review_status = 'open'
                             AND findings.cleared_at IS NOT NULL THEN 1 ELSE 0 END)
        FROM findings
        LEFT OUTER JOIN visits ON findings.visit_pk = visits.id
        LEFT OUTER JOIN cases ON findings.case_pk = cases.id
        WHERE findings.review_status IN ('open', 'confirmed')
        GROUP BY coalesce(visits.office_code, ''), coalesce(cases.office_code, '')
    """))


def downgrade():
    with op.batch_alter_table('finding_backlog', schema=None) as batch_op:
        batch_op.drop_index('ix_finding_backlog_visit_office')
        batch_op.drop_index('ix_finding_backlog_case_office')
    op.drop_table('finding_backlog')
