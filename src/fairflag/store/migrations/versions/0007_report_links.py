"""report links: the user's report page, one signed link per report

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:00:00

Why: the platform can send a user to fairflag's own report page with a signed, short-lived link bound to one
reporter and one subject. A link files one report only, whichever process serves it, so its use is stored.
The index serves the per-reporter rate limit (links issued to a reporter in the last hour).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from fairflag.store.types import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'report_links',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('reporter_id', sa.String(length=200), nullable=False),
        sa.Column('subject_id', sa.String(length=200), nullable=False),
        sa.Column('service_key_id', sa.String(length=64), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('report_id', sa.String(length=64), nullable=True),
        sa.Column('notice', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                  nullable=True),
        sa.Column('follow_up', sa.String(length=10), nullable=True),
        sa.Column('follow_up_at', UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_links')),
    )
    op.create_index('ix_report_links_reporter_time', 'report_links', ['reporter_id', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_report_links_reporter_time', table_name='report_links')
    op.drop_table('report_links')
