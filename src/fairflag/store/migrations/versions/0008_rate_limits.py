"""rate limits: one row per limited key (service key, reporter per minute and per hour)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 11:00:00

Why: rate limits must hold across server processes, so their state is in the database: one row per key with the
GCRA's theoretical arrival time, advanced by one UPSERT per request (the primary key serves it). On PostgreSQL
the table is UNLOGGED: counters need no WAL, no fsync and no replica; a crash empties it.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table(
        'rate_limits',
        sa.Column('key', sa.String(length=264), nullable=False),
        sa.Column('tat', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limits')),
        prefixes=unlogged,
    )


def downgrade() -> None:
    op.drop_table('rate_limits')
