"""Replaying a stream through the real fairflag services and store.

A fresh SQLite file (WAL) in a temporary directory, migrated with the real migrations, and a real
:class:`~fairflag.core.Fairflag` with a :class:`~fairflag.clock.ManualClock` and seeded ids. The clock is set
to each event's time (negative times are history before the window) and the event goes through the same use
cases the HTTP API calls: ``platform.upsert_account``, ``platform.upsert_subject``, ``reports.file_report``
(with ``reported_at``), ``queue.claim_next`` then ``decisions.decide`` for the simulated reviewers (one unit
of work per review slot; four reviewer identities take turns by the slot's number, so a second review finds
another moderator) and ``worker.run_once`` for expiries. Between events the runner asks when work can next be
there (:meth:`FairflagEngine.next_review`, :meth:`FairflagEngine.next_due`: one small read for both, after
whatever may have changed the answers) and skips the slots and ticks that would find none. Nothing here knows
how fairflag weighs a report: the outcomes are read back from the stored tables (actions, decisions,
campaigns, reporter stats), so the replay measures whatever the services do.

Per-report cost is one unit of work. Account and subject descriptions are applied lazily, inside the unit of
work of the next report that names them (an account or views line alone changes nothing fairflag computes
until a report arrives), so a stream's many account and views lines cost no transactions of their own. The
throwaway database runs with ``synchronous=OFF``: a crash loses a simulation, never a report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import case, event, func, select
from sqlalchemy.orm import Session

from fairflag import worker
from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.domain.enums import (
    ActionKind,
    ActionStatus,
    ActorType,
    CaseStatus,
    DecisionOutcome,
    ReportOutcome,
    ReportSource,
    Role,
    Surface,
)
from fairflag.domain.errors import DomainError
from fairflag.ids import SeededIds
from fairflag.policy import Policy
from fairflag.services import decisions, platform, queue, reports
from fairflag.services.campaigns import FLAGGING
from fairflag.services.context import Actor, Context
from fairflag.sim.baselines import Action, EngineResults, Restriction, Reviewed, Reviewer, ReviewItem, SimDecision
from fairflag.sim.events import AccountEvent, EventsError, ReportEvent, Stream, SubjectEvent, ViewsEvent
from fairflag.store import migrate
from fairflag.store.db import Database
from fairflag.store.tables import (
    Campaign,
    CampaignMember,
    Case,
    Decision,
    EnforcementAction,
    Report,
    ReporterStats,
)

PLATFORM = Actor(ActorType.platform, "sim-platform")
# Review slots go to the reviewers in turn, so a case that needs a second moderator ([second_review]) gets one.
MODERATORS = tuple(Actor(ActorType.user, f"sim-moderator-{i}", Role.moderator) for i in range(4))
STATEMENT = "Simulated review against the scenario's ground truth."
NOT_RESTRICTIONS = frozenset({"warn", "demonetize"})  # actions that leave the subject visible


@dataclass
class _Subject:
    ev: SubjectEvent
    views: int
    live: bool


def fast_sqlite(db: Database) -> None:
    """A simulation's database is disposable: skip fsync on every commit (the WAL stays)."""

    @event.listens_for(db.engine, "connect")
    def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


_OPEN = Case.status == CaseStatus.open.value
_READY = select(Case.id).where(_OPEN, Case.held_until.is_(None), Case.claimed_by.is_(None)).limit(1)
# When an open case can next be handed out: the later of its hold and (if claimed) its lease; NULL if neither.
_LEASE = case((Case.claimed_by.is_not(None), Case.lease_expires_at))
_FREE_AT = case((Case.held_until.is_(None), _LEASE), (_LEASE.is_(None), Case.held_until),
                (Case.held_until >= _LEASE, Case.held_until), else_=_LEASE)
