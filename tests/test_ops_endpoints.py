"""/metrics (Prometheus) and /readyz beside /healthz, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from fairflag.api.app import create_app
from fairflag.core import Fairflag
from fairflag.policy import load_policy
from fairflag.settings import Settings
from fairflag.store.db import Database
from tests.support import Platform


def _samples(client: TestClient, **kw: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics", **kw)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def test_metrics_name_what_operators_watch_and_count_a_filed_report(client: TestClient, core: Fairflag) -> None:
    plat = Platform.key_only(client, core)
    plat.subject("vid-1")
    plat.subject("live-1", surface="livestream")
    before = _samples(client)
    assert before.get(("fairflag_reports_acknowledged_total", (("outcome", "created"), ("source", "user")))) is None
    plat.report("u1", "vid-1")
    plat.report("u1", "vid-1", idempotency_key="k")
    plat.report("u1", "vid-1", idempotency_key="k", expect=200)
    plat.report("u2", "nope", expect=422)
    plat.client.post("/v1/reports/batch", json=[{"reporter_id": "u3", "subject_id": "live-1", "reason": "spam"}],
                     headers=plat.key)
    after = _samples(client)
    assert after[("fairflag_reports_received_total", (("endpoint", "single"), ("source", "user")))] == 4
    assert after[("fairflag_reports_received_total", (("endpoint", "batch"), ("source", "user")))] == 1
    assert after[("fairflag_reports_acknowledged_total", (("outcome", "created"), ("source", "user")))] == 3
    assert after[("fairflag_reports_acknowledged_total", (("outcome", "replayed"), ("source", "user")))] == 1
    assert after[("fairflag_queue_depth", (("surface", "video"),))] == 1
    assert after[("fairflag_queue_depth", (("surface", "livestream"),))] == 1
    assert ("fairflag_queue_oldest_case_age_seconds", (("surface", "video"),)) in after
    assert after[("fairflag_webhook_dead_letters", ())] == 0
    latency = {k: v for k, v in after.items() if k[0] == "fairflag_http_request_duration_seconds_count"}
    assert latency[("fairflag_http_request_duration_seconds_count",
                    (("method", "POST"), ("route", "/v1/reports"), ("status", "2xx")))] == 3
    assert latency[("fairflag_http_request_duration_seconds_count",
                    (("method", "POST"), ("route", "/v1/reports"), ("status", "4xx")))] == 1
    # Route templates, never raw paths: the label set stays bounded.
    assert not any("u1" in dict(k[1]).get("route", "") for k in latency)


def test_decisions_are_counted(client: TestClient, core: Fairflag) -> None:
    plat = Platform.setup(client, core)
    plat.subject("vid-1")
    case_id = plat.report("u1", "vid-1")["case_id"]
    plat.claim("mod1", case_id)
    plat.decide("mod1", case_id, outcome="no_violation", statement="fine")
    assert _samples(client)[("fairflag_decisions_total", (("outcome", "no_violation"),))] == 1


def test_metrics_token_when_set(core: Fairflag) -> None:
    app = create_app(Settings(run_background=False, auto_migrate=False, metrics_token="s3cret"), core=core)
    with TestClient(app) as client:
        r = client.get("/metrics")
        assert r.status_code == 401 and r.json()["error"]["type"] == "unauthenticated"
        assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert "fairflag_queue_depth" in client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).text


def test_readyz_is_ready_then_not_when_the_database_is_unreachable(
        client: TestClient, core: Fairflag, db_url: str) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    unreachable = ("sqlite:////nonexistent-dir/x/fairflag.db" if db_url.startswith("sqlite")
                   else "postgresql://postgres@127.0.0.1:1/fairflag")
    healthy = core.db
    core.db = Database(unreachable)
    try:
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json()["error"] == {"type": "not_ready", "message": "the database does not answer", "field": None,
                                     "details": []}
        assert client.get("/healthz").status_code == 200  # liveness does not depend on the database
    finally:
        core.db.dispose()
        core.db = healthy


def test_readyz_is_not_ready_while_migrations_are_behind(tmp_path: Path) -> None:
    core = Fairflag(Database(f"sqlite:///{tmp_path}/empty.db"), load_policy())
    app = create_app(Settings(run_background=False, auto_migrate=False), core=core)
    with TestClient(app) as client:
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["error"]["type"] == "not_ready"
        assert "migrations" in r.json()["error"]["message"]
        core.migrate()
        assert client.get("/readyz").status_code == 200
    core.db.dispose()


@pytest.mark.parametrize("path", ["/readyz", "/healthz"])
def test_probes_are_in_the_spec_and_metrics_is_not(client: TestClient, path: str) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert path in paths and "/metrics" not in paths
