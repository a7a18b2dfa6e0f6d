"""The committed triage log and its consumer (services/consumer.py), on both databases.

Why: intake acknowledges at commit and triage follows in log order. A report whose transaction rolled back must
never reach the campaign detector; a consumer transaction that fails must leave the cursor where it was, so
nothing is weighed twice or skipped; a restart (a new process, a new lease) must rebuild the same detector
from the log; and the receipt must still say at once whether the report counts.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.domain.enums import ActorType, ReportOutcome
from fairflag.services import consumer, platform, reports, reputation, triage
from fairflag.services.context import SYSTEM, Actor, Context
from fairflag.store import triagelog
from fairflag.store.tables import Case, CaseReporter, Report, ReportState, TriageLog
from tests.support import CLI, Platform

PLATFORM = Actor(ActorType.platform, "test")


def _subjects(core: Fairflag, n: int = 3) -> None:
    def describe(ctx: Context) -> None:
        for k in range(n):
            platform.upsert_subject(ctx, platform.SubjectIn(id=f"s{k}", surface="video", owner_id="creator",
                                                            views=500))
    core.run(PLATFORM, describe)


def _swarm(i: int) -> reports.ReportIn:
    return reports.ReportIn(reporter_id=f"bot{i}", subject_id=f"s{i % 3}", reason="hate", fp_net="farm",
                            fp_dev=f"dev{i % 2}", text="take it down")


def _campaigns(detector: object, subjects: list[str]) -> set[tuple[frozenset[str], frozenset[str]]]:
    return {(snap.reporters, snap.targets) for s in subjects
            for snap in detector.campaigns_for_subject(s)}  # type: ignore[attr-defined]


def _cursor(core: Fairflag) -> tuple[int, int]:
    with core.db.reader() as s:
        here = triagelog.cursor(s, lock=False)
        return here.xid, here.seq


def _position(core: Fairflag, report_id: str) -> tuple[int, int]:
    """Where the report sits in the log. On PostgreSQL a drain passes only rows below the oldest transaction
    still running anywhere on the server (other tests' included), so tests drain up to a position."""
    position = core.query(SYSTEM, consumer.position_of, [report_id])
    assert position is not None
    return position


def _cursor_target(core: Fairflag) -> tuple[int, int]:
    with core.db.reader() as s:
        last = s.scalars(select(TriageLog).order_by(TriageLog.xid.desc(), TriageLog.seq.desc())).first()
        assert last is not None
        return last.xid, last.seq


def test_intake_acknowledges_pending_and_the_consumer_weighs_it_once(core: Fairflag, clock: ManualClock) -> None:
    _subjects(core)
    core.triage_inline = False  # as under `fairflag serve`: nothing weighs the report before the answer
    receipt = core.run(PLATFORM, reports.file_report, _swarm(0))
    assert receipt.outcome is ReportOutcome.pending and receipt.processed
    with core.db.reader() as s:
        assert s.get(Case, receipt.case_id).reporter_count == 0  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(CaseReporter)) == 0
    assert core.consumer.drain(until=_position(core, receipt.id)) == 1
    assert core.consumer.drain() == 0  # passed once: a second drain finds nothing
    with core.db.reader() as s:
        assert s.get(Case, receipt.case_id).reporter_count == 1  # type: ignore[union-attr]
        assert s.get(ReportState, receipt.id).group_key is not None  # type: ignore[union-attr]
        last = s.scalars(select(TriageLog).order_by(TriageLog.seq.desc())).first()
        assert last is not None and _cursor(core) == (last.xid, last.seq)


def test_a_rolled_back_report_never_reaches_the_log_nor_the_detector(core: Fairflag) -> None:
    _subjects(core)
    for i in range(12):
        core.run(PLATFORM, reports.file_report, _swarm(i))
    before = _campaigns(core.consumer.state.detector, ["s0", "s1", "s2"])
    assert before, "the swarm should be detected (else this test proves little)"

    def file_then_fail(ctx: Context) -> None:
        reports.file_report(ctx, reports.ReportIn(reporter_id="ghost", subject_id="s0", reason="hate",
                                                  fp_net="farm", fp_dev="dev0", text="take it down"))
        raise RuntimeError("the request failed after filing")

    with pytest.raises(RuntimeError):
        core.run(PLATFORM, file_then_fail)
    core.consumer.drain()
    with core.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(TriageLog)) == 12
    after = _campaigns(core.consumer.state.detector, ["s0", "s1", "s2"])
    assert after == before and not any("ghost" in members for members, _ in after)


