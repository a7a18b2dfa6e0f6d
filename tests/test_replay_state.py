"""Replaying the same events rebuilds the same state: cases (scores, components, evidence), report outcomes,
reporter credibility and misuse state, campaigns and actions — across two fresh databases, and across back ends
(the first run uses the parametrised database, the second a fresh SQLite copy)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.domain.enums import ActorType, DecisionOutcome, Role
from fairflag.ids import SeededIds
from fairflag.policy import load_policy
from fairflag.services import auth, decisions, platform, queue, reports
from fairflag.services.context import Actor
from fairflag.store import tables as t
from fairflag.store.db import Database

START = datetime(2026, 3, 1, tzinfo=UTC)
PLATFORM = Actor(ActorType.platform, "replay")


def run_history(core: Fairflag, clock: ManualClock) -> None:
    cli = Actor(ActorType.cli, "replay")
    mod = core.run(cli, auth.create_user, auth.UserIn(username="mod", role=Role.moderator, password="x" * 12))
    moderator = Actor(ActorType.user, mod.id, Role.moderator)
    for i in range(40):
        core.run(PLATFORM, platform.upsert_account, platform.AccountIn(
            id=f"u{i}", created_at=START - timedelta(days=2 if i >= 25 else 300)))
    for k in range(12):
        core.run(PLATFORM, platform.upsert_subject, platform.SubjectIn(
            id=f"s{k}", surface="livestream" if k == 0 else "video", owner_id=f"c{k % 4}", views=500 * (k + 1)))
    for step in range(160):
        clock.advance(7)
        reporter = f"u{25 + step % 15}" if step % 3 == 0 else f"u{step % 25}"
        subject = "s3" if step % 3 == 0 else f"s{step % 12}"
        core.run(PLATFORM, reports.file_report, reports.ReportIn(
            reporter_id=reporter, subject_id=subject, reason=["violence", "spam", "hate"][step % 3],
            fp_dev=f"farm{step % 2}" if step % 3 == 0 else f"d{reporter}", text=f"note {step % 5}",
            reported_at=clock.now()))
        if step % 20 == 19:
            case = core.run(moderator, queue.claim_next)
            outcome = DecisionOutcome.violation if case.subject_id in ("s0", "s5") else DecisionOutcome.no_violation
            body = decisions.DecisionIn(outcome=outcome, statement="Reviewed.",
                                        **({"action": "remove", "rule": "violence"} if outcome == "violation" else {}))
            core.run(moderator, decisions.decide, case.id, body)


def snapshot(core: Fairflag) -> dict[str, Any]:
    def rows(model: Any, order: Any, *cols: str) -> list[tuple[Any, ...]]:
        with core.db.reader() as s:
            return [tuple(getattr(r, c) for c in cols) for r in s.scalars(select(model).order_by(order))]

    return {
        "cases": rows(t.Case, t.Case.id, "id", "subject_id", "status", "priority", "priority_components", "evidence",
                      "severity", "deadline_at", "reporter_count", "decision_id"),
        "report_states": rows(t.ReportState, t.ReportState.report_id, "report_id", "outcome", "processed", "weight",
                              "group_key", "suspicion"),
        "reporter_stats": rows(t.ReporterStats, t.ReporterStats.reporter_id, "reporter_id", "history", "warned_at",
                               "suspended_until"),
        "campaigns": rows(t.Campaign, t.Campaign.id, "id", "detector_key", "status", "confidence", "reporter_count",
                          "target_count"),
        "actions": rows(t.EnforcementAction, t.EnforcementAction.id, "id", "kind", "target_id", "automatic", "status"),
    }


def replay_into(url: str) -> dict[str, Any]:
    clock = ManualClock(START)
    core = Fairflag(Database(url), load_policy(), clock=clock, ids=SeededIds(2026), provenance="replay")
    try:
        core.migrate()
        run_history(core, clock)
        return snapshot(core)
    finally:
        core.db.dispose()


def test_replaying_the_same_events_rebuilds_the_same_state(db_url: str, sqlite_template: Path,
                                                           tmp_path: Path) -> None:
    first = replay_into(db_url)
    copy = tmp_path / "second.db"
    shutil.copy(sqlite_template, copy)
    second = replay_into(f"sqlite:///{copy}")
    assert len(first["cases"]) >= 12 and first["reporter_stats"]  # the history did decide things ...
    assert first["campaigns"] and any(s[2] for s in first["report_states"])  # ... and detected a campaign
    for table in first:
        assert first[table] == second[table], f"{table} differs after replay"
