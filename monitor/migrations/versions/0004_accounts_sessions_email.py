"""logins unique ignoring case; per-user session version; staff e-mail

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('email', sa.String(length=254), nullable=True))
    # Fails (as it should) if two logins already differ only by case: rename one first.
    op.create_index('uq_users_login_lower', 'users', [sa.text('lower(login)')], unique=True)


def downgrade():
    op.drop_index('uq_users_login_lower', table_name='users')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('email')
        batch.drop_column('session_version')
