"""The real CLI against real databases (SQLite and PostgreSQL), the demo dataset it seeds, the server
it starts, and the generated CLI reference."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from fairflag import demo, docgen
from fairflag.api.app import create_app
from fairflag.cli import app
from fairflag.core import Fairflag
from fairflag.policy import load_policy
from fairflag.services import platform
from fairflag.settings import Settings
from fairflag.store.db import Database
from fairflag.store.tables import Account, Report, ServiceKey, Subject, User
from tests.support import CLI

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "a long enough password"
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"


def run_cli(*args: str, db_url: str | None = None, input: str | None = None,
            env: dict[str, str | None] | None = None) -> Result:
    """Invoke the CLI in-process with a clean FAIRFLAG_* environment."""
    base: dict[str, str | None] = {k: None for k in os.environ if k.startswith("FAIRFLAG_")}
    base.update({"NO_COLOR": "1", "COLUMNS": "200", "FAIRFLAG_DATABASE_URL": db_url})
    base.update(env or {})
    return CliRunner().invoke(app, list(args), input=input, env=base, prog_name="fairflag")


def assert_bad_input(result: Result, *fragments: str) -> None:
    """Exit code 2, a one-line `error:` message naming the problem, and no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0], result.output


@pytest.fixture
def api(db_url: str) -> Iterator[TestClient]:
    """The HTTP API on the same database the CLI writes to."""
    settings = Settings(database_url=db_url, run_background=False, auto_migrate=False)
    with TestClient(create_app(settings)) as client:
        yield client


