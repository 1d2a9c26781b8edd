"""catalog sources, provenance, fees in МРП, keywords

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mrp_rates',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('source', sa.JSON(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_mrp_rates_amount')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_mrp_rates'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keywords', sa.JSON(), nullable=True))
    with op.batch_alter_table('service_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fee_mrp', sa.Numeric(precision=10, scale=3, asdecimal=False), nullable=True))
        batch_op.add_column(sa.Column('fee_exemptions', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('legal_basis_text', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('sources', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('provenance', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('service_versions', schema=None) as batch_op:
        batch_op.drop_column('provenance')
        batch_op.drop_column('sources')
        batch_op.drop_column('legal_basis_text')
        batch_op.drop_column('fee_exemptions')
        batch_op.drop_column('fee_mrp')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('keywords')
    op.drop_table('mrp_rates')
