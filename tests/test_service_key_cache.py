"""The service-key cache of the report path (both back ends): a platform's key is verified in the database
once per few seconds, not once per report, and a revoked key still stops working: at once in the process
that revoked it, within the cache's lifetime in another.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from fairflag.api.app import create_app
from fairflag.core import Fairflag
from fairflag.domain.enums import ActorType, Role
from fairflag.policy import load_policy
from fairflag.services import auth, platform
from fairflag.services.context import Actor
from fairflag.services.key_cache import KEY_CACHE_TTL
from fairflag.settings import Settings
from fairflag.store.db import Database
from tests.support import CLI

ADMIN = Actor(ActorType.user, "admin-test", Role.admin)


@contextmanager
def key_lookups(core: Fairflag) -> Iterator[list[str]]:
    """The statements that read the service_keys table while the block runs."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "service_keys" in statement:
            seen.append(statement)

    event.listen(core.db.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(core.db.engine, "before_cursor_execute", listen)


def subject(core: Fairflag) -> None:
    core.run(Actor(ActorType.platform, "test"), platform.upsert_subject,
             platform.SubjectIn(id="s1", surface="video", owner_id="c1", views=100))


def report(client: TestClient, token: str, n: int) -> int:
    return client.post("/v1/reports", headers={"Authorization": f"Bearer {token}"},
                       json={"reporter_id": f"u{n}", "subject_id": "s1", "reason": "spam"}).status_code


def test_a_key_is_verified_once_then_served_from_the_cache(client: TestClient, core: Fairflag, clock: Any) -> None:
    token = core.run(CLI, auth.create_service_key, "platform").token
    subject(core)
    with key_lookups(core) as seen:
        assert [report(client, token, n) for n in range(3)] == [201, 201, 201]
    assert len(seen) == 1  # the first report verified it; the next two took it from the cache
    clock.advance(KEY_CACHE_TTL.total_seconds())
    with key_lookups(core) as seen:
        assert report(client, token, 3) == 201
    assert len(seen) == 1  # verified again once the cache entry aged out
    with key_lookups(core) as seen:
        assert report(client, "ffk.key_nope.secret", 4) == 401
        assert report(client, "ffk.key_nope.secret", 5) == 401
    assert len(seen) == 2  # a refused key is never cached


def test_a_revoked_key_stops_at_once_here_and_within_the_ttl_elsewhere(client: TestClient, core: Fairflag,
                                                                        db_url: str, clock: Any) -> None:
    created = core.run(CLI, auth.create_service_key, "platform")
    subject(core)
    other = Fairflag(Database(db_url), load_policy(), clock=clock)  # a second server process on the same database
    try:
        with TestClient(create_app(Settings(run_background=False, auto_migrate=False), core=other)) as elsewhere:
            assert report(client, created.token, 0) == 201 and report(elsewhere, created.token, 1) == 201
            core.run(ADMIN, auth.revoke_service_key, created.id)
            assert report(client, created.token, 2) == 401  # this process forgot it when revoking
            assert report(elsewhere, created.token, 3) == 201  # the other still trusts what it verified ...
            clock.advance(KEY_CACHE_TTL.total_seconds())
            assert report(elsewhere, created.token, 4) == 401  # ... for at most the cache's lifetime
    finally:
        other.db.dispose()
