"""Factories and helpers shared by tests: a platform with a service key and console users."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from fairflag.core import Fairflag
from fairflag.domain.enums import ActorType, Role
from fairflag.services import auth
from fairflag.services.context import Actor

CLI = Actor(ActorType.cli, "test")
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

    def decide(self, user: str, case_id: str, expect: int = 200, **body: Any) -> dict:
        return self.as_(user, "POST", f"/v1/cases/{case_id}/decision", expect=expect, json=body)
