"""The pull feed: every event for the platform, in commit order, after a cursor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from fairflag.api.deps import CoreDep, PlatformActor
from fairflag.api.errors import RATE_LIMITED_RESPONSES
from fairflag.services import feed as feed_service

router = APIRouter(prefix="/v1", tags=["delivery"], responses=RATE_LIMITED_RESPONSES)


class FeedPage(BaseModel):
    events: list[dict[str, Any]] = Field(
        description="Each event as webhooks deliver it, plus `seq`, its place in the feed (docs/delivery.md).")
    next_after: int = Field(description="Pass as `after` to continue; equal to `after` when there is nothing new.")


@router.get("/events", summary="Actions and outcomes for the platform, after a cursor, in commit order")
def feed(core: CoreDep, actor: PlatformActor, after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
         limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> FeedPage:
    page = core.query(actor, feed_service.read_feed, after, limit)
    return FeedPage(events=page.events, next_after=page.next_after)
