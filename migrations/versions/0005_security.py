"""security mends: staff.session_version, keyed audit scheme, evidence in the row, partner tokens

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Raised on logout and on every account change: older session cookies stop working.
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='1'))
    # Rows already written keep plain sha256; new rows are keyed (hmac1).
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheme', sa.String(length=8), nullable=False,
                                      server_default='sha256'))
    # Evidence sealed in the row; older rows keep their file in the uploads folder (box NULL).
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('box', sa.LargeBinary(), nullable=True))
    op.create_table('partner_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_tokens')),
    sa.UniqueConstraint('key_id', name=op.f('uq_partner_tokens_key_id')),
    sa.UniqueConstraint('name', name=op.f('uq_partner_tokens_name'))
    )


def downgrade() -> None:
    op.drop_table('partner_tokens')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('box')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('scheme')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('session_version')
