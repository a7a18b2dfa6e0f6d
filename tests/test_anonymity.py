"""No creator-facing response reveals who reported, and moderators see reporters only as pseudonyms.

Many reporters file reports with distinctive ids, fingerprints, texts, evidence URLs, withdrawal notes and
appeal statements. After decisions, appeals, resolutions and an expiry, every response a creator-side
call can produce (notices, appeal receipts, errors) and every action event the platform relays to the
creator is searched for any of those values. The same search is first shown to find each of them where
they may legitimately appear (the reporter's own view, the moderator's case view, the admin audit log,
the database), so a pass is not an artefact of a search that finds nothing. The demo dataset gets the
same search.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from fairflag import demo
from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.services.context import SYSTEM, Context
from fairflag.services.pseudonyms import pseudonym_for
from fairflag.store.tables import Decision, Report, Subject
from fairflag.worker import run_once
from tests.support import Platform, assert_error

CREATOR = "creator-anon"
OTHER_CREATOR = "creator-bystander"
N = 10
REPORTERS = [f"zqrep{i:02d}kestrel" for i in range(N)]
FP_NET = [f"fpnet{i:02d}wombat" for i in range(N)]
FP_DEV = [f"fpdev{i:02d}quokka" for i in range(N)]
TEXTS = [f"textsecret{i:02d}narwhal" for i in range(N)]
URLS = [f"https://evidence.example/ev{i:02d}axolotl" for i in range(N)]
WITHDRAWAL_NOTE = "withdrawnote-ocelot"
REPORTER_APPEAL = "reporterappeal-pangolin"
PSEUDONYM = re.compile(r"^rp_[0-9a-f]{12}$")


def found(needles: set[str], text: str) -> set[str]:
    """The needles that occur in the text, case-insensitively."""
    low = text.lower()
    return {n for n in needles if n.lower() in low}


def raw_texts(response: Any) -> str:
    """The raw body, plus its JSON re-serialised without escapes (so an escaped value is still found)."""
    text: str = response.text
    try:
        return text + "\n" + json.dumps(response.json(), ensure_ascii=False)
    except ValueError:
        return text


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


class CreatorSide:
    """Collects every creator-facing response for the final search."""

    def __init__(self, plat: Platform) -> None:
        self.plat = plat
        self.responses: list[tuple[str, Any]] = []

    def notices(self, label: str, creator: str = CREATOR) -> dict[str, Any]:
        r = self.plat.client.get(f"/v1/creators/{creator}/notices", headers=self.plat.key)
        assert r.status_code == 200, r.text
        self.responses.append((f"notices {label}", r))
        return r.json()  # type: ignore[no-any-return]

    def appeal(self, label: str, decision_id: str, statement: str = "I disagree.", creator: str = CREATOR,
               expect: int = 201, **extra: Any) -> Any:
        r = self.plat.client.post(f"/v1/creators/{creator}/appeals", headers=self.plat.key,
                                  json={"decision_id": decision_id, "statement": statement, **extra})
        assert r.status_code == expect, r.text
        self.responses.append((f"appeal {label}", r))
        return r


def test_creators_never_learn_who_reported_and_moderators_see_pseudonyms(
    plat: Platform, clock: ManualClock, core: Fairflag
) -> None:
    creator = CreatorSide(plat)
    plat.account(CREATOR, followers=5000)
    plat.account(OTHER_CREATOR)
    plat.subject("va", owner_id=CREATOR, views=10000)
    plat.subject("vb", owner_id=CREATOR, views=10000)
    plat.subject(CREATOR, surface="account", owner_id=CREATOR)
    creator.notices("before any report")

    # --- many reporters, each with distinctive data ------------------------------------------------------
    targets = {"va": (range(0, 6), "harassment"), "vb": (range(4, 8), "spam"), CREATOR: (range(7, 10), "scam_fraud")}
    reports: dict[tuple[int, str], dict[str, Any]] = {}
    for subject, (who, reason) in targets.items():
        for i in who:
            reports[(i, subject)] = plat.report(
                REPORTERS[i], subject, reason, text=f"{TEXTS[i]} about {subject}", evidence_urls=[URLS[i]],
                fp_net=FP_NET[i], fp_dev=FP_DEV[i])
            clock.advance(7)
    second = plat.report(REPORTERS[0], "va", "hate", text=TEXTS[0], fp_net=FP_NET[0], fp_dev=FP_DEV[0])
    r = plat.client.post(f"/v1/reports/{reports[(5, 'va')]['id']}/withdrawals", headers=plat.key,
                         json={"reporter_id": REPORTERS[5], "note": WITHDRAWAL_NOTE})
    assert r.status_code == 200, r.text
    report_ids = {rep["id"] for rep in reports.values()} | {second["id"]}
    cases = {subject: reports[(min(who), subject)]["case_id"] for subject, (who, _) in targets.items()}
    creator.notices("after the reports")
    identities = set(REPORTERS) | set(FP_NET) | set(FP_DEV)
    queue = plat.client.get("/v1/queue", headers=plat.users["mod1"])
    assert queue.status_code == 200 and len(queue.json()) == 3
    assert not found(identities, raw_texts(queue)), queue.text

    # --- decisions ---------------------------------------------------------------------------------------
    clock.advance(600)
    va = plat.decide_violation("mod1", cases["va"], rule="harassment", statement="Insults aimed at a classmate.")
    plat.claim("senior1", cases["vb"])
    vb = plat.decide("senior1", cases["vb"], outcome="no_violation", statement="Ordinary promotion.")
    acct = plat.decide_violation("mod2", cases[CREATOR], action="suspend", rule="scam_fraud", duration_s=3 * 86400,
                                 statement="Runs a fake giveaway.")
    creator.notices("after the decisions")

    # --- a reporter appeals the "no violation" and wins: a new decision against the creator ---------------
    r = plat.client.post(f"/v1/reporters/{REPORTERS[4]}/appeals", headers=plat.key,
                         json={"decision_id": vb["id"], "statement": REPORTER_APPEAL})
    assert r.status_code == 201, r.text
    reporter_appeal = r.json()
    seniors_see = [plat.client.get("/v1/appeals", headers=plat.users["senior2"])]
    r = plat.client.post(f"/v1/appeals/{reporter_appeal['id']}/resolution", headers=plat.users["senior2"],
                         json={"outcome": "overturned", "statement": "It is bulk spam after all.",
                               "action": "restrict_visibility", "rule": "spam"})
    assert r.status_code == 200, r.text
    seniors_see.append(r)
    vb_new = r.json()["new_decision_id"]
    creator.notices("after the reporter's appeal")

    # --- the creator appeals; one appeal is upheld, one overturned -----------------------------------------
    appeal_va = creator.appeal("va", va["id"]).json()
    appeal_acct = creator.appeal("account", acct["id"]).json()
    creator.appeal("vb new decision", vb_new)
    creator.notices("after the creator's appeals")
    plat.as_("senior1", "POST", f"/v1/appeals/{appeal_va['id']}/resolution",
             json={"outcome": "overturned", "statement": "A scripted sketch between friends."})
    plat.as_("senior1", "POST", f"/v1/appeals/{appeal_acct['id']}/resolution",
             json={"outcome": "upheld", "statement": "The giveaway was fake."})
    creator.notices("after the resolutions")
    seniors_see += [plat.client.get("/v1/appeals", params={"status": s}, headers=plat.users["senior1"])
                    for s in ("open", "upheld", "overturned")]

    # --- every error a creator-side call can produce -------------------------------------------------------
    for label, decision_id, status, type_ in [
        ("twice", va["id"], 409, "appeal_exists"),
        ("no violation", vb["id"], 422, "not_appealable"),
        ("a report id", reports[(0, "va")]["id"], 404, "decision_not_found"),
        ("a case id", cases["va"], 404, "decision_not_found"),
        ("a reporter's id", REPORTERS[1], 404, "decision_not_found"),
    ]:
        assert_error(creator.appeal(label, decision_id, expect=status), status, type_)
    assert_error(creator.appeal("someone else's", va["id"], creator=OTHER_CREATOR, expect=404), 404,
                 "decision_not_found")
    assert_error(creator.appeal("too long", va["id"], statement="x" * 2001, expect=422), 422, "invalid_input")
    assert_error(creator.appeal("unknown field", va["id"], expect=422, reporter="?"), 422, "validation_error")
    r = plat.client.get(f"/v1/creators/{'c' * 201}/notices", headers=plat.key)
    creator.responses.append(("notices with a bad id", r))
    assert_error(r, 422, "validation_error", "account_id")
    r = plat.client.get(f"/v1/creators/{CREATOR}/notices")
    creator.responses.append(("notices without a key", r))
    assert_error(r, 401, "missing_credentials")
    creator.notices("of a bystander", creator=OTHER_CREATOR)

    # --- time passes: the suspension ends, the appeal window closes ----------------------------------------
    clock.advance(4 * 86400)
    run_once(core)
    creator.notices("after the expiry")
    clock.advance(181 * 86400)
    plat.relogin("auditor1", "mod1")
    assert_error(creator.appeal("too late", vb_new, creator=CREATOR, expect=422), 422, "appeal_window_closed")
    final = creator.notices("at the end")

    # The creator did see what happened to them.
    assert {s["decision_id"] for s in final["statements"] if s["decision_id"]} >= {va["id"], acct["id"], vb_new}
    assert {a["status"] for a in final["actions"]} >= {"active", "reversed"}

    # --- moderators see reporters only as pseudonyms ------------------------------------------------------
    moderator_views = [plat.client.get(f"/v1/cases/{cid}", headers=plat.users["mod1"]) for cid in cases.values()]
    pseudonym_of = {rep["id"]: rep["reporter"] for view in moderator_views for rep in view.json()["reports"]}
    pseudonyms = set(pseudonym_of.values())
    assert len(pseudonym_of) == len(report_ids) and all(PSEUDONYM.match(p) for p in pseudonyms), pseudonym_of
    assert len(pseudonyms) == N  # one per reporter, stable across reports and cases:
    assert pseudonym_of[second["id"]] == pseudonym_of[reports[(0, "va")]["id"]]
    assert pseudonym_of[reports[(4, "va")]["id"]] == pseudonym_of[reports[(4, "vb")]["id"]]
    for view in moderator_views + seniors_see:
        assert view.status_code == 200, view.text
        assert not found(identities, raw_texts(view)), f"a moderator sees {found(identities, raw_texts(view))}"
    # A reporter's appeal reaches the seniors under the pseudonym the reporter's reports carry.
    listed = {a["id"]: a for r in seniors_see[2:] for a in r.json()}
    assert listed[reporter_appeal["id"]]["appellant_id"] == pseudonym_of[reports[(4, "vb")]["id"]]
    assert listed[appeal_va["id"]]["appellant_id"] == CREATOR

    # --- the needles, and proof that the search finds each where it may appear ----------------------------
    needles = (set(REPORTERS) | report_ids | set(FP_NET) | set(FP_DEV) | set(TEXTS) | set(URLS) | pseudonyms
               | {WITHDRAWAL_NOTE, REPORTER_APPEAL})
    audit = plat.client.get("/v1/audit", params={"limit": 1000}, headers=plat.users["auditor1"])
    own_views = [plat.client.get(f"/v1/reporters/{rid}/reports", headers=plat.key) for rid in REPORTERS]
    with core.db.reader() as s:
        stored = repr(s.execute(select(Report.reporter_id, Report.fp_net, Report.fp_dev)).all())
    controls = {
        "admin audit log": raw_texts(audit),
        "reporters' own views": "\n".join(raw_texts(v) for v in own_views),
        "moderator case views": "\n".join(raw_texts(v) for v in moderator_views),
        "the database": stored,
        "pseudonyms": " ".join(pseudonyms),
    }
    seen = set().union(*(found(needles, text) for text in controls.values()))
    assert seen == needles, f"the search cannot find {needles - seen}"
    assert found(set(REPORTERS) | report_ids, controls["admin audit log"]) == set(REPORTERS) | report_ids
    assert found(set(TEXTS) | set(URLS), controls["moderator case views"]) == set(TEXTS) | set(URLS)

    # --- the creator-facing search ------------------------------------------------------------------------
    assert len(creator.responses) >= 20
    for label, response in creator.responses:
        leaked = found(needles, raw_texts(response))
        assert not leaked, f"creator-facing response '{label}' reveals {leaked}: {response.text}"
        body = response.json()
        assert not {k for k in keys(body) if "report" in k.lower()}, f"'{label}' has report fields: {body}"
    # The actions the platform relays to the creator (action.* events of the feed) carry nothing either.
    feed = plat.feed()
    action_events = [e for e in feed if e["type"].startswith("action.")]
    assert {e["type"] for e in action_events} >= {"action.applied", "action.reversed", "action.expired"}
    for event in action_events:
        text = json.dumps(event, ensure_ascii=False)
        assert not found(needles, text), f"{event['type']} reveals {found(needles, text)}: {text}"
    # ... while the reporters' outcomes, meant for the reporters, do name them (the search works on the feed).
    resolved_events = json.dumps([e for e in feed if e["type"] == "reports.resolved"])
    assert found(set(REPORTERS), resolved_events) == set(REPORTERS)


def test_the_demo_shows_creators_nothing_about_their_reporters(core: Fairflag, client: TestClient) -> None:
    """The demo is what people try first and what docs show: its creators' views must be as clean as any.

    Its ids and its made-up fingerprints come from seeded generators; drawn from one stream, a reporter's
    fingerprint turned up inside a decision id that the creator sees. Every reporter id, fingerprint, report
    id and pseudonym of the demo is searched for in every creator-facing response: the notices of every
    account that owns a subject, an appeal on every decision, and the action events of the feed.
    """
    summary = demo.seed(core)
    assert summary.service_key is not None
    key = {"Authorization": f"Bearer {summary.service_key.token}"}

    def read(ctx: Context) -> tuple[list[Any], list[str], list[tuple[str, str]], dict[str, str]]:
        rows = list(ctx.session.execute(select(Report.id, Report.reporter_id, Report.fp_net, Report.fp_dev,
                                               Report.source)).all())
        owners = sorted(set(ctx.session.scalars(select(Subject.owner_id))))
        decided = [(d.id, d.owner_id) for d in ctx.session.scalars(select(Decision).order_by(Decision.id))]
        return rows, owners, decided, {r.reporter_id: pseudonym_for(ctx, r.reporter_id) for r in rows}

    rows, owners, decided, pseudonyms = core.query(SYSTEM, read)
    reporter_ids = {r.reporter_id for r in rows}
    # The platform's classifier reports with the platform's own fingerprints ("platform", ...), not a user's.
    fingerprints = {fp for r in rows if r.source != "automated" for fp in (r.fp_net, r.fp_dev) if fp}
    assert len(reporter_ids) > 40 and len(fingerprints) > 40, (len(reporter_ids), len(fingerprints))
    needles = reporter_ids | fingerprints | {r.id for r in rows} | set(pseudonyms.values())

    responses: list[tuple[str, str, Any]] = []  # (creator, label, response)
    for owner in owners:
        r = client.get(f"/v1/creators/{owner}/notices", headers=key)
        assert r.status_code == 200, r.text
        responses.append((owner, "notices", r))
    for decision_id, owner in decided:
        r = client.post(f"/v1/creators/{owner}/appeals", headers=key,
                        json={"decision_id": decision_id, "statement": "I disagree."})
        assert r.status_code in (201, 409, 422), r.text  # filed, already appealed, or a no-violation decision
        responses.append((owner, f"appeal on {decision_id}", r))
    assert sum(1 for _, label, r in responses if label == "notices" and r.json()["statements"]) >= 5

    for creator, label, response in responses:
        # A creator who also reported something sees their own account id, and nothing of anyone else.
        leaked = found(needles - {creator, pseudonyms.get(creator, "")}, raw_texts(response))
        assert not leaked, f"{creator}'s {label} reveals {leaked}: {response.text}"
    events = client.get("/v1/events", params={"after": 0, "limit": 1000}, headers=key)
    assert events.status_code == 200, events.text
    feed = events.json()["events"]
    actions = [e for e in feed if e["type"].startswith("action.")]
    assert len(actions) >= 9
    for event in actions:
        text = json.dumps(event, ensure_ascii=False)
        leaked = found(needles - {event["owner_id"]}, text)
        assert not leaked, f"{event['type']} reveals {leaked}: {text}"
    # The search works: the reporters' outcomes in the same feed, meant for the reporters, name them.
    resolved = json.dumps([e for e in feed if e["type"] == "reports.resolved"])
    assert len(found(reporter_ids, resolved)) >= 20
