"""What operators watch: readiness, and the queue and delivery figures a metrics scrape reads.

Read-only use cases: each runs in a reader (``Fairflag.query``) and writes nothing, so a scrape or a probe
never takes a write lock or changes what it measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import func, select, text

from fairflag.delivery.webhooks import DEAD, PENDING
from fairflag.domain.enums import CaseStatus
from fairflag.domain.errors import DomainError
from fairflag.domain.events import EventKind
from fairflag.services.context import Context
from fairflag.services.permissions import AUDITORS, require_role
from fairflag.store import migrate
from fairflag.store.tables import Case, Decision, Event, OutboxEvent, Subject, WebhookDelivery, WebhookEndpoint


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
    overdue: int = 0  # open cases past their review deadline


@dataclass(frozen=True)
class OpsSnapshot:
    queues: list[SurfaceQueue]
    decisions: dict[str, int]  # by outcome, since the beginning (decisions are never deleted)
    dead_letters: int  # webhook deliveries that gave up
    deadlines_missed: dict[str, int] | None = None  # by surface: decisions taken after their case's deadline
    webhook_pending: int = 0  # deliveries waiting for a (re)try
    webhook_lag_s: float = 0.0  # age of the oldest event an active endpoint has not received yet
    triage_set_aside: int = 0  # triage log rows set aside after failing every attempt (never removed)


def snapshot(ctx: Context) -> OpsSnapshot:
    """Open cases and the oldest one's age per surface, decisions by outcome, dead webhook deliveries."""
    now = ctx.now()
    rows = ctx.session.execute(
        select(Subject.surface, func.count(), func.min(Case.opened_at))
        .join(Subject, Subject.id == Case.subject_id).where(Case.status == CaseStatus.open.value)
        .group_by(Subject.surface)
    ).all()
    overdue = dict(ctx.session.execute(
        select(Subject.surface, func.count()).select_from(Case).join(Subject, Subject.id == Case.subject_id)
        .where(Case.status == CaseStatus.open.value, Case.deadline_at < now).group_by(Subject.surface)).all())
    # Every surface of the policy, an empty one as zeros: a queue that drains reads 0 rather than vanishing.
    found = {surface: (int(depth), _age(now, oldest)) for surface, depth, oldest in rows}
    queues = [SurfaceQueue(surface, *found.get(surface, (0, 0.0)), int(overdue.get(surface, 0)))
              for surface in sorted(set(ctx.policy.surfaces) | set(found))]
    decisions = {outcome: int(n) for outcome, n in ctx.session.execute(
        select(Decision.outcome, func.count()).group_by(Decision.outcome)).all()}
    # First decisions only (an appeal's resolution is judged by its own window, not the review deadline).
    missed = {surface: int(n) for surface, n in ctx.session.execute(
        select(Subject.surface, func.count()).select_from(Decision)
        .join(Case, Case.id == Decision.case_id).join(Subject, Subject.id == Decision.subject_id)
        .where(Decision.from_appeal_id.is_(None), Decision.decided_at > Case.deadline_at)
        .group_by(Subject.surface)).all()}
    dead = ctx.session.scalar(select(func.count()).select_from(WebhookDelivery)
                              .where(WebhookDelivery.status == DEAD)) or 0
    pending, oldest_pending = ctx.session.execute(
        select(func.count(), func.min(OutboxEvent.created_at)).select_from(WebhookDelivery)
        .join(OutboxEvent, OutboxEvent.seq == WebhookDelivery.outbox_seq)
        .where(WebhookDelivery.status == PENDING)).one()
    # Events an active endpoint has not even been given a delivery for yet (fan-out reads the outbox by cursor).
    oldest_unfanned = ctx.session.scalar(
        select(func.min(OutboxEvent.created_at)).select_from(OutboxEvent)
        .join(WebhookEndpoint, OutboxEvent.seq > WebhookEndpoint.cursor)
        .where(WebhookEndpoint.active.is_(True)))
    waiting = [t for t in (oldest_pending, oldest_unfanned) if t is not None]
    set_aside = ctx.session.scalar(select(func.count()).select_from(Event)
                                   .where(Event.kind == EventKind.triage_row_set_aside.value)) or 0
    return OpsSnapshot(sorted(queues, key=lambda q: q.surface), decisions, int(dead), missed, int(pending or 0),
                       _age(now, min(waiting)) if waiting else 0.0, int(set_aside))


class SetAsideRow(BaseModel):
    """A triage log row the consumer set aside: the report or decision was stored but never weighed."""

    kind: str = Field(description="report or decision")
    ref_id: str = Field(description="The report's or the decision's id.")
    attempts: int
    error: str = Field(description="The last failure (exception type and message).")
    set_aside_at: datetime


def set_aside_rows(ctx: Context, limit: int = 100) -> list[SetAsideRow]:
    """The rows set aside, newest first, for the operator who fixes the cause (admins and auditors)."""
    require_role(ctx.actor, AUDITORS, "reading the triage log's set-aside rows")
    events = ctx.session.scalars(select(Event).where(Event.kind == EventKind.triage_row_set_aside.value)
                                 .order_by(Event.occurred_at.desc(), Event.seq.desc()).limit(limit))
    return [SetAsideRow(kind=e.entity_type, ref_id=e.entity_id, attempts=int(e.data.get("attempts", 0)),
                        error=str(e.data.get("error", "")), set_aside_at=e.occurred_at) for e in events]


def _age(now: datetime, oldest: datetime | None) -> float:
    return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
