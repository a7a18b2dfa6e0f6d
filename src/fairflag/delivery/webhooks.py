"""Signed webhooks: fan-out from the outbox, dispatch with retries, dead letters.

Three steps, each safe to rerun or to run on several servers at once:

* **fan-out** (:func:`fan_out`): for each active endpoint, the outbox rows after the endpoint's stored
  ``cursor`` become ``webhook_deliveries`` rows and the cursor moves, in one transaction. A rerun finds
  nothing after the cursor; the unique (endpoint, seq) pair is the backstop.
* **claim** (:func:`claim_heads`): per endpoint, the oldest pending delivery is the *head*; a due head is
  leased by pushing ``next_attempt_at`` forward. Only the head is ever sent, so an endpoint receives its
  events in feed order and at most one request is in flight to it.
* **send and record** (:func:`send`, :func:`record_attempt`): the HTTP call runs outside any transaction;
  its result is recorded in a new one, which also claims the next head so a healthy endpoint drains in one
  pass.

Each step is one transaction's work on a :class:`~fairflag.delivery.unit.UnitOfWork`; running them in
order, across transactions and threads, is :mod:`fairflag.webhook_sender`'s job (above the core, which
owns the transactions).

Retries follow ``min(base * 2**(attempts-1), max)`` seconds from the policy (no jitter, so the schedule is
predictable and testable); after ``webhook_max_attempts`` failures the delivery is ``dead`` and stops
blocking its endpoint. A request that times out may have arrived anyway, so receivers must treat
``Fairflag-Event-Id`` as an idempotency key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, func, select

from fairflag import __version__
from fairflag.clock import ensure_utc
from fairflag.delivery.unit import UnitOfWork
from fairflag.policy import Delivery
from fairflag.store.tables import OutboxEvent, WebhookDelivery, WebhookEndpoint

log = logging.getLogger("fairflag.webhooks")

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"

HEADER_EVENT_ID = "Fairflag-Event-Id"
HEADER_TIMESTAMP = "Fairflag-Timestamp"
HEADER_SIGNATURE = "Fairflag-Signature"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_S = 300.0

FAN_OUT_BATCH = 500  # outbox rows per endpoint per fan-out transaction
CLAIM_BATCH = 50  # endpoints served per dispatch pass
LEASE_MARGIN_S = 30.0
ERROR_CHARS = 500


# --- the wire format ---------------------------------------------------------------------------


def canonical_body(payload: Mapping[str, Any]) -> bytes:
    """The bytes a webhook carries: compact JSON, sorted keys, UTF-8.

    A fixed encoding, because the stored payload's key order is not stable (PostgreSQL's JSONB reorders
    keys). The pull feed returns the same object plus ``seq``; ``canonical_body`` of a feed event without
    its ``seq`` is byte-identical to the webhook body.
    """
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """``v1=<hex HMAC-SHA256 of "<timestamp>.<body>">``. The timestamp is signed too, so an old request
    cannot be replayed with a fresh one."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def signed_headers(secret: str, event_id: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(ensure_utc(now).timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": f"fairflag/{__version__}",
        HEADER_EVENT_ID: event_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: sign(secret, timestamp, body),
    }


def verify_signature(secret: str, timestamp: str | int, body: bytes | str, signature: str, tolerance_s: float,
                     now: datetime | float) -> bool:
    """Whether a webhook request is genuine and fresh; for receivers, and for our own tests.

    ``signature`` is the ``Fairflag-Signature`` header; it may list several comma-separated ``v1=`` values
    (while a secret is rotated), any one matching is enough. ``now`` is the receiver's current time
    (a datetime or Unix seconds); the timestamp must lie within ``tolerance_s`` of it either way, which
    stops replays of captured requests (``DEFAULT_TOLERANCE_S`` is a sensible value). Comparison is
    constant-time.
    """
    try:
        ts = int(str(timestamp).strip())
    except ValueError:
        return False
    current = ensure_utc(now).timestamp() if isinstance(now, datetime) else float(now)
    if abs(current - ts) > tolerance_s:
        return False
    raw = body.encode("utf-8") if isinstance(body, str) else body
    expected = sign(secret, ts, raw)
    return any(hmac.compare_digest(expected.encode(), candidate.strip().encode("utf-8", "surrogatepass"))
               for candidate in signature.split(","))