def test_a_failed_consumer_transaction_moves_nothing_and_the_retry_weighs_each_report_once(
        core: Fairflag, monkeypatch: pytest.MonkeyPatch) -> None:
    _subjects(core)
    core.triage_inline = False
    for i in range(6):
        core.run(PLATFORM, reports.file_report, _swarm(i))
    start = _cursor(core)
    real = triage.weigh_report
    calls = {"n": 0}

    def crash_on_the_fourth(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("the consumer died mid-batch")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(triage, "weigh_report", crash_on_the_fourth)
    with pytest.raises(RuntimeError):
        core.consumer.step()
    assert _cursor(core) == start  # the three weighed before the crash rolled back with the cursor
    assert core.consumer.state.position is None  # the detector saw them: it is rebuilt before going on
    monkeypatch.setattr(triage, "weigh_report", real)
    assert core.consumer.drain(until=_cursor_target(core)) == 6
    with core.db.reader() as s:
        counted = s.scalar(select(func.count()).select_from(CaseReporter))
        total = s.scalar(select(func.sum(Case.reporter_count)))
    assert counted == total == 6


def test_a_restart_rebuilds_the_same_detector_from_the_log(core: Fairflag, clock: ManualClock) -> None:
    _subjects(core)
    for i in range(12):
        clock.advance(30)
        core.run(PLATFORM, reports.file_report, _swarm(i))
    live = _campaigns(core.consumer.state.detector, ["s0", "s1", "s2"])
    assert live
    restarted = Fairflag(core.db, core.policy, clock=clock)  # a new process: nothing in memory
    assert restarted.catch_up_triage() == 0  # nothing left to weigh, but the detector was rebuilt
    assert restarted.consumer.state.rebuilds == 1
    assert _campaigns(restarted.consumer.state.detector, ["s0", "s1", "s2"]) == live
    # and it goes on from there as the first would have
    clock.advance(30)
    restarted.run(PLATFORM, reports.file_report, _swarm(12))
    assert restarted.consumer.state.rebuilds == 1


def test_a_suspended_reporters_receipt_says_so_at_commit(core: Fairflag) -> None:
    _subjects(core)
    core.triage_inline = False

    def suspend(ctx: Context) -> None:
        platform.ensure_account(ctx, "bot0", "reporter_id")
        reputation.lock_all(ctx, ["bot0"])
        row = reputation.stats(ctx, "bot0")
        assert row is not None
        row.suspended_until = ctx.now() + timedelta(days=1)

    core.run(SYSTEM, suspend)
    receipt = core.run(PLATFORM, reports.file_report, _swarm(0))
    assert receipt.processed is False
    core.consumer.drain(until=_position(core, receipt.id))
    with core.db.reader() as s:
        case = s.get(Case, receipt.case_id)
        assert case is not None and case.evidence["unprocessed"] == 1 and case.reporter_count == 0


def test_consumer_use_case_reports_its_backlog(core: Fairflag) -> None:
    _subjects(core)
    core.triage_inline = False
    receipt = core.run(PLATFORM, reports.file_report, _swarm(0))
    behind, _ = core.query(SYSTEM, consumer.backlog)
    assert behind == 1
    core.consumer.drain(until=_position(core, receipt.id))
    assert core.query(SYSTEM, consumer.backlog) == (0, 0.0)


def test_the_server_acknowledges_at_commit_and_wait_scored_answers_after_the_consumer(core: Fairflag) -> None:
    """As `fairflag serve` runs it: the consumer is a background thread; `?wait=scored` waits for it."""
    from fastapi.testclient import TestClient

    from fairflag.api.app import create_app
    from fairflag.services import auth
    from fairflag.settings import Settings

    _subjects(core)
    token = core.run(CLI, auth.create_service_key, "consumer test").token
    key = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(Settings(run_background=True, auto_migrate=False), core=core)) as client:
        assert core.triage_inline is False  # the consumer thread follows the log
        r = client.post("/v1/reports?wait=scored", json=_swarm(0).model_dump(mode="json"), headers=key)
        assert r.status_code == 201 and r.headers["X-Fairflag-Scored"] == "true", r.text
        with core.db.reader() as s:
            case = s.get(Case, r.json()["case_id"])
            assert case is not None and case.reporter_count == 1  # weighed before the answer
        r = client.post("/v1/reports/batch?wait=scored", json=[_swarm(i).model_dump(mode="json")
                                                               for i in (1, 2, 3)], headers=key)
        assert r.status_code == 200 and r.headers["X-Fairflag-Scored"] == "true", r.text
        assert client.post("/v1/reports?wait=soon", json=_swarm(4).model_dump(mode="json"),
                           headers=key).status_code == 422
        metrics = client.get("/metrics").text
        assert "fairflag_triage_lag_seconds_count 4.0" in metrics and "fairflag_triage_backlog 0.0" in metrics
    assert core.consumer._thread is None  # stopped with the app


