"""The user's report flow (both databases): POST /v1/report-links, then the report page, where the signed link is
the only credential: single use, short-lived, bound to one reporter and one subject, rate-limited per reporter."""

from __future__ import annotations

import json
import re

from fairflag.clock import ManualClock
from fairflag.console.headers import HEADERS
from fairflag.delivery.events import problems
from fairflag.services import report_links
from tests.support import Platform, all_at_once

EMAIL = "ana.reporter@example.org"


def link(plat: Platform, reporter: str = "ana", subject: str = "v1", expect: int = 201, **kw: object) -> dict:
    r = plat.client.post("/v1/report-links", json={"reporter_id": reporter, "subject_id": subject, **kw},
                         headers=plat.key)
    assert r.status_code == expect, r.text
    return r.json()  # type: ignore[no-any-return]


def case_of(plat: Platform, subject: str) -> dict:
    [row] = [c for c in plat.as_("mod1", "GET", "/v1/queue") if c["subject_id"] == subject]
    return plat.as_("mod1", "GET", f"/v1/cases/{row['id']}")  # type: ignore[no-any-return]


def setup(plat: Platform) -> str:
    plat.account("creator1")
    plat.subject("v1", "video", "creator1")
    return link(plat)["path"]  # type: ignore[no-any-return]


