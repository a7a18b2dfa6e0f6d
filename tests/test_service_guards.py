"""The service's own guards: the request timeout (504 in the error shape, the work not torn), PostgreSQL's
statement timeout, the keep-alive timeout of `fairflag serve`, and its JSON log lines with the request id."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from fairflag import logs
from fairflag.api.app import create_app
from fairflag.core import Fairflag
from fairflag.logs import JsonFormatter, RequestIdFilter
from fairflag.services import reports
from fairflag.settings import Settings
from fairflag.store.db import Database
from tests.support import Platform


@pytest.fixture
def slow_client(core: Fairflag) -> Iterator[TestClient]:
    app = create_app(Settings(run_background=False, auto_migrate=False, request_timeout_s=0.3), core=core)
    with TestClient(app) as client:
        yield client


def test_a_request_over_the_timeout_answers_504_and_its_report_still_commits_whole(
        slow_client: TestClient, core: Fairflag, monkeypatch: pytest.MonkeyPatch) -> None:
    plat = Platform.key_only(slow_client, core)
    plat.subject("vid-1")
    finished = threading.Event()
    original = reports.file_report

    def slow_file_report(*args: Any, **kwargs: Any) -> reports.ReportReceipt:
        time.sleep(0.8)
        try:
            return original(*args, **kwargs)
        finally:
            finished.set()

    monkeypatch.setattr(reports, "file_report", slow_file_report)
    body = {"reporter_id": "u1", "subject_id": "vid-1", "reason": "spam", "idempotency_key": "k1"}
    r = slow_client.post("/v1/reports", json=body, headers={**plat.key, "X-Request-ID": "slow-1"})
    assert r.status_code == 504
    assert r.json()["error"]["type"] == "request_timeout" and r.headers["X-Request-ID"] == "slow-1"
    assert "idempotency key" in r.json()["error"]["message"]
    assert finished.wait(10)
    monkeypatch.setattr(reports, "file_report", original)
    # The work went on and committed; the retry the 504 asks for replays it.
    retry = None
    for _ in range(50):  # the abandoned request's commit follows its return by a moment
        retry = slow_client.post("/v1/reports", json=body, headers=plat.key)
        if retry.status_code == 200:
            break
        time.sleep(0.05)
    assert retry is not None and retry.status_code == 200 and retry.json()["replayed"] is True
    # A quick request is untouched by the timeout, and the spec documents the 504.
    assert slow_client.get("/healthz").status_code == 200
    assert "504" in slow_client.get("/openapi.json").json()["paths"]["/v1/reports"]["post"]["responses"]


def test_statement_timeout_cancels_a_runaway_statement_on_postgresql(db_url: str) -> None:
    db = Database(db_url, statement_timeout_ms=200)
    try:
        with db.reader() as session:
            if db.dialect == "postgresql":
                assert session.execute(text("SHOW statement_timeout")).scalar_one() == "200ms"
                began = time.monotonic()
                with pytest.raises(OperationalError, match="statement timeout"):
                    session.execute(text("SELECT pg_sleep(3)"))
                assert time.monotonic() - began < 2.5
            else:  # SQLite has no statement timeout; the setting is ignored, the database works
                assert session.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        db.dispose()


def test_every_line_of_a_request_names_its_id_and_the_access_line_is_json(client: TestClient) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("fairflag")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        assert client.get("/healthz", headers={"X-Request-ID": "req-42"}).status_code == 200
        assert client.get("/v1/queue").status_code == 401
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [x for x in lines if x["logger"] == "fairflag.access"]
    assert len(access) == 2
    first, second = access
    assert first["request_id"] == "req-42" and first["method"] == "GET" and first["path"] == "/healthz"
    assert first["status"] == 200 and first["duration_ms"] >= 0 and first["level"] == "info"
    assert first["timestamp"].endswith("+00:00") and first["message"].startswith("GET /healthz 200")
    assert second["status"] == 401 and len(second["request_id"]) == 32  # a generated id


def test_log_config_for_each_format() -> None:
    record = logging.LogRecord("fairflag.api", logging.WARNING, __file__, 1, "slow %s", ("thing",), None)
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "slow thing" and line["request_id"] == "-" and line["level"] == "warning"
    json_config, text_config = logs.config("json", "debug"), logs.config("text")
    assert json_config["formatters"]["main"] == {"()": JsonFormatter}
    assert "%(request_id)s" in text_config["formatters"]["main"]["format"]
    assert json_config["loggers"]["fairflag"]["level"] == "DEBUG"
    with pytest.raises(ValueError):
        Settings(log_format="xml")  # type: ignore[arg-type]


# --- the real server ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_writes_json_lines_and_closes_idle_connections(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRFLAG_")}
    env.update({"FAIRFLAG_DATABASE_URL": f"sqlite:///{tmp_path / 'ff.db'}", "FAIRFLAG_RUN_BACKGROUND": "false",
                "FAIRFLAG_KEEPALIVE_TIMEOUT_S": "1", "NO_COLOR": "1"})
    err = tmp_path / "serve.err"
    with err.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "fairflag.cli", "serve", "--port", str(port)], cwd=tmp_path,
                                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, err.read_text(errors="replace")
            try:
                if httpx.get(f"{base}/healthz", headers={"X-Request-ID": "probe-1"}, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        # An idle keep-alive connection is closed by the server after FAIRFLAG_KEEPALIVE_TIMEOUT_S.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: keep-1\r\n\r\n")
            began, received = time.monotonic(), b""
            while chunk := conn.recv(65536):  # until the server closes (our own timeout would raise)
                received += chunk
            assert b"200 OK" in received and time.monotonic() - began < 5
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lines = [json.loads(line) for line in err.read_text().splitlines() if line.strip()]
    assert all({"timestamp", "level", "logger", "message", "request_id"} <= set(x) for x in lines)
    access = [x for x in lines if x["logger"] == "fairflag.access" and x["request_id"] in ("probe-1", "keep-1")]
    assert [x["status"] for x in access] == [200, 200] and all(x["path"] == "/healthz" for x in access)
    assert any(x["logger"].startswith("uvicorn") for x in lines)  # the server's own lines are JSON too
