"""The moderator console in a real browser: Debian's Chromium driven by Playwright against the real server
(uvicorn on a loopback port, a real database). Chromium missing is a failure, never a skip (``make test``
installs it).

Each page is also checked with axe-core: no serious or critical accessibility violation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from fairflag.clock import ManualClock
from tests.support import PASSWORD, Platform, live_server
from tests.test_rereview_and_aging import clear
from tests.test_second_review import brigaded_case, well_reported_case

CHROMIUM = os.environ.get("FAIRFLAG_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "console"
XSS = "<script>alert(1)</script>"
FIRST_OPINION = "First opinion: removal for hate, marker 7f3a9q"
FINAL_STATEMENT = "The video attacks a group for its religion (rule: hate), marker 4be21d"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `apt-get install -y chromium` (make test does)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.fixture
def server(plat: Platform) -> Iterator[str]:
    with live_server(plat.core) as base:
        yield base


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Fresh browser profiles (one per user); any alert() dialog fails the test."""
    made: list[BrowserContext] = []
    yield made
    for ctx in made:
        ctx.close()


def open_as(browser: Browser, made: list[BrowserContext], base: str, username: str) -> Page:
    ctx = browser.new_context(base_url=base)
    made.append(ctx)
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    page.goto("/console/")
    expect(page).to_have_url(f"{base}/console/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/console/queue")
    return page


def assert_accessible(page: Page) -> None:
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, [(v["id"], v["impact"], [n["html"] for n in v["nodes"]][:3]) for v in bad]


def shot(page: Page, name: str, request: pytest.FixtureRequest) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suffix = request.node.callspec.id if hasattr(request.node, "callspec") else "default"
    page.screenshot(path=str(ARTIFACTS / f"{name}-{suffix}.png"), full_page=True)


def seed(plat: Platform) -> dict[str, Any]:
    """A hate-reported video (one report's text is a script tag), a violence report on it, and a spam comment.
    The reporters' accounts are days old: their reports weigh little, so a removal needs a second moderator."""
    plat.account("creator1")
    for reporter in ("alice", "bob"):
        plat.account(reporter, created_at="2026-05-30T00:00:00Z")
    plat.subject("video-1", "video", "creator1", views=40)
    case = plat.report("alice", "video-1", "hate", text=XSS)
    plat.report("bob", "video-1", "violence", text="graphic description of an attack")
    plat.subject("comment-9", "comment", "creator2", views=5000)
    plat.report("carol", "comment-9", "spam")
    return case


def test_decide_a_case_end_to_end(plat: Platform, server: str, browser: Browser, contexts: list[BrowserContext],
                                  request: pytest.FixtureRequest) -> None:
    case_id = seed(plat)["case_id"]
    page = open_as(browser, contexts, server, "mod1")
    assert_accessible(page)
    top = page.locator("table.queue tbody tr").first
    expect(top).to_contain_text("video-1")
    expect(top).to_contain_text("hate")
    expect(top).to_contain_text("left")
    shot(page, "queue", request)
    page.get_by_label("Surface").select_option("comment")
    page.get_by_role("button", name="Filter").click()  # a GET form: no script involved
    expect(page).to_have_url(f"{server}/console/queue?reason=&surface=comment&status=open")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator("table.queue tbody tr").first).to_contain_text("comment-9")
    page.goto("/console/queue")

    top.get_by_role("link").click()
    expect(page).to_have_url(f"{server}/console/cases/{case_id}")
    # The report's script tag is text, not markup; no dialog ever opened.
    expect(page.get_by_text(XSS, exact=True)).to_be_visible()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.content()
    # A violence report's text stays hidden until the moderator chooses to see it.
    violent = page.get_by_text("graphic description of an attack")
    expect(violent).to_be_hidden()
    page.get_by_text("Show violence content").click()
    expect(violent).to_be_visible()
    assert "alice" not in page.content() and "bob" not in page.content()  # reporters are pseudonyms
    assert_accessible(page)

    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.get_by_text("Claimed by you")).to_be_visible()
    assert_accessible(page)
    shot(page, "case", request)

    decide(page, FIRST_OPINION)
    # Two reports from new accounts are thin evidence: the removal is a first opinion, for a second moderator.
    expect(page.get_by_text("a second moderator, who will not see it")).to_be_visible()

    second = open_as(browser, contexts, server, "mod2")
    expect(second.locator("table.queue tbody tr").first).to_contain_text("awaiting second review")
    second.goto(f"/console/cases/{case_id}")
    html = second.content()
    for trace in (FIRST_OPINION, "7f3a9q", "first_opinion", plat.user_id("mod1")):
        assert trace not in html, trace
    second.get_by_role("button", name="Claim", exact=True).click()
    html = second.content()
    assert FIRST_OPINION not in html and "7f3a9q" not in html
    assert_accessible(second)
    decide(second, FINAL_STATEMENT)
    expect(second.get_by_text("Decided.")).to_be_visible()
    assert_accessible(second)

    notices = httpx.get(f"{server}/v1/creators/creator1/notices", headers=plat.key, timeout=10).json()
    assert [s["facts_and_circumstances"] for s in notices["statements"]] == [FINAL_STATEMENT]
    assert notices["statements"][0]["ground"] == "hate"
    assert page.dialogs == [] and second.dialogs == []  # type: ignore[attr-defined]


