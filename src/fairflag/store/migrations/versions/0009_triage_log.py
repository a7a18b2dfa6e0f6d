"""the committed triage log and its consumer's cursor

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 11:00:00

Why: intake acknowledges a report once it is committed; scoring, campaign detection and automatic restriction
follow in a consumer that reads the committed log in order after a durable cursor (services/consumer.py,
docs/throughput.md). ``xid`` is the writing transaction's id on PostgreSQL (the consumer only passes rows of
finished transactions), 0 on SQLite (one writer: the rowid is commit order). Existing reports and decisions
were scored when they were filed, so they enter the log already passed: the cursor starts at their end.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fairflag.store.types import UTCDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    xid_default = sa.text("(pg_current_xact_id()::text::bigint)") if postgres else sa.text("0")
    op.create_table(
        'triage_log',
        sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('xid', sa.BigInteger(), server_default=xid_default, nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('ref_id', sa.String(length=64), nullable=False),
        sa.Column('at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_triage_log')),
    )
    # the consumer's read: the rows after its cursor, in log order
    op.create_index('ix_triage_log_order', 'triage_log', ['xid', 'seq'], unique=False)
    # ?wait=scored and the lag probe: where one report sits in the log
    op.create_index('ix_triage_log_ref', 'triage_log', ['ref_id'], unique=False)
    # rebuilding the detector: the log rows of its window
    op.create_index('ix_triage_log_at', 'triage_log', ['at'], unique=False)
    op.create_table(
        'triage_cursor',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('xid', sa.BigInteger(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_triage_cursor')),
    )
    # What exists was scored when it was filed: it enters the log already passed (xid 0, below any real one).
    op.execute(
        "INSERT INTO triage_log (xid, kind, ref_id, at) SELECT 0, 'report', id, reported_at FROM reports "
        "ORDER BY received_at, id"
    )
    op.execute(
        "INSERT INTO triage_cursor (name, xid, seq, updated_at) "
        "SELECT 'triage', 0, COALESCE(MAX(seq), 0), CURRENT_TIMESTAMP FROM triage_log"
    )


def downgrade() -> None:
    op.drop_table('triage_cursor')
    op.drop_index('ix_triage_log_at', table_name='triage_log')
    op.drop_index('ix_triage_log_ref', table_name='triage_log')
    op.drop_index('ix_triage_log_order', table_name='triage_log')
    op.drop_table('triage_log')
