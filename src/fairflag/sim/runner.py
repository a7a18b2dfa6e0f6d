"""Driving one engine through one stream, with simulated reviewers, and collecting per-subject and
per-reporter outcomes in the shape REPLAY_FORMAT.md describes.

Time is the stream's: events are applied in order, and between them the reviewers' decision slots (evenly
spaced at the header's ``per_hour``), the background worker's hourly tick and the ends of livestreams happen
at their own times. A reviewer takes the top of the engine's queue and decides by the ground truth with the
header's error rates; the coin for each error is a hash of (seed, subject, how many times it was reviewed),
so every engine meets the same reviewer mistakes on the same subject. Once a reviewer removed a subject (or
ended a livestream), the platform no longer shows it: later views and reports of it are dropped, for every
engine alike.

A replay costs what its events cost, not what its calendar spans. Slots and ticks sit on fixed grids that
start at the first report (nothing can happen before it, however far back the account lines go): slot ``n``
at ``first report + (n + 1) * 3600 / per_hour``, tick ``n`` at ``first report + (n + 1) * TICK_S``. The clock
jumps from one thing that can happen to the next: an event, a livestream's end, the first slot at or after
the engine's :meth:`~fairflag.sim.baselines.Engine.next_review` (the queue may have work) and the first tick
at or after its :meth:`~fairflag.sim.baselines.Engine.next_due` (something may expire or be delivered).
A slot offered to an empty queue and a tick with nothing due change nothing, so skipping them leaves every
outcome as it was; the slots that do run keep their grid times and numbers (reviewers take turns by the
slot's number), so the same decisions happen at the same times. ``skip_idle=False`` offers every slot and
tick on the grids (the old loop, kept to test that both give the same results).
"""

from __future__ import annotations

import hashlib
import heapq
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fairflag.sim import metrics
from fairflag.sim.baselines import Engine, EngineResults, Restriction, ReviewItem, SimDecision
from fairflag.sim.events import AccountEvent, ModeratorSpec, ReportEvent, Stream, SubjectEvent, ViewsEvent

TICK_S = 3600.0
# What happens first when things fall on the same instant (the loop's order): a livestream's end, the worker's
# tick, a review slot, then the event itself.
LIVE_END, TICK, SLOT, EVENT = range(4)


