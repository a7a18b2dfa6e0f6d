"""The interface every engine offers the runner, and the baselines fairflag is compared with.

The runner feeds an engine the stream's events and, at the simulated reviewers' pace, asks it for the next
case to review and hands back the reviewer's decision. Every engine sees the same events, the same reviewer
capacity and the same reviewer errors; only how it weighs reports, orders its queue and restricts differs.

Baselines (in memory, deliberately simple, each what some platform really does):

* ``count``: restrict visibility once a subject has N distinct reporters (default 10), review the most
  reported first. This is the rule report-for-hire services exploit.
* ``flagscore``: Discourse's documented scheme (``ReviewableScore``): each flag scores
  ``1 + trust level + accuracy bonus`` (never below 0), a subject's score is the sum over its distinct
  flaggers, it is hidden at a threshold and reviewed highest score first. The accuracy bonus is 0 until a
  user has more than 5 decided flags, then rises to ``+5 * log4(flags)`` at 100 % upheld and falls to
  ``-5 * log4(flags)`` at 0 %, pivoting at 70 %. Trust levels need activity data a report stream does not
  carry, so they are approximated from what it does: account age (TL0 under a day, TL1 under 30 days, TL2,
  TL3 after a year), verified (TL4) and trusted flaggers (5, like Discourse's staff). A classifier flags as
  the system user (staff) scaled by its score. The hide threshold defaults to Discourse's typical
  sensitivity (12.5) at "medium" sensitivity (6/9), i.e. 8.33.
* ``fifo``: no automatic action; reviewers take cases oldest first.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from fairflag.sim.events import AccountEvent, ReportEvent, Stream, SubjectEvent, ViewsEvent

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Action:
    """What an engine did on its own in response to an event (moderator actions come from decisions)."""

    kind: str
    subject: str
    automatic: bool
    t: float


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A case at the top of an engine's queue: its own reference, the subject and its reports' keys."""

    ref: str
    subject: str
    reports: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SimDecision:
    violation: bool
    action: str | None  # remove | end_livestream
    rule: str | None
    abusive: frozenset[int] = frozenset()  # report keys the reviewer recognised as filed in bad faith


@dataclass(slots=True)
class Restriction:
    subject: str
    start: float
    end: float | None  # None: still in force at the end of the run
    by: str  # auto | moderator
    kind: str


@dataclass
class EngineResults:
    restrictions: list[Restriction]
    flagged: set[str] | None = None  # reporters placed in a detected campaign; None: the engine has no detector
    misuse: dict[str, str] | None = None  # reporter -> warned | suspended; None: no misuse handling
    campaigns: int | None = None
    traces: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # subject -> (t, score)
    # (t, subject, violation) as the engine stored them; None: the runner's own log of what it asked for.
    decisions: list[tuple[float, str, bool]] | None = None


Reviewer = Callable[[ReviewItem], SimDecision]
Reviewed = tuple[ReviewItem, SimDecision, bool]


class Engine(Protocol):
    """What the runner drives. Keys are the reports' indices in the stream's event list."""

    name: str

    def on_account(self, ev: AccountEvent) -> None: ...

    def on_subject(self, ev: SubjectEvent) -> None: ...

    def on_views(self, ev: ViewsEvent) -> None: ...

    def on_report(self, key: int, ev: ReportEvent) -> list[Action]: ...

    def on_live_end(self, subject: str, t: float) -> None: ...

    def tick(self, t: float) -> None: ...

    def next_due(self) -> float:
        """The earliest time at which :meth:`tick` can change anything (an action expires, a delivery is due),
        if no further event arrives; ``math.inf``: never. The runner skips the ticks before it."""

    def review(self, t: float, reviewer: Reviewer, slot: int) -> Reviewed | None:
        """The top of the queue goes to ``reviewer``, and its decision is applied. None: nothing to review.
        The flag is False when the decision did not take effect yet (it awaits a second reviewer). ``slot``
        is the review slot's number on the runner's grid (reviewers who take turns take them by it)."""

    def next_review(self) -> float:
        """The earliest time at which :meth:`review` may find a case, if no further event arrives (a time
        already past: now; ``math.inf``: the queue is empty). It may be early, never late: the runner skips
        the slots before it."""

    def results(self) -> EngineResults: ...

    def close(self) -> None: ...


