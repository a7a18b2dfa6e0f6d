"""a third moderator when the second disagrees with a first opinion

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 23:00:00

Why: with two moderators, the second one's own miss cleared violations the first had caught; a disagreement
now goes to a third moderator ([second_review] tie_break). The case keeps who gave the second opinion (that
moderator cannot claim or decide it again) and the opinion itself, for the audit. Existing cases have none.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_opinion_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('second_opinion', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('second_opinion')
        batch_op.drop_column('second_opinion_by')
