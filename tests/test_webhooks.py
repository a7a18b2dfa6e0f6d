"""Webhook delivery end to end: real decisions fill the outbox, a real HTTP receiver on a loopback port
takes (or refuses) the requests, and the real worker functions drive fan-out, retries and dead letters
on SQLite and PostgreSQL while the manual clock walks through the backoff schedule.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select, update

from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.delivery import webhooks
from fairflag.delivery.events import problems as contract_problems
from fairflag.delivery.webhooks import (
    HEADER_EVENT_ID,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    backoff_s,
    canonical_body,
    fan_out,
    sign,
    verify_signature,
)
from fairflag.policy import Delivery
from fairflag.services.context import SYSTEM
from fairflag.store.tables import OutboxEvent, WebhookDelivery, WebhookEndpoint
from fairflag.webhook_sender import deliver_until_idle
from fairflag.worker import run_once
from tests.support import Platform

TOLERANCE_S = 300.0


# --- a real receiver ---------------------------------------------------------------------------


@dataclass
class Request:
    event_id: str
    timestamp: str
    signature: str
    body: bytes
    status: int


@dataclass
class Receiver:
    """Answers 500 to the first ``fail_first`` requests (or to all while ``down``), then 204."""

    url: str = ""
    fail_first: int = 0
    down: bool = False
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: Any, body: bytes) -> int:
        with self.lock:
            failing = self.down or len(self.requests) < self.fail_first
            status = 500 if failing else 204
            self.requests.append(Request(headers.get(HEADER_EVENT_ID, ""), headers.get(HEADER_TIMESTAMP, ""),
                                         headers.get(HEADER_SIGNATURE, ""), body, status))
            return status

    @property
    def accepted(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.status < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = state.answer(self.headers, body)
            self.send_response(status)
            if status >= 300:
                payload = b"receiver is down"
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            else:
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/fairflag"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- helpers -----------------------------------------------------------------------------------


def make_decisions(plat: Platform, n: int, prefix: str = "") -> None:
    """``n`` violation decisions through the real API; each writes action and outcome events."""
    for i in range(n):
        creator, video = f"{prefix}creator{i}", f"{prefix}v{i}"
        plat.account(creator, followers=10)
        plat.subject(video, owner_id=creator, views=500)
        case_id = plat.report(f"{prefix}u{i}", video, "harassment", text="mean")["case_id"]
        plat.claim("mod1", case_id)
        plat.decide("mod1", case_id, outcome="violation", action="remove", rule="harassment",
                    statement="Targets a private person with insults.")


def create_endpoint(plat: Platform, url: str, **kw: Any) -> dict[str, Any]:
    return plat.as_("admin1", "POST", "/v1/admin/webhooks", json={"url": url, **kw}, expect=201)


def feed(plat: Platform) -> list[dict[str, Any]]:
    r = plat.client.get("/v1/events", params={"after": 0, "limit": 1000}, headers=plat.key)
    assert r.status_code == 200, r.text
    return r.json()["events"]


def deliveries(core: Fairflag, endpoint_id: str | None = None) -> list[WebhookDelivery]:
    with core.db.reader() as s:
        stmt = select(WebhookDelivery).order_by(WebhookDelivery.outbox_seq, WebhookDelivery.id)
        if endpoint_id:
            stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
        return list(s.scalars(stmt))


def next_due(core: Fairflag) -> datetime | None:
    """When the next attempt is due: the earliest among each endpoint's oldest pending delivery (those
    behind it wait for it, whatever their own time says)."""
    heads: dict[str, datetime] = {}
    for d in deliveries(core):
        if d.status == "pending":
            heads.setdefault(d.endpoint_id, d.next_attempt_at)
    return min(heads.values(), default=None)


def outbox_count(core: Fairflag) -> int:
    with core.db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxEvent)) or 0)


def assert_genuine(req: Request, secret: str, now: datetime) -> None:
    assert verify_signature(secret, req.timestamp, req.body, req.signature, TOLERANCE_S, now)
    assert json.loads(req.body)["id"] == req.event_id


# --- the normal case: fail, back off, recover ----------------------------------------------------


def test_failures_back_off_then_every_event_arrives_once_in_feed_order(
        plat: Platform, core: Fairflag, clock: ManualClock, receiver: Receiver) -> None:
    receiver.fail_first = 3
    endpoint = create_endpoint(plat, receiver.url, description="platform enforcement")
    secret = endpoint["secret"]
    assert secret.startswith("whsec_")
    make_decisions(plat, 2)
    events = feed(plat)
    kinds = Counter(e["type"] for e in events)
    assert kinds == {"action.applied": 4, "reports.resolved": 2}  # remove + warn (first strike), per decision

    # First pass: the head fails; nothing behind it is sent (order is kept), and nothing is due again.
    start = clock.now()
    stats = deliver_until_idle(core)
    assert (stats.fanned_out, stats.attempted, stats.failed, stats.delivered) == (6, 1, 1, 0)
    assert len(receiver.requests) == 1

    # The schedule doubles from the policy's base: 2 s, then 4 s, then 8 s.
    assert [backoff_s(core.policy.delivery, n) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    for delay in (2.0, 4.0, 8.0):
        assert next_due(core) == clock.now() + timedelta(seconds=delay)
        clock.advance(delay - 0.5)
        assert deliver_until_idle(core).attempted == 0, "retried before its backoff ran out"
        clock.advance(0.5)
        deliver_until_idle(core)
    assert clock.now() == start + timedelta(seconds=14)

    # The fourth attempt succeeded and the rest followed in the same pass.
    assert [r.status for r in receiver.requests] == [500, 500, 500] + [204] * 6
    accepted = receiver.accepted
    assert Counter(r.event_id for r in accepted) == Counter({e["id"]: 1 for e in events})
    assert [r.event_id for r in accepted] == [e["id"] for e in events]  # same events, same order as the feed
    assert len({r.event_id for r in receiver.requests[:3]}) == 1  # only the head was retried

    # Bodies are the feed's events without `seq`, byte for byte, and carry a valid signature.
    for req, event in zip(accepted, events, strict=True):
        assert req.body == canonical_body({k: v for k, v in event.items() if k != "seq"})
        assert contract_problems(json.loads(req.body)) == []  # as docs/delivery.md documents it
        assert_genuine(req, secret, clock.now())
        assert req.timestamp == str(int(clock.now().timestamp()))
        assert not verify_signature(secret, req.timestamp, req.body + b" ", req.signature, TOLERANCE_S, clock.now())
    for req in receiver.requests[:3]:
        assert_genuine(req, secret, clock.now())

    rows = deliveries(core, endpoint["id"])
    assert [d.status for d in rows] == ["delivered"] * 6
    assert [d.attempts for d in rows] == [4, 1, 1, 1, 1, 1]
    assert rows[0].last_error is not None and rows[0].last_error.startswith("HTTP 500")

    # Nothing more is ever sent for these events.
    clock.advance(3600)
    assert deliver_until_idle(core).attempted == 0
    assert len(receiver.requests) == 9

    listed = plat.as_("admin1", "GET", "/v1/admin/webhooks")
    assert [(e["id"], e["pending"], e["dead"], e["cursor"]) for e in listed] == [
        (endpoint["id"], 0, 0, events[-1]["seq"])]
    assert all("secret" not in e for e in listed)


def test_concurrent_workers_deliver_each_event_once_in_order(
        plat: Platform, core: Fairflag, receiver: Receiver) -> None:
    endpoint = create_endpoint(plat, receiver.url)
    make_decisions(plat, 4)
    core.run(SYSTEM, fan_out)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            deliver_until_idle(core)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    deliver_until_idle(core)  # whatever a lost race left behind
    events = feed(plat)
    assert [r.event_id for r in receiver.requests] == [e["id"] for e in events]
    assert all(r.status == 204 for r in receiver.requests)
    assert all(d.status == "delivered" for d in deliveries(core, endpoint["id"]))


# --- dead letters ------------------------------------------------------------------------------


def test_dead_letters_are_listed_and_can_be_resent(
        plat: Platform, core: Fairflag, clock: ManualClock, receiver: Receiver) -> None:
    receiver.down = True
    endpoint = create_endpoint(plat, receiver.url)
    make_decisions(plat, 1)
    events = feed(plat)
    assert len(events) == 3
    max_attempts = core.policy.delivery.webhook_max_attempts

    for _ in range(10 * max_attempts):  # walk the clock to each retry until nothing is pending
        deliver_until_idle(core)
        due = next_due(core)
        if due is None:
            break
        clock.set(max(due, clock.now()))
    assert next_due(core) is None

    rows = deliveries(core, endpoint["id"])
    assert [(d.status, d.attempts) for d in rows] == [("dead", max_attempts)] * 3
    head = [r for r in receiver.requests if r.event_id == events[0]["id"]]
    assert len(head) == max_attempts
    gaps = [int(b.timestamp) - int(a.timestamp) for a, b in itertools.pairwise(head)]
    assert gaps == [backoff_s(core.policy.delivery, n) for n in range(1, max_attempts)]
    assert gaps == [2, 4, 8, 16, 32, 64, 128]
    # Events are tried in order: the second is only tried once the first is dead.
    assert [r.event_id for r in receiver.requests] == [e["id"] for e in events for _ in range(max_attempts)]

    dead = plat.as_("admin1", "GET", "/v1/admin/dead-letters")
    assert [d["event_id"] for d in dead] == [e["id"] for e in events]
    assert all(d["attempts"] == max_attempts and d["last_error"].startswith("HTTP 500") for d in dead)
    assert dead[0]["event"] == {k: v for k, v in events[0].items() if k != "seq"}
    assert dead[0]["endpoint_id"] == endpoint["id"] and dead[0]["url"] == receiver.url
    only = plat.as_("admin1", "GET", "/v1/admin/dead-letters", params={"endpoint_id": endpoint["id"], "limit": 1})
    assert [d["id"] for d in only] == [dead[0]["id"]]
    assert plat.as_("admin1", "GET", "/v1/admin/dead-letters", params={"after": dead[1]["id"]}) == [dead[2]]
    listed = plat.as_("admin1", "GET", "/v1/admin/webhooks")
    assert (listed[0]["pending"], listed[0]["dead"]) == (0, 3)

    # Dead letters stay dead: time alone sends nothing.
    sent = len(receiver.requests)
    clock.advance(3600)  # (console tokens last 12 hours)
    assert deliver_until_idle(core).attempted == 0 and len(receiver.requests) == sent

    # The receiver is fixed; an admin re-sends the second event, which then arrives exactly once.
    receiver.down = False
    target = dead[1]
    resent = plat.as_("admin1", "POST", f"/v1/admin/dead-letters/{target['id']}/resend")
    assert (resent["status"], resent["attempts"], resent["event_id"]) == ("pending", 0, target["event_id"])
    stats = deliver_until_idle(core)
    assert (stats.attempted, stats.delivered) == (1, 1)
    assert [r.event_id for r in receiver.accepted] == [target["event_id"]]
    assert_genuine(receiver.accepted[0], endpoint["secret"], clock.now())
    remaining = plat.as_("admin1", "GET", "/v1/admin/dead-letters")
    assert [d["id"] for d in remaining] == [dead[0]["id"], dead[2]["id"]]

    # Only dead letters can be re-sent; only admins may; unknown ids are 404.
    err = plat.as_("admin1", "POST", f"/v1/admin/dead-letters/{target['id']}/resend", expect=409)
    assert err["error"]["type"] == "not_a_dead_letter"
    err = plat.as_("admin1", "POST", "/v1/admin/dead-letters/999999/resend", expect=404)
    assert err["error"]["type"] == "delivery_not_found"
    plat.as_("mod1", "POST", f"/v1/admin/dead-letters/{dead[0]['id']}/resend", expect=403)
    plat.as_("senior1", "GET", "/v1/admin/dead-letters", expect=403)
    err = plat.as_("admin1", "GET", "/v1/admin/dead-letters", params={"endpoint_id": "whk_nope"}, expect=404)
    assert err["error"]["type"] == "webhook_endpoint_not_found"

    audit = plat.as_("admin1", "GET", "/v1/audit", params={"limit": 500})["entries"]
    resends = [e for e in audit if e["kind"] == "admin:delivery:resent"]
    assert len(resends) == 1
    assert resends[0]["entity_id"] == str(target["id"])
    assert resends[0]["data"]["previous_attempts"] == max_attempts
    assert resends[0]["actor"] == f"user:{plat.user_id('admin1')}"


# --- signatures --------------------------------------------------------------------------------


def test_signature_verification_rejects_tampering_and_stale_timestamps() -> None:
    secret = "whsec_0123456789abcdef"
    now = datetime.fromisoformat("2026-06-01T12:00:00+00:00")
    body = canonical_body({"id": "evt_1", "type": "action.applied", "kind": "remove"})
    headers = webhooks.signed_headers(secret, "evt_1", body, now)
    ts, sig = headers[HEADER_TIMESTAMP], headers[HEADER_SIGNATURE]
    assert sig.startswith("v1=") and len(sig) == 3 + 64
    assert ts == str(int(now.timestamp()))

    assert verify_signature(secret, ts, body, sig, TOLERANCE_S, now)
    assert verify_signature(secret, ts, body.decode(), sig, TOLERANCE_S, now.timestamp() + 299)
    # tampered body, wrong secret, tampered timestamp, garbage
    assert not verify_signature(secret, ts, body.replace(b"remove", b"warn"), sig, TOLERANCE_S, now)
    assert not verify_signature(secret, ts, body + b"\n", sig, TOLERANCE_S, now)
    assert not verify_signature("whsec_another-secret!", ts, body, sig, TOLERANCE_S, now)
    assert not verify_signature(secret, str(int(ts) + 1), body, sig, TOLERANCE_S, now)
    assert not verify_signature(secret, "soon", body, sig, TOLERANCE_S, now)
    assert not verify_signature(secret, ts, body, "v1=" + "0" * 64, TOLERANCE_S, now)
    assert not verify_signature(secret, ts, body, "", TOLERANCE_S, now)
    # stale (a replayed capture) and too far in the future
    assert not verify_signature(secret, ts, body, sig, TOLERANCE_S, now + timedelta(seconds=301))
    assert not verify_signature(secret, ts, body, sig, TOLERANCE_S, now - timedelta(seconds=301))
    # a fresh timestamp on an old body needs a new signature, which only the secret can make
    fresh = str(int(ts) + 600)
    assert not verify_signature(secret, fresh, body, sig, TOLERANCE_S, now + timedelta(seconds=600))
    assert verify_signature(secret, fresh, body, sign(secret, fresh, body), TOLERANCE_S, now + timedelta(seconds=600))
    # during a secret rotation several signatures may be sent; one match is enough
    both = f"{sign('whsec_the-old-secret!!', ts, body)}, {sig}"
    assert verify_signature(secret, ts, body, both, TOLERANCE_S, now)


def test_backoff_doubles_and_is_capped() -> None:
    policy = Delivery(webhook_backoff_base_s=3.0, webhook_backoff_max_s=20.0)
    assert [backoff_s(policy, n) for n in range(1, 7)] == [3.0, 6.0, 12.0, 20.0, 20.0, 20.0]


# --- fan-out -----------------------------------------------------------------------------------


def test_fan_out_is_idempotent(plat: Platform, core: Fairflag, receiver: Receiver) -> None:
    first = create_endpoint(plat, receiver.url)
    second = create_endpoint(plat, receiver.url + "?copy=2")
    make_decisions(plat, 2)
    total = outbox_count(core)
    assert total == 6

    assert core.run(SYSTEM, fan_out) == 2 * total
    assert core.run(SYSTEM, fan_out) == 0
    assert len(deliveries(core)) == 2 * total

    # Even a cursor set back by hand creates nothing twice (and does not trip the unique constraint).
    def rewind(ctx: Any) -> None:
        ctx.session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == first["id"]).values(cursor=0))

    core.run(SYSTEM, rewind)
    assert core.run(SYSTEM, fan_out) == 0
    rows = deliveries(core)
    assert len(rows) == 2 * total
    assert Counter((d.endpoint_id, d.outbox_seq) for d in rows).most_common(1)[0][1] == 1
    with core.db.reader() as s:
        assert s.get(WebhookEndpoint, first["id"]).cursor == s.get(WebhookEndpoint, second["id"]).cursor == total

    # New events after the cursor are picked up once, and a small batch just takes several passes.
    make_decisions(plat, 1, prefix="later-")
    assert core.run(SYSTEM, fan_out, batch=2) == 4
    assert core.run(SYSTEM, fan_out, batch=2) == 2
    assert core.run(SYSTEM, fan_out, batch=2) == 0


def test_concurrent_fan_out_creates_no_duplicates(plat: Platform, core: Fairflag, receiver: Receiver) -> None:
    create_endpoint(plat, receiver.url)
    make_decisions(plat, 3)
    barrier = threading.Barrier(4)
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(core.run(SYSTEM, fan_out))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sum(counts) == outbox_count(core) == len(deliveries(core))


# --- endpoints ---------------------------------------------------------------------------------


def test_endpoint_creation_rules_and_backfill(plat: Platform, core: Fairflag, receiver: Receiver) -> None:
    make_decisions(plat, 1)  # three events before any endpoint exists

    late = create_endpoint(plat, receiver.url, secret="a-shared-secret-of-some-length")
    assert late["secret"] == "a-shared-secret-of-some-length"
    assert late["cursor"] == outbox_count(core)
    backfill = create_endpoint(plat, receiver.url + "?backfill=1", backfill=True)
    assert backfill["cursor"] == 0
    core.run(SYSTEM, fan_out)
    assert len(deliveries(core, late["id"])) == 0
    assert len(deliveries(core, backfill["id"])) == 3

    for url in ("ftp://example.com/x", "example.com/hook", "http://", "http://exa mple.com/", "http://h:99999/"):
        err = plat.as_("admin1", "POST", "/v1/admin/webhooks", json={"url": url}, expect=422)
        assert err["error"]["type"] == "invalid_webhook_url", url
        assert err["error"]["field"] == "url"
    err = plat.as_("admin1", "POST", "/v1/admin/webhooks", json={"url": receiver.url, "secret": "short"},
                   expect=422)
    assert err["error"]["field"] == "secret"
    plat.as_("mod1", "POST", "/v1/admin/webhooks", json={"url": receiver.url}, expect=403)
    plat.as_("senior1", "GET", "/v1/admin/webhooks", expect=403)
    r = plat.client.get("/v1/admin/webhooks", headers=plat.key)  # a platform key is not a console login
    assert r.status_code == 401

    audit = plat.as_("admin1", "GET", "/v1/audit", params={"limit": 500})["entries"]
    created = [e for e in audit if e["kind"] == "admin:webhook_endpoint:created"]
    assert [e["entity_id"] for e in created] == [late["id"], backfill["id"]]
    assert "a-shared-secret-of-some-length" not in json.dumps(audit)
    assert backfill["secret"] not in json.dumps(audit)


def test_background_worker_pass_expires_and_delivers(
        plat: Platform, core: Fairflag, clock: ManualClock, receiver: Receiver) -> None:
    endpoint = create_endpoint(plat, receiver.url)
    plat.account("creator9", followers=10)
    plat.subject("v9", owner_id="creator9")
    case_id = plat.report("u9", "v9", "harassment")["case_id"]
    plat.claim("mod1", case_id)
    plat.decide("mod1", case_id, outcome="violation", action="suspend", duration_s=3600, rule="harassment",
                statement="Repeated insults.")
    done = run_once(core)
    assert done["expired"] == 0 and done["delivered"] == done["fanned_out"] > 0

    clock.advance(3601)
    done = run_once(core)
    assert done["expired"] >= 1 and done["delivered"] == done["fanned_out"] == done["expired"]
    events = feed(plat)
    assert [r.event_id for r in receiver.accepted] == [e["id"] for e in events]
    assert events[-1]["type"] == "action.expired"
    assert all(d.status == "delivered" for d in deliveries(core, endpoint["id"]))
