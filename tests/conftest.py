"""Test harness: every storage test runs on SQLite and on PostgreSQL, each test on a fresh database.

Migrations run once per session into a template (a file for SQLite, a template database for
PostgreSQL); each test gets a copy, so tests can use the real server, several connections and
threads, and nothing leaks between them. PostgreSQL must be reachable: the suite fails, never skips,
when it is not (``.ci/run`` starts it).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from fairflag.api.app import create_app
from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.policy import load_policy
from fairflag.settings import Settings
from fairflag.store import migrate
from fairflag.store.db import Database
from tests.support import Platform

PG_ADMIN_URL = os.environ.get("FAIRFLAG_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _pg_conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _pg_url_for(dbname: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 with its production cost takes ~0.25 s a hash; the suite hashes thousands of test passwords.
    The same code path runs, with the library's lowest cost parameters."""
    from argon2 import PasswordHasher

    from fairflag.services import auth

    production = auth._hasher
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    yield
    auth._hasher = production


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    try:
        admin = psycopg.connect(_pg_conninfo(PG_ADMIN_URL), autocommit=True)
    except psycopg.OperationalError as exc:  # pragma: no cover - environment failure
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}. Start it (see .ci/run).")
    name = f"ff_tpl_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    db = Database(_pg_url_for(name))
    migrate.upgrade(db)
    db.dispose()
    yield name
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "fairflag.db"
        shutil.copy(template, target)
        yield f"sqlite:///{target}"
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"ff_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_pg_conninfo(PG_ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    yield _pg_url_for(name)
    with psycopg.connect(_pg_conninfo(PG_ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def core(db_url: str, clock: ManualClock) -> Iterator[Fairflag]:
    fairflag = Fairflag(Database(db_url), load_policy(), clock=clock)
    fairflag.migrate()  # already at head: only bootstraps the instance secrets
    yield fairflag
    fairflag.db.dispose()


@pytest.fixture
def client(core: Fairflag) -> Iterator[TestClient]:
    app = create_app(Settings(run_background=False, auto_migrate=False), core=core)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def plat(client: TestClient, core: Fairflag) -> Platform:
    return Platform.setup(client, core)
