"""Admin pages over HTTP (both databases): users, service keys (token shown once, revoke), webhook endpoints
(secret shown once) and dead letters (re-send)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from fairflag.core import Fairflag
from fairflag.delivery.webhooks import DEAD
from fairflag.services.context import SYSTEM
from fairflag.store.tables import WebhookDelivery
from tests.support import Platform
from tests.test_console import console_login, form_token


def test_only_admins_see_or_use_the_admin_pages(plat: Platform) -> None:
    client = TestClient(plat.client.app)
    console_login(client, "senior1")
    assert "/console/admin" not in client.get("/console/queue").text
    for path in ("/console/admin", "/console/deliveries"):
        assert client.get(path).status_code == 403
    token = form_token(client, "/console/queue")
    for path, data in (("/console/admin/keys", {"name": "x"}), ("/console/deliveries/endpoints",
                                                                 {"url": "https://example.org/h"})):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403
    assert plat.client.post("/console/admin/keys", data={"name": "x"}, follow_redirects=False).status_code == 303


def test_users_and_keys(plat: Platform) -> None:
    client = plat.client
    console_login(client, "admin1")
    page = client.get("/console/admin").text
    assert "auditor1" in page and "test platform" in page
    token = form_token(client, "/console/admin")
    r = client.post("/console/admin/keys", data={"csrf_token": token, "name": "second app"})
    key = re.search(r'<code class="secret">(ffk\.[^<]+)</code>', r.text)
    assert r.status_code == 200 and key is not None
    assert key.group(1) not in client.get("/console/admin").text  # shown once
    headers = {"Authorization": f"Bearer {key.group(1)}"}
    assert client.get("/v1/reasons", headers=headers).status_code == 200
    key_id = key.group(1).split(".")[1]
    assert client.post(f"/console/admin/keys/{key_id}/revoke", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert client.get("/v1/reasons", headers=headers).status_code == 401
    assert "revoked" in client.get("/console/admin").text

    r = client.post("/console/admin/users", data={"csrf_token": token, "username": "newmod", "role": "moderator",
                                                  "password": "short"})
    assert r.status_code == 422 and "password" in r.text
    r = client.post("/console/admin/users", data={"csrf_token": token, "username": "newmod", "role": "moderator",
                                                  "password": "a long enough password"})
    assert r.status_code == 200 and "User <strong>newmod</strong> (moderator) created" in r.text
    assert "a long enough password" not in r.text


def test_endpoints_and_dead_letters(plat: Platform, core: Fairflag) -> None:
    from fairflag.delivery import webhooks

    plat.account("creator1")
    plat.subject("v1")
    plat.report("alice", "v1", "hate")
    client = plat.client
    console_login(client, "admin1")
    token = form_token(client, "/console/deliveries")
    assert "No endpoint" in client.get("/console/deliveries").text
    r = client.post("/console/deliveries/endpoints", data={"csrf_token": token, "url": "ftp://nope"})
    assert r.status_code == 422
    r = client.post("/console/deliveries/endpoints", data={"csrf_token": token, "url": "http://127.0.0.1:9/hook",
                                                           "description": "down"})
    secret = re.search(r'<code class="secret">([^<]+)</code>', r.text)
    assert r.status_code == 200 and secret is not None and secret.group(1) not in client.get("/console/deliveries").text

    plat.decide_violation("mod1", plat.as_("mod1", "GET", "/v1/queue")[0]["id"], rule="hate")
    core.run(SYSTEM, webhooks.fan_out)
    with core.db.unit_of_work() as s:
        s.execute(update(WebhookDelivery).values(status=DEAD, attempts=8, last_error="HTTP 500 <boom>"))
    with core.db.reader() as s:
        first = s.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)).first()
    page = client.get("/console/deliveries").text
    assert "HTTP 500 &lt;boom&gt;" in page and "action.applied" in page
    r = client.post(f"/console/deliveries/{first}/resend", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/console/deliveries?resent={first}"
    assert f"Delivery {first} is queued again" in client.get(r.headers["location"]).text
    assert client.post(f"/console/deliveries/{first}/resend", data={"csrf_token": token}).status_code == 409
