"""Rate limits of the policy (``[rate_limits]``): per service key and per reporter, 429 with Retry-After in the
error shape, nothing stored for a refused request, per line in a batch, and one limit across processes (both
databases)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from fairflag.api.app import create_app
from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.policy import RateLimits, load_policy
from fairflag.services import ratelimits
from fairflag.settings import Settings
from fairflag.store.db import Database
from tests.support import CLI, Platform, snapshot


def _limited(core: Fairflag, **limits: float) -> None:
    core.policy = core.policy.model_copy(update={"rate_limits": RateLimits(**limits)})  # type: ignore[arg-type]


@pytest.fixture
def kp(core: Fairflag) -> Iterator[Platform]:
    _limited(core, reporter_per_minute=3, reporter_per_hour=5)
    app = create_app(Settings(run_background=False, auto_migrate=False), core=core)
    with TestClient(app) as client:
        plat = Platform.key_only(client, core)
        plat.subject("vid-1")
        plat.subject("vid-2")
        yield plat


def _report(plat: Platform, reporter: str, subject: str, **kw: object) -> object:
    return plat.client.post("/v1/reports", json={"reporter_id": reporter, "subject_id": subject, "reason": "spam",
                                                 **kw}, headers=plat.key)


def test_a_reporter_over_its_minute_is_refused_with_429_and_nothing_is_stored(
        kp: Platform, clock: ManualClock) -> None:
    first = kp.report("u1", "vid-1", idempotency_key="k1")
    kp.report("u1", "vid-2")
    kp.report("u1", "vid-1")
    before = snapshot(kp.core)
    r = _report(kp, "u1", "vid-2")
    assert r.status_code == 429  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["error"]["type"] == "reporter_rate_limited" and body["error"]["field"] == "reporter_id"
    assert "3 reports in one minute" in body["error"]["message"]
    # GCRA: 3 a minute is one every 20 s once the burst is spent; the clock has not moved.
    assert r.headers["Retry-After"] == "20"  # type: ignore[attr-defined]
    assert snapshot(kp.core) == before
    # A retry of an acknowledged report is not a new report: it replays, limited or not.
    again = _report(kp, "u1", "vid-1", idempotency_key="k1")
    assert again.status_code == 200 and again.json()["id"] == first["id"]  # type: ignore[attr-defined]
    # Other reporters are not affected; and the reporter may file again once the wait has passed.
    kp.report("u2", "vid-2")
    clock.advance(19)
    assert _report(kp, "u1", "vid-2").status_code == 429  # type: ignore[attr-defined]
    clock.advance(1)
    kp.report("u1", "vid-2")


def test_the_hour_limit_holds_after_the_minutes_refill(kp: Platform, clock: ManualClock) -> None:
    for _ in range(3):
        kp.report("u1", "vid-1")
    clock.advance(120)
    kp.report("u1", "vid-1")
    kp.report("u1", "vid-1")
    r = _report(kp, "u1", "vid-1")
    assert r.status_code == 429 and "5 reports in one hour" in r.json()["error"]["message"]  # type: ignore[attr-defined]
    # 5 an hour: one per 12 min once spent; 5 were filed within 2 min, so the next is allowed 10 min on.
    assert int(r.headers["Retry-After"]) == 600  # type: ignore[attr-defined]


def test_trusted_flaggers_and_classifiers_are_not_limited_but_a_false_claim_is_refused(kp: Platform) -> None:
    kp.account("flagger", trusted_flagger=True)
    for _ in range(6):
        kp.report("flagger", "vid-1", source="trusted_flagger")
        kp.report("clf-bot", "vid-2", source="automated",
                  classifier={"name": "nudity", "version": "3", "score": 0.9})
    for _ in range(3):
        kp.report("u1", "vid-1")
    # Claiming to be a trusted flagger does not escape the limit: the claim is checked in the same transaction.
    r = _report(kp, "u1", "vid-1", source="trusted_flagger")
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert _report(kp, "u1", "vid-1").status_code == 429  # type: ignore[attr-defined]


def test_a_refused_report_gives_its_slot_back(kp: Platform) -> None:
    """The reporter's limit is taken in the report's transaction: a report refused for another reason (here an
    unknown subject) rolls its slot back with it."""
    for _ in range(5):
        assert _report(kp, "u1", "no-such-video").status_code == 422  # type: ignore[attr-defined]
    for _ in range(3):
        kp.report("u1", "vid-1")


def test_batch_lines_over_the_reporter_limit_answer_429_and_the_others_are_kept(kp: Platform) -> None:
    lines = [{"reporter_id": "u1" if i < 5 else "u2", "subject_id": "vid-1", "reason": "spam"} for i in range(6)]
    r = kp.client.post("/v1/reports/batch", json=lines, headers=kp.key)
    assert r.status_code == 200, r.text
    out = r.json()
    assert [x["status"] for x in out["lines"]] == [201, 201, 201, 429, 429, 201]
    limited = out["lines"][3]
    assert limited["error"]["type"] == "reporter_rate_limited" and limited["retry_after_s"] == 20
    assert (out["created"], out["failed"]) == (4, 2)
    metrics = kp.client.get("/metrics").text
    assert 'fairflag_rate_limited_total{limit="reporter_rate_limited"} 2.0' in metrics


def test_the_service_key_limit_refuses_every_route_of_the_key(core: Fairflag, clock: ManualClock) -> None:
    _limited(core, service_key_per_s=2, service_key_burst=3)
    app = create_app(Settings(run_background=False, auto_migrate=False), core=core)
    with TestClient(app) as client:
        plat = Platform.key_only(client, core)
        plat.subject("vid-1")
        plat.get("/v1/reasons")
        plat.report("u1", "vid-1")
        before = snapshot(core)
        r = _report(plat, "u2", "vid-1")
        assert r.status_code == 429, r.text  # type: ignore[attr-defined]
        assert r.json()["error"]["type"] == "service_key_rate_limited"  # type: ignore[attr-defined]
        assert r.headers["Retry-After"] == "1"  # type: ignore[attr-defined]
        assert snapshot(core) == before
        assert client.get("/v1/events", headers=plat.key).status_code == 429
        # A second key has a limit of its own; the first is allowed again half a second on (2 per second).
        Platform.key_only(client, core).get("/v1/reasons")
        clock.advance(0.5)
        plat.get("/v1/reasons")
        assert 'fairflag_rate_limited_total{limit="service_key_rate_limited"} 2.0' in client.get("/metrics").text


def test_one_limit_across_processes(db_url: str, clock: ManualClock) -> None:
    """Two cores with their own connection pools (as two server processes have) share one limit: 60 requests
    from 8 threads at one instant against a burst of 25 let exactly 25 through."""
    policy = load_policy().model_copy(update={"rate_limits": RateLimits(service_key_per_s=1, service_key_burst=25)})
    cores = [Fairflag(Database(db_url), policy, clock=clock) for _ in range(2)]

    def attempt(i: int) -> bool:
        try:
            cores[i % 2].count(CLI, ratelimits.take_service_key, "key_shared")
        except ratelimits.ServiceKeyRateLimited:
            return False
        return True

    try:
        with ThreadPoolExecutor(8) as pool:
            allowed = sum(pool.map(attempt, range(60)))
    finally:
        for c in cores:
            c.db.dispose()
    assert allowed == 25


def test_429_is_in_the_spec_of_the_platform_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/v1/reports", "post"), ("/v1/reports/batch", "post"), ("/v1/events", "get")):
        response = paths[path][method]["responses"]["429"]
        assert "Retry-After" in response["headers"]
    assert "429" not in paths["/v1/cases/{case_id}/claim"]["post"]["responses"]


def test_the_policy_refuses_an_hour_below_a_minute() -> None:
    with pytest.raises(ValueError, match="reporter_per_hour"):
        RateLimits(reporter_per_minute=10, reporter_per_hour=5)
