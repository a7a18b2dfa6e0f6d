"""What a hostile or careless client sent to a running server in session 3's hardening pass (both databases),
each a 5xx or a wrong stored value before its fix: a time whose offset leaves the calendar, an over-long reporter
id reaching the rate limit's key, a NUL in a service key's name typed into the console, a CSRF token that is not
ASCII, and an unexpected error inside a page app (console, report page) that dropped the connection."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fairflag.console import routes as console_routes
from fairflag.core import Fairflag
from fairflag.store.tables import RateLimit, ServiceKey
from tests.support import Platform
from tests.test_console import console_login, form_token


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_time_whose_offset_leaves_the_calendar_is_refused_with_its_field(plat: Platform, when: str) -> None:
    r = plat.client.post("/v1/accounts", json={"id": "acc-1", "created_at": when}, headers=plat.key)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "created_at" and "out of range" in r.json()["error"]["message"]
    r = plat.client.post("/v1/subjects", json={"id": "s-1", "surface": "video", "created_at": when},
                         headers=plat.key)
    assert r.status_code == 422 and r.json()["error"]["field"] == "created_at"
    # the calendar's own edge, in UTC, is a valid (if odd) creation time
    r = plat.client.post("/v1/accounts", json={"id": "acc-1", "created_at": "0001-01-01T00:00:00Z"},
                         headers=plat.key)
    assert r.status_code == 200 and r.json()["created_at"] == "0001-01-01T00:00:00Z"


def test_an_overlong_reporter_id_is_refused_before_it_reaches_the_rate_limit(plat: Platform, core: Fairflag) -> None:
    """The reporter's limit is a row keyed by the reporter id: PostgreSQL refused the 300-character key with a
    500 (SQLite took the slot and rolled it back). The report's fields are checked first now."""
    plat.subject("vid-1")
    for reporter in ("x" * 300, "\U0001F600" * 201):
        r = plat.client.post("/v1/reports", json={"reporter_id": reporter, "subject_id": "vid-1",
                                                  "reason": "spam"}, headers=plat.key)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == "reporter_id"
    with core.db.reader() as s:
        assert (s.scalar(select(func.max(func.length(RateLimit.key)))) or 0) < 100


def test_a_service_key_name_with_a_control_character_is_refused_from_the_console(plat: Platform,
                                                                                 core: Fairflag) -> None:
    client = plat.client
    console_login(client, "admin1")
    token = form_token(client, "/console/admin")
    with core.db.reader() as s:
        before = s.scalar(select(func.count()).select_from(ServiceKey))
    for name in ("\x00", "a\x00b", "tab\there"):
        r = client.post("/console/admin/keys", data={"csrf_token": token, "name": name})
        assert r.status_code == 422, r.text
    with core.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(ServiceKey)) == before


@pytest.mark.parametrize("submitted", ["\u202e", "é" * 64, "\U0001F600"])
def test_a_csrf_token_of_any_characters_is_refused_not_a_500(plat: Platform, submitted: str) -> None:
    client = plat.client
    console_login(client, "admin1")
    r = client.post("/console/admin/keys", data={"csrf_token": submitted, "name": "x"})
    assert r.status_code == 403, r.text
    login = TestClient(client.app)
    login.get("/console/login")
    login.cookies.set("ff_login_csrf", "abc")
    r = login.post("/console/login", data={"username": "admin1", "password": "x" * 12, "csrf_token": submitted})
    assert r.status_code == 403


def test_an_unexpected_error_in_a_page_is_a_500_page_naming_the_request_id(
        plat: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page app answered a plain-text 500 and re-raised; the guard re-raised it too, so the server logged a
    second traceback and dropped the connection. Now: one page, one log line, and the connection stays (the
    test client raises whatever escapes the app)."""
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(console_routes.views, "moderator_queue", broken)
    client = plat.client
    console_login(client, "mod1")
    r = client.get("/console/queue")
    assert r.status_code == 500 and "a bug" not in r.text
    rid = r.headers["x-request-id"]
    assert re.search(rf"quote request id {rid}\b", r.text)
