"""catalog stewardship: the steward role, drafts, the second steward's decisions, error reports

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:55:00

Ministries keep their services true in the browser (issue 25): a steward drafts a service's
next version, a second steward approves or rejects it, and citizens and clerks report a page
that is wrong. A steward keeps the services listed in stewarded_services, or the whole
catalog when none is listed.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _users_roles(check: str) -> None:
    # SQLite's batch mode copies the table and cannot read back the expression index of
    # migration 0004 (logins unique ignoring case): dropped before, created again after.
    op.drop_index('uq_users_login_lower', table_name='users')
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint(op.f('ck_users_role'), type_='check')
        batch.create_check_constraint('role', check)
    op.create_index('uq_users_login_lower', 'users', [sa.text('lower(login)')], unique=True)


def upgrade():
    _users_roles("role IN ('desk', 'supervisor', 'admin', 'steward')")
    op.create_table(
        'stewarded_services',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('service_code', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stewarded_services_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'service_code', name=op.f('pk_stewarded_services')),
    )
    op.create_table(
        'catalog_drafts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_code', sa.String(length=40), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('author', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('affected_cases', sa.JSON(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'approved', 'rejected')",
                           name=op.f('ck_catalog_drafts_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_drafts')),
    )
    op.create_index('ix_catalog_drafts_service_status', 'catalog_drafts', ['service_code', 'status'])
    op.create_table(
        'catalog_draft_decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('decision', sa.String(length=20), nullable=False),
        sa.Column('reviewer', sa.String(length=80), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("decision IN ('approved', 'rejected')", name=op.f('ck_catalog_draft_decisions_decision')),
        sa.ForeignKeyConstraint(['draft_id'], ['catalog_drafts.id'],
                                name=op.f('fk_catalog_draft_decisions_draft_id_catalog_drafts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_draft_decisions')),
    )
    op.create_index(op.f('ix_catalog_draft_decisions_draft_id'), 'catalog_draft_decisions', ['draft_id'])
    op.create_table(
        'catalog_error_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_code', sa.String(length=40), nullable=False),
        sa.Column('origin', sa.String(length=10), nullable=False),
        sa.Column('reporter', sa.String(length=80), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('contact', sa.Text(), nullable=True),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answer_by', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('answered_by', sa.String(length=80), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'answered')", name=op.f('ck_catalog_error_reports_status')),
        sa.CheckConstraint("origin IN ('public', 'desk')", name=op.f('ck_catalog_error_reports_origin')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_error_reports')),
    )
    op.create_index(op.f('ix_catalog_error_reports_received_at'), 'catalog_error_reports', ['received_at'])
    op.create_index('ix_catalog_error_reports_service_status', 'catalog_error_reports', ['service_code', 'status'])


def downgrade():
    op.drop_table('catalog_error_reports')
    op.drop_table('catalog_draft_decisions')
    op.drop_index('ix_catalog_drafts_service_status', table_name='catalog_drafts')
    op.drop_table('catalog_drafts')
    op.drop_table('stewarded_services')
    op.execute("DELETE FROM users WHERE role = 'steward'")
    _users_roles("role IN ('desk', 'supervisor', 'admin')")