# (open cases, open cases free at once, the earliest time one is free) in one row.
_WAITS = select(func.count(), func.count() - func.count(_FREE_AT), func.min(_FREE_AT)).where(_OPEN)
def next_free(session: Session) -> datetime | float:
    """When claim-next can next hand out some open case: ``-inf`` if one is free now (or as soon as asked),
    ``inf`` if no case is open, else the earliest time a hold or lease lapses. At most two one-row reads."""
    if session.scalar(_READY) is not None:
        return -math.inf
    waiting, unbounded, earliest = session.execute(_WAITS).one()
    if not waiting:
        return math.inf
    return -math.inf if unbounded else earliest


_ENDS = select(func.min(EnforcementAction.ends_at)).where(
    EnforcementAction.status == ActionStatus.active.value, EnforcementAction.ends_at.is_not(None))


class FairflagEngine:
    """The real services behind the runner's :class:`~fairflag.sim.baselines.Engine` interface."""

    name = "fairflag"

    def __init__(self, stream: Stream, workdir: Path, *, seed: int, policy: Policy,
                 track: frozenset[str] = frozenset()) -> None:
        self.stream = stream
        self.start: datetime = stream.header.start
        self.db = Database(f"sqlite:///{workdir / 'fairflag.db'}")
        fast_sqlite(self.db)
        migrate.upgrade(self.db)
        self.clock = ManualClock(self.start)
        self.core = Fairflag(self.db, policy, clock=self.clock, ids=SeededIds(seed), provenance="sim")
        self.accounts: dict[str, AccountEvent] = {}
        self.dirty_accounts: set[str] = set()
        self.subjects: dict[str, _Subject] = {}
        self.dirty_subjects: set[str] = set()
        self.keys: dict[str, int] = {}  # fairflag report id -> the report's key in the stream
        self.ids: dict[int, str] = {}
        self.track = track
        self._next: tuple[float, float] | None = None  # (next_review, next_due), until something changes them
        self.traces: dict[str, list[tuple[float, float]]] = {s: [] for s in track}

    def at(self, t: float) -> datetime:
        return self.start + timedelta(seconds=t)

    def seconds(self, when: datetime) -> float:
        return (when - self.start).total_seconds()

    # descriptions: remembered, applied with the next report that needs them

    def on_account(self, ev: AccountEvent) -> None:
        self.accounts[ev.id] = ev
        self.dirty_accounts.add(ev.id)

    def on_subject(self, ev: SubjectEvent) -> None:
        live = ev.kind == "livestream" and ev.live_until is not None and ev.live_until > ev.t
        self.subjects[ev.id] = _Subject(ev, ev.views, live)
        self.dirty_subjects.add(ev.id)

    def on_views(self, ev: ViewsEvent) -> None:
        self.subjects[ev.subject].views = ev.views
        self.dirty_subjects.add(ev.subject)

    def on_live_end(self, subject: str, t: float) -> None:
        self.subjects[subject].live = False
        self.dirty_subjects.add(subject)

    def _pending(self, subject_id: str, reporter_id: str | None) -> tuple[list[str], bool]:
        owner = self.subjects[subject_id].ev.owner
        accounts = [a for a in dict.fromkeys((owner, reporter_id)) if a is not None and a in self.dirty_accounts]
        return accounts, subject_id in self.dirty_subjects

    def _describe(self, ctx: Context, subject_id: str, accounts: list[str], subject: bool) -> None:
        with ctx.session.no_autoflush:  # distinct rows: written together when the report flushes
            for account_id in accounts:
                a = self.accounts[account_id]
                platform.upsert_account(ctx, platform.AccountIn(
                    id=a.id, created_at=None if a.created_at is None else self.at(a.created_at),
                    verified=a.verified, trusted_flagger=a.trusted_flagger, followers=a.followers))
            if subject:
                s = self.subjects[subject_id]
                platform.upsert_subject(ctx, platform.SubjectIn(
                    id=s.ev.id, surface=Surface(s.ev.kind), owner_id=s.ev.owner,
                    created_at=None if s.ev.created_at is None else self.at(s.ev.created_at), views=s.views,
                    is_live=s.live))

    def _described(self, subject_id: str, accounts: list[str], subject: bool) -> None:
        """Only once the unit of work committed (a retried unit of work must describe them again)."""
        self.dirty_accounts.difference_update(accounts)
        if subject:
            self.dirty_subjects.discard(subject_id)

    # reports

    def on_report(self, key: int, ev: ReportEvent) -> list[Action]:
        self._changed()
        self.clock.set(self.at(ev.t))
        body = reports.ReportIn(
            reporter_id=ev.reporter, subject_id=ev.subject, reason=ev.reason, text=ev.text,
            source=ReportSource(ev.source), classifier=_classifier(ev), fp_net=ev.fp_net, fp_dev=ev.fp_dev,
            reported_at=self.clock.now(),
        )
        accounts, subject = self._pending(ev.subject, ev.reporter)
        try:
            report_id, case_id = self.core.run(PLATFORM, self._file, body, accounts, subject)
        except DomainError as exc:
            raise EventsError(ev.line, f"fairflag refused the report: {exc.message}"
                              + (f" ({exc.field})" if exc.field else ""), self.stream.source) from exc
        self._described(ev.subject, accounts, subject)
        self.keys[report_id] = key
        self.ids[key] = report_id
        if ev.subject in self.traces:  # scored by the triage consumer, drained when the unit of work committed
            self.traces[ev.subject].append((ev.t, self._priority(case_id)))
        return []  # restrictions are read back from the actions table at the end

    def _file(self, ctx: Context, body: reports.ReportIn, accounts: list[str], subject: bool) -> tuple[str, str]:
        self._describe(ctx, body.subject_id, accounts, subject)
        receipt = reports.file_report(ctx, body)
        return receipt.id, receipt.case_id

    def _priority(self, case_id: str) -> float:
        with self.db.reader() as session:
            case = session.get(Case, case_id)
            return float(case.priority) if case is not None else 0.0

    # reviewers and background work

    def tick(self, t: float) -> None:
        self._changed()
        self.clock.set(self.at(t))
        worker.run_once(self.core)

    def next_due(self) -> float:
        """When the worker's next pass can do anything: the earliest end of an active timed action. Expiry is
        all a pass does here: the replay's database is fresh and nothing in a stream adds a webhook endpoint."""
        return self._when()[1]

    def next_review(self) -> float:
        """When claim-next can next hand out a case to some reviewer: now if an open case is neither held nor
        claimed, else when the first hold or lease on an open case lapses; never if no case is open. (Whether
        it is this slot's reviewer's turn is not asked: an early answer only costs an empty slot.)"""
        return self._when()[0]

    def _when(self) -> tuple[float, float]:
        """Both answers from one read, kept until a report, a review or a tick may change them.

        When no open case is ready, each open case can be handed out once its hold and its lease (if claimed)
        have lapsed, the later of the two (a missing one: never in the way); the answer is the earliest such
        time over the open cases. The database folds it into one row (``_WAITS``): the open cases that wait
        are the follow-ups held for ``[rereview] window_s`` (14 days), so reading them one by one made every
        empty-queue check cost more as the history grew."""
        if self._next is None:
            with self.db.reader() as session:
                free = next_free(session)
                ends = session.scalar(_ENDS)
            review = free if isinstance(free, float) else self.seconds(free)
            self._next = (review, math.inf if ends is None else self.seconds(ends))
        return self._next

    def _changed(self) -> None:
        self._next = None

    def review(self, t: float, reviewer: Reviewer, slot: int) -> Reviewed | None:
        """Claim-next and decide, as one reviewer does at one instant of simulated time: one unit of work
        (the same services as two API calls; the simulated reviewer decides in between)."""
        self._changed()
        self.clock.set(self.at(t))
        actor = MODERATORS[slot % len(MODERATORS)]
        return self.core.run(actor, self._review, reviewer)

    def _review(self, ctx: Context, reviewer: Reviewer) -> Reviewed | None:
        claimed = _claim(ctx)
        if claimed is None:
            return None
        case_id, subject_id, report_ids = claimed
        item = ReviewItem(case_id, subject_id, tuple(self.keys[r] for r in report_ids if r in self.keys))
        decision = reviewer(item)
        out = decisions.decide(ctx, item.ref, self._body(decision))
        return item, decision, isinstance(out, decisions.DecisionOut)

    def _body(self, decision: SimDecision) -> decisions.DecisionIn:
        if decision.violation:
            return decisions.DecisionIn(outcome=DecisionOutcome.violation, action=ActionKind(decision.action),
                                        rule=decision.rule, statement=STATEMENT)
        return decisions.DecisionIn(outcome=DecisionOutcome.no_violation, statement=STATEMENT,
                                    report_outcomes={self.ids[k]: ReportOutcome.abusive.value
                                                     for k in sorted(decision.abusive)})

    # outcomes, from the stored tables

    def results(self) -> EngineResults:
        account_subjects = {s for s, state in self.subjects.items() if state.ev.kind == "account"}
        restrictions = []
        with self.db.reader() as session:
            rows = session.execute(select(
                EnforcementAction.target_type, EnforcementAction.target_id, EnforcementAction.kind,
                EnforcementAction.automatic, EnforcementAction.starts_at, EnforcementAction.ended_at,
            ).order_by(EnforcementAction.starts_at, EnforcementAction.id)).all()
            for target_type, target_id, kind, automatic, starts_at, ended_at in rows:
                if kind in NOT_RESTRICTIONS:
                    continue
                if target_type == "subject" or target_id in account_subjects:
                    restrictions.append(Restriction(
                        subject=target_id, start=self.seconds(starts_at),
                        end=None if ended_at is None else self.seconds(ended_at),
                        by="auto" if automatic else "moderator", kind=kind))
            flagged = set(session.scalars(
                select(CampaignMember.reporter_id).join(Campaign, Campaign.id == CampaignMember.campaign_id)
                .where(Campaign.status.in_(FLAGGING)).distinct()))
            misuse = {}
            for reporter, warned, suspended, suspensions in session.execute(select(
                    ReporterStats.reporter_id, ReporterStats.warned_at, ReporterStats.suspended_until,
                    ReporterStats.suspensions)):
                if suspensions or suspended is not None:
                    misuse[reporter] = "suspended"
                elif warned is not None:
                    misuse[reporter] = "warned"
            campaigns = int(session.scalar(select(func.count()).select_from(Campaign)) or 0)
            decided = [(self.seconds(at), subject, outcome == DecisionOutcome.violation.value)
                       for at, subject, outcome in session.execute(
                           select(Decision.decided_at, Decision.subject_id, Decision.outcome)
                           .order_by(Decision.decided_at, Decision.id))]
        return EngineResults(restrictions=restrictions, flagged=flagged, misuse=misuse, campaigns=campaigns,
                             traces=self.traces, decisions=decided)

    def close(self) -> None:
        self.db.dispose()


def _claim(ctx: Context) -> tuple[str, str, list[str]] | None:
    """Claim the top of the queue, as a reviewer pressing "next" does, with the reports it holds."""
    try:
        case = queue.claim_next(ctx)
    except queue.QueueEmpty:
        return None
    with ctx.session.no_autoflush:  # the claim's pending update is not what this reads
        ids = ctx.session.scalars(select(Report.id).where(Report.case_id == case.id)
                                  .order_by(Report.reported_at, Report.id)).all()
    return case.id, case.subject_id, list(ids)


def _classifier(ev: ReportEvent) -> reports.ClassifierIn | None:
    if ev.source != "automated" or ev.classifier is None:
        return None
    name, _, version = ev.classifier.partition("@")
    return reports.ClassifierIn(name=name[:100], version=(version or "1")[:50], score=float(ev.score or 0.0))