def backoff_s(delivery: Delivery, attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure: doubling from the base, capped, no jitter."""
    return float(min(delivery.webhook_backoff_base_s * 2 ** max(attempts - 1, 0), delivery.webhook_backoff_max_s))


def lease_s(delivery: Delivery) -> float:
    """How long a claimed delivery stays invisible to other workers. Longer than one HTTP attempt can
    take (httpx's timeout applies per phase: connect, write, read), so a live sender never loses its
    lease; a crashed one loses it after this long and another worker retries."""
    return 3 * delivery.webhook_timeout_s + LEASE_MARGIN_S


# --- fan-out -----------------------------------------------------------------------------------


def fan_out(ctx: UnitOfWork, *, batch: int = FAN_OUT_BATCH) -> int:
    """Turn new outbox rows into pending deliveries, one per active endpoint, and advance each cursor
    in the same transaction. Returns how many deliveries it created.

    Endpoint rows are locked (``SKIP LOCKED`` on PostgreSQL), so two workers never read the same cursor;
    SQLite serialises writers. Rows already delivered to an endpoint are skipped even if its cursor was
    set back by hand, so fan-out never fails on the unique (endpoint, seq) constraint.
    """
    endpoints = ctx.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)).order_by(WebhookEndpoint.id)
        .with_for_update(skip_locked=True)
    ).all()
    created = 0
    for endpoint in endpoints:
        seqs = list(ctx.session.scalars(
            select(OutboxEvent.seq).where(OutboxEvent.seq > endpoint.cursor).order_by(OutboxEvent.seq).limit(batch)
        ))
        if not seqs:
            continue
        existing = set(ctx.session.scalars(
            select(WebhookDelivery.outbox_seq).where(
                WebhookDelivery.endpoint_id == endpoint.id,
                WebhookDelivery.outbox_seq >= seqs[0], WebhookDelivery.outbox_seq <= seqs[-1],
            )
        ))
        new = [s for s in seqs if s not in existing]
        ctx.session.add_all(
            WebhookDelivery(endpoint_id=endpoint.id, outbox_seq=s, status=PENDING, attempts=0,
                            next_attempt_at=ctx.now())
            for s in new
        )
        endpoint.cursor = seqs[-1]
        created += len(new)
    ctx.session.flush()
    return created


# --- claiming ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """A leased delivery with everything needed to send it, read before the transaction ends."""

    delivery_id: int
    endpoint_id: str
    url: str
    secret: str
    event_id: str
    outbox_seq: int
    body: bytes
    lease_until: datetime


def _claim(ctx: UnitOfWork, delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> Claim:
    event = ctx.session.get(OutboxEvent, delivery.outbox_seq)
    assert event is not None  # a foreign key guarantees it
    delivery.next_attempt_at = ctx.now() + timedelta(seconds=lease_s(ctx.policy.delivery))
    return Claim(delivery_id=delivery.id, endpoint_id=endpoint.id, url=endpoint.url, secret=endpoint.secret,
                 event_id=event.event_id, outbox_seq=event.seq, body=canonical_body(event.payload),
                 lease_until=delivery.next_attempt_at)


def claim_heads(ctx: UnitOfWork, *, limit: int = CLAIM_BATCH) -> list[Claim]:
    """Lease the due head (oldest pending delivery) of up to ``limit`` active endpoints.

    A head that is leased or backing off is not due, and nothing behind it is considered, which keeps
    each endpoint's deliveries in feed order. Heads locked by another worker's claim are skipped.
    """
    heads = (
        select(WebhookDelivery.endpoint_id, func.min(WebhookDelivery.outbox_seq).label("seq"))
        .where(WebhookDelivery.status == PENDING)
        .group_by(WebhookDelivery.endpoint_id)
        .subquery()
    )
    active = select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(True))
    due = ctx.session.scalars(
        select(WebhookDelivery)
        .join(heads, and_(WebhookDelivery.endpoint_id == heads.c.endpoint_id,
                          WebhookDelivery.outbox_seq == heads.c.seq))
        .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= ctx.now(),
               WebhookDelivery.endpoint_id.in_(active))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    ).all()
    claims = []
    for delivery in due:
        endpoint = ctx.session.get(WebhookEndpoint, delivery.endpoint_id)
        assert endpoint is not None
        claims.append(_claim(ctx, delivery, endpoint))
    ctx.session.flush()
    return claims


def _claim_next(ctx: UnitOfWork, endpoint_id: str) -> Claim | None:
    """The endpoint's new head, leased, if it is due and nobody else holds it."""
    endpoint = ctx.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or not endpoint.active:
        return None
    head = ctx.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == PENDING)
        .order_by(WebhookDelivery.outbox_seq)
        .limit(1)
        .with_for_update()  # not SKIP LOCKED: skipping the true head would send the one after it first
    ).first()
    if head is None or head.next_attempt_at > ctx.now():
        return None
    return _claim(ctx, head, endpoint)