def decide(page: Page, statement: str) -> None:
    page.get_by_label("Violation", exact=True).check()
    page.get_by_label("Action (for a violation").select_option("remove")
    page.get_by_label("Rule broken").select_option("hate")
    page.get_by_label("Statement of reasons").fill(statement)
    page.get_by_role("button", name="Record decision").click()


def test_roles_csrf_and_held_cases(plat: Platform, clock: ManualClock, server: str, browser: Browser,
                                   contexts: list[BrowserContext]) -> None:
    case_id = seed(plat)["case_id"]
    # A follow-up on a subject cleared an hour ago, without new evidence: held, never handed out.
    plat.subject("video-7", "video", "creator1", views=5000)
    clear(plat, "video-7", ["a1", "a2", "a3"])
    clock.advance(3600)
    held = plat.report("b1", "video-7", "harassment")["case_id"]
    mod = open_as(browser, contexts, server, "mod1")
    assert mod.get_by_role("link", name="Audit log").count() == 0
    response = mod.goto("/console/audit")
    assert response is not None and response.status == 403
    expect(mod.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert_accessible(mod)

    # A form posted without the session's CSRF token is refused, with the session cookie sent all the same.
    for token in (None, "forged", ""):
        data = {} if token is None else {"csrf_token": token}
        refused = mod.request.post(f"/console/cases/{case_id}/claim", form=data, max_redirects=0)
        assert refused.status == 403, (token, refused.status)
    mod.goto(f"/console/cases/{case_id}")
    expect(mod.get_by_text("Nobody holds this case.")).to_be_visible()

    # A case one moderator holds: a colleague's claim (from the page opened before) is refused, saying why.
    other = open_as(browser, contexts, server, "mod2")
    other.goto(f"/console/cases/{case_id}")
    mod.get_by_role("button", name="Claim", exact=True).click()
    expect(mod.get_by_text("Claimed by you")).to_be_visible()
    with other.expect_response(f"{server}/console/cases/{case_id}/claim") as claimed:
        other.get_by_role("button", name="Claim", exact=True).click()
    assert claimed.value.status == 409
    expect(other.get_by_role("heading", name="Not now")).to_be_visible()
    expect(other.get_by_text("another moderator holds this case")).to_be_visible()
    assert_accessible(other)
    other.goto(f"/console/cases/{case_id}")
    expect(other.get_by_text("Claimed by another moderator")).to_be_visible()
    expect(other.get_by_role("button", name="Claim", exact=True)).to_have_count(0)
    # With every other open case held by someone, "Claim next" finds nothing: the held follow-up is not handed out.
    other.goto("/console/queue?status=held")
    expect(other.locator("table.queue tbody tr", has_text=held)).to_contain_text("held follow-up")
    while plat.client.post("/v1/queue/claim-next", headers=plat.users["senior1"]).status_code == 200:
        pass
    other.goto("/console/queue")
    other.get_by_role("button", name=re.compile(r"^Claim next case")).click()
    expect(other).to_have_url(f"{server}/console/queue?empty=true")
    expect(other.get_by_text("No unclaimed case is waiting")).to_be_visible()
    assert plat.as_("auditor1", "GET", f"/v1/cases/{held}")["claimed_by"] is None

    auditor = open_as(browser, contexts, server, "auditor1")
    response = auditor.goto("/console/audit")
    assert response is not None and response.status == 200
    expect(auditor.get_by_role("cell", name="platform:report:filed").first).to_be_visible()
    assert_accessible(auditor)

    admin = open_as(browser, contexts, server, "admin1")
    admin.get_by_role("link", name="Admin").click()
    admin.get_by_label("What it is for").fill("second platform")
    admin.get_by_role("button", name="Create key").click()
    expect(admin.locator("code.secret")).to_contain_text("ffk.")  # shown once
    assert_accessible(admin)
    admin.get_by_role("link", name="Deliveries").click()
    expect(admin.get_by_role("heading", name="Dead letters")).to_be_visible()
    assert_accessible(admin)

    # Logging out ends the session on the server: the old cookie no longer opens the queue.
    cookie = next(c for c in mod.context.cookies() if c["name"] == "ff_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    mod.get_by_role("button", name="Log out").click()
    expect(mod).to_have_url(f"{server}/console/login")
    assert_accessible(mod)
    reused = httpx.get(f"{server}/console/queue", cookies={"ff_session": cookie["value"]}, timeout=10)
    assert reused.status_code == 303 and reused.headers["location"] == "/console/login"


def test_senior_pages_appeal_campaign_reporter_and_dashboard(
        plat: Platform, clock: ManualClock, server: str, browser: Browser, contexts: list[BrowserContext],
        request: pytest.FixtureRequest) -> None:
    """A senior resolves a creator's appeal (filed through the API), reads a campaign's graph and a member's
    record (as a pseudonym), confirms the campaign, and reads the transparency dashboard."""
    brigaded = brigaded_case(plat, clock)
    decided = well_reported_case(plat, "v2")
    decision = plat.decide_violation("mod1", decided, rule="harassment", statement="Harassment of a neighbour.")
    filed = httpx.post(f"{server}/v1/creators/creator1/appeals", headers=plat.key, timeout=10,
                       json={"decision_id": decision["id"], "statement": "My neighbour asked me to film."})
    assert filed.status_code == 201, filed.text

    page = open_as(browser, contexts, server, "senior1")
    page.get_by_role("link", name="Appeals", exact=True).click()
    page.get_by_role("link", name=filed.json()["id"]).click()
    expect(page.get_by_text("My neighbour asked me to film.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Upheld: the decision stands").check()
    page.get_by_label("Reasons (sent to the appellant)").fill("The video shows a private person being mocked.")
    page.get_by_role("button", name="Resolve appeal").click()
    expect(page.get_by_text("Resolved: upheld.")).to_be_visible()
    expect(page.get_by_role("button", name="Resolve appeal")).to_have_count(0)
    assert_accessible(page)

    page.goto(f"/console/cases/{brigaded}")
    page.locator("a.badge.campaign").first.click()
    expect(page.get_by_role("img", name="Graph of campaign")).to_be_visible()
    assert_accessible(page)
    shot(page, "campaign", request)
    page.get_by_role("link", name=re.compile(r"^rp_[0-9a-f]{12}$")).first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Reporter rp_"))).to_be_visible()
    assert "bot" not in page.content()  # never the account id
    assert_accessible(page)
    page.get_by_role("link", name="Back to the campaign").click()
    page.get_by_label("Why this is coordinated abuse").fill("Forty day-old accounts on two devices.")
    page.get_by_role("button", name="Confirm campaign").click()
    expect(page.get_by_text("Done: confirmed.")).to_be_visible()

    page.get_by_role("link", name="Transparency", exact=True).click()
    expect(page.get_by_role("img", name="Reports per period, by reason")).to_be_visible()
    expect(page.get_by_role("link", name="Download appeals.csv")).to_be_visible()
    assert_accessible(page)
    shot(page, "dashboard", request)
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_the_users_report_flow_on_a_phone(plat: Platform, clock: ManualClock, server: str, browser: Browser,
                                          contexts: list[BrowserContext], request: pytest.FixtureRequest) -> None:
    """At 390 px wide, without login: the link from POST /v1/report-links files one report and shows its status;
    a reused, expired or forged link is refused with a page that says so."""
    plat.account("creator1")
    plat.subject("video-1", "video", "creator1", views=40)

    def new_link() -> str:
        r = httpx.post(f"{server}/v1/report-links", headers=plat.key, timeout=10,
                       json={"reporter_id": "ana", "subject_id": "video-1"})
        assert r.status_code == 201, r.text
        return r.json()["path"]  # type: ignore[no-any-return]

    ctx = browser.new_context(base_url=server, viewport={"width": 390, "height": 844}, is_mobile=True)
    contexts.append(ctx)
    page = ctx.new_page()
    path = new_link()
    page.goto(path)
    expect(page.get_by_role("heading", name="Report this video")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    assert_accessible(page)
    page.get_by_label("Harassment or bullying of a person.").check()
    page.get_by_label("Anything to add?").fill("He posts my home address under every video.")
    page.locator("summary", has_text="Is it illegal?").click()
    page.get_by_label("I believe this content is illegal").check()
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("alert")).to_contain_text("Explain why")  # the notice is incomplete: asked again
    expect(page.get_by_label("Anything to add?")).to_have_value("He posts my home address under every video.")
    page.get_by_label("I believe this content is illegal").uncheck()
    shot(page, "report-form", request)
    page.get_by_role("button", name="Send report").click()
    expect(page).to_have_url(f"{server}{path}/done")
    expect(page.get_by_role("heading", name="Thank you, your report was sent")).to_be_visible()
    expect(page.get_by_text("waiting for review")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    page.get_by_role("button", name="Mute creator1").click()
    expect(page.get_by_text("you asked to mute")).to_be_visible()
    shot(page, "report-flow", request)

    response = page.goto(path)  # the link is spent
    assert response is not None and response.status == 409
    expect(page.get_by_role("heading", name="This link was already used")).to_be_visible()
    assert_accessible(page)
    token = path.rsplit("/", 1)[1]
    response = page.goto(f"/report/{token[:-3]}abc")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    fresh = new_link()
    clock.advance(901)
    response = page.goto(fresh)
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    assert_accessible(page)
    assert [r["reason"] for r in plat.reporter_view("ana")["reports"]] == ["harassment"]
