"""Issue 18, parts 1 and 2: one bad string must not break a case forever.

Every string that enters is valid Unicode both databases store and give back, or the request is a 422 naming
the field; reads are total; an unexpected error is a 500 in the error shape with a request id; an oversized
body is a 413 before it is parsed; and the spec says every string rule the server applies.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from fairflag.api.app import create_app
from fairflag.core import Fairflag
from fairflag.services.inputs import STATEMENT_PATTERN
from fairflag.settings import Settings
from tests.support import Platform, assert_error

LONE = "\ud800"


def post_raw(plat: Platform, path: str, raw: str | bytes, headers: dict[str, str]) -> Any:
    return plat.client.post(path, content=raw if isinstance(raw, bytes) else raw.encode(),
                            headers={**headers, "content-type": "application/json"})


def escaped(body: dict[str, Any]) -> str:
    """The body as JSON with ASCII escapes: how a client sends a lone surrogate (``"\\ud800"``)."""
    return json.dumps(body)


@pytest.fixture
def decided(plat: Platform) -> dict[str, str]:
    """A case decided as a violation (by senior1), its report (by alice) and the decision."""
    plat.account("creator1")
    plat.subject("v1")
    report = plat.report("alice", "v1", "spam")
    decision = plat.decide_violation("senior1", report["case_id"])
    return {"case": report["case_id"], "report": report["id"], "decision": decision["id"]}


def test_a_lone_surrogate_is_a_named_422_everywhere(plat: Platform, decided: dict[str, str]) -> None:
    """Each free-text, id, URL and map-key field refuses a lone surrogate with a 422 naming it, on both
    databases (before: 500 as plain text, or stored on SQLite and every read of the case a 500)."""
    key, senior = plat.key, plat.users["senior2"]
    report = {"reporter_id": "bob", "subject_id": "v1", "reason": "spam"}
    cases = [
        ("/v1/reports", {**report, "text": f"x{LONE}"}, key, "text"),
        ("/v1/reports", {**report, "evidence_urls": [f"https://x.y/{LONE}"]}, key, "evidence_urls.0"),
        ("/v1/reports", {**report, "reporter_id": f"b{LONE}"}, key, "reporter_id"),
        ("/v1/reports", {**report, "fp_dev": LONE}, key, "fp_dev"),
        ("/v1/subjects", {"id": "v9", "surface": "video", "owner_id": "creator1", "signals": {LONE: 1}}, key,
         "signals.\ufffd\ufffd\ufffd.[key]"),  # pydantic names the key lossily, as its UTF-8 bytes
        ("/v1/accounts", {"id": f"a{LONE}"}, key, "id"),
        (f"/v1/reports/{decided['report']}/withdrawals", {"reporter_id": "alice", "note": LONE}, key, "note"),
        ("/v1/creators/creator1/appeals", {"decision_id": decided["decision"], "statement": LONE}, key,
         "statement"),
        (f"/v1/cases/{decided['case']}/decision", {"outcome": "no_violation", "statement": LONE}, senior,
         "statement"),
        (f"/v1/cases/{decided['case']}/decision",
         {"outcome": "no_violation", "statement": "ok", "report_outcomes": {LONE: "rejected"}}, senior,
         "report_outcomes.\ufffd\ufffd\ufffd.[key]"),
        ("/v1/campaigns/cmp_x/confirm", {"note": LONE}, senior, "note"),
        ("/v1/campaigns/cmp_x/dismiss-cases", {"statement": LONE}, senior, "statement"),
        ("/v1/appeals/apl_x/resolution", {"outcome": "upheld", "statement": LONE}, senior, "statement"),
        ("/v1/admin/webhooks", {"url": "https://hooks.example/x", "description": LONE},
         plat.users["admin1"], "description"),
        ("/v1/auth/login", {"username": "mod1", "password": LONE}, {}, "password"),
        ("/v1/reports", {**report, f"x{LONE}": 1}, key, "body"),  # an unknown key pydantic cannot even name
    ]
    for path, body, headers, field in cases:
        r = post_raw(plat, path, escaped(body), headers)
        assert_error(r, 422, "validation_error", field)
        assert "\ufffd" not in r.json()["error"]["message"] or "\ufffd" in field
    # Every affected view still reads.
    assert plat.as_("mod1", "GET", f"/v1/cases/{decided['case']}")["id"] == decided["case"]
    assert plat.as_("admin1", "GET", "/v1/audit", params={"limit": 1000})["entries"]


def test_nul_and_control_characters_are_refused_with_the_field(plat: Platform) -> None:
    plat.account("creator1")
    plat.subject("v1")
    body = {"reporter_id": "bob", "subject_id": "v1", "reason": "spam"}
    assert_error(plat.client.post("/v1/reports", json={**body, "text": "a\x00b"}, headers=plat.key),
                 422, "validation_error", "text")
    assert_error(plat.client.post("/v1/subjects", json={"id": "v2", "surface": "video", "owner_id": "creator1",
                                                        "signals": {"a\x00": 1}}, headers=plat.key),
                 422, "validation_error", "signals.a\x00.[key]")
    assert plat.report("bob", "v1", "spam", text="tab\there\r\nnewline")["id"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL never stored one: nothing to read
def test_a_surrogate_stored_by_an_earlier_version_reads_as_a_replacement_character(
        plat: Platform, core: Fairflag) -> None:
    """SQLite kept ``\\ud800`` escapes in JSON columns that earlier versions let through (PostgreSQL refused
    them). Reports and events are append-only, so nothing can repair them: the reads must not fail."""
    plat.account("creator1")
    plat.subject("v1")
    with core.db.engine.begin() as conn:  # what an earlier version wrote (the event log is append-only)
        row = conn.execute(text("SELECT * FROM events ORDER BY seq DESC LIMIT 1")).mappings().one()
        values = {**{k: v for k, v in row.items() if k != "seq"}, "data": '{"note": "x\\ud800"}'}
        conn.execute(text(f"INSERT INTO events ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})"),
                     values)
    entries = plat.as_("admin1", "GET", "/v1/audit", params={"limit": 1000})["entries"]
    assert entries[-1]["data"] == {"note": "x\ufffd"}


def test_an_unexpected_error_is_a_500_in_the_error_shape_with_a_request_id(
        core: Fairflag, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(Settings(run_background=False, auto_migrate=False), core=core)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app) as client:
        with caplog.at_level(logging.ERROR, logger="fairflag.api"):
            r = client.get("/boom", headers={"X-Request-ID": "trace-42"})
        error = assert_error(r, 500, "internal_error", None)
        assert r.headers["x-request-id"] == "trace-42" and "trace-42" in error["message"]
        assert "kaboom" not in r.text
        logged = [rec for rec in caplog.records if "trace-42" in rec.getMessage()]
        assert logged and logged[0].exc_info and "kaboom" in str(logged[0].exc_info[1])
        # The connection is not dropped and the next request gets its own, generated id.
        r2 = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
        assert r2.status_code == 200 and len(r2.headers["x-request-id"]) == 32


def test_every_response_carries_a_request_id(plat: Platform) -> None:
    assert plat.client.get("/healthz").headers["x-request-id"]
    r = plat.client.get("/v1/queue", headers={**plat.users["mod1"], "X-Request-ID": "abc-1"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "abc-1"
    assert plat.client.get("/v1/queue").headers["x-request-id"]  # on errors too


def _limited(core: Fairflag, limit: int) -> FastAPI:
    return create_app(Settings(run_background=False, auto_migrate=False, max_body_bytes=limit), core=core)


def test_a_body_above_the_limit_is_a_413_before_it_is_parsed(plat: Platform, core: Fairflag) -> None:
    with TestClient(_limited(core, 1000)) as client:
        big = json.dumps({"reporter_id": "a", "subject_id": "v", "reason": "spam", "text": "x" * 2000})
        r = client.post("/v1/reports", content=big, headers={**plat.key, "content-type": "application/json"})
        assert_error(r, 413, "body_too_large", None)

        def chunks() -> Any:  # no Content-Length: the streamed bytes are counted
            yield b'{"text": "'
            for _ in range(20):
                yield b"x" * 100
            yield b'"}'

        r = client.post("/v1/reports", content=chunks(), headers={**plat.key, "content-type": "application/json"})
        assert "content-length" not in r.request.headers
        assert_error(r, 413, "body_too_large", None)
        # Below the limit, the same endpoint answers as usual (here: the subject is unknown).
        r = client.post("/v1/reports", json={"reporter_id": "a", "subject_id": "v", "reason": "spam"},
                        headers=plat.key)
        assert_error(r, 422, "unknown_subject", "subject_id")
    assert Settings().max_body_bytes == 1024 * 1024


def test_undecodable_bodies_are_422s_in_the_error_shape(plat: Platform) -> None:
    for raw in (b'{"reporter_id": "\xff"}', b"[" * 100_000 + b"]" * 100_000, b"{not json"):
        r = post_raw(plat, "/v1/reports", raw, plat.key)
        assert_error(r, 422, "validation_error")


def test_allow_lists_every_method_of_the_path(plat: Platform) -> None:
    r = plat.client.request("OPTIONS", "/v1/admin/webhooks", headers=plat.users["admin1"])
    assert_error(r, 405, "method_not_allowed")
    assert sorted(m.strip() for m in r.headers["allow"].split(",")) == ["GET", "POST"]


def test_json_types_are_strict(plat: Platform) -> None:
    for body, field in [({"id": "a", "followers": False}, "followers"), ({"id": "a", "followers": "5"}, "followers"),
                        ({"id": "a", "verified": 1}, "verified"), ({"id": "a", "created_at": 0}, "created_at")]:
        assert_error(plat.client.post("/v1/accounts", json=body, headers=plat.key), 422, "validation_error", field)


def _request_strings(node: Any, spec: dict[str, Any], path: str, out: list[str], seen: set[str]) -> None:
    """Every string schema (and map key schema) reachable from a request body, with where it is."""
    if isinstance(node, list):
        for item in node:
            _request_strings(item, spec, path, out, seen)
        return
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            _request_strings(spec["components"]["schemas"][name], spec, name, out, seen)
        return
    if node.get("type") == "string" and "enum" not in node and "const" not in node and "format" not in node \
            and "pattern" not in node:
        out.append(path)
    if node.get("type") == "object" and node.get("additionalProperties") not in (None, False) \
            and "patternProperties" not in node:
        out.append(f"{path} (map keys)")
    for key, value in node.items():
        _request_strings(value, spec, f"{path}.{key}", out, seen)


def test_every_string_in_a_request_body_has_a_published_pattern(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    missing: list[str] = []
    for route, operations in spec["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                _request_strings(operation["requestBody"], spec, f"{method.upper()} {route}", missing, set())
            assert {"500"} <= set(operation["responses"]), route
            assert "413" in operation["responses"] or "requestBody" not in operation, route
    assert missing == []
    report = spec["components"]["schemas"]["ReportIn"]["properties"]
    assert report["text"]["anyOf"][0]["maxLength"] == 2000  # from the loaded policy
    assert report["evidence_urls"]["maxItems"] == 10
    assert "spam" in report["reason"]["enum"]


PRINTABLE = st.characters(codec="utf-8", exclude_categories=["Cc"])
NASTY = st.one_of(
    st.sampled_from(["\ud800", "\udfff", "\x00", "\x07", "\x1b", "\x7f", "\u0301", "\u200f", "\u202e", "\ufeff",
                     "\U0001f600", "\U00010348", "\t", "\n", "\r", " ", "e\u0301", "\u0645\u0631\u062d\u0628\u0627"]),
    PRINTABLE,
)
STRINGS = st.lists(NASTY, min_size=0, max_size=8).map("".join)


def _valid(value: str) -> bool:
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)


@pytest.fixture
def world(plat: Platform) -> Platform:
    plat.account("creator1")
    plat.subject("v1")
    return plat


def test_generated_strings_are_refused_or_read_back_equal(world: Platform) -> None:
    """Generated strings (surrogates, controls, NUL, combining marks, RTL marks, 4-byte characters) posted to
    the write operations: never a 5xx; what was accepted reads back equal in every affected view."""
    plat = world
    counter = iter(range(10**6))

    @given(text=STRINGS, note=STRINGS, key=STRINGS, url_tail=STRINGS, ident=STRINGS)
    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(text: str, note: str, key: str, url_tail: str, ident: str) -> None:
        # What the server receives: JSON decoding joins a valid surrogate pair into one character.
        text, note, key, url_tail, ident = (json.loads(json.dumps(v)) for v in (text, note, key, url_tail, ident))
        n = next(counter)
        subject = f"s{n}"
        r = post_raw(plat, "/v1/subjects", escaped({"id": subject, "surface": "video", "owner_id": "creator1",
                                                    "signals": {key: 1}}), plat.key)
        assert r.status_code in (200, 422), r.text
        if r.status_code == 200:
            assert r.json()["signals"] == {key: 1.0}
        else:
            subject = "v1"
        body = {"reporter_id": f"r{n}{ident}", "subject_id": subject, "reason": "spam", "text": text,
                "evidence_urls": [f"https://example.org/{url_tail}"]}
        r = post_raw(plat, "/v1/reports", escaped(body), plat.key)
        assert r.status_code in (201, 422), r.text
        if r.status_code == 422:
            return
        assert _valid(text) and _valid(url_tail) and _valid(ident)
        receipt = r.json()
        assert receipt["reporter_id"] == body["reporter_id"]
        case = plat.as_("mod1", "GET", f"/v1/cases/{receipt['case_id']}")
        mine = next(rep for rep in case["reports"] if rep["id"] == receipt["id"])
        assert mine["text"] == (text if text.strip() else mine["text"])
        assert mine["evidence_urls"] == body["evidence_urls"]
        view = plat.get(f"/v1/reporters/{body['reporter_id']}/reports")
        assert [rep["id"] for rep in view["reports"]] == [receipt["id"]]
        r = post_raw(plat, f"/v1/reports/{receipt['id']}/withdrawals",
                     escaped({"reporter_id": body["reporter_id"], "note": note}), plat.key)
        assert r.status_code in (200, 422), r.text
        if r.status_code == 200:
            assert _valid(note)

    check()
    # The audit log, which shows every event's data (notes, signals), reads to the end.
    after = 0
    while True:
        page = plat.as_("admin1", "GET", "/v1/audit", params={"after": after, "limit": 1000})
        if page["next_after"] == after:
            break
        after = page["next_after"]


def test_generated_statements_are_refused_or_read_back_equal(world: Platform) -> None:
    """The moderation side: a decision's statement of reasons, an appeal, its resolution, a webhook endpoint's
    description and a service key's name, each a generated string: never a 5xx; what was accepted reads back
    equal where the creator, the moderators and the admins see it."""
    plat = world
    counter = iter(range(10**6))
    accepted: list[str] = []

    def send(user: str, path: str, body: dict[str, Any]) -> Any:
        r = post_raw(plat, path, escaped(body), plat.users[user] if user != "key" else plat.key)
        assert r.status_code < 500, r.text
        return r

    @given(statement=STRINGS, appeal=STRINGS, resolution=STRINGS, label=STRINGS)
    @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(statement: str, appeal: str, resolution: str, label: str) -> None:
        statement, appeal, resolution, label = (json.loads(json.dumps(v)) for v in
                                                (statement, appeal, resolution, label))
        n = next(counter)
        plat.subject(f"m{n}")
        case = plat.report(f"rep{n}", f"m{n}", "spam")["case_id"]
        plat.claim("senior1", case)
        body = {"outcome": "violation", "action": "remove", "rule": "spam", "statement": statement}
        r = send("senior1", f"/v1/cases/{case}/decision", body)
        # The published pattern predicts the answer exactly.
        assert (r.status_code == 200) == (_valid(statement) and bool(re.match(STATEMENT_PATTERN, statement))), r.text
        if r.status_code == 422:
            plat.as_("senior1", "POST", f"/v1/cases/{case}/release")
            return
        accepted.append(statement)
        decision = r.json()
        if decision.get("status") != "decided":  # a first opinion: a colleague confirms it
            plat.claim("mod1", case)
            decision = plat.as_("mod1", "POST", f"/v1/cases/{case}/decision", json=body)
        seen = [s["facts_and_circumstances"] for s in plat.notices("creator1")["statements"]
                if s.get("decision_id") == decision["id"]]
        assert seen == [statement]
        r = send("key", "/v1/creators/creator1/appeals", {"decision_id": decision["id"], "statement": appeal})
        if r.status_code == 201:
            assert r.json()["statement"] == appeal
            r = send("senior2", f"/v1/appeals/{r.json()['id']}/resolution",
                     {"outcome": "upheld", "statement": resolution})
            assert r.status_code in (200, 422), r.text
            if r.status_code == 200:
                assert r.json()["resolution_statement"] == resolution
        r = send("admin1", "/v1/admin/webhooks", {"url": f"https://hooks.example/{n}", "description": label})
        if r.status_code == 201:
            assert r.json()["description"] == label
        r = send("admin1", "/v1/admin/service-keys", {"name": label})
        if r.status_code == 201:
            assert r.json()["name"] == label

    check()
    assert accepted, "no generated statement was valid: the test checked nothing"
    assert plat.as_("admin1", "GET", "/v1/admin/webhooks") is not None
    assert plat.as_("senior1", "GET", "/v1/appeals", params={"status": "upheld"}) is not None