# --- the in-memory queue engines -----------------------------------------------------------------


@dataclass
class _Case:
    subject: str
    opened: float
    serial: int
    reports: list[int] = field(default_factory=list)
    reporters: set[str] = field(default_factory=set)
    score: float = 0.0
    version: int = 0


class QueueEngine:
    """A subject's open case collects its reports; a heap orders the queue (stale entries are skipped);
    an optional rule restricts visibility automatically until a reviewer decides."""

    name = "queue"

    def __init__(self, stream: Stream, track: frozenset[str] = frozenset()) -> None:
        self.accounts: dict[str, AccountEvent] = {}
        self.cases: dict[str, _Case] = {}
        self.heap: list[tuple[tuple[float, ...], int, str, int]] = []
        self.restrictions: list[Restriction] = []
        self.auto: dict[str, Restriction] = {}
        self.track = track
        self.traces: dict[str, list[tuple[float, float]]] = {s: [] for s in track}
        self.serial = 0
        self.reporters_by_key: dict[int, str] = {}

    # what subclasses define

    def weigh(self, case: _Case, ev: ReportEvent, new_reporter: bool) -> None:
        """Update ``case.score`` for a report (a reporter's first on the case when ``new_reporter``)."""

    def order(self, case: _Case) -> tuple[float, ...]:
        return (case.opened, case.serial)

    def restrict(self, case: _Case) -> bool:
        return False

    def learn(self, case: _Case, decision: SimDecision) -> None:
        """See a decision's outcome for the case's reporters."""

    # the protocol

    def on_account(self, ev: AccountEvent) -> None:
        self.accounts[ev.id] = ev

    def on_subject(self, ev: SubjectEvent) -> None:
        pass

    def on_views(self, ev: ViewsEvent) -> None:
        pass

    def on_live_end(self, subject: str, t: float) -> None:
        pass

    def tick(self, t: float) -> None:
        pass

    def next_due(self) -> float:
        return math.inf  # nothing here expires by itself

    def next_review(self) -> float:
        return -math.inf if self.cases else math.inf  # every open case is in the heap, ready

    def on_report(self, key: int, ev: ReportEvent) -> list[Action]:
        case = self.cases.get(ev.subject)
        if case is None:
            self.serial += 1
            case = self.cases[ev.subject] = _Case(ev.subject, ev.t, self.serial)
        case.reports.append(key)
        self.reporters_by_key[key] = ev.reporter
        new = ev.reporter not in case.reporters
        case.reporters.add(ev.reporter)
        self.weigh(case, ev, new)
        case.version += 1
        heapq.heappush(self.heap, (self.order(case), case.serial, case.subject, case.version))
        if ev.subject in self.traces:
            self.traces[ev.subject].append((ev.t, case.score))
        if ev.subject not in self.auto and self.restrict(case):
            r = Restriction(ev.subject, ev.t, None, "auto", "restrict_visibility")
            self.auto[ev.subject] = r
            self.restrictions.append(r)
            return [Action(r.kind, ev.subject, True, ev.t)]
        return []

    def next_for_review(self, t: float) -> ReviewItem | None:
        while self.heap:
            _, serial, subject, version = heapq.heappop(self.heap)
            case = self.cases.get(subject)
            if case is not None and case.serial == serial and case.version == version:
                return ReviewItem(f"case{serial}", subject, tuple(case.reports))
        return None

    def review(self, t: float, reviewer: Reviewer, slot: int) -> Reviewed | None:
        item = self.next_for_review(t)
        if item is None:
            return None
        decision = reviewer(item)
        self.decide(item, decision, t)
        return item, decision, True

    def decide(self, item: ReviewItem, decision: SimDecision, t: float) -> None:
        case = self.cases.pop(item.subject)
        self.learn(case, decision)
        auto = self.auto.pop(item.subject, None)
        if auto is not None:
            auto.end = t
        if decision.violation:
            self.restrictions.append(Restriction(item.subject, t, None, "moderator", decision.action or "remove"))

    def results(self) -> EngineResults:
        return EngineResults(restrictions=list(self.restrictions), traces=self.traces)

    def close(self) -> None:
        pass


