"""Credibility earned by the information a report added, through the real services (both back ends).

Why it matters: a reputation ring builds credibility by piling onto violations that are already obvious; if
every upheld report counted in full, fifty late reports would buy the standing of fifty first ones. And an
appeal that flips the outcome must take back exactly what the decision credited.
"""

from __future__ import annotations

from sqlalchemy import select

from fairflag.clock import ManualClock
from fairflag.engine import credibility as cred
from fairflag.store.tables import ReporterStats
from tests.support import Platform


def overall(plat: Platform) -> dict[str, tuple[float, float]]:
    with plat.core.db.reader() as s:
        histories = {row.reporter_id: cred.History.from_json(row.history) for row in s.scalars(select(ReporterStats))}
    return {who: (h.overall.upheld, h.overall.rejected) for who, h in histories.items()}


def test_later_reports_on_a_violation_earn_less_and_an_overturn_takes_back_what_was_credited(
        plat: Platform, clock: ManualClock) -> None:
    plat.account("creator1", created_at="2023-01-01T00:00:00Z", followers=100)
    plat.subject("v1", views=5000)
    for who in ("first", "second", "third"):
        plat.account(who, created_at="2022-01-01T00:00:00Z")
        clock.advance(60)
        case_id = plat.report(who, "v1", "harassment", fp_net=f"net-{who}", fp_dev=f"dev-{who}")["case_id"]
    decision = plat.decide_violation("mod1", case_id, action="remove", rule="harassment")
    upheld = {who: u for who, (u, _) in overall(plat).items()}
    expected = cred.information_credits([0.25, 0.25, 0.25], plat.core.policy.credibility)
    assert [round(upheld[w], 6) for w in ("first", "second", "third")] == [round(c, 6) for c in expected]
    assert upheld["first"] == 1.0 > upheld["second"] > upheld["third"]

    clock.advance(3600)
    r = plat.client.post("/v1/creators/creator1/appeals", headers=plat.key,
                         json={"decision_id": decision["id"], "statement": "Satire."})
    assert r.status_code == 201, r.text
    plat.as_("senior2", "POST", f"/v1/appeals/{r.json()['id']}/resolution",
             json={"outcome": "overturned", "statement": "Satire of a public figure."})
    after = overall(plat)
    for who in ("first", "second", "third"):
        assert abs(after[who][0]) < 1e-6 and abs(after[who][1] - 1.0) < 1e-6