def unit(*parts: object) -> float:
    """A deterministic uniform draw in [0, 1) from values (the reviewers' coins)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


class Moderators:
    """Reviewers deciding by the truth, with false-negative and false-positive rates, and recognising some
    bad-faith reports as abusive (a merely mistaken report is only rejected). A subject without ``truth`` (a
    history that does not know) is treated as not violating."""

    def __init__(self, spec: ModeratorSpec, stream: Stream, seed: int) -> None:
        self.spec = spec
        self.stream = stream
        self.seed = seed
        self.reviews: Counter[str] = Counter()

    def decide(self, item: ReviewItem, reports: dict[int, ReportEvent], live: bool) -> SimDecision:
        subject = self.stream.subjects[item.subject]
        n = self.reviews[item.subject]
        self.reviews[item.subject] += 1
        violating = bool(subject.truth and subject.truth.violating)
        coin = unit(self.seed, "review", item.subject, n)
        # A violating subject is missed with the false-negative rate; an innocent one removed with the false-positive.
        call_violation = coin >= self.spec.error_false_negative if violating else coin < self.spec.error_false_positive
        if call_violation:
            if violating and subject.truth and subject.truth.reason:
                rule = subject.truth.reason
            else:  # a mistaken removal names the reason most reports gave
                reasons = Counter(reports[k].reason for k in item.reports if k in reports)
                rule = min(reasons, key=lambda r: (-reasons[r], r)) if reasons else "other"
            action = "end_livestream" if subject.kind == "livestream" and live else "remove"
            return SimDecision(True, action, rule)
        abusive = frozenset(
            k for k in item.reports
            if k in reports and reports[k].abusive and unit(self.seed, "abusive", k) < self.spec.abusive_recognition
        )
        return SimDecision(False, None, None, abusive)


@dataclass
class RunOutput:
    engine: str
    metrics: dict[str, Any]
    subjects: list[dict[str, Any]]
    reporters: list[dict[str, Any]]
    traces: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "metrics": self.metrics, "subjects": self.subjects,
                "reporters": self.reporters,
                "traces": {s: [[round(t, 3), round(v, 6)] for t, v in pts] for s, pts in self.traces.items()}}


def tracked_subjects(stream: Stream) -> frozenset[str]:
    """Two subjects whose score over time is worth plotting: the attacked innocent subject and the violating
    subject with the most reports inside the window (a labelled cohort, such as the community-reported scam,
    is preferred among violating ones)."""
    counts = Counter(e.subject for e in stream.events if isinstance(e, ReportEvent) and e.t >= 0)
    attacked = [s for s, ev in stream.subjects.items()
                if ev.truth and ev.truth.attacked and not ev.truth.violating and counts[s]]
    violating = [s for s, ev in stream.subjects.items() if ev.truth and ev.truth.violating and counts[s]]
    cohort = [s for s in violating if stream.subjects[s].truth.cohort]  # type: ignore[union-attr]
    chosen = [min(pool, key=lambda s: (-counts[s], s)) for pool in (attacked, cohort or violating) if pool]
    return frozenset(chosen)


def first_report_t(stream: Stream) -> float:
    """Where the reviewers' and the worker's grids start: the first report (the first event if none)."""
    first = next((e.t for e in stream.events if isinstance(e, ReportEvent)), None)
    if first is None:
        first = stream.events[0].t if stream.events else 0.0
    return first


class Runner:
    def __init__(self, stream: Stream, engine: Engine, *, seed: int,
                 progress: Callable[[int, int], None] | None = None, skip_idle: bool = True) -> None:
        self.stream = stream
        self.engine = engine
        self.horizon = stream.header.horizon_s
        spec = stream.header.moderators
        self.moderators = Moderators(spec, stream, seed) if spec is not None and spec.per_hour > 0 else None
        self.slot_s = 3600.0 / spec.per_hour if self.moderators and spec else math.inf
        self.origin = first_report_t(stream)
        self.skip_idle = skip_idle
        self.slot_n = 0  # the next slot on the grid that has not run (nor been skipped for good)
        self.tick_n = 0
        self.passed: tuple[float, int] = (-math.inf, LIVE_END)  # the last thing that happened: (time, rank)
        self.slots_offered = 0  # loop iterations that reached the engine: countable, unlike wall time
        self.ticks = 0
        self.live_ends: list[tuple[float, str]] = []
        self.live: set[str] = set()
        self.removed: set[str] = set()
        self.report_events: dict[int, ReportEvent] = {}
        self.first_report: dict[str, float] = {}
        self.last_report: dict[str, float] = {}
        self.report_counts: Counter[str] = Counter()
        self.reporter_reports: Counter[str] = Counter()
        self.reporter_abusive: set[str] = set()
        self.decisions: list[tuple[float, str, bool]] = []
        self.dropped = 0
        self.reviews = 0
        self.opinions = 0
        self.progress = progress

    def run(self) -> RunOutput:
        started = time.perf_counter()
        total = len(self.stream.events)
        for i, ev in enumerate(self.stream.events):
            self.advance(ev.t)
            self.passed = (ev.t, EVENT)
            self.apply(i, ev)
            if self.progress is not None and (i + 1) % 500 == 0:
                self.progress(i + 1, total)
        self.advance(self.horizon)
        results = self.engine.results()
        wall = time.perf_counter() - started
        if self.progress is not None:
            self.progress(total, total)
        return self.collect(results, wall)

    def apply(self, key: int, ev: AccountEvent | SubjectEvent | ViewsEvent | ReportEvent) -> None:
        engine = self.engine
        if isinstance(ev, ReportEvent):
            if ev.subject in self.removed:
                self.dropped += 1
                return
            self.report_events[key] = ev
            self.first_report.setdefault(ev.subject, ev.t)
            self.last_report[ev.subject] = ev.t
            self.report_counts[ev.subject] += 1
            if ev.source != "automated":
                self.reporter_reports[ev.reporter] += 1
                if ev.abusive:
                    self.reporter_abusive.add(ev.reporter)
            engine.on_report(key, ev)
        elif isinstance(ev, AccountEvent):
            engine.on_account(ev)
        elif isinstance(ev, SubjectEvent):
            live = ev.kind == "livestream" and ev.live_until is not None and ev.live_until > ev.t
            if live and ev.id not in self.live and ev.id not in self.removed:
                assert ev.live_until is not None
                self.live.add(ev.id)
                heapq.heappush(self.live_ends, (ev.live_until, ev.id))
            engine.on_subject(ev)
        elif ev.subject not in self.removed:
            engine.on_views(ev)

    def advance(self, until: float) -> None:
        """Everything that can happen up to ``until``, in time order; idle slots and ticks are skipped."""
        while True:
            live_end = self.live_ends[0][0] if self.live_ends else math.inf
            slot_n, slot_t = self.next_on_grid(self.slot_n, self.slot_s, self.engine.next_review, SLOT, until)
            tick_n, tick_t = self.next_on_grid(self.tick_n, TICK_S, self.engine.next_due, TICK, until)
            t = min(slot_t, tick_t, live_end)
            if t > until:
                return
            if t == live_end:
                _, subject = heapq.heappop(self.live_ends)
                self.passed = (t, LIVE_END)
                if subject in self.live:
                    self.live.discard(subject)
                    self.engine.on_live_end(subject, t)
            elif t == tick_t:
                self.tick_n = tick_n + 1
                self.passed = (t, TICK)
                self.ticks += 1
                self.engine.tick(t)
            else:
                self.slot_n = slot_n + 1
                self.passed = (t, SLOT)
                self.review(t, slot_n)

    def next_on_grid(self, n: int, step: float, ready: Callable[[], float], rank: int,
                     until: float = math.inf) -> tuple[int, float]:
        """The next point of a grid to run, from point ``n`` on: when idle time is skipped, the first after
        everything already applied (the points before were offered to an idle engine in the old loop: no-ops)
        and at or after the time the engine says work may be there. The engine is not asked when that point
        lies beyond ``until`` anyway. Asked afresh each time, because an event may bring the work forward;
        nothing is skipped for good until a later point runs."""
        if step == math.inf:
            return n, math.inf
        if self.skip_idle:
            passed_t, passed_rank = self.passed
            n = self.first_point(n, step, passed_t, strict=rank <= passed_rank)
            if self.origin + (n + 1) * step <= until:
                at = ready()
                if at == math.inf:
                    return n, math.inf
                n = self.first_point(n, step, at, strict=False)
        return n, self.origin + (n + 1) * step

    def first_point(self, n: int, step: float, at: float, *, strict: bool) -> int:
        """The first grid point from ``n`` on that is at or after ``at`` (after it, when ``strict``)."""

        def ok(m: int) -> bool:
            point = self.origin + (m + 1) * step
            return point > at if strict else point >= at

        if ok(n):
            return n
        m = max(n, math.ceil((at - self.origin) / step) - 1)
        while m > n and ok(m - 1):  # float rounding either way
            m -= 1
        while not ok(m):
            m += 1
        return m

    def review(self, t: float, slot: int) -> None:
        assert self.moderators is not None
        moderators = self.moderators
        self.slots_offered += 1
        reviewed = self.engine.review(
            t, lambda it: moderators.decide(it, self.report_events, it.subject in self.live), slot)
        if reviewed is None:
            return
        item, decision, final = reviewed
        self.reviews += 1
        if not final:  # a first or second opinion: another reviewer decides
            self.opinions += 1
            return
        self.decisions.append((t, item.subject, decision.violation))
        if decision.violation:
            self.removed.add(item.subject)
            self.live.discard(item.subject)

    # outcomes

    def collect(self, results: EngineResults, wall: float) -> RunOutput:
        by_subject: dict[str, list[Restriction]] = {}
        for r in results.restrictions:
            by_subject.setdefault(r.subject, []).append(r)
        decided: dict[str, list[tuple[float, bool]]] = {}
        for t, subject, violation in (results.decisions if results.decisions is not None else self.decisions):
            decided.setdefault(subject, []).append((t, violation))
        subjects = [self.subject_outcome(s, by_subject.get(s, []), decided.get(s, []))
                    for s in sorted(self.stream.subjects)]
        reporters = []
        for reporter in sorted(self.reporter_reports):
            reporters.append({
                "reporter": reporter,
                "flagged": None if results.flagged is None else reporter in results.flagged,
                "misuse": None if results.misuse is None else results.misuse.get(reporter),
                "abusive": reporter in self.reporter_abusive,
                "reports": self.reporter_reports[reporter],
            })
        run = {"horizon_s": self.horizon, "reports": sum(self.report_counts.values()), "dropped_reports": self.dropped,
               "wall_s": wall, "campaigns": results.campaigns, "reviews": self.reviews,
               "opinions": self.opinions,
               "detector": results.flagged is not None, "misuse_handling": results.misuse is not None}
        return RunOutput(self.engine.name, metrics.compute(subjects, reporters, run), subjects, reporters,
                         results.traces)

    def subject_outcome(self, subject_id: str, restrictions: list[Restriction],
                        decided: list[tuple[float, bool]]) -> dict[str, Any]:
        ev = self.stream.subjects[subject_id]
        truth = ev.truth
        first = min(restrictions, key=lambda r: r.start) if restrictions else None
        auto = [r for r in restrictions if r.by == "auto"]
        # An automatic restriction was overturned unless it ended because a reviewer found a violation (the
        # engines store times to the microsecond, hence the tolerance).
        overturned = sum(1 for r in auto if r.end is not None
                         and not any(v and abs(t - r.end) < 1e-3 for t, v in decided))
        last = decided[-1] if decided else None
        if last is not None and (last[1] or self.last_report.get(subject_id, -math.inf) <= last[0]):
            final = "actioned" if last[1] else "cleared"
        else:
            final = "open"
        return {
            "subject": subject_id,
            "first_report_t": self.first_report.get(subject_id),
            "first_restricted_t": None if first is None else first.start,
            "restricted_by": None if first is None else first.by,
            "restricted_s": round(_covered(restrictions, self.horizon), 3),
            "final": final,
            "kind": ev.kind,
            "violating": None if truth is None else truth.violating,
            "reason": None if truth is None else truth.reason,
            "attacked": bool(truth and truth.attacked),
            "cohort": None if truth is None else truth.cohort,
            "reports": self.report_counts.get(subject_id, 0),
            "decisions": len(decided),
            "violation_decisions": sum(1 for _, v in decided if v),
            "auto_restrictions": len(auto),
            "overturned": overturned,
        }


def _covered(restrictions: list[Restriction], horizon: float) -> float:
    """Seconds during which at least one restriction was in force, up to the horizon."""
    spans = sorted((r.start, horizon if r.end is None else min(r.end, horizon)) for r in restrictions)
    total, cur_start, cur_end = 0.0, None, None
    for start, end in spans:
        if end <= start:
            continue
        if cur_end is None or start > cur_end:
            if cur_end is not None and cur_start is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None and cur_start is not None:
        total += cur_end - cur_start
    return total
