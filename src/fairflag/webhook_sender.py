"""The webhook sender: runs the delivery steps of :mod:`fairflag.delivery.webhooks` across transactions.

Delivery's steps (fan-out, claim, record) are each one transaction's work and know nothing of how they are
run. This module, above the core, runs them: one fan-out transaction, one claiming transaction, then each
claimed endpoint served in its own thread, sending outside any transaction and recording each result in a
new one. The background worker calls :func:`run_pass` each tick; tests and the CLI drain with
:func:`deliver_until_idle`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from fairflag.core import Fairflag
from fairflag.delivery.webhooks import CLAIM_BATCH, Claim, claim_heads, fan_out, record_attempt, send
from fairflag.services.context import SYSTEM

CHAIN_LIMIT = 100  # deliveries sent to one endpoint per dispatch pass
MAX_WORKERS = 8  # endpoints served in parallel, so one slow receiver does not hold up the others


@dataclass
class DeliveryStats:
    """What delivery passes did; ``attempted`` = ``delivered`` + ``failed`` (``dead`` counts those failures
    that exhausted their attempts)."""

    fanned_out: int = 0
    attempted: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0

    def add(self, other: DeliveryStats) -> None:
        self.fanned_out += other.fanned_out
        self.attempted += other.attempted
        self.delivered += other.delivered
        self.failed += other.failed
        self.dead += other.dead

    def as_dict(self) -> dict[str, int]:
        return {"fanned_out": self.fanned_out, "attempted": self.attempted, "delivered": self.delivered,
                "failed": self.failed, "dead": self.dead}


def _drive(core: Fairflag, client: httpx.Client, first: Claim, chain_limit: int) -> DeliveryStats:
    """Send one endpoint's claimed head, then each next head, until one fails or the chain is long enough."""
    stats = DeliveryStats()
    claim: Claim | None = first
    sent = 0
    while claim is not None:
        attempt = send(client, claim, core.clock.now())
        sent += 1
        stats.attempted += 1
        recorded = core.run(SYSTEM, record_attempt, claim, attempt, claim_next=sent < chain_limit)
        stats.delivered += recorded.outcome.get("delivered", 0)
        stats.failed += recorded.outcome.get("failed", 0)
        stats.dead += recorded.outcome.get("dead", 0)
        claim = recorded.next_claim
    return stats


def dispatch(core: Fairflag, *, client: httpx.Client | None = None, limit: int = CLAIM_BATCH,
             chain_limit: int = CHAIN_LIMIT) -> DeliveryStats:
    """Claim due heads in one transaction, then send outside any transaction, endpoints in parallel."""
    claims = core.run(SYSTEM, claim_heads, limit=limit)
    stats = DeliveryStats()
    if not claims:
        return stats
    own_client = client is None
    http = client or httpx.Client(timeout=core.policy.delivery.webhook_timeout_s, follow_redirects=False)
    try:
        if len(claims) == 1:
            results = [_drive(core, http, claims[0], chain_limit)]
        else:
            with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(claims)),
                                    thread_name_prefix="fairflag-webhook") as pool:
                results = list(pool.map(lambda c: _drive(core, http, c, chain_limit), claims))
    finally:
        if own_client:
            http.close()
    for result in results:
        stats.add(result)
    return stats


def run_pass(core: Fairflag, *, client: httpx.Client | None = None) -> DeliveryStats:
    """One fan-out transaction, then one dispatch: what the background worker does each tick."""
    created = core.run(SYSTEM, fan_out)
    stats = dispatch(core, client=client)
    stats.fanned_out += created
    return stats


def deliver_until_idle(core: Fairflag, *, client: httpx.Client | None = None,
                       max_passes: int = 1000) -> DeliveryStats:
    """Run delivery passes until nothing new is fanned out and nothing is due (tests, the CLI, a drain
    before shutdown). Failures back off into the future, so this ends even when receivers are down."""
    total = DeliveryStats()
    for _ in range(max_passes):
        stats = run_pass(core, client=client)
        total.add(stats)
        if stats.fanned_out == 0 and stats.attempted == 0:
            break
    return total