# --- sending and recording ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    ok: bool
    error: str | None = None


def send(client: httpx.Client, claim: Claim, now: datetime) -> Attempt:
    """POST one event. Any 2xx is success; everything else, redirects included, is a failure."""
    headers = signed_headers(claim.secret, claim.event_id, claim.body, now)
    try:
        with client.stream("POST", claim.url, content=claim.body, headers=headers) as response:
            if 200 <= response.status_code < 300:
                return Attempt(ok=True)
            snippet = b""
            for chunk in response.iter_bytes():  # only a little of a failure's body is worth keeping
                snippet += chunk
                if len(snippet) >= ERROR_CHARS:
                    break
            text = snippet[:ERROR_CHARS].decode("utf-8", errors="replace")
            return Attempt(ok=False, error=f"HTTP {response.status_code}: {text}".strip())
    except Exception as exc:  # a receiver's failure must never stop the worker; it is recorded and retried
        return Attempt(ok=False, error=f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])


@dataclass
class Recorded:
    """What :func:`record_attempt` did: the delivery's status and, after a success, the next claim."""

    status: str | None  # the delivery's status after recording; None if it vanished
    next_claim: Claim | None = None
    outcome: dict[str, int] = field(default_factory=dict)


def record_attempt(ctx: UnitOfWork, claim: Claim, attempt: Attempt, *, claim_next: bool) -> Recorded:
    """Store one attempt's result and, after a success, lease the endpoint's next head.

    A success is always kept (the receiver has the event). A failure is dropped if our lease was lost
    and another worker has claimed the delivery since: its own result will be recorded instead.
    """
    delivery = ctx.session.get(WebhookDelivery, claim.delivery_id, with_for_update=True)
    if delivery is None:
        return Recorded(status=None)
    if delivery.status != PENDING:
        return Recorded(status=delivery.status)
    now = ctx.now()
    policy = ctx.policy.delivery
    if attempt.ok:
        delivery.attempts += 1
        delivery.status = DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = now
        ctx.session.flush()
        nxt = _claim_next(ctx, claim.endpoint_id) if claim_next else None
        ctx.session.flush()
        return Recorded(status=DELIVERED, next_claim=nxt, outcome={"delivered": 1})
    if delivery.next_attempt_at != claim.lease_until:
        log.info("delivery %s was re-claimed after its lease ran out; dropping a stale failure", delivery.id)
        return Recorded(status=PENDING)
    delivery.attempts += 1
    delivery.last_error = attempt.error
    if delivery.attempts >= policy.webhook_max_attempts:
        delivery.status = DEAD
        delivery.next_attempt_at = now  # for a dead letter: when it died
        log.warning("delivery %s to %s is dead after %d attempts: %s", delivery.id, claim.url, delivery.attempts,
                    attempt.error)
        return Recorded(status=DEAD, outcome={"failed": 1, "dead": 1})
    delivery.next_attempt_at = now + timedelta(seconds=backoff_s(policy, delivery.attempts))
    return Recorded(status=PENDING, outcome={"failed": 1})
