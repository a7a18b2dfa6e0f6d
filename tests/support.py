"""Factories and helpers shared by tests: a platform with a service key and console users."""

from __future__ import annotations

import functools
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import uvicorn
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fairflag.api.app import create_app
from fairflag.core import Fairflag
from fairflag.domain.enums import ActorType, Role
from fairflag.domain.events import EventKind
from fairflag.services import auth
from fairflag.services.context import Actor, Context
from fairflag.settings import Settings
from fairflag.store import tables

CLI = Actor(ActorType.cli, "test")
T = TypeVar("T")
PASSWORD = "correct horse battery staple"


def create_user(core: Fairflag, username: str, role: Role) -> None:
    core.run(CLI, auth.create_user, auth.UserIn(username=username, role=role, password=PASSWORD))


def login(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@dataclass
class Platform:
    """A platform backend plus a team of console users, talking to the real app."""

    client: TestClient
    core: Fairflag
    key: dict[str, str]
    users: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def setup(cls, client: TestClient, core: Fairflag) -> Platform:
        created = core.run(CLI, auth.create_service_key, "test platform")
        plat = cls(client, core, {"Authorization": f"Bearer {created.token}"})
        for name, role in [("mod1", Role.moderator), ("mod2", Role.moderator), ("senior1", Role.senior),
                           ("senior2", Role.senior), ("admin1", Role.admin), ("auditor1", Role.auditor)]:
            create_user(core, name, role)
            plat.users[name] = login(client, name)
        return plat

    def user_id(self, name: str) -> str:
        from sqlalchemy import select

        from fairflag.store.tables import User
        with self.core.db.reader() as s:
            return s.scalars(select(User.id).where(User.username == name)).one()

    # platform calls
    def account(self, account_id: str, **kw: Any) -> dict[str, Any]:
        r = self.client.post("/v1/accounts", json={"id": account_id, **kw}, headers=self.key)
        assert r.status_code == 200, r.text
        return r.json()

    def subject(self, subject_id: str, surface: str = "video", owner_id: str = "creator1", **kw: Any) -> dict:
        r = self.client.post("/v1/subjects", json={"id": subject_id, "surface": surface, "owner_id": owner_id, **kw},
                             headers=self.key)
        assert r.status_code == 200, r.text
        return r.json()

    def report(self, reporter: str, subject: str, reason: str = "spam", expect: int = 201, **kw: Any) -> dict:
        r = self.client.post("/v1/reports", json={"reporter_id": reporter, "subject_id": subject, "reason": reason,
                                                  **kw}, headers=self.key)
        assert r.status_code == expect, r.text
        return r.json()

    # moderator calls
    def as_(self, user: str, method: str, path: str, expect: int = 200, **kw: Any) -> Any:
        r = self.client.request(method, path, headers=self.users[user], **kw)
        assert r.status_code == expect, f"{method} {path} -> {r.status_code}: {r.text}"
        return r.json()

    def claim(self, user: str, case_id: str) -> dict:
        return self.as_(user, "POST", f"/v1/cases/{case_id}/claim")

    def decide(self, user: str, case_id: str, expect: int = 200, *, confirm: bool = True, **body: Any) -> dict:
        """Decide the case. A restrictive decision that the default policy makes a first opinion
        ([second_review]: thin evidence, a campaign, an owner surge) is, with ``confirm``, decided the same way
        by a colleague, as a team does: the answer is then the colleague's final decision."""
        out = self.as_(user, "POST", f"/v1/cases/{case_id}/decision", expect=expect, json=body)
        if not confirm or expect != 200 or out.get("status") != "awaiting_second_review":
            return out  # type: ignore[no-any-return]
        colleague = next(u for u in ("mod1", "mod2", "senior1", "senior2") if u != user)
        self.claim(colleague, case_id)
        return self.as_(colleague, "POST", f"/v1/cases/{case_id}/decision", json=body)  # type: ignore[no-any-return]

    # --- additions for the issue 1/6 suite ---------------------------------------------------------

    @classmethod
    def key_only(cls, client: TestClient, core: Fairflag) -> Platform:
        """A platform with a service key and no console users (no argon2 cost)."""
        created = core.run(CLI, auth.create_service_key, "test platform")
        return cls(client, core, {"Authorization": f"Bearer {created.token}"})

    def get(self, path: str, expect: int = 200, **kw: Any) -> Any:
        """A GET with the platform key."""
        r = self.client.get(path, headers=self.key, **kw)
        assert r.status_code == expect, f"GET {path} -> {r.status_code}: {r.text}"
        return r.json()

    def notices(self, creator: str) -> dict[str, Any]:
        """What the creator sees: GET /v1/creators/{id}/notices."""
        return self.get(f"/v1/creators/{creator}/notices")  # type: ignore[no-any-return]

    def reporter_view(self, reporter: str) -> dict[str, Any]:
        """What the reporter sees: GET /v1/reporters/{id}/reports."""
        return self.get(f"/v1/reporters/{reporter}/reports")  # type: ignore[no-any-return]

    def outcome_of(self, reporter: str, report_id: str) -> str:
        """The outcome the reporter sees for one of their reports."""
        rows = [r for r in self.reporter_view(reporter)["reports"] if r["id"] == report_id]
        assert len(rows) == 1, rows
        return rows[0]["outcome"]  # type: ignore[no-any-return]

    def feed(self, after: int = 0) -> list[dict[str, Any]]:
        """Every event of the platform's pull feed (GET /v1/events) after the cursor."""
        events: list[dict[str, Any]] = []
        while True:
            page = self.get("/v1/events", params={"after": after, "limit": 1000})
            events.extend(page["events"])
            if page["next_after"] == after:
                return events
            after = page["next_after"]

    def relogin(self, *names: str) -> None:
        """Log console users in again: tokens live 12 hours, and some tests move the clock further."""
        for name in names:
            self.users[name] = login(self.client, name)

    def decide_violation(self, user: str, case_id: str, action: str = "remove", rule: str = "spam",
                         statement: str = "Breaks the rule.", **kw: Any) -> dict[str, Any]:
        """Claim the case as ``user`` and decide it as a violation."""
        self.claim(user, case_id)
        return self.decide(user, case_id, outcome="violation", action=action, rule=rule, statement=statement, **kw)


# What a refused request must leave untouched: row counts of the moderation tables and the columns of the
# projections that requests change.
SNAPSHOT_TABLES = (tables.Account, tables.Subject, tables.Report, tables.ReportState, tables.Case, tables.Event,
                   tables.Decision, tables.EnforcementAction, tables.Strike, tables.Appeal, tables.OutboxEvent)


def snapshot(core: Fairflag) -> dict[str, Any]:
    """Row counts plus every mutable projection column: equal snapshots mean nothing stored changed."""
    with core.db.reader() as s:
        def rows(*cols: Any) -> list[tuple[Any, ...]]:
            return sorted((tuple(r) for r in s.execute(select(*cols))), key=repr)

        return {
            "counts": {t.__tablename__: int(s.scalar(select(func.count()).select_from(t)) or 0)
                       for t in SNAPSHOT_TABLES},
            "cases": rows(tables.Case.id, tables.Case.status, tables.Case.claimed_by, tables.Case.lease_expires_at,
                          tables.Case.version, tables.Case.priority, tables.Case.decision_id),
            "report_states": rows(tables.ReportState.report_id, tables.ReportState.outcome,
                                  tables.ReportState.withdrawn_at, tables.ReportState.decision_id),
            "actions": rows(tables.EnforcementAction.id, tables.EnforcementAction.status),
            "strikes": rows(tables.Strike.id, tables.Strike.removed_at),
            "appeals": rows(tables.Appeal.id, tables.Appeal.status),
            "subjects": rows(tables.Subject.id, tables.Subject.owner_id, tables.Subject.views),
        }


def console_users(core: Fairflag, names: list[str], role: Role) -> dict[str, dict[str, str]]:
    """Many console users at once, for concurrency tests: the users and their login tokens are written as the
    services write them (rows plus ``user_created`` events), but the argon2 hash of the shared test password is
    computed once per session and no login round trip is made. ``Platform.setup`` covers the real paths."""

    def create(ctx: Context) -> dict[str, dict[str, str]]:
        headers = {}
        for name in names:
            user = tables.User(id=ctx.ids.new("usr"), username=name, role=role.value,
                               password_hash=_shared_password_hash(), created_at=ctx.now())
            ctx.session.add(user)
            ctx.session.flush()
            ctx.record(EventKind.user_created, "user", user.id, {"username": name, "role": role.value})
            token = secrets.token_urlsafe(32)
            ctx.session.add(tables.UserToken(token_hash=hashlib.sha256(token.encode()).hexdigest(), user_id=user.id,
                                             created_at=ctx.now(), expires_at=ctx.now() + auth.TOKEN_TTL))
            headers[name] = {"Authorization": f"Bearer {token}"}
        return headers

    return core.run(CLI, create)


@functools.cache
def _shared_password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


@contextmanager
def live_server(core: Fairflag) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, in a thread; yields its base URL."""
    app = create_app(Settings(run_background=False, auto_migrate=False), core=core)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            loop="asyncio", http="h11", ws="none", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-test", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        assert not thread.is_alive(), "the test server did not stop"


def all_at_once(n: int, fn: Callable[[int], T]) -> list[T]:
    """Run ``fn(0..n-1)`` on n threads released together by a barrier; results in index order."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait(timeout=30)
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


ANY_FIELD = object()


def assert_error(response: Any, status: int, type_: str,
                 field: object = ANY_FIELD) -> dict[str, Any]:
    """The one error shape, with the expected status, type and (unless omitted) field."""
    assert response.status_code == status, f"{response.status_code} != {status}: {response.text}"
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"type", "message", "field", "details"}, error
    assert error["type"] == type_, body
    assert isinstance(error["message"], str) and error["message"].strip(), body
    assert error["field"] is None or isinstance(error["field"], str), body
    assert isinstance(error["details"], list), body
    for detail in error["details"]:
        assert set(detail) == {"field", "reason"}, detail
    if field is not ANY_FIELD:
        assert error["field"] == field, f"field {error['field']!r} != {field!r}: {body}"
    return error  # type: ignore[no-any-return]