def test_a_poison_row_is_set_aside_after_its_attempts_and_the_log_goes_on(
        plat: Platform, core: Fairflag, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A report whose weighing raises every time must not stop triage forever: after limits.triage_max_attempts
    failures it is set aside (an event, a log line with its id, /metrics, the admin list), the reports behind it
    are weighed, and a restarted consumer's rebuild skips it too. Without the skip the drain below raises."""
    _subjects(core)
    core.triage_inline = False
    receipts = [core.run(PLATFORM, reports.file_report, _swarm(i)) for i in range(4)]  # s0, s1, s2, s0
    poison = receipts[1].id
    real = triage.weigh_report

    def weigh(ctx: Context, report: Report, *args: object, **kw: object) -> None:
        if report.id == poison:
            raise RuntimeError("cannot weigh this one")
        real(ctx, report, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(triage, "weigh_report", weigh)
    limit = core.policy.limits.triage_max_attempts
    failures, deadline = 0, time.monotonic() + 30
    while failures < limit:  # on PostgreSQL a step may find nothing visible yet
        assert time.monotonic() < deadline
        try:
            core.consumer.step()
        except RuntimeError:
            failures += 1
    assert f"report {poison} set aside after {limit} failed attempts" in caplog.text
    core.consumer.drain(until=_position(core, receipts[-1].id))
    with core.db.reader() as s:
        counts = {c.subject_id: c.reporter_count for c in s.scalars(select(Case))}
        assert s.get(ReportState, poison).group_key is None  # type: ignore[union-attr]
    assert counts == {"s0": 2, "s1": 0, "s2": 1}  # stored, acknowledged, not weighed; the others are
    [row] = plat.as_("auditor1", "GET", "/v1/admin/triage/set-aside")
    assert (row["kind"], row["ref_id"], row["attempts"]) == ("report", poison, limit)
    assert row["error"] == "RuntimeError: cannot weigh this one"
    plat.as_("mod1", "GET", "/v1/admin/triage/set-aside", expect=403)
    assert "fairflag_triage_set_aside_total 1.0" in plat.client.get("/metrics").text
    restarted = Fairflag(core.db, core.policy, clock=core.clock)  # another process: its rebuild skips it too
    assert restarted.catch_up_triage() == 0 and poison in restarted.consumer.state.set_aside


def test_a_failure_of_the_database_is_not_counted_against_the_row(core: Fairflag,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A lock timeout or a lost connection says nothing about the row: no attempt is counted."""
    _subjects(core)
    core.triage_inline = False
    receipt = core.run(PLATFORM, reports.file_report, _swarm(0))

    def locked(*_: object, **__: object) -> None:
        raise OperationalError("UPDATE ...", {}, Exception("database is locked"))

    monkeypatch.setattr(triage, "weigh_report", locked)
    for _ in range(core.policy.limits.triage_max_attempts + 1):
        with pytest.raises(OperationalError):
            core.consumer.drain(until=_position(core, receipt.id))
    assert core.consumer.state.set_aside == frozenset() and not core.consumer._failures
