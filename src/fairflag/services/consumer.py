"""The triage consumer's use cases: pass the committed log in order, one small batch per transaction.

Intake only stores a report and attaches it to its case; a decision only records itself. What follows them —
weighing the report (credibility, campaign detection, evidence, score, automatic restriction) and what a
decision says about the campaigns behind the subject — runs here, after the commit, in log order
(store/triagelog.py), with the cursor advanced in the same transaction as the writes: a crash never weighs a
report twice nor skips one.

The campaign detector lives in memory for speed; it is a cache of the log. :class:`DetectorState` says which
log position the detector has seen. If the stored cursor is elsewhere (first use, another process consumed
meanwhile, or a consumer transaction rolled back after the detector saw its rows) the detector is rebuilt from
the log up to the cursor before anything else. A rolled-back report never enters it; a restart rebuilds it.

A row whose triage raises every time (a poison row) would stop the log forever: after
``limits.triage_max_attempts`` failures in a row the consumer sets it aside (:func:`set_aside`, an event in the
audit log) and passes it unweighed from then on, here and in every rebuild; an operator finds it at
``GET /v1/admin/triage/set-aside`` and in ``fairflag_triage_set_aside_total``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, select, tuple_

from fairflag.domain.enums import DecisionOutcome, ReportOutcome, ReportSource
from fairflag.domain.events import EventKind
from fairflag.engine.campaigns import CampaignDetector
from fairflag.policy import Policy
from fairflag.services import campaigns, platform, reputation, triage
from fairflag.services.context import Context
from fairflag.store import cases as case_store
from fairflag.store import triagelog
from fairflag.store.tables import (
    Account,
    CaseReporter,
    Decision,
    Event,
    Report,
    ReporterStats,
    ReportState,
    Subject,
    TriageLog,
)

REPORT, DECISION = triagelog.REPORT, triagelog.DECISION
BATCH = 50  # log rows per consumer transaction: bounded work per transaction, few commits under a flood
_PER_UNIT_MEMOS = (platform._ADDED_ACCOUNTS, reputation._LOCKED, reputation._MISSING)


@dataclass(frozen=True, slots=True)
class Passing:
    """A log row by value (its ORM object dies with a failed transaction)."""

    position: triagelog.Position
    kind: str
    ref_id: str


@dataclass
class DetectorState:
    """The in-memory detector and the log position it has seen (``None``: unknown, rebuild before use)."""

    policy: Policy
    detector: CampaignDetector | None = None
    position: triagelog.Position | None = None
    rebuilds: int = field(default=0)
    passing: Passing | None = None  # the row being passed: which one failed, if the transaction raises
    set_aside: frozenset[str] = frozenset()  # log rows' ref ids passed unweighed (poison rows, see set_aside)


@dataclass(frozen=True, slots=True)
class Passed:
    """What one consumer transaction did: rows passed, the new cursor, and each report's receipt time (lag)."""

    rows: int
    position: triagelog.Position
    received: tuple[float, ...] = ()  # reports' received_at as POSIX seconds


def consume(ctx: Context, state: DetectorState, limit: int = BATCH) -> Passed:
    """Pass up to ``limit`` log rows after the cursor, in order, and advance the cursor over them.

    The caller sets ``state.position`` to the answer's position once the transaction committed (the detector
    is marked unknown while the transaction runs, so a rollback forces a rebuild)."""
    position = triagelog.lock_position(ctx.session)
    if state.detector is None or state.position != position:
        rebuild(ctx, state, position)
    rows = triagelog.next_rows(ctx.session, position, limit)
    if not rows:
        return Passed(0, position)
    state.position = None  # the detector is about to see rows that commit only with this transaction
    ctx.campaigns = state.detector
    loaded = _preload(ctx, [row.ref_id for row in rows if row.kind == REPORT])  # held: the map is weak
    uncounted = {report.id for report, *_, counted in loaded if counted is None}
    weighed: set[tuple[str, str]] = set()  # (case, reporter) of the reports weighed so far in this batch
    received: list[float] = []
    for row in rows:
        if row.ref_id in state.set_aside:
            continue
        state.passing = Passing((row.xid, row.seq), row.kind, row.ref_id)
        for memo in _PER_UNIT_MEMOS:
            ctx.session.info.pop(memo, None)
        if row.kind == REPORT:
            at = _weigh(ctx, row.ref_id, uncounted, weighed)
            if at is not None:
                received.append(at)
        elif row.kind == DECISION:
            _after_decision(ctx, row.ref_id)
    state.passing = None
    del loaded
    last = (rows[-1].xid, rows[-1].seq)
    triagelog.move(ctx.session, last, ctx.now())
    return Passed(len(rows), last, tuple(received))


