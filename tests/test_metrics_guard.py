"""/metrics beyond intake: overdue cases and deadlines missed per surface, webhook delivery lag and pending
deliveries (both databases). The rate-limited counter is in tests/test_rate_limits.py."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from tests.support import Platform


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def test_overdue_cases_missed_deadlines_and_webhook_lag(client: TestClient, core: Fairflag,
                                                        clock: ManualClock) -> None:
    plat = Platform.setup(client, core)
    plat.as_("admin1", "POST", "/v1/admin/webhooks", json={"url": "https://platform.example/hooks"}, expect=201)
    plat.subject("vid-1")
    plat.subject("live-1", surface="livestream")
    live_case = plat.report("u1", "live-1")["case_id"]
    plat.report("u2", "vid-1")
    first = _samples(client)
    assert first[("fairflag_queue_overdue_cases", (("surface", "livestream"),))] == 0
    assert ("fairflag_deadlines_missed_total", (("surface", "livestream"),)) not in first
    assert first[("fairflag_webhook_lag_seconds", ())] == 0  # nothing for the platform yet
    clock.advance(2 * 3600)  # past a livestream's deadline (spam: low, 1 h), within a video's (2 days)
    plat.relogin("mod1")
    late = _samples(client)
    assert late[("fairflag_queue_overdue_cases", (("surface", "livestream"),))] == 1
    assert late[("fairflag_queue_overdue_cases", (("surface", "video"),))] == 0
    plat.decide_violation("mod1", live_case, action="end_livestream")
    clock.advance(30)
    after = _samples(client)
    assert after[("fairflag_deadlines_missed_total", (("surface", "livestream"),))] == 1
    assert ("fairflag_deadlines_missed_total", (("surface", "video"),)) not in after
    # Its queue is empty now: it reads zero (every surface of the policy is always there), not nothing.
    assert after[("fairflag_queue_overdue_cases", (("surface", "livestream"),))] == 0
    assert after[("fairflag_queue_depth", (("surface", "livestream"),))] == 0
    assert after[("fairflag_queue_depth", (("surface", "comment"),))] == 0
    # The decision's action waits for the endpoint (no worker runs here): the lag is its age.
    assert after[("fairflag_webhook_lag_seconds", ())] >= 30
    assert after[("fairflag_webhook_pending_deliveries", ())] == 0  # not even fanned out yet
