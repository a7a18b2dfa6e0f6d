"""Transparency figures (services.transparency) and their dashboard, CSV exports and optional public page
(both databases)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from fastapi.testclient import TestClient

from fairflag.api.app import create_app
from fairflag.clock import ManualClock
from fairflag.services import transparency
from fairflag.settings import Settings
from tests.support import CLI, Platform
from tests.test_console import console_login
from tests.test_second_review import well_reported_case


def scenario(plat: Platform, clock: ManualClock) -> None:
    """Two cases: one removed after 2 hours and appealed with success, one cleared; a spam comment left open."""
    removed = well_reported_case(plat, "v1", reporters=3)  # 3 harassment reports on a video
    clock.advance(7200)
    decision = plat.decide_violation("mod1", removed, rule="harassment")
    r = plat.client.post("/v1/creators/creator1/appeals", json={"decision_id": decision["id"], "statement": "No."},
                         headers=plat.key)
    assert r.status_code == 201
    plat.as_("senior1", "POST", f"/v1/appeals/{r.json()['id']}/resolution",
             json={"outcome": "overturned", "statement": "Satire."})
    plat.subject("c1", "comment", owner_id="creator1")
    cleared = plat.report("x1", "c1", "spam")["case_id"]
    plat.claim("mod2", cleared)
    plat.decide("mod2", cleared, outcome="no_violation", statement="Fine.")
    plat.subject("c2", "comment", owner_id="creator1")
    plat.report("x2", "c2", "spam")


def test_the_figures(plat: Platform, clock: ManualClock) -> None:
    scenario(plat, clock)
    now = clock.now()
    report = plat.core.query(CLI, transparency.transparency_report, now - timedelta(days=30), now + timedelta(1))
    assert report.bucket_days == 1
    day = (now - timedelta(days=30)).date()
    reports = report.table("reports").rows
    assert sum(int(r[3] or 0) for r in reports) == 5
    assert {(r[1], r[2], r[3]) for r in reports} == {("harassment", "video", 3), ("spam", "comment", 2)}
    assert all(str(r[0]) >= day.isoformat() for r in reports)
    assert report.table("actions").rows == [["remove", "human", 1], ["warn", "human", 1]]  # warn: strike ladder
    automation = {r[0]: r[1:] for r in report.table("automation").rows}
    assert automation["detection (reports filed)"] == [0, 5, 0.0]
    assert automation["actions taken"] == [0, 2, 0.0]
    assert automation["decisions (always by a person)"][1] == 2
    assert report.table("time_to_action").rows == [["video", 1, 2.0]]
    assert report.table("appeals").rows == [["creator", 1, 0, 0, 1, 1.0]]
    abuse = dict((r[0], r[1]) for r in report.table("abuse").rows)
    assert abuse["campaigns detected"] == 0 and abuse["reports found abusive"] == 0
    # A period that ends before anything happened counts nothing.
    empty = plat.core.query(CLI, transparency.transparency_report, now - timedelta(days=90), now - timedelta(days=1))
    assert empty.bucket_days == 7 and empty.table("reports").rows == [] and empty.table("appeals").rows == []


def test_dashboard_csv_and_the_public_page(plat: Platform, clock: ManualClock) -> None:
    scenario(plat, clock)
    client = plat.client
    assert client.get("/console/transparency", follow_redirects=False).status_code == 303  # login first
    assert client.get("/transparency/").status_code == 404  # not published by default
    assert client.get("/transparency/actions.csv").status_code == 404
    console_login(client, "auditor1")
    page = client.get("/console/transparency?days=7")
    assert page.status_code == 200 and page.text.count('<svg role="img"') == 4
    assert "<style" not in page.text and " style=" not in page.text  # the CSP allows no inline style
    assert "Median time from first report to action" in page.text
    assert client.get("/console/transparency?days=0").status_code == 422
    r = client.get("/console/transparency/appeals.csv?days=7")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="fairflag-appeals-')
    assert list(csv.reader(io.StringIO(r.text))) == [
        ["appellant", "filed", "open", "upheld", "overturned", "overturn_rate"], ["creator", "1", "0", "0", "1", "1.0"]]
    assert client.get("/console/transparency/nope.csv").status_code == 404

    public = TestClient(create_app(Settings(run_background=False, auto_migrate=False, public_transparency=True),
                                   core=plat.core))
    page = public.get("/transparency/")
    assert page.status_code == 200 and "Transparency report" in page.text and "Log out" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert 'href="/transparency/reports.csv?days=30"' in page.text
    rows = list(csv.reader(io.StringIO(public.get("/transparency/reports.csv").text)))
    assert rows[0] == ["period_start", "reason", "surface", "reports"] and len(rows) == 3
    assert public.get("/transparency/nope.csv").status_code == 404
    assert public.get("/transparency/?days=9999").status_code == 422


def test_reports_are_counted_by_utc_day_and_folded_into_weeks(plat: Platform, clock: ManualClock) -> None:
    plat.account("creator1")
    plat.subject("v1", owner_id="creator1")
    start = clock.now().replace(hour=23, minute=30, second=0, microsecond=0)
    for i, offset in enumerate((timedelta(0), timedelta(hours=1), timedelta(days=8))):  # 23:30, 00:30 next day
        clock.set(start + offset)
        plat.report(f"r{i}", "v1", "spam")
    until = clock.now() + timedelta(seconds=1)
    daily = plat.core.query(CLI, transparency.transparency_report, until - timedelta(days=30), until)
    first = start.date()
    assert [(r[0], r[3]) for r in daily.table("reports").rows] == [
        (first.isoformat(), 1), ((first + timedelta(1)).isoformat(), 1), ((first + timedelta(8)).isoformat(), 1)]
    weekly = plat.core.query(CLI, transparency.transparency_report, until - timedelta(days=90), until)
    since = (until - timedelta(days=90)).date()
    buckets = {str(r[0]): r[3] for r in weekly.table("reports").rows}
    expected: dict[str, int] = {}
    for day in (first, first + timedelta(1), first + timedelta(8)):
        week = (since + timedelta(days=7 * ((day - since).days // 7))).isoformat()
        expected[week] = expected.get(week, 0) + 1
    assert buckets == expected and all((date.fromisoformat(b) - since).days % 7 == 0 for b in buckets)
