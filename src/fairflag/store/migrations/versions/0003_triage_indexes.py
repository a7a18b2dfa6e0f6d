"""indexes for the per-report triage path

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:45:00

Why: triage asks on every report whether the subject has an active automatic restriction
(``WHERE target_id = ? AND status = 'active'``: ix_actions_target), and when a reporter joins a campaign it
finds the cases they were counted on (``case_reporters WHERE reporter_id IN (...)``: ix_case_reporters_reporter).
Without them both are scans that grow with the history.
"""
from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index('ix_actions_target', ['target_id', 'status'], unique=False)
    with op.batch_alter_table('case_reporters', schema=None) as batch_op:
        batch_op.create_index('ix_case_reporters_reporter', ['reporter_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_reporters', schema=None) as batch_op:
        batch_op.drop_index('ix_case_reporters_reporter')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index('ix_actions_target')
