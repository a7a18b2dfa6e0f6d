"""Many moderators claiming at the same instant, against a real uvicorn server on a loopback port.

PostgreSQL is where this matters (row locks, ``SKIP LOCKED``); SQLite serialises writers and must give
the same answers.
"""

from __future__ import annotations

from collections import Counter

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fairflag.core import Fairflag
from fairflag.domain.enums import Role
from fairflag.store.tables import Case, Event, User
from tests.support import Platform, all_at_once, console_users, live_server

MODERATORS = 16


def moderator_ids(core: Fairflag) -> dict[str, str]:
    with core.db.reader() as s:
        return {name: uid for name, uid in s.execute(select(User.username, User.id))}


def claimed_events(core: Fairflag) -> list[str]:
    with core.db.reader() as s:
        return list(s.scalars(select(Event.entity_id).where(Event.kind == "moderator:case:claimed")))


def test_one_case_many_claimants(client: TestClient, core: Fairflag) -> None:
    plat = Platform.key_only(client, core)
    plat.account("creator1")
    plat.subject("v1")
    case_id = plat.report("alice", "v1", "hate")["case_id"]
    names = [f"mod{i:02d}" for i in range(MODERATORS)]
    tokens = console_users(core, names, Role.moderator)

    with live_server(core) as base:
        def claim(i: int) -> httpx.Response:
            with httpx.Client(base_url=base, headers=tokens[names[i]], timeout=60) as http:
                return http.post(f"/v1/cases/{case_id}/claim")

        responses = all_at_once(MODERATORS, claim)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: MODERATORS - 1}, [r.text for r in responses]
    [winner] = [i for i, r in enumerate(responses) if r.status_code == 200]
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"]["type"] == "case_held_by_other", r.text
    ids = moderator_ids(core)
    assert responses[winner].json()["claimed_by"] == ids[names[winner]]
    with core.db.reader() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.claimed_by == ids[names[winner]] and case.version == 2  # attach, claim
    assert claimed_events(core) == [case_id]


def test_claim_next_never_hands_out_a_case_twice(client: TestClient, core: Fairflag) -> None:
    plat = Platform.key_only(client, core)
    plat.account("creator1")
    cases = 10
    for i in range(cases):
        plat.subject(f"v{i}")
        plat.report(f"reporter{i}", f"v{i}", "spam")
    names = [f"mod{i:02d}" for i in range(MODERATORS)]
    tokens = console_users(core, names, Role.moderator)

    with live_server(core) as base:
        def claim_next(i: int) -> httpx.Response:
            with httpx.Client(base_url=base, headers=tokens[names[i]], timeout=60) as http:
                return http.post("/v1/queue/claim-next")

        responses = all_at_once(MODERATORS, claim_next)

    won = [(names[i], r.json()) for i, r in enumerate(responses) if r.status_code == 200]
    lost = [r for r in responses if r.status_code != 200]
    assert len(won) == cases, [r.text for r in responses]
    assert all(r.status_code == 409 and r.json()["error"]["type"] == "queue_empty" for r in lost), \
        [r.text for r in lost]
    claimed = [summary["id"] for _, summary in won]
    assert len(set(claimed)) == cases  # no case twice

    ids = moderator_ids(core)
    with core.db.reader() as s:
        holders = {cid: holder for cid, holder in s.execute(select(Case.id, Case.claimed_by))}
        assert s.scalar(select(func.count()).select_from(Case).where(Case.claimed_by.is_(None))) == 0
    for name, summary in won:
        assert summary["claimed_by"] == ids[name] == holders[summary["id"]]
    assert sorted(claimed_events(core)) == sorted(claimed)
