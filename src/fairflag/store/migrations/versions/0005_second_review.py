"""second review of restrictive decisions on campaign-protected subjects

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 20:00:00

Why: a restrictive decision on a subject a detected coordinated-reporting campaign targets needs a second
moderator ([second_review] in the policy). The case keeps who gave the first opinion (that moderator cannot
claim or decide it again) and the opinion itself, for the audit. Existing cases have none.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_opinion_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('first_opinion', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('first_opinion')
        batch_op.drop_column('first_opinion_by')