# The batch's reports with their subjects, reporters and reporters' stats (if any), in one statement: the
# identity map then answers the per-row lookups (four SELECTs per report before). Reports never change; the
# others are read without a lock (and a subject or reporter that recurs in a batch could already be answered
# from its first read), so reading them at the transaction's start only moves the read earlier within it.
# What this transaction changes in them (a decision row's outcomes folded into a reporter's stats) goes
# through the same objects. Report states are read per row (a withdrawal may land meanwhile).
# ``counted``: whether the reporter was already counted on the report's case (a case-reporter row). Only its
# absence is used: such rows are created by this consumer alone (one at a time: the cursor lock), so a pair
# absent now stays absent unless an earlier report of this batch adds it; a present row is read again under
# the case's lock (a withdrawal may delete it meanwhile), as before.
_PRELOAD = (
    select(Report, Subject, Account, ReporterStats, CaseReporter.reporter_id.label("counted"))
    .join(Subject, Subject.id == Report.subject_id)
    .join(Account, Account.id == Report.reporter_id)
    .outerjoin(ReporterStats, ReporterStats.reporter_id == Report.reporter_id)
    .outerjoin(CaseReporter, and_(CaseReporter.case_id == Report.case_id,
                                  CaseReporter.reporter_id == Report.reporter_id))
    .where(Report.id.in_(bindparam("ids", expanding=True)))
)


def _preload(ctx: Context, report_ids: list[str]) -> list[Any]:
    """The rows, for the caller to hold while it works: the identity map keeps only what is referenced."""
    return list(ctx.session.execute(_PRELOAD, {"ids": report_ids}).all()) if report_ids else []


def _weigh(ctx: Context, report_id: str, uncounted: set[str], weighed: set[tuple[str, str]]) -> float | None:
    """Weigh one report. ``uncounted``: reports whose reporter had no case-reporter row on their case when the
    batch began; ``weighed``: the (case, reporter) pairs weighed since (this one is added)."""
    report = ctx.session.get(Report, report_id)
    if report is None:  # pragma: no cover - the log row is written with the report, in its transaction
        return None
    state = ctx.session.get(ReportState, report_id)
    subject = ctx.session.get(Subject, report.subject_id)
    reporter = ctx.session.get(Account, report.reporter_id)
    assert state is not None and subject is not None and reporter is not None
    case = case_store.lock(ctx.session, report.case_id)
    # Nothing weighing and rescoring read depends on what they write for this report (the reporter's stats,
    # the case-reporter pair looked up before it is added, strikes, campaign targets, actions, reports and
    # decisions): without autoflush, the report's state, its case and its case-reporter row are written in
    # one flush (the next row's first read, or the commit) instead of three, one UPDATE per row instead of
    # two. campaigns.sync, between them, flushes as usual (it reads case reporters back).
    pair = (report.case_id, report.reporter_id)
    first = report.id in uncounted and pair not in weighed  # saves looking for the pair (triage.weigh_report)
    weighed.add(pair)
    with ctx.session.no_autoflush:
        triage.weigh_report(ctx, report, state, subject, case, reporter, first_on_case=first)
    if case.id not in campaigns.sync(ctx):  # a campaign that grew on this case has just rescored it
        with ctx.session.no_autoflush:
            triage.rescore(ctx, case, subject)
    if state.withdrawn_at is not None and case.status == "open":
        triage.withdraw(ctx, report, case, subject)  # withdrawn before it was weighed: it stops counting now
    return report.received_at.timestamp()