def login(api: TestClient, username: str, password: str) -> dict[str, str]:
    r = api.post("/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def count(db_url: str, entity: type) -> int:
    db = Database(db_url)
    try:
        with db.reader() as session:
            return int(session.scalar(select(func.count()).select_from(entity)) or 0)
    finally:
        db.dispose()


# --- keys, users, migrate ------------------------------------------------------------------------


def test_keys_create_prints_a_token_that_authenticates(db_url: str, api: TestClient) -> None:
    result = run_cli("keys", "create", "acme video", db_url=db_url)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("ffk.") and "\n" not in token  # stdout is the token alone: `$(fairflag keys create)`
    assert "shown only now" in result.stderr
    assert api.get("/v1/reasons", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert api.get("/v1/reasons", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    assert count(db_url, ServiceKey) == 1


def test_users_create_then_login(db_url: str, api: TestClient) -> None:
    by_option = run_cli("users", "create", "mod.one", "--role", "moderator", "--password", PASSWORD, db_url=db_url)
    assert by_option.exit_code == 0, by_option.output
    by_env = run_cli("users", "create", "senior.one", "--role", "senior", db_url=db_url,
                     env={"FAIRFLAG_NEW_USER_PASSWORD": PASSWORD})
    assert by_env.exit_code == 0, by_env.output
    prompted = run_cli("users", "create", "admin.one", "--role", "ADMIN", db_url=db_url,
                       input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    assert PASSWORD not in prompted.output  # hidden input
    for username, role in (("mod.one", "moderator"), ("senior.one", "senior"), ("admin.one", "admin")):
        r = api.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        assert r.json()["user"]["role"] == role
    headers = login(api, "mod.one", PASSWORD)
    assert api.get("/v1/queue", headers=headers).json() == []

    assert_bad_input(run_cli("users", "create", "mod.one", "--role", "moderator", "--password", PASSWORD,
                             db_url=db_url), "username", "taken")
    assert_bad_input(run_cli("users", "create", "mod.two", "--role", "moderator", "--password", "short",
                             db_url=db_url), "password", "12 characters")
    assert_bad_input(run_cli("users", "create", "Not Valid", "--role", "moderator", "--password", PASSWORD,
                             db_url=db_url), "username")
    assert count(db_url, User) == 3


def test_migrate_and_check_pass_on_a_migrated_database(db_url: str) -> None:
    check = run_cli("migrate", "--check", db_url=db_url)
    assert check.exit_code == 0, check.output
    assert "matches the models" in check.output
    again = run_cli("migrate", db_url=db_url)
    assert again.exit_code == 0, again.output
    assert run_cli("migrate", "--check", db_url=db_url).exit_code == 0


def test_migrate_check_fails_clearly_on_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert_bad_input(run_cli("migrate", "--check", db_url=url), "not up to date", "fairflag migrate")
    assert_bad_input(run_cli("keys", "create", "x", db_url=url), "no such table", "fairflag migrate")
    assert run_cli("migrate", db_url=url).exit_code == 0
    assert run_cli("migrate", "--check", db_url=url).exit_code == 0


def test_migrate_check_fails_when_the_schema_drifts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    assert run_cli("migrate", db_url=url).exit_code == 0
    with sqlite3.connect(tmp_path / "drift.db") as conn:
        conn.execute("ALTER TABLE accounts ADD COLUMN nickname TEXT")
    assert_bad_input(run_cli("migrate", "--check", db_url=url), "models and the migrations differ", "nickname")


# --- bad input: one red line, exit code 2, no traceback --------------------------------------------


def test_unknown_role_is_refused() -> None:
    result = run_cli("users", "create", "someone", "--role", "boss", "--password", PASSWORD, db_url=UNREACHABLE)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "'boss' is not one of" in result.output
    assert "moderator" in result.output


def test_invalid_policy_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text('version = "x"\n[severities]\nlow = 1.0\n', encoding="utf-8")
    assert_bad_input(run_cli("policy", "check", str(bad)), "invalid policy", "reasons")
    bad.write_text("version = [", encoding="utf-8")
    assert_bad_input(run_cli("policy", "check", str(bad)), "not valid TOML")
    assert_bad_input(run_cli("policy", "check", str(tmp_path / "missing.toml")), "cannot read policy file")
    # The policy in force is checked by every command that builds the core.
    assert_bad_input(run_cli("keys", "create", "x", db_url=f"sqlite:///{tmp_path / 'x.db'}",
                             env={"FAIRFLAG_POLICY_FILE": str(bad)}), "not valid TOML")


@pytest.mark.parametrize("args", [("keys", "create", "x"), ("migrate",), ("migrate", "--check"),
                                  ("users", "create", "someone", "--role", "auditor", "--password", PASSWORD),
                                  ("demo",)])
def test_unreachable_database_is_reported(args: tuple[str, ...]) -> None:
    assert_bad_input(run_cli(*args, db_url=UNREACHABLE), "database error at postgresql://postgres@127.0.0.1:1/nowhere")


@pytest.mark.parametrize(("env", "fragment"), [
    ({"FAIRFLAG_DATABASE_URL": "nosuchdriver://x"}, "invalid FAIRFLAG_DATABASE_URL"),
    ({"FAIRFLAG_DATABASE_URL": "sqlite://"}, "not an in-memory database"),
    ({"FAIRFLAG_PORT": "eighty"}, "FAIRFLAG_PORT"),
])
def test_bad_settings_are_reported(env: dict[str, str | None], fragment: str) -> None:
    assert_bad_input(run_cli("keys", "create", "x", env=env), fragment)


def test_policy_check_and_show() -> None:
    policy = load_policy()
    ok = run_cli("policy", "check")
    assert ok.exit_code == 0, ok.output
    assert policy.full_version in ok.output
    packaged = REPO / "src" / "fairflag" / "default_policy.toml"
    assert policy.full_version in run_cli("policy", "check", str(packaged)).output
    shown = run_cli("policy", "show")
    assert shown.exit_code == 0, shown.output
    assert "minor_safety" in shown.output and "Strike ladder" in shown.output
    as_json = run_cli("policy", "show", "--json")
    assert json.loads(as_json.stdout)["version"] == policy.version


def test_version_and_help() -> None:
    assert run_cli("--version").stdout.startswith("fairflag ")
    assert run_cli("--help").exit_code == 0
    nothing = run_cli()
    assert "Usage: fairflag" in nothing.output and "Traceback" not in nothing.output


# --- the demo dataset ----------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_seeds_once_and_tells_the_documented_story(db_url: str, api: TestClient) -> None:
    """`fairflag demo` seeds what demo.STORY and docs/cli.md promise; a second run adds nothing."""
    first = run_cli("demo", db_url=db_url)
    assert first.exit_code == 0, first.output
    assert "Demo dataset seeded." in first.output
    token = next(line for line in first.stdout.splitlines() if line.startswith("ffk."))
    assert api.get("/v1/reasons", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    core = Fairflag(Database(db_url), load_policy())
    try:
        summary = demo.describe(core)
        second = run_cli("demo", db_url=db_url)
        assert second.exit_code == 0, second.output
        assert "already present; nothing added" in second.output
        assert not any(line.startswith("ffk.") for line in second.stdout.splitlines())
        assert demo.describe(core) == summary
        assert demo.state(core) is demo.DemoState.seeded
        with pytest.raises(demo.DemoRefused):
            demo.seed(core)
    finally:
        core.db.dispose()
    counts = summary.counts
    assert counts["accounts"] == 30 + demo.BURST_SIZE + 1
    assert 130 <= counts["reports"] <= 170
    assert counts["decided cases"] == counts["decisions"] == 9
    assert counts["open cases"] == 13
    assert counts["open appeals"] == 1
    assert counts["console users"] == len(demo.DEMO_USERS)
    assert counts["service keys"] == 1
    for label in ("livestream case", "mass-report burst case", "open creator appeal", "overturned appeal"):
        assert label in summary.highlights
        assert summary.highlights[label] in first.output

    headers = login(api, "alice", demo.DEMO_PASSWORD)
    cases = api.get("/v1/queue", headers=headers).json()
    assert len(cases) == 13
    assert cases[0]["surface"] == "livestream" and cases[0]["subject_id"] == demo.LIVESTREAM
    live = api.get(f"/v1/cases/{cases[0]['id']}", headers=headers).json()
    assert live["subject"]["is_live"] is True
    automated = [r for r in live["reports"] if r["source"] == "automated"]
    assert len(automated) == 1 and set(automated[0]["source_detail"]) == {"name", "version", "score"}
    burst = next(c for c in cases if c["subject_id"] == demo.BURST_SUBJECTS[0])
    assert burst["reporter_count"] == demo.BURST_SIZE
    appeals = api.get("/v1/appeals", headers=login(api, "dara", demo.DEMO_PASSWORD)).json()
    assert [a["appellant_role"] for a in appeals] == ["creator"]
    audit = api.get("/v1/audit", headers=login(api, "eve", demo.DEMO_PASSWORD), params={"limit": 1000}).json()
    assert {e["provenance"] for e in audit["entries"]} == {"demo"}

    db = Database(db_url)
    try:
        with db.reader() as session:
            newest = session.scalar(select(func.max(Report.received_at)))
            oldest = session.scalar(select(func.min(Subject.first_seen_at)))
            burst_networks = session.scalar(select(func.count(func.distinct(Report.fp_net)))
                                            .where(Report.subject_id == demo.BURST_SUBJECTS[0]))
    finally:
        db.dispose()
    assert newest is not None and oldest is not None
    assert newest - oldest < demo.HISTORY  # the history is ten days long and ends at the time of seeding
    assert burst_networks == 2  # the burst comes from two shared networks


@pytest.mark.slow
def test_demo_refuses_other_data_and_reset_replaces_it(db_url: str) -> None:
    core = Fairflag(Database(db_url), load_policy())
    try:
        core.run(CLI, platform.upsert_account, platform.AccountIn(id="real.person"))
    finally:
        core.db.dispose()
    assert_bad_input(run_cli("demo", db_url=db_url), "not the demo", "--reset")
    assert_bad_input(run_cli("serve", "--demo", db_url=db_url), "not the demo")
    assert count(db_url, Account) == 1

    declined = run_cli("demo", "--reset", db_url=db_url, input="n\n")
    assert declined.exit_code != 0 and count(db_url, Account) == 1
    reset = run_cli("demo", "--reset", "--yes", db_url=db_url)
    assert reset.exit_code == 0, reset.output
    assert "Deleted everything" in reset.output and "Demo dataset seeded." in reset.output
    db = Database(db_url)
    try:
        with db.reader() as session:
            assert session.get(Account, "real.person") is None
            assert session.get(Account, demo.BURST_TARGET) is not None
    finally:
        db.dispose()


# --- the server ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_demo(tmp_path: Path, db_file: Path, name: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = _free_port()
    out = tmp_path / f"{name}.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRFLAG_")}
    env.update({"FAIRFLAG_DATABASE_URL": f"sqlite:///{db_file}", "NO_COLOR": "1",
                "FAIRFLAG_BACKGROUND_INTERVAL_S": "0.5"})
    with out.open("wb") as stdout, (tmp_path / f"{name}.err").open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "fairflag.cli", "serve", "--demo", "--port", str(port)],
                                cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}: "
                                 f"{(tmp_path / f'{name}.err').read_text(errors='replace')}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base, out
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("server did not answer /healthz within 120 s")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as a process manager would; uvicorn shuts down, then re-raises the signal."""
    proc.terminate()
    try:
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


@pytest.mark.slow
def test_serve_demo_starts_a_server_with_the_demo(tmp_path: Path) -> None:
    db_file = tmp_path / "fairflag.db"
    runs = []
    for name in ("first", "second"):
        proc, base, out = _serve_demo(tmp_path, db_file, name)
        try:
            r = httpx.post(f"{base}/v1/auth/login", json={"username": "alice", "password": demo.DEMO_PASSWORD})
            assert r.status_code == 200, r.text
            token = r.json()["token"]
            cases = httpx.get(f"{base}/v1/queue", headers={"Authorization": f"Bearer {token}"}).json()
            assert cases and cases[0]["subject_id"] == demo.LIVESTREAM
            key = next(line for line in out.read_text().splitlines() if line.startswith("ffk."))
            assert httpx.get(f"{base}/v1/reasons", headers={"Authorization": f"Bearer {key}"}).status_code == 200
            runs.append((out.read_text(), len(cases)))
        finally:
            _stop(proc)
    (first, first_cases), (second, second_cases) = runs
    assert "Demo dataset seeded." in first
    assert "already present; nothing added" in second
    assert first_cases == second_cases
    assert count(f"sqlite:///{db_file}", User) == len(demo.DEMO_USERS)
    assert count(f"sqlite:///{db_file}", ServiceKey) == 2  # a fresh key for the second start; keys show once


# --- docs ----------------------------------------------------------------------------------------


def test_cli_reference_is_up_to_date() -> None:
    current = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == docgen.render(), "docs/cli.md is out of date: run `python -m fairflag.docgen`"


def test_cli_reference_covers_every_command() -> None:
    text = docgen.render()
    for path in ("fairflag serve", "fairflag demo", "fairflag migrate", "fairflag keys create",
                 "fairflag users create", "fairflag policy check", "fairflag policy show"):
        assert f"## `{path}`" in text
    for user in demo.DEMO_USERS:
        assert f"`{user.username}`" in text
