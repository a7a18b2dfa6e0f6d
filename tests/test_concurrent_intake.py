"""The same request twice, under load: what a platform that retries after a timeout sends.

A real uvicorn server on a loopback port takes a few hundred requests from 32 connections at once: groups of
identical reports (the same new reporter, the same idempotency key), identical account and subject upserts,
new reporters and fresh subjects whose first reports race to create the account and open the case, and
background reports on the same subjects. Whatever the interleaving: no 5xx, one report per idempotency key
(the others answer 200 ``replayed`` with the winner's body, or 409 when their body differs), one account per
id, one open case per subject, and one "upserted" event per account or subject that identical upserts
created.

The load is bounded (a fixed list of requests, a deadline); the workload is seeded (the interleaving is not).
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fairflag.core import Fairflag
from fairflag.domain.enums import Role
from fairflag.domain.events import EventKind
from fairflag.store.tables import Account, Appeal, Case, Event, Report, ReporterStats, Subject, User
from tests.support import PASSWORD, Platform, all_at_once, console_users, live_server

CONNECTIONS = 32
GROUPS = 150  # groups of identical report requests, each with its own idempotency key and new reporter
SUBJECTS_WITH_CASES = 8
FRESH_SUBJECTS = 30  # no case yet: their first reports race to open one
DEADLINE_S = 90.0  # a bound, not an expectation: the whole load takes about ten seconds on 2 cores


@dataclass
class Request:
    path: str
    body: dict[str, Any]
    group: str | None = None  # the idempotency key (or upsert id) shared by identical requests
    response: httpx.Response | None = field(default=None, repr=False)
    error: str | None = None  # a transport error (a server that fails a request may also drop the connection)


def workload(rng: random.Random) -> list[list[Request]]:
    """Batches of requests meant to arrive together (the members of one batch are sent back to back)."""
    subjects = [f"s{i}" for i in range(SUBJECTS_WITH_CASES + FRESH_SUBJECTS)]
    batches: list[list[Request]] = []
    for g in range(GROUPS):
        body = {"reporter_id": f"new-{g}", "subject_id": rng.choice(subjects), "reason": "spam",
                "text": f"report {g}", "idempotency_key": f"key-{g}"}
        copies = rng.choice((2, 2, 3, 4))
        batch = [Request("/v1/reports", dict(body), group=body["idempotency_key"]) for _ in range(copies)]
        if g % 6 == 0:  # the same key reused for a different report: refused unless it came first
            batch.append(Request("/v1/reports", {**body, "reason": "hate"}, group=body["idempotency_key"]))
        if g % 5 == 0:  # the platform describes the new reporter while their report is in flight
            batch.append(Request("/v1/accounts", {"id": body["reporter_id"], "followers": 5}))
        rng.shuffle(batch)
        batches.append(batch)
    for i in range(40):  # identical upserts of new accounts, and of new subjects with new owners
        account = {"id": f"acct-{i}", "followers": i, "verified": i % 2 == 0}
        batches.append([Request("/v1/accounts", account, group=account["id"]) for _ in range(2)])
    for i in range(20):
        subject = {"id": f"ns-{i}", "surface": "video", "owner_id": f"owner-{i}", "views": 10 * i}
        batches.append([Request("/v1/subjects", subject, group=subject["id"]) for _ in range(2)])
    for j in range(150):  # background: reports without a key, from a pool of reporters (new the first time)
        batches.append([Request("/v1/reports", {"reporter_id": f"bg-{j % 25}", "subject_id": rng.choice(subjects),
                                                "reason": rng.choice(("spam", "hate"))})])
    rng.shuffle(batches)
    return batches


def fire(base: str, key: dict[str, str], batches: list[list[Request]]) -> None:
    """Send every request over CONNECTIONS keep-alive connections, members of a batch back to back."""
    work: queue.Queue[Request] = queue.Queue()
    for batch in batches:
        for request in batch:
            work.put(request)
    deadline = time.monotonic() + DEADLINE_S

    def worker() -> None:
        with httpx.Client(base_url=base, headers=key, timeout=60) as http:
            while time.monotonic() < deadline:
                try:
                    request = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    request.response = http.post(request.path, json=request.body)
                except httpx.HTTPError as exc:
                    request.error = repr(exc)

    threads = [threading.Thread(target=worker, name=f"client-{i}") for i in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=DEADLINE_S + 60)
    assert work.empty(), "the load did not finish before its deadline"


def without_replayed(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "replayed"}


def test_identical_requests_under_load(client: TestClient, core: Fairflag) -> None:
    plat = Platform.key_only(client, core)
    plat.account("creator1")
    for i in range(SUBJECTS_WITH_CASES + FRESH_SUBJECTS):
        plat.subject(f"s{i}")
    for i in range(SUBJECTS_WITH_CASES):
        plat.report("seed", f"s{i}", "spam")
    batches = workload(random.Random(20261128))
    sent = [r for batch in batches for r in batch]

    started = time.monotonic()
    with live_server(core) as base:
        fire(base, plat.key, batches)
    elapsed = time.monotonic() - started

    failed = [(r.path, r.body, r.error or f"{r.response.status_code} {r.response.text[:200]}")
              for r in sent if r.response is None or r.response.status_code >= 500]
    assert not failed, f"{len(failed)} of {len(sent)} requests failed in {elapsed:.1f}s: {failed[:5]}"
    statuses = Counter(r.response.status_code for r in sent if r.response is not None)

    # Reports with a key: one 201 per key; the copies answer the winner's body, a different body a 409.
    by_key: dict[str, list[Request]] = defaultdict(list)
    for r in sent:
        if r.path == "/v1/reports" and r.group:
            by_key[r.group].append(r)
    for key, group in by_key.items():
        created = [r for r in group if r.response is not None and r.response.status_code == 201]
        assert len(created) == 1, (key, [(r.body, r.response and r.response.text) for r in group])
        winner = created[0]
        assert winner.response is not None
        won = winner.response.json()
        assert won["replayed"] is False
        for r in group:
            if r is winner:
                continue
            assert r.response is not None
            if r.body == winner.body:
                assert r.response.status_code == 200, (key, r.response.text)
                assert r.response.json()["replayed"] is True
                assert without_replayed(r.response.json()) == without_replayed(won)
            else:
                assert r.response.status_code == 409, (key, r.response.text)
                assert r.response.json()["error"]["type"] == "idempotency_key_reused"
    assert all(r.response is not None and r.response.status_code == 200
               for r in sent if r.path != "/v1/reports"), statuses
    background = [r for r in sent if r.path == "/v1/reports" and not r.group]
    assert all(r.response is not None and r.response.status_code == 201 for r in background), statuses

    with core.db.reader() as s:
        keyed = Counter(s.scalars(select(Report.idempotency_key).where(Report.idempotency_key.is_not(None))))
        assert keyed == Counter({key: 1 for key in by_key})
        reports = s.scalar(select(func.count()).select_from(Report))
        assert reports == SUBJECTS_WITH_CASES + len(by_key) + len(background)
        filed = Counter(s.scalars(select(Event.entity_id).where(Event.kind == EventKind.report_filed.value)))
        assert len(filed) == reports and set(filed.values()) == {1}

        accounts = Counter(s.scalars(select(Account.id)))
        expected = ({f"new-{g}" for g in range(GROUPS)} | {f"acct-{i}" for i in range(40)}
                    | {f"owner-{i}" for i in range(20)} | {f"bg-{j}" for j in range(25)})
        assert expected <= set(accounts) and set(accounts.values()) == {1}
        upserted = Counter(s.scalars(select(Event.entity_id).where(Event.kind == EventKind.account_upserted.value)))
        assert all(upserted[f"acct-{i}"] == 1 for i in range(40)), upserted  # the identical copy changed nothing
        assert {a.id: a.followers for a in s.scalars(select(Account).where(Account.id.like("acct-%")))} == {
            f"acct-{i}": i for i in range(40)}
        subjects = Counter(s.scalars(select(Event.entity_id).where(Event.kind == EventKind.subject_upserted.value)))
        assert all(subjects[f"ns-{i}"] == 1 for i in range(20)), subjects
        assert s.scalar(select(func.count()).select_from(Subject).where(Subject.id.like("ns-%"))) == 20

        open_cases = Counter(s.scalars(select(Case.subject_id).where(Case.status == "open")))
        assert set(open_cases.values()) == {1}
        reported = set(s.scalars(select(Report.subject_id).distinct()))
        assert set(open_cases) == reported  # every reported subject has its one open case
        opened = s.scalar(select(func.count()).select_from(Event).where(Event.kind == EventKind.case_opened.value))
        assert opened == s.scalar(select(func.count()).select_from(Case))


def test_first_rows_are_created_once_at_the_same_instant(plat: Platform, core: Fairflag) -> None:
    """Eight moderators decide eight cases of one reporter at once: the reporter's first stats row is created
    once (the others wait for it). Eight identical appeals and eight identical new users at once: one is
    created, the others are refused with 409, none fails."""
    n = 8
    plat.account("creator1")
    cases = []
    for i in range(n):
        plat.subject(f"v{i}")
        cases.append(plat.report("alice", f"v{i}", "spam")["case_id"])
    names = [f"mod{i:02d}" for i in range(n)]
    tokens = console_users(core, names, Role.moderator)

    with live_server(core) as base:
        for name, case_id in zip(names, cases, strict=True):
            httpx.post(f"{base}/v1/cases/{case_id}/claim", headers=tokens[name]).raise_for_status()

        def decide(i: int) -> httpx.Response:
            with httpx.Client(base_url=base, headers=tokens[names[i]], timeout=60) as http:
                return http.post(f"/v1/cases/{cases[i]}/decision",
                                 json={"outcome": "no_violation", "statement": "Nothing wrong here."})

        decided = all_at_once(n, decide)
        assert [r.status_code for r in decided] == [200] * n, [r.text for r in decided]

        def appeal(_: int) -> httpx.Response:
            with httpx.Client(base_url=base, headers=plat.key, timeout=60) as http:
                return http.post("/v1/reporters/alice/appeals",
                                 json={"decision_id": decided[0].json()["id"], "statement": "It was spam."})

        def create_user(_: int) -> httpx.Response:
            with httpx.Client(base_url=base, headers=plat.users["admin1"], timeout=60) as http:
                return http.post("/v1/admin/users", json={"username": "newcomer", "role": "moderator",
                                                    "password": PASSWORD})

        appeals = all_at_once(n, appeal)
        users = all_at_once(n, create_user)

    for responses, refusal in ((appeals, "appeal_exists"), (users, "username_taken")):
        assert sorted(r.status_code for r in responses) == [201] + [409] * (n - 1), [r.text for r in responses]
        assert {r.json()["error"]["type"] for r in responses if r.status_code == 409} == {refusal}
    with core.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(ReporterStats)
                        .where(ReporterStats.reporter_id == "alice")) == 1
        assert s.scalar(select(func.count()).select_from(Appeal)) == 1
        assert s.scalar(select(func.count()).select_from(User).where(User.username == "newcomer")) == 1
