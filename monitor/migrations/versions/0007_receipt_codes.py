"""receipt codes: a new check code reaches its receipt through the database, sealed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:00:00

The check code of a new case rode to the receipt in the (signed, readable) session cookie.
It now waits here, sealed with a one-time key that only the desk user's session holds, and
is deleted when the receipt opens.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'receipt_codes',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('case_number', sa.String(length=80), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('sealed_code', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_receipt_codes_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_receipt_codes')),
    )
    with op.batch_alter_table('receipt_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_codes_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipt_codes_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('receipt_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_codes_user_id'))
        batch_op.drop_index(batch_op.f('ix_receipt_codes_expires_at'))
    op.drop_table('receipt_codes')
