"""The pull feed: every platform-facing event after a cursor, in commit order (docs/delivery.md).

The platform may read this instead of, or beside, receiving webhooks; each event is the webhook's body plus
``seq``, its place in the feed. Reading it changes nothing, so the platform's cursor is its own to keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fairflag.delivery import outbox
from fairflag.services.context import Context


@dataclass(frozen=True, slots=True)
class FeedPage:
    events: list[dict[str, Any]]
    next_after: int  # pass as ``after`` to continue; equal to ``after`` when there is nothing new


def read_feed(ctx: Context, after: int, limit: int) -> FeedPage:
    """Up to ``limit`` events with ``seq > after``, oldest first."""
    rows = outbox.read_after(ctx, after, limit)
    return FeedPage(events=[{"seq": r.seq, **r.payload} for r in rows], next_after=rows[-1].seq if rows else after)
