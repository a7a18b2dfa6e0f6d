"""queue rank with aging, and held follow-up cases after a subject was cleared

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:00:00

Why: the queue sorted by priority alone, so a low-priority case could wait forever behind a steady stream of
fresher medium ones; ``queue_rank`` (engine.triage.queue_rank) adds aging and keeps the queue an index scan.
``held_until`` / ``follows_decision_id`` hold reports on a recently cleared subject out of claim-next until
they bring material new evidence ([rereview] in the policy). Existing open cases get their rank computed
from their priority and opening time, with the default aging.
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import fairflag.store.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_AGING_PER_HOUR = 0.05


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_rank', sa.Float(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('held_until', fairflag.store.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('follows_decision_id', sa.String(length=64), nullable=True))
        batch_op.drop_index('ix_cases_queue')
        batch_op.create_index('ix_cases_rank', ['status', 'queue_rank'], unique=False)
    cases = sa.table('cases', sa.column('id', sa.String()), sa.column('priority', sa.Float()),
                     sa.column('opened_at', fairflag.store.types.UTCDateTime(timezone=True)),
                     sa.column('queue_rank', sa.Float()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(cases.c.id, cases.c.priority, cases.c.opened_at)).all()
    for case_id, priority, opened_at in rows:
        hours = (opened_at - _EPOCH).total_seconds() / 3600.0
        bind.execute(cases.update().where(cases.c.id == case_id)
                     .values(queue_rank=priority - _AGING_PER_HOUR * hours))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_rank')
        batch_op.create_index('ix_cases_queue', ['status', 'priority'], unique=False)
        batch_op.drop_column('follows_decision_id')
        batch_op.drop_column('held_until')
        batch_op.drop_column('queue_rank')