class FifoEngine(QueueEngine):
    """No automatic action; the oldest case first."""

    name = "fifo"

    def weigh(self, case: _Case, ev: ReportEvent, new_reporter: bool) -> None:
        case.score = float(len(case.reporters))


class CountEngine(QueueEngine):
    """Restrict at N distinct reporters; the most reported case first."""

    name = "count"

    def __init__(self, stream: Stream, track: frozenset[str] = frozenset(), threshold: int = 10) -> None:
        super().__init__(stream, track)
        self.threshold = threshold

    def weigh(self, case: _Case, ev: ReportEvent, new_reporter: bool) -> None:
        case.score = float(len(case.reporters))

    def order(self, case: _Case) -> tuple[float, ...]:
        return (-case.score, case.opened, case.serial)

    def restrict(self, case: _Case) -> bool:
        return case.score >= self.threshold


def accuracy_bonus(agreed: int, disagreed: int, *, axis: float = 0.7, minimum: int = 5) -> float:
    """Discourse's per-user flag accuracy bonus (see the module docstring), rounded to 2 places."""
    total = agreed + disagreed
    if total <= minimum:
        return 0.0
    accuracy = agreed / total
    magnitude = 5.0 * math.log(total, 4)
    if accuracy >= axis:
        return round((accuracy - axis) / (1.0 - axis) * magnitude, 2)
    return round(-(axis - accuracy) / axis * magnitude, 2)


def trust_level(account: AccountEvent | None, t: float) -> int:
    """An approximation of Discourse trust levels from account age, verification and trusted status."""
    if account is None:
        return 0
    if account.trusted_flagger:
        return 5
    if account.verified:
        return 4
    if account.created_at is None:
        return 0
    age = (t - account.created_at) / DAY
    return 0 if age < 1 else 1 if age < 30 else 2 if age < 365 else 3


class FlagScoreEngine(QueueEngine):
    """Discourse-style flag score: hide at a threshold, the highest score first."""

    name = "flagscore"

    def __init__(self, stream: Stream, track: frozenset[str] = frozenset(), threshold: float = 12.5 * 6 / 9) -> None:
        super().__init__(stream, track)
        self.threshold = threshold
        self.agreed: dict[str, int] = {}
        self.disagreed: dict[str, int] = {}
        self.source_of: dict[int, str] = {}

    def flagger(self, ev: ReportEvent) -> str:
        return f"classifier:{ev.classifier}" if ev.source == "automated" else ev.reporter

    def flag_score(self, ev: ReportEvent) -> float:
        who = self.flagger(ev)
        bonus = accuracy_bonus(self.agreed.get(who, 0), self.disagreed.get(who, 0))
        if ev.source == "automated":
            return max(0.0, 1.0 + 5.0 * float(ev.score or 0.0) + bonus)
        return max(0.0, 1.0 + trust_level(self.accounts.get(ev.reporter), ev.t) + bonus)

    def weigh(self, case: _Case, ev: ReportEvent, new_reporter: bool) -> None:
        if new_reporter or ev.source == "automated":
            case.score += self.flag_score(ev)

    def order(self, case: _Case) -> tuple[float, ...]:
        return (-case.score, case.opened, case.serial)

    def restrict(self, case: _Case) -> bool:
        return case.score >= self.threshold

    def on_report(self, key: int, ev: ReportEvent) -> list[Action]:
        self.source_of[key] = self.flagger(ev)
        return super().on_report(key, ev)

    def learn(self, case: _Case, decision: SimDecision) -> None:
        for who in {self.source_of[k] for k in case.reports}:
            book = self.agreed if decision.violation else self.disagreed
            book[who] = book.get(who, 0) + 1


BASELINES: dict[str, type[QueueEngine]] = {"count": CountEngine, "flagscore": FlagScoreEngine, "fifo": FifoEngine}


def make_baseline(name: str, stream: Stream, track: frozenset[str] = frozenset(), **options: Any) -> QueueEngine:
    return BASELINES[name](stream, track, **options)
