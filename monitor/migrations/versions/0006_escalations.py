"""escalations: the accountability clock's queue, and the indexes its job reads

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00

An overdue case, an unreviewed high-severity finding or an unanswered report of inducement
whose clock ran out (ESCALATE_AFTER_WORKING_DAYS) gets one row here, never deleted. The
partial indexes let the hourly ``escalate`` job read only the items that may be due.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'escalations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_kind', sa.String(length=30), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('item_ref', sa.String(length=120), nullable=False),
        sa.Column('office_code', sa.String(length=40), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('level', sa.String(length=20), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolution', sa.String(length=20), nullable=True),
        sa.CheckConstraint("item_kind IN ('overdue_case', 'unreviewed_finding', 'unanswered_inducement')",
                           name=op.f('ck_escalations_item_kind')),
        sa.CheckConstraint("level IN ('admin')", name=op.f('ck_escalations_level')),
        sa.CheckConstraint("resolution IS NULL OR resolution IN ('completed', 'withdrawn', 'reviewed', "
                           "'answered', 'closed')", name=op.f('ck_escalations_resolution')),
        sa.CheckConstraint("(resolved_at IS NULL) = (resolution IS NULL)", name=op.f('ck_escalations_resolved')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations')),
        sa.UniqueConstraint('item_kind', 'item_id', name=op.f('uq_escalations_item_kind_item_id')),
    )
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalations_office_code'), ['office_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalations_escalated_at'), ['escalated_at'], unique=False)
        batch_op.create_index('ix_escalations_open', ['item_kind', 'escalated_at'], unique=False,
                              sqlite_where=sa.text('resolved_at IS NULL'),
                              postgresql_where=sa.text('resolved_at IS NULL'))
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index('ix_findings_unreviewed_high', ['as_of'], unique=False,
                              sqlite_where=sa.text("review_status = 'open' AND severity = 'high'"),
                              postgresql_where=sa.text("review_status = 'open' AND severity = 'high'"))
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(
            'ix_complaints_unanswered_inducement', ['received_at'], unique=False,
            sqlite_where=sa.text("kind = 'inducement' AND status IN ('received', 'in_review')"),
            postgresql_where=sa.text("kind = 'inducement' AND status IN ('received', 'in_review')"))


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_unanswered_inducement')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index('ix_findings_unreviewed_high')
    op.drop_table('escalations')
