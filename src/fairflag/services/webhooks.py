"""Admin use cases for webhook delivery: endpoints, dead letters and re-sending them.

The sending itself lives in :mod:`fairflag.delivery.webhooks` (run by :mod:`fairflag.webhook_sender`);
these are the decisions a person makes about it, each checked for the admin role and written to the audit
log. Secrets are shown once, when an endpoint is created, and never written to the log.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from fairflag.delivery.webhooks import DEAD, PENDING
from fairflag.domain.errors import Conflict, InvalidInput, NotFound
from fairflag.domain.events import EventKind
from fairflag.services.context import Context
from fairflag.services.inputs import WEBHOOK_URL_PATTERN, Bool, Input, Opaque, WebhookUrl
from fairflag.services.permissions import ADMINS, require_role
from fairflag.store.tables import OutboxEvent, WebhookDelivery, WebhookEndpoint

_WEBHOOK_URL = re.compile(WEBHOOK_URL_PATTERN)
SECRET_PREFIX = "whsec_"
MIN_SECRET_CHARS = 16
MAX_URL_CHARS = 2048  # the column's width


class InvalidWebhookUrl(InvalidInput):
    code = "invalid_webhook_url"


class WeakWebhookSecret(InvalidInput):
    code = "weak_webhook_secret"


class EndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"


class EndpointInactive(Conflict):
    code = "webhook_endpoint_inactive"


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"


class NotADeadLetter(Conflict):
    code = "not_a_dead_letter"


class EndpointIn(Input):
    url: WebhookUrl = Field(min_length=1, max_length=MAX_URL_CHARS, description="An absolute http(s) URL.")
    description: Opaque = Field("", max_length=200)
    secret: Opaque | None = Field(
        None, min_length=MIN_SECRET_CHARS, max_length=200,
        description="The signing secret; generated (and shown once) when omitted.",
    )
    backfill: Bool = Field(
        False, description="Deliver every event already in the outbox too; by default only events committed "
        "after the endpoint is created (the pull feed serves history).",
    )


class EndpointOut(BaseModel):
    id: str
    url: str
    description: str
    active: bool
    created_at: datetime
    cursor: int = Field(description="The last outbox seq fanned out to this endpoint.")
    pending: int = Field(description="Deliveries waiting to be sent or retried.")
    dead: int = Field(description="Dead letters: deliveries that ran out of attempts.")


class CreatedEndpoint(EndpointOut):
    secret: str = Field(description="Shown once. Verify the `Fairflag-Signature` header with it.")


class DeadLetter(BaseModel):
    id: int
    endpoint_id: str
    url: str
    event_id: str
    event_type: str
    outbox_seq: int
    attempts: int
    last_error: str | None
    died_at: datetime
    event: dict[str, Any] = Field(description="The event body, as the webhook carried it.")


class DeliveryOut(BaseModel):
    id: int
    endpoint_id: str
    event_id: str
    outbox_seq: int
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None


def _check_url(ctx: Context, url: str) -> str:
    limit = min(MAX_URL_CHARS, ctx.policy.limits.max_url_chars)
    if len(url) > limit:
        raise InvalidWebhookUrl(f"longer than {limit} characters", field="url")
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise InvalidWebhookUrl("contains spaces or control characters", field="url")
    if not _WEBHOOK_URL.match(url):  # the rule the spec publishes
        raise InvalidWebhookUrl("not an absolute http(s) URL: an ASCII host name (IDNs in punycode), an optional "
                                "port up to 65535, then an optional path without spaces", field="url")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        raise InvalidWebhookUrl(f"not a valid URL: {exc}", field="url") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidWebhookUrl("not an absolute http(s) URL", field="url")
    return url


def _check_secret(secret: str | None) -> str:
    if secret is None:
        return SECRET_PREFIX + secrets.token_urlsafe(32)
    if len(secret) < MIN_SECRET_CHARS:
        raise WeakWebhookSecret(f"at least {MIN_SECRET_CHARS} characters", field="secret")
    if any(ord(c) < 32 or ord(c) == 127 for c in secret):
        raise WeakWebhookSecret("contains control characters", field="secret")
    return secret


def _counts(ctx: Context, endpoint_ids: list[str]) -> dict[tuple[str, str], int]:
    rows = ctx.session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
        .where(WebhookDelivery.endpoint_id.in_(endpoint_ids), WebhookDelivery.status.in_([PENDING, DEAD]))
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    ).all()
    return {(endpoint_id, status): int(n) for endpoint_id, status, n in rows}


def _endpoint_out(e: WebhookEndpoint, counts: dict[tuple[str, str], int]) -> EndpointOut:
    return EndpointOut(id=e.id, url=e.url, description=e.description, active=e.active, created_at=e.created_at,
                       cursor=e.cursor, pending=counts.get((e.id, PENDING), 0), dead=counts.get((e.id, DEAD), 0))


def create_endpoint(ctx: Context, body: EndpointIn) -> CreatedEndpoint:
    """Register a receiver. Without ``backfill`` it starts at the outbox's current end, so a late
    endpoint is not flooded with actions that may long have ended."""
    require_role(ctx.actor, ADMINS, "creating a webhook endpoint")
    url = _check_url(ctx, body.url)
    if any(ord(c) < 32 for c in body.description):
        raise InvalidInput("contains control characters", field="description")
    secret = _check_secret(body.secret)
    cursor = 0 if body.backfill else int(ctx.session.scalar(select(func.coalesce(func.max(OutboxEvent.seq), 0))))
    endpoint = WebhookEndpoint(id=ctx.ids.new("whk"), url=url, secret=secret, description=body.description,
                               active=True, created_at=ctx.now(), cursor=cursor)
    ctx.session.add(endpoint)
    ctx.session.flush()
    ctx.record(EventKind.webhook_endpoint_created, "webhook_endpoint", endpoint.id,
               {"url": url, "description": body.description, "backfill": body.backfill, "cursor": cursor,
                "secret_provided": body.secret is not None})
    out = _endpoint_out(endpoint, {})
    return CreatedEndpoint(**out.model_dump(), secret=secret)


def list_endpoints(ctx: Context) -> list[EndpointOut]:
    require_role(ctx.actor, ADMINS, "listing webhook endpoints")
    endpoints = ctx.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.created_at,
                                                                     WebhookEndpoint.id)).all()
    counts = _counts(ctx, [e.id for e in endpoints])
    return [_endpoint_out(e, counts) for e in endpoints]


def list_dead_letters(ctx: Context, endpoint_id: str | None = None, after: int = 0,
                      limit: int = 100) -> list[DeadLetter]:
    """Deliveries that ran out of attempts, oldest first; page with ``after`` (a delivery id)."""
    require_role(ctx.actor, ADMINS, "listing dead letters")
    stmt = (
        select(WebhookDelivery, WebhookEndpoint, OutboxEvent)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(OutboxEvent, OutboxEvent.seq == WebhookDelivery.outbox_seq)
        .where(WebhookDelivery.status == DEAD, WebhookDelivery.id > after)
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    if endpoint_id is not None:
        if ctx.session.get(WebhookEndpoint, endpoint_id) is None:
            raise EndpointNotFound(f"no webhook endpoint {endpoint_id}", field="endpoint_id")
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
    return [
        DeadLetter(id=d.id, endpoint_id=e.id, url=e.url, event_id=o.event_id, event_type=o.kind,
                   outbox_seq=o.seq, attempts=d.attempts, last_error=d.last_error, died_at=d.next_attempt_at,
                   event=o.payload)
        for d, e, o in ctx.session.execute(stmt)
    ]


def resend_dead_letter(ctx: Context, delivery_id: int) -> DeliveryOut:
    """Put a dead letter back in line with fresh attempts (after the receiver is fixed).

    It becomes its endpoint's oldest pending delivery again, so it goes out before anything newer.
    """
    require_role(ctx.actor, ADMINS, "re-sending a dead letter")
    delivery = ctx.session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise DeliveryNotFound(f"no delivery {delivery_id}", field="delivery_id")
    if delivery.status != DEAD:
        raise NotADeadLetter(f"delivery {delivery_id} is {delivery.status}, not dead", field="delivery_id")
    endpoint = ctx.session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.active:
        raise EndpointInactive(f"webhook endpoint {delivery.endpoint_id} is not active", field="delivery_id")
    event = ctx.session.get(OutboxEvent, delivery.outbox_seq)
    assert event is not None
    ctx.record(EventKind.delivery_resent, "webhook_delivery", str(delivery.id),
               {"endpoint_id": delivery.endpoint_id, "event_id": event.event_id, "outbox_seq": event.seq,
                "previous_attempts": delivery.attempts, "last_error": delivery.last_error})
    delivery.status = PENDING
    delivery.attempts = 0
    delivery.last_error = None
    delivery.next_attempt_at = ctx.now()
    ctx.session.flush()
    return DeliveryOut(id=delivery.id, endpoint_id=delivery.endpoint_id, event_id=event.event_id,
                       outbox_seq=event.seq, status=delivery.status, attempts=delivery.attempts,
                       next_attempt_at=delivery.next_attempt_at, last_error=delivery.last_error,
                       delivered_at=delivery.delivered_at)
