"""What operators watch: readiness, and the queue and delivery figures a metrics scrape reads.

Read-only use cases: each runs in a reader (``Fairflag.query``) and writes nothing, so a scrape or a probe
never takes a write lock or changes what it measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text

from fairflag.delivery.webhooks import DEAD
from fairflag.domain.enums import CaseStatus
from fairflag.domain.errors import DomainError
from fairflag.services.context import Context
from fairflag.store import migrate
from fairflag.store.tables import Case, Decision, Subject, WebhookDelivery


class NotReady(DomainError):
    """The server cannot serve yet: answered with 503 by the readiness probe."""

    code = "not_ready"


def readiness(ctx: Context) -> None:
    """The database answers and its schema is the migrations' head; raises :class:`NotReady` otherwise."""
    connection = ctx.session.connection()
    connection.execute(text("SELECT 1"))
    if not migrate.at_head(connection):
        raise NotReady("the database's migrations are not at head; run `fairflag migrate`")


@dataclass(frozen=True)
class SurfaceQueue:
    surface: str
    depth: int
    oldest_age_s: float


@dataclass(frozen=True)
class OpsSnapshot:
    queues: list[SurfaceQueue]
    decisions: dict[str, int]  # by outcome, since the beginning (decisions are never deleted)
    dead_letters: int  # webhook deliveries that gave up


def snapshot(ctx: Context) -> OpsSnapshot:
    """Open cases and the oldest one's age per surface, decisions by outcome, dead webhook deliveries."""
    now = ctx.now()
    rows = ctx.session.execute(
        select(Subject.surface, func.count(), func.min(Case.opened_at))
        .join(Subject, Subject.id == Case.subject_id).where(Case.status == CaseStatus.open.value)
        .group_by(Subject.surface)
    ).all()
    queues = [SurfaceQueue(surface, int(depth), _age(now, oldest)) for surface, depth, oldest in rows]
    decisions = {outcome: int(n) for outcome, n in ctx.session.execute(
        select(Decision.outcome, func.count()).group_by(Decision.outcome)).all()}
    dead = ctx.session.scalar(select(func.count()).select_from(WebhookDelivery)
                              .where(WebhookDelivery.status == DEAD)) or 0
    return OpsSnapshot(sorted(queues, key=lambda q: q.surface), decisions, int(dead))


def _age(now: datetime, oldest: datetime | None) -> float:
    return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
