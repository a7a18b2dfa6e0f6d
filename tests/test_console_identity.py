"""No console page shows a reporter's real identity, to any role (both databases).

A small world — a swarm on shared fingerprints (a detected campaign), a well-reported case decided and appealed,
a report filed through a signed link with a notice of illegal content — whose reporter ids, fingerprints and
notice contact all carry one marker. Each role then crawls the console: every page the navigation reaches, every
same-origin link on those pages (cases, campaigns, reporters, appeals, audit pages, CSV exports), and the
marker appears in no response body. Reporters are pseudonyms (``rp_…``) everywhere.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urldefrag, urljoin, urlsplit

from fastapi.testclient import TestClient

from fairflag.clock import ManualClock
from fairflag.services import views
from tests.support import Platform
from tests.test_console import console_login

MARK = "zq7x"  # in every reporter id, fingerprint and notice contact below; in nothing a moderator may see
ROLES = ("mod1", "senior1", "admin1", "auditor1")
HREF = re.compile(r'href="([^"]*)"')
MAX_PAGES = 200


def build_world(plat: Platform, clock: ManualClock) -> list[str]:
    """Returns the secrets: every reporter id, fingerprint and notice contact in the world."""
    secrets: list[str] = []
    plat.account("creator1", created_at="2023-01-01T00:00:00Z")

    # A swarm: 30 day-old accounts on two shared fingerprints report one video (a detected campaign).
    plat.subject("swarmed", owner_id="creator1", views=5000)
    young = (clock.now() - timedelta(days=1)).isoformat()
    for i in range(30):
        reporter, net, dev = f"{MARK}-bot{i}", f"{MARK}-net{i % 2}", f"{MARK}-dev{i % 2}"
        plat.account(reporter, created_at=young)
        clock.advance(5)
        case_id = plat.report(reporter, "swarmed", "harassment", fp_net=net, fp_dev=dev)["case_id"]
        secrets += [reporter, net, dev]
    assert plat.as_("mod1", "GET", f"/v1/cases/{case_id}")["campaigns"], "the swarm must be detected"

    # A well-reported video, removed, and the removal appealed.
    plat.subject("reported", owner_id="creator1", views=5000)
    for i in range(3):
        reporter = f"{MARK}-aged{i}"
        plat.account(reporter, created_at="2022-01-01T00:00:00Z")
        case_id = plat.report(reporter, "reported", "harassment", fp_net=f"{MARK}-home{i}",
                              fp_dev=f"{MARK}-phone{i}", text="He films me every day.")["case_id"]
        secrets += [reporter, f"{MARK}-home{i}", f"{MARK}-phone{i}"]
    decision = plat.decide_violation("mod1", case_id, rule="harassment", statement="Harassment of a neighbour.")
    appeal = plat.client.post("/v1/creators/creator1/appeals", headers=plat.key,
                              json={"decision_id": decision["id"], "statement": "It was a joke."})
    assert appeal.status_code == 201, appeal.text

    # A notice of illegal content through the user's report page; the reporter then mutes the creator.
    plat.subject("linked", owner_id="creator1", views=100)
    reporter, name, email = f"{MARK}-linkuser", f"Ana {MARK}name", f"{MARK}mail@example.org"
    r = plat.client.post("/v1/report-links", json={"reporter_id": reporter, "subject_id": "linked"}, headers=plat.key)
    assert r.status_code == 201, r.text
    path = r.json()["path"]
    filed = plat.client.post(path, follow_redirects=False, data={
        "reason": "illegal_content", "illegal": "yes", "explanation": "Sells counterfeit medicine.",
        "location": "https://video.example/linked", "name": name, "email": email, "good_faith": "yes"})
    assert filed.status_code == 303, filed.text
    assert plat.client.post(f"{path}/follow-up", data={"mode": "mute"}, follow_redirects=False).status_code == 303
    secrets += [reporter, name, email]
    return secrets


def crawl(client: TestClient) -> dict[str, str]:
    """Every console page reachable from the navigation and the queue's filters, by same-origin links."""
    start = ["/console/queue", *(f"/console/queue?status={s}" for s in views.QUEUE_FILTERS), "/console/appeals",
             "/console/campaigns", "/console/transparency", "/console/audit", "/console/admin", "/console/deliveries"]
    todo, seen, bodies = list(start), set(start), {}
    while todo and len(bodies) < MAX_PAGES:
        url = todo.pop(0)
        r = client.get(url, follow_redirects=False)
        assert r.status_code in (200, 403), (url, r.status_code)  # 403: a page the role may not open
        bodies[url] = r.text
        if not r.headers["content-type"].startswith("text/html"):
            continue
        for href in HREF.findall(r.text):
            target, _ = urldefrag(urljoin(f"http://testserver{url}", html.unescape(href)))
            parts = urlsplit(target)
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if (parts.netloc == "testserver" and parts.path.startswith("/console/")
                    and not parts.path.startswith("/console/static/") and local not in seen):
                seen.add(local)
                todo.append(local)
    assert not todo, f"more than {MAX_PAGES} pages: raise the bound"
    return bodies


def test_no_console_page_shows_a_reporters_identity_to_any_role(plat: Platform, clock: ManualClock) -> None:
    secrets = build_world(plat, clock)
    for role in ROLES:
        client = TestClient(plat.client.app)
        console_login(client, role)
        bodies = crawl(client)
        opened = {u.split("?")[0].rsplit("/", 1)[0] for u, b in bodies.items() if "Not allowed" not in b}
        # The crawl reached the pages that could leak: cases, campaigns, reporters, appeals, the CSV exports.
        assert {"/console/cases", "/console/campaigns", "/console/reporters", "/console/appeals",
                "/console/transparency"} <= opened, (role, sorted(opened))
        for url, body in bodies.items():
            leaked = [s for s in secrets if s in body] or ([MARK] if MARK in body else [])
            assert not leaked, f"{role} sees {leaked[:3]} on {url}"
