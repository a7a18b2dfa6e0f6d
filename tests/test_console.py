"""The console over HTTP, without a browser: session cookie, expiry, CSRF, headers, roles, blind second review.
(tests/test_console_browser.py drives the same pages in Chromium.)"""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from fairflag.clock import ManualClock
from fairflag.console.headers import HEADERS
from fairflag.services import auth
from tests.support import PASSWORD, Platform
from tests.test_rereview_and_aging import clear
from tests.test_second_review import brigaded_case

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def console_login(client: TestClient, username: str, base: str = "http://testserver") -> str:
    """Log in through the form; returns the session token from the cookie."""
    page = client.get(f"{base}/console/login")
    assert page.status_code == 200
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    r = client.post(f"{base}/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/queue", r.text
    return client.cookies["ff_session"]


def form_token(client: TestClient, path: str) -> str:
    return CSRF.search(client.get(path).text).group(1)  # type: ignore[union-attr]


def test_session_cookie_flags_and_a_new_session_at_login(plat: Platform) -> None:
    client = plat.client
    page = client.get("/console/login")
    for name, value in HEADERS.items():
        assert page.headers[name] == value
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script at all
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/console/login", data={"username": "mod1", "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("ff_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback
    first = client.cookies["ff_session"]
    second = console_login(client, "mod1")
    assert second != first
    client.cookies.clear()
    client.cookies.set("ff_session", first, path="/console")
    assert client.get("/console/queue", follow_redirects=False).headers["location"] == "/console/login"


def test_secure_cookie_over_https(plat: Platform) -> None:
    client = TestClient(plat.client.app, base_url="https://testserver")
    page = client.get("/console/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/console/login", data={"username": "mod1", "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("ff_session="))
    assert "Secure" in cookie


def test_login_needs_its_form_token_and_the_right_password(plat: Platform) -> None:
    client = plat.client
    client.get("/console/login")
    r = client.post("/console/login", data={"username": "mod1", "password": PASSWORD, "csrf_token": "forged"},
                    follow_redirects=False)
    assert r.status_code == 403 and "ff_session" not in client.cookies
    token = form_token(client, "/console/login")
    r = client.post("/console/login", data={"username": "mod1", "password": "wrong password!", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 401 and "Wrong username or password" in r.text


def test_idle_and_absolute_expiry(plat: Platform, clock: ManualClock) -> None:
    client = plat.client
    console_login(client, "mod1")
    clock.advance((auth.CONSOLE_IDLE - timedelta(minutes=1)).total_seconds())
    assert client.get("/console/queue").status_code == 200  # used: the session slides
    clock.advance((auth.CONSOLE_IDLE - timedelta(minutes=1)).total_seconds())
    assert client.get("/console/queue").status_code == 200
    clock.advance(auth.CONSOLE_IDLE.total_seconds() + 1)  # idle too long
    assert client.get("/console/queue", follow_redirects=False).headers["location"] == "/console/login"

    console_login(client, "mod1")
    used = timedelta()
    while used < auth.TOKEN_TTL - timedelta(minutes=20):  # kept busy, it still ends TOKEN_TTL after login
        clock.advance(minutes=20)
        used += timedelta(minutes=20)
        assert client.get("/console/queue").status_code == 200, used
    clock.advance(minutes=20)
    assert client.get("/console/queue", follow_redirects=False).status_code == 303


def test_forms_need_the_session_token(plat: Platform) -> None:
    plat.account("creator1")
    plat.subject("v1")
    case_id = plat.report("alice", "v1", "hate")["case_id"]
    client = plat.client
    console_login(client, "mod1")
    for data in ({}, {"csrf_token": ""}, {"csrf_token": "0" * 64}):
        assert client.post(f"/console/cases/{case_id}/claim", data=data, follow_redirects=False).status_code == 403
    assert client.post("/console/logout", data={}, follow_redirects=False).status_code == 403
    token = form_token(client, f"/console/cases/{case_id}")
    other = TestClient(client.app)
    console_login(other, "mod2")  # another session's token is no good either
    assert other.post(f"/console/cases/{case_id}/claim", data={"csrf_token": token},
                      follow_redirects=False).status_code == 403
    r = client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/console/cases/{case_id}"


def test_roles(plat: Platform) -> None:
    client = plat.client
    assert client.get("/console/queue", follow_redirects=False).headers["location"] == "/console/login"
    console_login(client, "mod1")
    r = client.get("/console/audit")
    assert r.status_code == 403 and "Not allowed" in r.text and r.headers["x-frame-options"] == "DENY"
    auditor = TestClient(client.app)
    console_login(auditor, "auditor1")
    assert auditor.get("/console/audit").status_code == 200
    assert auditor.post("/console/queue/claim-next", data={"csrf_token": form_token(auditor, "/console/queue")},
                        follow_redirects=False).status_code == 403


def test_queue_filters(plat: Platform) -> None:
    plat.account("creator1")
    plat.subject("v1")
    plat.report("alice", "v1", "hate")
    plat.subject("c1", "comment")
    plat.report("bob", "c1", "spam")
    client = plat.client
    console_login(client, "mod1")
    assert {"v1", "c1"} <= set(re.findall(r">(v1|c1)</a>", client.get("/console/queue").text))
    assert re.findall(r">(v1|c1)</a>", client.get("/console/queue?reason=spam").text) == ["c1"]
    assert re.findall(r">(v1|c1)</a>", client.get("/console/queue?surface=video").text) == ["v1"]
    assert re.findall(r">(v1|c1)</a>", client.get("/console/queue?status=held").text) == []
    assert client.get("/console/queue?surface=bogus&status=bogus").status_code == 200  # unknown filters ignored
    r = client.post("/console/queue/claim-next", data={"csrf_token": form_token(client, "/console/queue"),
                                                       "surface": "comment"}, follow_redirects=False)
    assert r.status_code == 303 and "/console/cases/" in r.headers["location"]
    assert re.findall(r">(v1|c1)</a>", client.get("/console/queue?status=claimed").text) == ["c1"]


def test_decision_form_offers_the_surface_actions_and_refuses_an_incomplete_decision(plat: Platform) -> None:
    plat.account("creator1")
    plat.subject("c1", "comment")
    case_id = plat.report("alice", "c1", "spam", text="buy now")["case_id"]
    client = plat.client
    console_login(client, "mod1")
    token = form_token(client, f"/console/cases/{case_id}")
    client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": token})
    page = client.get(f"/console/cases/{case_id}").text
    offered = set(re.findall(r'<option value="([a-z_]+)">', page.split('id="d-action"')[1].split("</select>")[0]))
    assert "remove" in offered and "end_livestream" not in offered  # end_livestream is for livestreams only
    r = client.post(f"/console/cases/{case_id}/decision",
                    data={"csrf_token": token, "outcome": "violation", "statement": "spam"}, follow_redirects=False)
    assert r.status_code == 422 and "a violation needs an action" in r.text
    for days in ("inf", "nan", "-1", "many"):
        r = client.post(f"/console/cases/{case_id}/decision", data={
            "csrf_token": token, "outcome": "violation", "action": "suspend", "rule": "spam", "statement": "spam",
            "duration_days": days}, follow_redirects=False)
        assert r.status_code == 422, (days, r.status_code)
    r = client.post(f"/console/cases/{case_id}/decision",
                    data={"csrf_token": token, "outcome": "no_violation", "action": "remove", "rule": "spam",
                          "statement": "An ordinary product mention."}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=decided")
    notices = plat.notices("creator1")
    assert notices["statements"] == []  # no violation: nothing for the creator


def test_queue_badges_campaign_and_held_follow_up(plat: Platform, clock: ManualClock) -> None:
    brigaded = brigaded_case(plat, clock)
    plat.subject("v2", owner_id="creator1", views=5000)
    clear(plat, "v2", ["a1", "a2", "a3"])
    clock.advance(3600)
    follow_up = plat.report("b1", "v2", "harassment")["case_id"]
    client = plat.client
    console_login(client, "mod1")

    rows = client.get("/console/queue").text.split("<tr>")[2:]  # header row, then cases
    [row] = [r for r in rows if brigaded in r]
    assert "campaign detected" in row and follow_up not in client.get("/console/queue").text
    held = client.get("/console/queue?status=held").text
    [row] = [r for r in held.split("<tr>")[2:] if follow_up in r]
    assert "held follow-up: no material new evidence" in row
    assert "campaign" not in row

    plat.claim("mod2", brigaded)
    plat.decide("mod2", brigaded, confirm=False, outcome="violation", action="remove", rule="harassment",
                statement="Targeted harassment, marker 5d1q")
    row = next(r for r in client.get("/console/queue?status=second_review").text.split("<tr>")[2:] if brigaded in r)
    assert "awaiting second review" in row
    page = client.get(f"/console/cases/{brigaded}").text
    assert "5d1q" not in page and plat.user_id("mod2") not in page and "first_opinion" not in page
    assert 'name="outcome"' not in page  # mod1 has not claimed it: no decision form yet


def test_keyboard_shortcuts_are_access_keys_listed_on_the_page(plat: Platform) -> None:
    """Next, claim, release and decide have access keys (no script: the CSP allows none), listed on the page."""
    plat.account("creator1")
    plat.subject("v1")
    case_id = plat.report("alice", "v1", "spam")["case_id"]
    client = plat.client
    console_login(client, "mod1")
    queue = client.get("/console/queue").text
    assert re.search(r'accesskey="n"[^>]*>Claim next case', queue) and 'id="shortcuts"' in queue
    case = client.get(f"/console/cases/{case_id}").text
    assert re.search(r'accesskey="c"[^>]*>Claim<', case) and 'id="shortcuts"' in case
    client.post(f"/console/cases/{case_id}/claim", data={"csrf_token": form_token(client, f"/console/cases/{case_id}")})
    held = client.get(f"/console/cases/{case_id}").text
    assert re.search(r'accesskey="r"[^>]*>Release<', held) and re.search(r'accesskey="d"[^>]*>Record decision', held)
