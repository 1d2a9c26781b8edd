"""evidence: findings kept, supervised corrections, row digests in the audit chain

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_digest', sa.String(length=64), nullable=True))

    op.create_table('row_digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('row_id', sa.String(length=120), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_row_digests'))
    )
    with op.batch_alter_table('row_digests', schema=None) as batch_op:
        batch_op.create_index('ix_row_digests_entity_row', ['entity', 'row_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_row_digests_sequence'), ['sequence'], unique=False)

    op.create_table('correction_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_pk', sa.Integer(), nullable=False),
    sa.Column('office_code', sa.String(length=40), nullable=False),
    sa.Column('requested_by', sa.String(length=80), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('why_supervised', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_correction_requests_status')),
    sa.ForeignKeyConstraint(['visit_pk'], ['visits.id'], name=op.f('fk_correction_requests_visit_pk_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_requests'))
    )
    with op.batch_alter_table('correction_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_requests_office_code'), ['office_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_correction_requests_visit_pk'), ['visit_pk'], unique=False)

    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('firing', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cleared_cause', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('cleared_reason', sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f('ck_findings_review_status'), type_='check')
        batch_op.create_check_constraint(
            'review_status', "review_status IN ('open', 'confirmed', 'dismissed', 'closed', 'reopened')")

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('late_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_column('late_reason')
        batch_op.drop_column('recorded_at')

    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_findings_review_status'), type_='check')
        batch_op.create_check_constraint('review_status', "review_status IN ('open', 'confirmed', 'dismissed')")
        batch_op.drop_column('cleared_reason')
        batch_op.drop_column('cleared_cause')
        batch_op.drop_column('cleared_at')
        batch_op.drop_column('firing')

    with op.batch_alter_table('correction_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correction_requests_visit_pk'))
        batch_op.drop_index(batch_op.f('ix_correction_requests_office_code'))
    op.drop_table('correction_requests')

    with op.batch_alter_table('row_digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_row_digests_sequence'))
        batch_op.drop_index('ix_row_digests_entity_row')
    op.drop_table('row_digests')

    with op.batch_alter_table('audit_records', schema=None) as batch_op:
        batch_op.drop_column('data_digest')
