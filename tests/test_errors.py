"""Every refusal: a 4xx with the one JSON error shape naming the field and the reason, and nothing stored
changes (row counts and the mutable projection columns are compared before and after each request)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from tests.support import ANY_FIELD, Platform, assert_error, snapshot

LONG = "x" * 2001  # policy limits.max_text_chars is 2000


@dataclass(frozen=True)
class Bad:
    name: str
    who: str  # "key" (the platform), a console user, or one of the credential cases below
    method: str
    path: str
    status: int
    type: str
    field: object = ANY_FIELD
    json: Any = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    raw: str | None = None  # a body that is not JSON


CREDENTIALS = {
    "none": {},
    "garbage": {"Authorization": "Bearer not-a-token"},
    "forged_key": {"Authorization": "Bearer ffk.key_00000000000000000000.wrongsecret"},
    "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
}


@dataclass
class World:
    plat: Platform
    decision: str  # a violation on creator1's v1, decided by senior1, appealed by creator1
    appeal: str
    no_violation: str  # on creator1's v2, decided by mod1; bob reported it
    held_case: str  # carol's report on v3, claimed by mod1
    late_decision: str  # a violation on creator1's v4, not appealed
    alice_report: str
    decided_case: str


def build_world(plat: Platform) -> World:
    plat.account("creator1")
    plat.account("creator2")
    for sid in ("v1", "v2", "v3", "v4"):
        plat.subject(sid)
    alice = plat.report("alice", "v1", "hate")
    decision = plat.decide_violation("senior1", alice["case_id"], rule="hate")["id"]
    r = plat.client.post("/v1/creators/creator1/appeals", headers=plat.key,
                         json={"decision_id": decision, "statement": "I disagree."})
    assert r.status_code == 201, r.text
    bob = plat.report("bob", "v2", "spam")
    plat.claim("mod1", bob["case_id"])
    no_violation = plat.decide("mod1", bob["case_id"], outcome="no_violation", statement="Not spam.")["id"]
    held = plat.report("carol", "v3", "spam")["case_id"]
    late = plat.decide_violation("mod1", plat.report("dave", "v4", "spam")["case_id"])["id"]
    plat.claim("mod1", held)
    return World(plat, decision, r.json()["id"], no_violation, held, late, alice["id"], alice["case_id"])


def report(**kw: Any) -> dict[str, Any]:
    return {"reporter_id": "erin", "subject_id": "v1", "reason": "spam", **kw}


def decision(**kw: Any) -> dict[str, Any]:
    return {"outcome": "violation", "action": "remove", "rule": "spam", "statement": "Spam.", **kw}


def table(w: World, clock: ManualClock) -> list[Bad]:
    now = clock.now()
    case = f"/v1/cases/{w.held_case}"
    appeal_res = f"/v1/appeals/{w.appeal}/resolution"
    overturn = {"outcome": "overturned", "statement": "Wrong call."}
    return [
        # --- filing a report -----------------------------------------------------------------------------
        Bad("unknown subject", "key", "POST", "/v1/reports", 422, "unknown_subject", "subject_id",
            report(subject_id="nope")),
        Bad("reason not in taxonomy", "key", "POST", "/v1/reports", 422, "unknown_reason", "reason",
            report(reason="rudeness")),
        Bad("oversized text", "key", "POST", "/v1/reports", 422, "invalid_input", "text", report(text=LONG)),
        Bad("malformed evidence URL", "key", "POST", "/v1/reports", 422, "invalid_input", "evidence_urls[1]",
            report(evidence_urls=["https://example.com/ok", "not a url"])),
        Bad("non-http evidence URL", "key", "POST", "/v1/reports", 422, "invalid_input", "evidence_urls[0]",
            report(evidence_urls=["javascript:alert(1)"])),
        Bad("too many URLs", "key", "POST", "/v1/reports", 422, "invalid_input", "evidence_urls",
            report(evidence_urls=[f"https://example.com/{i}" for i in range(11)])),
        Bad("reported_at in the future", "key", "POST", "/v1/reports", 422, "invalid_input", "reported_at",
            report(reported_at=(now + timedelta(hours=1)).isoformat())),
        Bad("reported_at older than 30 days", "key", "POST", "/v1/reports", 422, "invalid_input", "reported_at",
            report(reported_at=(now - timedelta(days=31)).isoformat())),
        Bad("reporter id too long", "key", "POST", "/v1/reports", 422, "invalid_input", "reporter_id",
            report(reporter_id="r" * 201)),
        Bad("reporter id with control characters", "key", "POST", "/v1/reports", 422, "invalid_input",
            "reporter_id", report(reporter_id="eve\n")),
        Bad("automated report without classifier", "key", "POST", "/v1/reports", 422, "invalid_input",
            "classifier", report(source="automated")),
        Bad("trusted-flagger source from an ordinary reporter", "key", "POST", "/v1/reports", 422,
            "invalid_input", "source", report(source="trusted_flagger")),
        Bad("classifier score out of range", "key", "POST", "/v1/reports", 422, "validation_error",
            "classifier.score", report(source="automated", classifier={"name": "c", "version": "1", "score": 1.5})),
        Bad("wrong type", "key", "POST", "/v1/reports", 422, "validation_error", "reporter_id",
            report(reporter_id=123)),
        Bad("list expected", "key", "POST", "/v1/reports", 422, "validation_error", "evidence_urls",
            report(evidence_urls="https://example.com/a")),
        Bad("unknown field", "key", "POST", "/v1/reports", 422, "validation_error", "colour", report(colour="red")),
        Bad("missing field", "key", "POST", "/v1/reports", 422, "validation_error", "reason",
            {"reporter_id": "erin", "subject_id": "v1"}),
        Bad("unknown source", "key", "POST", "/v1/reports", 422, "validation_error", "source",
            report(source="rumour")),
        Bad("body not JSON", "key", "POST", "/v1/reports", 422, "validation_error", raw="{not json"),
        Bad("missing service key", "none", "POST", "/v1/reports", 401, "missing_credentials", None, report()),
        Bad("invalid service key", "garbage", "POST", "/v1/reports", 401, "bad_credentials", None, report()),
        Bad("forged service key", "forged_key", "POST", "/v1/reports", 401, "bad_credentials", None, report()),
        Bad("not a bearer credential", "basic", "POST", "/v1/reports", 401, "missing_credentials", None, report()),
        Bad("moderator token on a platform route", "mod1", "POST", "/v1/reports", 401, "bad_credentials", None,
            report()),
        Bad("admin token on the creator view", "admin1", "GET", "/v1/creators/creator1/notices", 401,
            "bad_credentials"),
        # --- the platform's other routes -------------------------------------------------------------------
        Bad("video without owner", "key", "POST", "/v1/subjects", 422, "invalid_input", "owner_id",
            {"id": "v9", "surface": "video"}),
        Bad("unknown surface", "key", "POST", "/v1/subjects", 422, "validation_error", "surface",
            {"id": "v9", "surface": "podcast", "owner_id": "creator1"}),
        Bad("negative views", "key", "POST", "/v1/subjects", 422, "validation_error", "views",
            {"id": "v9", "surface": "video", "owner_id": "creator1", "views": -1}),
        Bad("a subject cannot change owner", "key", "POST", "/v1/subjects", 422, "invalid_input", "owner_id",
            {"id": "v1", "surface": "video", "owner_id": "creator2"}),
        Bad("account created in the future", "key", "POST", "/v1/accounts", 422, "invalid_input", "created_at",
            {"id": "creator1", "created_at": (now + timedelta(days=1)).isoformat()}),
        Bad("withdrawing an unknown report", "key", "POST", "/v1/reports/rep_nope/withdrawals", 404,
            "report_not_found", "report_id", {"reporter_id": "alice"}),
        Bad("withdrawing someone else's report", "key", "POST", f"/v1/reports/{w.alice_report}/withdrawals", 404,
            "report_not_found", "report_id", {"reporter_id": "bob"}),
        Bad("feed limit out of range", "key", "GET", "/v1/events", 422, "validation_error", "limit",
            params={"limit": 0}),
        Bad("feed cursor not a number", "key", "GET", "/v1/events", 422, "validation_error", "after",
            params={"after": "latest"}),
        Bad("account id too long", "key", "GET", f"/v1/creators/{'c' * 201}/notices", 422, "validation_error",
            "account_id"),
        # --- appeals from creators and reporters -----------------------------------------------------------
        Bad("appealing twice", "key", "POST", "/v1/creators/creator1/appeals", 409, "appeal_exists", "decision_id",
            {"decision_id": w.decision, "statement": "Again."}),
        Bad("appealing someone else's decision", "key", "POST", "/v1/creators/creator2/appeals", 404,
            "decision_not_found", "decision_id", {"decision_id": w.decision, "statement": "Mine?"}),
        Bad("appealing an unknown decision", "key", "POST", "/v1/creators/creator1/appeals", 404,
            "decision_not_found", "decision_id", {"decision_id": "dec_nope", "statement": "?"}),
        Bad("creator appealing no violation", "key", "POST", "/v1/creators/creator1/appeals", 422,
            "not_appealable", "decision_id", {"decision_id": w.no_violation, "statement": "?"}),
        Bad("reporter appealing a violation", "key", "POST", "/v1/reporters/alice/appeals", 422, "not_appealable",
            "decision_id", {"decision_id": w.decision, "statement": "?"}),
        Bad("appeal by someone who did not report", "key", "POST", "/v1/reporters/alice/appeals", 404,
            "decision_not_found", "decision_id", {"decision_id": w.no_violation, "statement": "?"}),
        Bad("appeal without statement", "key", "POST", "/v1/reporters/bob/appeals", 422, "invalid_input",
            "statement", {"decision_id": w.no_violation, "statement": "  "}),
        Bad("appeal statement too long", "key", "POST", "/v1/reporters/bob/appeals", 422, "invalid_input",
            "statement", {"decision_id": w.no_violation, "statement": LONG}),
        Bad("appeal with unknown field", "key", "POST", "/v1/reporters/bob/appeals", 422, "validation_error",
            "urgent", {"decision_id": w.no_violation, "statement": "?", "urgent": True}),
        # --- moderators: cases and decisions ---------------------------------------------------------------
        Bad("unknown case", "mod1", "GET", "/v1/cases/case_nope", 404, "case_not_found", "case_id"),
        Bad("claiming an unknown case", "mod1", "POST", "/v1/cases/case_nope/claim", 404, "case_not_found",
            "case_id"),
        Bad("case id too long", "mod1", "GET", f"/v1/cases/{'c' * 201}", 422, "validation_error", "case_id"),
        Bad("claiming a held case", "mod2", "POST", f"{case}/claim", 409, "case_held_by_other", "case_id"),
        Bad("deciding a case one does not hold", "mod2", "POST", f"{case}/decision", 403, "case_not_claimed",
            "case_id", decision()),
        Bad("releasing a case one does not hold", "mod2", "POST", f"{case}/release", 403, "case_not_claimed",
            "case_id"),
        Bad("claiming a decided case", "mod1", "POST", f"/v1/cases/{w.decided_case}/claim", 409,
            "case_not_open", "case_id"),
        Bad("deciding a decided case", "senior1", "POST", f"/v1/cases/{w.decided_case}/decision", 409,
            "case_not_open", "case_id", decision()),
        Bad("violation without action", "mod1", "POST", f"{case}/decision", 422, "invalid_input", "action",
            decision(action=None)),
        Bad("violation without rule", "mod1", "POST", f"{case}/decision", 422, "invalid_input", "rule",
            decision(rule=None)),
        Bad("rule not in taxonomy", "mod1", "POST", f"{case}/decision", 422, "invalid_input", "rule",
            decision(rule="rudeness")),
        Bad("suspend without duration", "mod1", "POST", f"{case}/decision", 422, "invalid_input", "duration_s",
            decision(action="suspend")),
        Bad("suspend too long", "mod1", "POST", f"{case}/decision", 422, "invalid_input", "duration_s",
            decision(action="suspend", duration_s=91 * 86400)),
        Bad("ban with a duration", "mod1", "POST", f"{case}/decision", 422, "invalid_input", "duration_s",
            decision(action="ban", duration_s=3600)),
        Bad("end_livestream on a video", "mod1", "POST", f"{case}/decision", 422, "invalid_input", "action",
            decision(action="end_livestream")),
        Bad("no violation with an action", "mod1", "POST", f"{case}/decision", 422, "invalid_input", "action",
            {"outcome": "no_violation", "action": "remove", "statement": "Fine."}),
        Bad("empty statement of reasons", "mod1", "POST", f"{case}/decision", 422, "invalid_input", "statement",
            decision(statement=" ")),
        Bad("statement of reasons too long", "mod1", "POST", f"{case}/decision", 422, "invalid_input",
            "statement", decision(statement=LONG)),
        Bad("outcome not in the vocabulary", "mod1", "POST", f"{case}/decision", 422, "validation_error",
            "outcome", decision(outcome="maybe")),
        Bad("action not in the vocabulary", "mod1", "POST", f"{case}/decision", 422, "validation_error",
            "action", decision(action="shadowban")),
        Bad("negative duration", "mod1", "POST", f"{case}/decision", 422, "validation_error", "duration_s",
            decision(action="suspend", duration_s=-5)),
        Bad("duration of the wrong type", "mod1", "POST", f"{case}/decision", 422, "validation_error",
            "duration_s", decision(action="suspend", duration_s="a week")),
        Bad("decision with unknown field", "mod1", "POST", f"{case}/decision", 422, "validation_error",
            "severity", decision(severity="high")),
        # This one fails after the decision was written in the transaction: the rollback must undo it all.
        Bad("outcome for a report not in the case", "mod1", "POST", f"{case}/decision", 422, "invalid_input",
            "report_outcomes.rep_nope", decision(report_outcomes={"rep_nope": "upheld"})),
        Bad("platform key on a moderator route", "key", "GET", "/v1/queue", 401, "bad_credentials"),
        Bad("no token on a moderator route", "none", "POST", f"{case}/claim", 401, "missing_credentials"),
        Bad("invalid token", "garbage", "GET", "/v1/queue", 401, "bad_credentials"),
        Bad("queue limit out of range", "mod1", "GET", "/v1/queue", 422, "validation_error", "limit",
            params={"limit": 501}),
        Bad("unknown surface filter", "mod1", "POST", "/v1/queue/claim-next", 422, "validation_error", "surface",
            params={"surface": "radio"}),
        Bad("nothing to claim on a surface", "mod1", "POST", "/v1/queue/claim-next", 409, "queue_empty",
            params={"surface": "livestream"}),
        # --- roles -----------------------------------------------------------------------------------------
        Bad("moderator resolving an appeal", "mod1", "POST", appeal_res, 403, "role_forbidden", None, overturn),
        Bad("auditor resolving an appeal", "auditor1", "POST", appeal_res, 403, "role_forbidden", None, overturn),
        Bad("resolving an appeal on one's own decision", "senior1", "POST", appeal_res, 403, "own_decision", None,
            overturn),
        Bad("new action on a creator's appeal", "senior2", "POST", appeal_res, 422, "invalid_input", "action",
            {**overturn, "action": "warn"}),
        Bad("resolution outcome not in the vocabulary", "senior2", "POST", appeal_res, 422, "validation_error",
            "outcome", {"outcome": "partly", "statement": "?"}),
        Bad("resolving an unknown appeal", "senior2", "POST", "/v1/appeals/apl_nope/resolution", 404,
            "appeal_not_found", "appeal_id", overturn),
        Bad("auditor claiming", "auditor1", "POST", f"{case}/claim", 403, "role_forbidden", None),
        Bad("auditor claiming next", "auditor1", "POST", "/v1/queue/claim-next", 403, "role_forbidden", None),
        Bad("auditor deciding", "auditor1", "POST", f"{case}/decision", 403, "role_forbidden", None, decision()),
        Bad("moderator reading the audit log", "mod1", "GET", "/v1/audit", 403, "role_forbidden", None),
        Bad("senior reading the audit log", "senior1", "GET", "/v1/audit", 403, "role_forbidden", None),
        Bad("moderator creating a service key", "mod1", "POST", "/v1/admin/service-keys", 403, "role_forbidden",
            None, {"name": "mine"}),
        Bad("moderator creating a user", "mod1", "POST", "/v1/admin/users", 403, "role_forbidden", None,
            {"username": "newbie", "role": "admin", "password": "long enough password"}),
        Bad("admin creating a user with a short password", "admin1", "POST", "/v1/admin/users", 422,
            "validation_error", "password", {"username": "newbie", "role": "moderator", "password": "short"}),
        Bad("admin creating a taken username", "admin1", "POST", "/v1/admin/users", 409, "username_taken",
            "username", {"username": "mod1", "role": "moderator", "password": "long enough password"}),
        Bad("wrong password", "none", "POST", "/v1/auth/login", 401, "bad_credentials", None,
            {"username": "mod1", "password": "not the password"}),
        # --- routes that do not exist ----------------------------------------------------------------------
        Bad("unknown route", "key", "GET", "/v1/nothing-here", 404, "not_found", None),
        Bad("method not allowed", "key", "DELETE", "/v1/reports", 405, "method_not_allowed", None),
    ]


def send(plat: Platform, bad: Bad) -> Any:
    if bad.who == "key":
        headers = dict(plat.key)
    else:
        headers = dict(CREDENTIALS[bad.who] if bad.who in CREDENTIALS else plat.users[bad.who])
    if bad.raw is not None:
        headers["Content-Type"] = "application/json"
        return plat.client.request(bad.method, bad.path, headers=headers, params=bad.params, content=bad.raw)
    if bad.json is None:
        return plat.client.request(bad.method, bad.path, headers=headers, params=bad.params)
    return plat.client.request(bad.method, bad.path, headers=headers, params=bad.params, json=bad.json)


def test_every_refusal_has_the_error_shape_and_changes_nothing(
    plat: Platform, clock: ManualClock, core: Fairflag, subtests: pytest.Subtests
) -> None:
    world = build_world(plat)
    cases = table(world, clock)
    assert len({c.name for c in cases}) == len(cases)
    for bad in cases:
        with subtests.test(bad.name):
            before = snapshot(core)
            r = send(plat, bad)
            error = assert_error(r, bad.status, bad.type, bad.field)
            if bad.status == 422 and bad.type == "validation_error":
                assert error["details"] and error["details"][0]["field"] == error["field"], error
            if bad.status == 401:
                assert r.headers.get("www-authenticate") == "Bearer", r.headers
            assert snapshot(core) == before, f"{bad.name} changed what is stored"
    # The world is as it was built: the held case is still held, the appeal still open.
    case = plat.as_("mod1", "GET", f"/v1/cases/{world.held_case}")
    assert case["status"] == "open" and case["claimed_by"] == plat.user_id("mod1")
    assert plat.as_("senior2", "GET", "/v1/appeals")[0]["status"] == "open"

    # --- refusals that need time to pass ---------------------------------------------------------------------
    case = f"/v1/cases/{world.held_case}"
    # The lease runs out: deciding is refused until the case is claimed again.
    clock.advance(900)
    before = snapshot(core)
    r = plat.client.post(f"{case}/decision", json=decision(), headers=plat.users["mod1"])
    assert_error(r, 409, "lease_expired", "case_id")
    r = plat.client.post(f"{case}/release", headers=plat.users["mod1"])
    assert_error(r, 409, "lease_expired", "case_id")
    assert snapshot(core) == before

    # An appeal filed on the last day of the window is accepted; a day later it is too late.
    clock.set(clock.now() + timedelta(days=180) - timedelta(hours=1))
    r = plat.client.post("/v1/reporters/bob/appeals", headers=plat.key,
                         json={"decision_id": world.no_violation, "statement": "In time."})
    assert r.status_code == 201, r.text
    clock.advance(2 * 3600)
    before = snapshot(core)
    r = plat.client.post("/v1/creators/creator1/appeals", headers=plat.key,
                         json={"decision_id": world.late_decision, "statement": "Too late?"})
    error = assert_error(r, 422, "appeal_window_closed", "decision_id")
    assert "closed" in error["message"]
    assert snapshot(core) == before
    notices = plat.notices("creator1")
    assert {s["decision_id"]: s["appealable_now"] for s in notices["statements"]}[world.late_decision] is False

    # Console tokens last 12 hours.
    r = plat.client.get("/v1/queue", headers=plat.users["mod1"])
    assert_error(r, 401, "bad_credentials", None)
