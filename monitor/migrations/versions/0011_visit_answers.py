"""visit answers: the applicant confirms or disputes what the desk logged (issue 27)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 23:50:00

One answer per visit (no IIN, nothing identifying beyond the visit link), and the findings
an answer reported, which no desk action clears (applicant_findings).
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'visit_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visit_pk', sa.Integer(), nullable=False),
        sa.Column('verdict', sa.String(length=10), nullable=False),
        sa.Column('documents', sa.JSON(), nullable=False),
        sa.Column('typed_documents', sa.Text(), nullable=True),
        sa.Column('told_to_return', sa.Boolean(), nullable=False),
        sa.Column('asked_to_pay', sa.Boolean(), nullable=False),
        sa.Column('sent_elsewhere', sa.Boolean(), nullable=False),
        sa.Column('waited_minutes', sa.Integer(), nullable=True),
        sa.Column('account', sa.Text(), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("verdict IN ('confirmed', 'disputed')", name=op.f('ck_visit_answers_verdict')),
        sa.CheckConstraint('waited_minutes IS NULL OR waited_minutes >= 0',
                           name=op.f('ck_visit_answers_waited_minutes')),
        sa.ForeignKeyConstraint(['visit_pk'], ['visits.id'], name=op.f('fk_visit_answers_visit_pk_visits')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_answers')),
        sa.UniqueConstraint('visit_pk', name=op.f('uq_visit_answers_visit_pk')),
    )
    op.create_table(
        'applicant_findings',
        sa.Column('finding_id', sa.Integer(), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['answer_id'], ['visit_answers.id'],
                                name=op.f('fk_applicant_findings_answer_id_visit_answers')),
        sa.ForeignKeyConstraint(['finding_id'], ['findings.id'],
                                name=op.f('fk_applicant_findings_finding_id_findings')),
        sa.PrimaryKeyConstraint('finding_id', name=op.f('pk_applicant_findings')),
    )
    with op.batch_alter_table('applicant_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applicant_findings_answer_id'), ['answer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('applicant_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applicant_findings_answer_id'))
    op.drop_table('applicant_findings')
    op.drop_table('visit_answers')
