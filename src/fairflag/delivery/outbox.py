"""The transactional outbox: what the platform must enforce, written in the decision's transaction.

Ordering: on PostgreSQL a writer takes a transaction-level advisory lock before inserting, so outbox
sequence numbers are handed out in commit order; a reader of ``after=<seq>`` can never miss a row
that was numbered earlier but committed later. SQLite serialises writers already.
Only decisions, reversals and expiries write here, so the lock costs little.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, text

from fairflag.delivery.events import EventType
from fairflag.delivery.unit import UnitOfWork
from fairflag.store.tables import OutboxEvent

OUTBOX_LOCK_KEY = 0x66_61_69_72  # "fair"
_LOCKED = "fairflag.outbox.locked"  # Session.info: this transaction holds the outbox lock

# Kinds of platform-facing events: the registry in fairflag.delivery.events documents them and their payloads
# (docs/delivery.md is generated from it).
ACTION_APPLIED = EventType.action_applied
ACTION_REVERSED = EventType.action_reversed
ACTION_EXPIRED = EventType.action_expired
ACTION_LIFTED = EventType.action_lifted  # an automatic restriction ended (review decided, or a campaign was detected)


def enqueue(ctx: UnitOfWork, kind: EventType, payload: dict[str, Any], *,
            occurred_at: datetime | None = None) -> OutboxEvent:
    """Add an entry, written with the rest of the unit of work. ``payload`` must match the kind's entry in
    :data:`fairflag.delivery.events.EVENTS` (tests check every delivered event against it)."""
    if ctx.session.get_bind().dialect.name == "postgresql" and not ctx.session.info.get(_LOCKED):
        ctx.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": OUTBOX_LOCK_KEY})
        ctx.session.info[_LOCKED] = True  # held until the transaction ends
    event_id = ctx.ids.new("evt")
    row = OutboxEvent(
        event_id=event_id,
        kind=kind.value,
        occurred_at=occurred_at or ctx.now(),
        created_at=ctx.now(),
        payload={"id": event_id, "type": kind.value, **payload},
    )
    ctx.session.add(row)
    return row


def read_after(ctx: UnitOfWork, after: int, limit: int) -> list[OutboxEvent]:
    """Events with ``seq > after`` in commit order (the pull feed)."""
    stmt = select(OutboxEvent).where(OutboxEvent.seq > after).order_by(OutboxEvent.seq).limit(limit)
    return list(ctx.session.scalars(stmt))
