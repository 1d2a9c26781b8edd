"""mail outbox: every e-mail kept until the server took it; a complaint's language

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:40:00

Mails are written in the transaction of what caused them (a digest, an escalation, an
answer) and sent by the ``mail`` job with retries, so a mail server that is down delays them
instead of losing them. A complaint's language is kept beside it (complaint_languages), for its answer.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mail_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('recipients', sa.Text(), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=True),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('outbox_name', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent')", name=op.f('ck_mail_outbox_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_outbox_status'), ['status'], unique=False)
        batch_op.create_index('ix_mail_outbox_due', ['next_attempt_at'], unique=False,
                              sqlite_where=sa.text("status = 'pending'"),
                              postgresql_where=sa.text("status = 'pending'"))
    op.create_table(
        'complaint_languages',
        sa.Column('complaint_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'],
                                name=op.f('fk_complaint_languages_complaint_id_complaints'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_complaint_languages')),
    )


def downgrade():
    op.drop_table('complaint_languages')
    op.drop_table('mail_outbox')
