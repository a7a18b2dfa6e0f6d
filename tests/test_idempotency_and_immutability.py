"""A report, once acknowledged, is never duplicated, lost, changed or deleted.

Retries with an idempotency key answer with the original report; the append-only tables refuse UPDATE and
DELETE from any connection (triggers from the migration); and the API has no route that could rewrite a
report or the event log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from fairflag.api.app import create_app
from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.policy import load_policy
from fairflag.settings import Settings
from fairflag.store.db import Database
from fairflag.store.tables import Event, Report
from tests.support import Platform, all_at_once, assert_error, live_server, snapshot


@pytest.fixture
def platform(client: TestClient, core: Fairflag) -> Platform:
    plat = Platform.key_only(client, core)
    plat.account("creator1")
    plat.subject("v1")
    return plat


def body(**kw: Any) -> dict[str, Any]:
    return {"reporter_id": "alice", "subject_id": "v1", "reason": "spam", "text": "buy followers here",
            "evidence_urls": ["https://example.com/a"], "idempotency_key": "k-1", **kw}


def report_rows(core: Fairflag) -> list[tuple[Any, ...]]:
    with core.db.reader() as s:
        return [tuple(r) for r in s.execute(select(Report.__table__).order_by(Report.id))]


def event_rows(core: Fairflag) -> list[tuple[Any, ...]]:
    with core.db.reader() as s:
        return [tuple(r) for r in s.execute(select(Event.__table__).order_by(Event.seq))]


def test_retry_with_same_key_returns_the_same_report(platform: Platform, clock: ManualClock, core: Fairflag) -> None:
    first = platform.client.post("/v1/reports", json=body(), headers=platform.key)
    assert first.status_code == 201, first.text
    original = first.json()
    assert original["replayed"] is False
    stored = snapshot(core)

    # Retried later (even after the report changed state), it answers with the original report.
    clock.advance(300)
    for _ in range(3):
        again = platform.client.post("/v1/reports", json=body(), headers=platform.key)
        assert again.status_code == 200, again.text
        replay = again.json()
        assert replay["replayed"] is True
        assert {k: v for k, v in replay.items() if k != "replayed"} == {
            k: v for k, v in original.items() if k != "replayed"}
    assert snapshot(core) == stored  # nothing new: no report, no event, no reprioritisation

    # The same report without a key is a new report; a new key is a new report.
    assert platform.report("alice", "v1", "spam", text="buy followers here")["id"] != original["id"]
    assert platform.report("alice", "v1", "spam", idempotency_key="k-2")["id"] != original["id"]
    assert snapshot(core)["counts"]["reports"] == 3


def test_same_key_with_a_different_body_is_refused(platform: Platform, core: Fairflag) -> None:
    first = platform.client.post("/v1/reports", json=body(), headers=platform.key)
    assert first.status_code == 201, first.text
    original = first.json()
    stored = snapshot(core)
    reports_before = report_rows(core)
    for change in ({"reason": "hate"}, {"text": "something else"}, {"evidence_urls": []},
                   {"reporter_id": "mallory"}, {"fp_dev": "device-9"}):
        r = platform.client.post("/v1/reports", json=body(**change), headers=platform.key)
        assert_error(r, 409, "idempotency_key_reused", "idempotency_key")
    assert snapshot(core) == stored
    assert report_rows(core) == reports_before
    replay = platform.client.post("/v1/reports", json=body(), headers=platform.key)
    assert replay.status_code == 200 and replay.json()["id"] == original["id"]


def test_keys_belong_to_their_service_key(platform: Platform, core: Fairflag) -> None:
    other = Platform.key_only(platform.client, core)
    mine = platform.client.post("/v1/reports", json=body(), headers=platform.key)
    theirs = other.client.post("/v1/reports", json=body(), headers=other.key)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_concurrent_retries_create_one_report(platform: Platform, core: Fairflag) -> None:
    """Eight retries of one request hit a real server at once: one report, seven replays of it. Then eight
    different reports race to open the case of a fresh subject: one case holds all of them."""
    n = 8
    platform.subject("v2")
    before = snapshot(core)["counts"]
    with live_server(core) as base:
        def retry(_: int) -> httpx.Response:
            with httpx.Client(base_url=base, headers=platform.key, timeout=60) as http:
                return http.post("/v1/reports", json=body(subject_id="v2", idempotency_key="race"))

        responses = all_at_once(n, retry)

        def distinct(i: int) -> httpx.Response:
            with httpx.Client(base_url=base, headers=platform.key, timeout=60) as http:
                return http.post("/v1/reports", json={"reporter_id": f"racer{i}", "subject_id": "v1",
                                                      "reason": "spam", "idempotency_key": f"racer-{i}"})

        openers = all_at_once(n, distinct)

    assert sorted(r.status_code for r in responses) == [200] * (n - 1) + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.json()["replayed"] for r in responses) == n - 1
    assert all(r.status_code == 201 for r in openers), [r.text for r in openers]
    assert len({r.json()["id"] for r in openers}) == n
    assert len({r.json()["case_id"] for r in openers}) == 1

    after = snapshot(core)["counts"]
    assert after["reports"] == before["reports"] + 1 + n
    assert after["cases"] == before["cases"] + 2
    with core.db.reader() as s:
        filed = s.scalars(select(Event.entity_id).where(Event.kind == "platform:report:filed")).all()
    assert len(filed) == len(set(filed)) == after["reports"]


def test_reports_and_events_refuse_update_and_delete(platform: Platform, core: Fairflag) -> None:
    report = platform.report("alice", "v1", "spam", text="original words")
    platform.client.post(f"/v1/reports/{report['id']}/withdrawals", headers=platform.key,
                         json={"reporter_id": "alice"})
    reports_before, events_before = report_rows(core), event_rows(core)
    assert reports_before and events_before
    statements = [
        "UPDATE reports SET text = 'rewritten'",
        f"UPDATE reports SET reason = 'hate' WHERE id = '{report['id']}'",
        "DELETE FROM reports",
        f"DELETE FROM reports WHERE id = '{report['id']}'",
        "UPDATE events SET kind = 'forged'",
        "UPDATE events SET data = '{}' WHERE seq = 1",
        "DELETE FROM events",
    ]
    if core.db.dialect == "postgresql":
        statements += ["TRUNCATE reports CASCADE", "TRUNCATE events"]
    for sql in statements:
        with pytest.raises(DBAPIError, match="append-only"), core.db.engine.begin() as conn:
            conn.execute(text(sql))
    assert report_rows(core) == reports_before
    assert event_rows(core) == events_before

    # Appending still works.
    platform.report("bob", "v1", "spam")
    after = report_rows(core)
    assert len(after) == 2 and all(row in after for row in reports_before)


def test_api_has_no_route_that_changes_or_deletes_reports_or_events(tmp_path: Path) -> None:
    # Only the routes matter here, not the data: an app over an empty database file is enough.
    core = Fairflag(Database(f"sqlite:///{tmp_path / 'routes.db'}"), load_policy())
    app = create_app(Settings(run_background=False, auto_migrate=False), core=core)
    for route in app.routes:
        if isinstance(route, APIRoute) and any(w in route.path for w in ("report", "/events", "/audit")):
            assert route.methods <= {"GET", "HEAD", "POST"}, (route.path, route.methods)
    with TestClient(app) as client:
        spec = client.get("/openapi.json").json()
        # Reports are filed (one or a batch) and withdrawn (a new event, the report stays); nothing else
        # touches them.
        assert {p: set(ops) for p, ops in spec["paths"].items() if p.startswith("/v1/reports")} == {
            "/v1/reports": {"post"},
            "/v1/reports/batch": {"post"},
            "/v1/reports/{report_id}/withdrawals": {"post"},
        }
        for path, ops in spec["paths"].items():
            if "report" in path:
                assert set(ops) <= {"get", "post"}, (path, ops)
            if "/events" in path or "/audit" in path:
                assert set(ops) == {"get"}, (path, ops)
        for method in ("PUT", "PATCH", "DELETE"):
            for path in ("/v1/reports", "/v1/reports/rep_1", "/v1/reports/rep_1/withdrawals", "/v1/events",
                         "/v1/audit"):
                r = client.request(method, path, json={})
                assert r.status_code in (404, 405), (method, path, r.status_code)
                assert_error(r, r.status_code, "method_not_allowed" if r.status_code == 405 else "not_found")
    core.db.dispose()