def _after_decision(ctx: Context, decision_id: str) -> None:
    decision = ctx.session.get(Decision, decision_id)
    assert decision is not None
    subject = ctx.session.get(Subject, decision.subject_id)
    assert subject is not None
    campaigns.after_decision(ctx, subject, decision.outcome == DecisionOutcome.violation.value)


def rebuild(ctx: Context, state: DetectorState, upto: triagelog.Position) -> int:
    """A fresh detector fed the log's facts of its window up to ``upto``, in log order (what the consumer fed
    it when it passed them). What they changed was persisted when they were passed. Returns the rows replayed."""
    detector = CampaignDetector(state.policy.campaigns)
    since = ctx.now() - timedelta(seconds=ctx.policy.campaigns.window_s)
    rows = ctx.session.execute(
        select(TriageLog.kind, TriageLog.ref_id, Report, Subject, Account)
        .outerjoin(Report, and_(TriageLog.kind == REPORT, Report.id == TriageLog.ref_id))
        .outerjoin(Subject, Subject.id == Report.subject_id)
        .outerjoin(Account, Account.id == Report.reporter_id)
        .where(TriageLog.at >= since, tuple_(TriageLog.xid, TriageLog.seq) <= tuple_(upto[0], upto[1]))
        .order_by(TriageLog.xid, TriageLog.seq)
    ).all()  # one query for the window's reports; decisions (rare) are read one by one
    state.set_aside = set_aside_refs(ctx)
    for kind, ref_id, report, subject, reporter in rows:
        if ref_id in state.set_aside:
            continue
        if kind == REPORT:
            if report is not None and report.source != ReportSource.automated.value:
                detector.observe(triage.observation(report, subject, reporter))
        elif kind == DECISION:
            decision = ctx.session.get(Decision, ref_id)
            if decision is None or decision.outcome != DecisionOutcome.no_violation.value:
                continue
            cleared = ctx.session.get(Subject, decision.subject_id)
            assert cleared is not None
            marked = set(ctx.session.scalars(
                select(Report.reporter_id).join(ReportState, ReportState.report_id == Report.id)
                .where(Report.subject_id == cleared.id, ReportState.outcome == ReportOutcome.abusive.value)))
            detector.observe_clearance(cleared.id, cleared.owner_id, decision.decided_at, marked)
    detector.drain_changes()  # already persisted when they happened
    state.detector = detector
    state.position = upto
    state.rebuilds += 1
    return len(rows)


def set_aside_refs(ctx: Context) -> frozenset[str]:
    """The ref ids of every log row set aside (few: an index on the event kind finds them)."""
    return frozenset(ctx.session.scalars(select(Event.entity_id).where(
        Event.kind == EventKind.triage_row_set_aside.value)))


def set_aside(ctx: Context, row: Passing, attempts: int, error: str) -> None:
    """Record that the log row failed ``attempts`` times with ``error`` and is passed unweighed from now on. Its
    own transaction: what the failing attempts wrote rolled back with them."""
    ctx.record(EventKind.triage_row_set_aside, row.kind, row.ref_id,
               {"xid": row.position[0], "seq": row.position[1], "attempts": attempts, "error": error[:500]})


def passed(ctx: Context, target: triagelog.Position) -> bool:
    return triagelog.passed(ctx.session, target)


def position_of(ctx: Context, ref_ids: list[str]) -> triagelog.Position | None:
    return triagelog.position_of(ctx.session, ref_ids)


def backlog(ctx: Context) -> tuple[int, float]:
    """Log rows not yet passed, and how long the oldest has waited (seconds; 0 when none), for /metrics."""
    count, oldest = triagelog.backlog(ctx.session)
    return count, 0.0 if oldest is None else max(0.0, (ctx.now() - oldest).total_seconds())
