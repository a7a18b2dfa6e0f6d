"""Console pages over HTTP (both databases): appeals, campaigns and a reporter's record. Who may resolve or
confirm is the service's answer; the page only hides a button the server would refuse anyway."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from fairflag.clock import ManualClock
from tests.support import Platform
from tests.test_console import console_login, form_token
from tests.test_second_review import brigaded_case, well_reported_case

RESOLVE = 'action="/console/appeals/{}/resolution"'


def creator_appeal(plat: Platform, decision_id: str, statement: str = "It was satire.") -> str:
    r = plat.client.post("/v1/creators/creator1/appeals", json={"decision_id": decision_id, "statement": statement},
                         headers=plat.key)
    assert r.status_code == 201, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


def test_a_senior_resolves_an_appeal_on_a_colleagues_decision(plat: Platform) -> None:
    case_id = well_reported_case(plat)
    decision = plat.decide_violation("senior1", case_id, rule="harassment", statement="Harassment.")
    appeal_id = creator_appeal(plat, decision["id"], "It was <b>satire</b>.")
    own = TestClient(plat.client.app)
    console_login(own, "senior1")
    page = own.get(f"/console/appeals/{appeal_id}").text
    assert "It was &lt;b&gt;satire&lt;/b&gt;." in page
    assert RESOLVE.format(appeal_id) not in page and "needs a senior moderator who had no part" in page
    assert appeal_id in own.get("/console/appeals").text
    token = form_token(own, "/console/appeals")
    refused = own.post(f"/console/appeals/{appeal_id}/resolution",
                       data={"csrf_token": token, "outcome": "upheld", "statement": "Stands."}, follow_redirects=False)
    assert refused.status_code == 403 and "someone other than the deciding moderator" in refused.text

    mod = TestClient(plat.client.app)
    console_login(mod, "mod1")  # a moderator reads appeals but resolves none
    assert RESOLVE.format(appeal_id) not in mod.get(f"/console/appeals/{appeal_id}").text

    client = plat.client
    console_login(client, "senior2")
    page = client.get(f"/console/appeals/{appeal_id}").text
    assert RESOLVE.format(appeal_id) in page and 'name="action"' not in page  # a creator's appeal: no new action
    token = form_token(client, f"/console/appeals/{appeal_id}")
    assert client.post(f"/console/appeals/{appeal_id}/resolution", data={"csrf_token": token, "outcome": "maybe",
                       "statement": "x"}, follow_redirects=False).status_code == 422
    r = client.post(f"/console/appeals/{appeal_id}/resolution",
                    data={"csrf_token": token, "outcome": "overturned", "statement": "Satire, marker 91ab."},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/console/appeals/{appeal_id}?done=overturned"
    page = client.get(r.headers["location"]).text
    assert "Resolved: overturned" in page and "91ab" in page and RESOLVE.format(appeal_id) not in page
    assert appeal_id not in client.get("/console/appeals").text  # open ones by default
    assert appeal_id in client.get("/console/appeals?status=overturned").text
    assert [a["status"] for a in plat.notices("creator1")["appeals"]] == ["overturned"]


def test_who_gave_an_opinion_does_not_resolve_the_appeal(plat: Platform, clock: ManualClock) -> None:
    case_id = brigaded_case(plat, clock)  # a campaign: a removal needs a second opinion
    plat.claim("senior1", case_id)
    first = plat.decide("senior1", case_id, confirm=False, outcome="violation", action="remove", rule="harassment",
                        statement="First opinion.")
    assert first["status"] == "awaiting_second_review"
    plat.claim("senior2", case_id)
    final = plat.decide("senior2", case_id, confirm=False, outcome="violation", action="remove", rule="harassment",
                        statement="Agreed.")
    appeal_id = creator_appeal(plat, final["id"])
    for name in ("senior1", "senior2"):
        client = TestClient(plat.client.app)
        console_login(client, name)
        assert RESOLVE.format(appeal_id) not in client.get(f"/console/appeals/{appeal_id}").text, name
        r = client.post(f"/console/appeals/{appeal_id}/resolution", data={
            "csrf_token": form_token(client, "/console/appeals"), "outcome": "upheld", "statement": "Stands."},
            follow_redirects=False)
        assert r.status_code == 403, name
    admin = plat.client
    console_login(admin, "admin1")
    assert RESOLVE.format(appeal_id) in admin.get(f"/console/appeals/{appeal_id}").text


def test_campaign_page_graph_and_senior_decisions(plat: Platform, clock: ManualClock) -> None:
    case_id = brigaded_case(plat, clock)
    mod = TestClient(plat.client.app)
    console_login(mod, "mod1")
    [campaign_id] = re.findall(r'href="/console/campaigns/(camp_[^"]+)"', mod.get(f"/console/cases/{case_id}").text)
    assert campaign_id in mod.get("/console/campaigns").text
    page = mod.get(f"/console/campaigns/{campaign_id}").text
    assert '<svg role="img" aria-label="Graph of campaign' in page and "<script" not in page
    assert "<style" not in page and " style=" not in page  # the CSP allows no inline style
    members = set(re.findall(r"<code>(rp_[0-9a-f]{12})</code>", page))
    assert len(members) == 40 and "bot" not in page  # pseudonyms only
    assert "Confirm campaign" not in page and "Dismiss all open cases" not in page
    r = mod.post(f"/console/campaigns/{campaign_id}/confirm",
                 data={"csrf_token": form_token(mod, "/console/campaigns"), "note": "x"}, follow_redirects=False)
    assert r.status_code == 403

    client = plat.client
    console_login(client, "senior1")
    token = form_token(client, f"/console/campaigns/{campaign_id}")
    assert client.post(f"/console/campaigns/{campaign_id}/confirm", data={"csrf_token": token, "note": " "},
                       follow_redirects=False).status_code == 422
    r = client.post(f"/console/campaigns/{campaign_id}/dismiss-cases",
                    data={"csrf_token": token, "statement": "Coordinated false reports."}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=closed-1-skipped-0")
    assert case_id not in client.get("/console/queue").text
    r = client.post(f"/console/campaigns/{campaign_id}/confirm",
                    data={"csrf_token": token, "note": "Forty fresh accounts on two devices."}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "Done: confirmed" in page and "Forty fresh accounts" in page and "Confirm campaign" not in page


def test_reporter_page_shows_a_pseudonym_and_a_record_never_the_account(plat: Platform, clock: ManualClock) -> None:
    case_id = brigaded_case(plat, clock)
    client = plat.client
    console_login(client, "mod1")
    case_page = client.get(f"/console/cases/{case_id}").text
    link = re.search(r'href="(/console/reporters/rp_[0-9a-f]{12}\?case=[^"]+)"', case_page)
    assert link is not None
    page = client.get(link.group(1).replace("&amp;", "&")).text
    assert "Credibility" in page and "Never warned" in page and "harassment" in page
    assert "bot" not in page
    pseudonym = link.group(1).split("/")[3].split("?")[0]
    assert client.get(f"/console/reporters/{pseudonym}").status_code == 422  # where did you meet them?
    assert client.get(f"/console/reporters/{pseudonym}?case=nope").status_code == 404
    assert client.get("/console/reporters/bot1?case=" + case_id).status_code == 422  # no lookup by account id
    assert client.get("/console/reporters/rp_000000000000?case=" + case_id).status_code == 404


def test_overturning_a_reporters_appeal_takes_the_new_decision(plat: Platform) -> None:
    case_id = well_reported_case(plat)
    plat.claim("mod1", case_id)
    cleared = plat.decide("mod1", case_id, outcome="no_violation", statement="Banter.")
    r = plat.client.post("/v1/reporters/v2-r0/appeals", headers=plat.key,
                         json={"decision_id": cleared["id"], "statement": "It is a threat."})
    assert r.status_code == 201, r.text
    appeal_id = r.json()["id"]
    client = plat.client
    console_login(client, "senior1")
    page = client.get(f"/console/appeals/{appeal_id}").text
    assert "v2-r0" not in page and re.search(r"reporter <code>rp_[0-9a-f]{12}</code>", page)  # a pseudonym
    assert 'name="action"' in page and 'name="rule"' in page
    token = form_token(client, f"/console/appeals/{appeal_id}")
    r = client.post(f"/console/appeals/{appeal_id}/resolution", follow_redirects=False, data={
        "csrf_token": token, "outcome": "overturned", "statement": "A threat after all, marker 5c2e.",
        "action": "remove", "rule": "harassment", "duration_days": ""})
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"]).text
    assert "New decision" in page
    assert [s["facts_and_circumstances"] for s in plat.notices("creator1")["statements"]] == [
        "A threat after all, marker 5c2e."]