def test_issue_needs_the_key_and_a_known_subject_and_is_rate_limited(plat: Platform, clock: ManualClock) -> None:
    setup(plat)
    assert plat.client.post("/v1/report-links", json={"reporter_id": "ana", "subject_id": "v1"}).status_code == 401
    assert link(plat, subject="nope", expect=422)["error"]["type"] == "unknown_subject"
    assert link(plat, ttl_s=7200, expect=422)
    per_hour = plat.core.policy.rate_limits.report_links_per_hour
    for _ in range(per_hour - 1):
        link(plat)
    r = plat.client.post("/v1/report-links", json={"reporter_id": "ana", "subject_id": "v1"}, headers=plat.key)
    assert r.status_code == 429, r.text  # one mechanism with the service's other limits
    assert r.json()["error"]["type"] == "report_link_rate_limited" and r.json()["error"]["field"] == "reporter_id"
    assert r.headers["Retry-After"] == str(3600 // per_hour)
    link(plat, reporter="bea")  # per reporter
    assert link(plat, reporter="bea", subject="nope", expect=422)  # a refused request takes no slot
    for _ in range(per_hour - 1):
        link(plat, reporter="bea")
    assert 'fairflag_rate_limited_total{limit="report_link_rate_limited"} 1.0' in plat.client.get("/metrics").text
    clock.advance(3600 // per_hour)
    link(plat)
    link(plat, expect=429)


def test_file_a_report_see_its_status_and_the_link_is_spent(plat: Platform) -> None:
    path = setup(plat)
    client = plat.client
    page = client.get(path)
    assert page.status_code == 200
    for name, value in HEADERS.items():
        assert page.headers[name] == value  # no script, no referrer: the link does not leak
    assert "Harassment or bullying of a person." in page.text and 'value="report_abuse"' not in page.text
    r = client.post(path, data={"reason": "harassment", "text": "He keeps <b>posting</b> my address.",
                                "evidence": "https://example.org/a\n\n"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{path}/done"
    [mine] = plat.reporter_view("ana")["reports"]
    assert mine["subject_id"] == "v1" and mine["reason"] == "harassment" and mine["outcome"] == "pending"
    done = client.get(f"{path}/done").text
    assert "waiting for review" in done and "Block creator1" in done
    again = client.get(path)
    assert again.status_code == 409 and "This link was already used" in again.text
    r = client.post(path, data={"reason": "spam"}, follow_redirects=False)
    assert r.status_code == 409 and len(plat.reporter_view("ana")["reports"]) == 1
    case = case_of(plat, "v1")
    assert case["reports"][0]["text"] == "He keeps <b>posting</b> my address."
    assert case["reports"][0]["evidence_urls"] == ["https://example.org/a"]


def test_expired_and_forged_links_are_refused_clearly(plat: Platform, clock: ManualClock) -> None:
    path = setup(plat)
    token = path.rsplit("/", 1)[1]
    link_id, expiry, signature = token.split(".")
    client = plat.client
    forged = [f"{link_id}.{expiry}.{signature[:-2]}xx", f"{link_id}.{int(expiry) + 3600}.{signature}",
              f"rl_nope.{expiry}.{signature}", "garbage-token", "a.b.c.d"]
    for bad in forged:
        r = client.get(f"/report/{bad}")
        assert r.status_code == 403 and "This link does not work" in r.text, bad
        assert client.post(f"/report/{bad}", data={"reason": "spam"}).status_code == 403
    other = link(plat, reporter="bea")["path"].rsplit("/", 1)[1]
    swapped = f"{other.split('.')[0]}.{expiry}.{signature}"  # a signature is bound to its own link
    assert client.get(f"/report/{swapped}").status_code == 403
    clock.advance(901)
    r = client.get(path)
    assert r.status_code == 410 and "This link has expired" in r.text
    assert client.post(path, data={"reason": "spam"}).status_code == 410
    assert plat.reporter_view("ana")["reports"] == []


def test_a_notice_of_illegal_content(plat: Platform) -> None:
    path = setup(plat)
    client = plat.client
    base = {"reason": "illegal_content", "illegal": "yes", "explanation": "Sells counterfeit medicine (§ 95 AMG).",
            "location": "https://video.example/v1", "name": "Ana Pérez", "email": EMAIL, "good_faith": "yes"}
    for missing, says in (("explanation", "explain why"), ("location", "exact location"), ("email", "name and email"),
                          ("good_faith", "good faith")):
        r = client.post(path, data={k: v for k, v in base.items() if k != missing}, follow_redirects=False)
        assert r.status_code == 422 and says in r.text.lower().replace("accurate and complete", "good faith"), missing
        assert 'value="Ana Pérez"' in r.text or missing == "name"  # what they wrote is kept
    assert client.post(path, data=base, follow_redirects=False).status_code == 303
    [mine] = plat.reporter_view("ana")["reports"]
    assert mine["reason"] == "illegal_content"
    report = case_of(plat, "v1")["reports"][0]
    assert "Sells counterfeit medicine" in report["text"] and "DSA Art. 16" in report["text"]
    assert report["evidence_urls"] == ["https://video.example/v1"]
    case_json = str(case_of(plat, "v1"))
    assert EMAIL not in case_json and "Ana" not in case_json  # the contact stays with the provider's records

    child = link(plat, reporter="bea")["path"]  # content endangering minors: no name or email needed
    r = client.post(child, data={**base, "reason": "minor_safety", "name": "", "email": ""}, follow_redirects=False)
    assert r.status_code == 303


def test_block_or_mute_once_delivered_to_the_platform(plat: Platform, clock: ManualClock) -> None:
    path = setup(plat)
    client = plat.client
    client.post(path, data={"reason": "spam"})
    assert client.post(f"{path}/follow-up", data={"mode": "ban"}).status_code == 422
    r = client.post(f"{path}/follow-up", data={"mode": "mute"}, follow_redirects=False)
    assert r.status_code == 303
    assert "you asked to <strong>mute</strong>" in client.get(f"{path}/done").text
    assert client.post(f"{path}/follow-up", data={"mode": "block"}).status_code == 409
    [event] = [e for e in plat.feed() if e["type"] == "account.block_requested"]
    assert problems(event) == []
    assert {k: event[k] for k in ("reporter_id", "account_id", "mode", "subject_id")} == {
        "reporter_id": "ana", "account_id": "creator1", "mode": "mute", "subject_id": "v1"}
    clock.advance(report_links.AFTER_USE.total_seconds() + 1)
    assert client.get(f"{path}/done").status_code == 410
    assert re.search(r"expired", client.get(f"{path}/done").text)


def test_one_link_files_one_report_even_when_sent_at_once(plat: Platform) -> None:
    path = setup(plat)
    token = path.rsplit("/", 1)[1]
    body = report_links.LinkReportIn(reason="spam")

    def send(_: int) -> str:
        try:
            plat.core.run(report_links.VISITOR, report_links.file_via_link, token, body)
        except report_links.LinkUsed:
            return "refused"
        return "filed"

    assert sorted(all_at_once(6, send)) == ["filed"] + ["refused"] * 5
    assert len(plat.reporter_view("ana")["reports"]) == 1


def test_link_input_is_strict_and_published(plat: Platform) -> None:
    setup(plat)
    for body in ({"reporter_id": "a\ud800"}, {"reporter_id": "a\x00b"}, {"reporter_id": "  "}, {"ttl_s": "900"},
                 {"ttl_s": 900.5}, {"extra": 1}):
        raw = json.dumps({"reporter_id": "ana", "subject_id": "v1", **body})  # ASCII escapes, as clients send
        r = plat.client.post("/v1/report-links", content=raw.encode(),
                             headers={**plat.key, "content-type": "application/json"})
        assert r.status_code == 422, (body, r.text)
    schema = plat.client.get("/openapi.json").json()["components"]["schemas"]["ReportLinkIn"]["properties"]
    assert "pattern" in schema["reporter_id"] and "pattern" in schema["subject_id"]


def test_what_the_page_refuses_is_asked_again_never_stored(plat: Platform) -> None:
    path = setup(plat)
    for data in ({"reason": "spam", "text": "a\x00b"}, {"reason": "spam", "evidence": "https://x.y/\x01"},
                 {"reason": "illegal_content", "illegal": "yes", "explanation": "why", "location": "https://x.y/1",
                  "name": "N\x00", "email": "n@x.y", "good_faith": "yes"}, {"reason": "nope"}):
        r = plat.client.post(path, data=data, follow_redirects=False)
        assert r.status_code == 422 and 'role="alert"' in r.text, (data, r.status_code)
    assert plat.reporter_view("ana")["reports"] == []
    assert plat.client.post(path, data={"reason": "spam"}, follow_redirects=False).status_code == 303
