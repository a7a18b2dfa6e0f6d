"""The one demo dataset: a small short-video platform with ten days of reporting history.

``fairflag demo``, ``fairflag serve --demo``, the CLI reference and the tests all use this dataset, so
what a person sees in the quick start is what the tests check.

It is written through the real use cases (the ones the HTTP API calls), with a manual clock stepping
through simulated time and seeded ids, so two seedings tell the same story. Only "now" moves: the
history ends just before the core's current time, so deadlines, leases and appeal windows on a live
server make sense.

The story is told in :data:`STORY` (docs/cli.md shows it).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select

from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.domain.enums import (
    ActionKind,
    ActionStatus,
    ActorType,
    AppealStatus,
    AppellantRole,
    CaseStatus,
    DecisionOutcome,
    ReportSource,
    Role,
    Surface,
)
from fairflag.domain.errors import Conflict
from fairflag.ids import SeededIds
from fairflag.services import appeals, auth, decisions, enforcement, platform, queue, reports
from fairflag.services.auth import CreatedKey
from fairflag.services.context import SYSTEM, Actor, Context
from fairflag.store import migrate
from fairflag.store.tables import (
    Account,
    Appeal,
    Case,
    Decision,
    EnforcementAction,
    Event,
    Report,
    ServiceKey,
    Strike,
    Subject,
    User,
)

DEMO_SEED = 20260601
DEMO_PASSWORD = "fairflag-demo"  # every demo console user's password; documented in docs/cli.md
DEMO_KEY_NAME = "demo platform"
HISTORY = timedelta(days=10)
PROVENANCE = "demo"
SETUP_ACTOR = Actor(ActorType.cli, "demo")

STORY = """\
- 30 platform accounts: 8 creators (one verified, with 1.2M followers), 20 ordinary users (one posts
  spam comments, one trolls) and 2 trusted flaggers; plus 24 fresh accounts created a day before
  they mass-report an innocent cooking creator from shared networks and devices (a campaign for the
  detector of a later issue to find); and the account the platform's classifier reports from.
- Videos, comments, one account (an impersonator) and one livestream that is live right now, with an
  automated report from the platform's audio classifier.
- About 150 reports. Nine cases are decided: violations with removals and strikes (one creator
  reaches the second rung of the strike ladder), and no-violation outcomes. One removal was appealed
  and overturned; another creator's appeal is open. Thirteen cases wait in the queue, a
  livestream at the top.
"""
"""What the demo holds (all names are made up); docs/cli.md prints it."""

Progress = Callable[[int, int, str], None]
"""Called after each step of the seeding with (steps done, steps in all, what was done)."""


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    role: Role
    note: str
    password: str = DEMO_PASSWORD


DEMO_USERS = (
    DemoUser("admin", Role.admin, "manages keys and users; reads the audit log"),
    DemoUser("alice", Role.moderator, "decided several cases"),
    DemoUser("bruno", Role.moderator, "decided several cases"),
    DemoUser("chen", Role.senior, "overturned one appeal"),
    DemoUser("dara", Role.senior, "free to resolve the open appeal"),
    DemoUser("eve", Role.auditor, "reads the queue and the audit log"),
)

# Subjects the summary points at.
BURST_TARGET = "lena.cooks"
BURST_SUBJECTS = ("vid.lena.dumplings", "vid.lena.knife-skills")
LIVESTREAM = "live.kofi.friday"
OPEN_APPEAL_SUBJECT = "vid.tomas.rooftop-jump"
OVERTURNED_SUBJECT = "vid.maya.summer-mix"
# The last thing the seeding writes; its presence means a seeding ran to the end.
_LAST_REPORTER = "platform.audio-safety"


class DemoState(StrEnum):
    empty = "empty"  # no platform data, no demo usernames taken: the demo can be seeded
    seeded = "seeded"  # the demo is there, complete
    partial = "partial"  # a seeding stopped part-way
    foreign = "foreign"  # the database holds other data


class DemoRefused(Conflict):
    """The database is not empty and does not hold the demo: seeding would mix the two."""

    code = "demo_refused"


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the demo database holds, for the CLI to print and tests to check."""

    created: bool  # False when the demo was already there
    counts: dict[str, int]
    users: tuple[DemoUser, ...]
    highlights: dict[str, str]  # what to look at first: label -> id
    service_key: CreatedKey | None = None  # shown once, only when this call created it


# --- the cast ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Account:
    id: str
    followers: int
    age_days: float
    verified: bool = False
    trusted_flagger: bool = False


CREATORS = (
    _Account("maya.makes", 1_200_000, 2100, verified=True),
    _Account("dj.kofi", 340_000, 1500),
    _Account("gym.rafa", 150_000, 900),
    _Account(BURST_TARGET, 85_000, 1200),
    _Account("tomas.tricks", 52_000, 610),
    _Account("priya.reads", 23_000, 800),
    _Account("cryptoking.official", 12_000, 45),
    _Account("fan.of.maya", 900, 20),
)
TRUSTED_FLAGGERS = (
    _Account("tf.safekids", 3_100, 1900, trusted_flagger=True),
    _Account("tf.antiscam", 1_400, 1100, trusted_flagger=True),
)
SPAMMER = "promo.deals.99"
TROLL = "troll.account"
REPORTERS = (
    "ana.r", "ben.k", "carla.m", "dev.p", "emma.s", "felix.w", "gio.b", "hana.t", "ivan.d", "jordan.l",
    "kim.y", "leo.f", "mia.c", "noah.g", "olga.v", "pat.q", "rosa.h", "sam.n",
)
ORDINARY = (*REPORTERS, SPAMMER, TROLL)
BURST_SIZE = 24


@dataclass(frozen=True, slots=True)
class _Subject:
    id: str
    surface: Surface
    owner: str
    views: int
    age_days: float
    signals: dict[str, float] = field(default_factory=dict)


SUBJECTS = (
    _Subject("vid.maya.quilt-tutorial", Surface.video, "maya.makes", 2_400_000, 200, {"likes": 310_000}),
    _Subject("vid.maya.studio-tour", Surface.video, "maya.makes", 800_000, 60, {"likes": 95_000}),
    _Subject(OVERTURNED_SUBJECT, Surface.video, "maya.makes", 1_100_000, 12, {"likes": 150_000}),
    _Subject("vid.kofi.set-highlights", Surface.video, "dj.kofi", 500_000, 30, {"likes": 61_000}),
    _Subject("vid.rafa.leg-day", Surface.video, "gym.rafa", 300_000, 40, {"likes": 22_000}),
    _Subject("vid.rafa.beach-workout", Surface.video, "gym.rafa", 220_000, 14, {"likes": 18_000}),
    _Subject(BURST_SUBJECTS[0], Surface.video, BURST_TARGET, 140_000, 25, {"likes": 17_500}),
    _Subject(BURST_SUBJECTS[1], Surface.video, BURST_TARGET, 60_000, 90, {"likes": 5_200}),
    _Subject(OPEN_APPEAL_SUBJECT, Surface.video, "tomas.tricks", 95_000, 11, {"likes": 9_000}),
    _Subject("vid.tomas.skate-park", Surface.video, "tomas.tricks", 30_000, 70, {"likes": 2_100}),
    _Subject("vid.priya.review-dune", Surface.video, "priya.reads", 18_000, 13, {"likes": 1_300}),
    _Subject("vid.crypto.double-your-btc", Surface.video, "cryptoking.official", 8_000, 12, {"spam_score": 0.7}),
    _Subject("vid.crypto.giveaway", Surface.video, "cryptoking.official", 15_000, 6, {"spam_score": 0.8}),
    _Subject("vid.crypto.secret-signal", Surface.video, "cryptoking.official", 4_000, 3, {"spam_score": 0.75}),
    _Subject("vid.jordan.school-prank", Surface.video, "jordan.l", 3_000, 2, {"likes": 150}),
    _Subject("vid.emma.cat", Surface.video, "emma.s", 900, 30, {"likes": 80}),
    _Subject("cmt.promo.1", Surface.comment, SPAMMER, 5_000, 9, {"spam_score": 0.95}),
    _Subject("cmt.promo.2", Surface.comment, SPAMMER, 1_200, 2, {"spam_score": 0.93}),
    _Subject("cmt.troll.1", Surface.comment, TROLL, 700, 1, {}),
    _Subject("cmt.troll.2", Surface.comment, TROLL, 1_500, 8, {}),
    _Subject("cmt.ben.1", Surface.comment, "ben.k", 300, 6, {}),
    _Subject("fan.of.maya", Surface.account, "fan.of.maya", 40_000, 20, {}),
)
# Goes live 40 minutes before "now".
LIVE = _Subject(LIVESTREAM, Surface.livestream, "dj.kofi", 12_000, 40 / 1440, {"concurrent_viewers": 3_400})

TEXTS: dict[str, tuple[str | None, ...]] = {
    "harmful_content": ("Kids will copy this jump and get hurt.", "Jumping between roofs with no safety gear.",
                        None, "This is how people die for views."),
    "scam_fraud": ("Asks people to send crypto to 'double' it.", "Giveaway scam, the link drains your wallet.",
                   "I lost money to this account.", None),
    "copyright": ("Uses our label's track without a licence.", "The full song plays, not a short clip.", None),
    "sexual_content": ("Too revealing for a fitness video.", None),
    "spam": ("Same promo comment under every video.", "Link to a fake shop.", None),
    "harassment": ("Insults the creator in every comment.", "Bullying a kid in the chat.", None,
                   "Keeps attacking the host."),
    "hate": ("Hateful remarks about the host's origin.", "Slurs in the chat.", None),
    "impersonation": ("Pretends to be maya.makes and asks fans for money.", "Fake account of maya.makes.", None),
    "minor_safety": ("A minor is filmed being humiliated at school.", None),
    "other": ("Just don't like it.", "Misleading title.", None),
    "fake_engagement": ("Bought views, the comments are bots.", None),
}


# --- the script --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Step:
    at: datetime
    label: str
    run: Callable[[Fairflag], object]


class _Story:
    """Builds the timeline of steps. Ids that exist only once an earlier step ran (the service key,
    users, reports) are read from ``self`` when a step runs, not when it is built."""

    def __init__(self, rng: random.Random, start: datetime, end: datetime) -> None:
        self.rng = rng
        self.start = start
        self.end = end
        self.steps: list[_Step] = []
        self.key: CreatedKey | None = None
        self.user_ids: dict[str, str] = {}
        self.reports_by_name: dict[str, tuple[str, str]] = {}  # name -> (report id, reporter)
        self.owners = {subj.id: subj.owner for subj in (*SUBJECTS, LIVE)}
        people = [*(c.id for c in CREATORS), *(t.id for t in TRUSTED_FLAGGERS), *ORDINARY]
        self.fingerprints = {p: (self.fingerprint(), self.fingerprint()) for p in people}

    # time and chance
    def at(self, day: int, hour: float) -> datetime:
        return self.start + timedelta(days=day, hours=hour)

    def before_end(self, minutes: float) -> datetime:
        return self.end - timedelta(minutes=minutes)

    def spread(self, first: datetime, count: int, over: timedelta) -> list[datetime]:
        offsets = sorted(self.rng.uniform(0, over.total_seconds()) for _ in range(count))
        return [first + timedelta(seconds=round(o)) for o in offsets]

    def fingerprint(self) -> str:
        """An opaque network or device hash, as the platform would send it."""
        return f"{self.rng.getrandbits(64):016x}"

    def pick(self, count: int, subject_id: str) -> list[str]:
        """Ordinary users who report ``subject_id`` (never its owner)."""
        pool = [r for r in REPORTERS if r != self.owners[subject_id]]
        return self.rng.sample(pool, count)

    # actors
    def platform(self, on_behalf_of: str | None = None) -> Actor:
        assert self.key is not None
        return Actor(ActorType.platform, self.key.id, on_behalf_of=on_behalf_of)

    def user(self, username: str) -> Actor:
        role = next(u.role for u in DEMO_USERS if u.username == username)
        return Actor(ActorType.user, self.user_ids[username], role)

    def add(self, at: datetime, label: str, run: Callable[[Fairflag], object]) -> None:
        self.steps.append(_Step(at, label, run))

    # platform calls
    def account(self, at: datetime, acct: _Account) -> None:
        body = platform.AccountIn(id=acct.id, created_at=at - timedelta(days=acct.age_days),
                                  verified=acct.verified, trusted_flagger=acct.trusted_flagger,
                                  followers=acct.followers)
        self.add(at, f"account {acct.id}", lambda core: core.run(self.platform(), platform.upsert_account, body))

    def subject(self, at: datetime, subj: _Subject, *, is_live: bool = False) -> None:
        body = platform.SubjectIn(id=subj.id, surface=subj.surface, owner_id=subj.owner,
                                  created_at=at - timedelta(days=subj.age_days), views=subj.views,
                                  is_live=is_live, signals=subj.signals)
        self.add(at, f"subject {subj.id}", lambda core: core.run(self.platform(), platform.upsert_subject, body))

    def report(self, at: datetime, reporter: str, subject_id: str, reason: str, *,
               source: ReportSource = ReportSource.user, fingerprints: tuple[str, str] | None = None,
               classifier: reports.ClassifierIn | None = None, evidence: tuple[str, ...] = (),
               name: str | None = None) -> None:
        fp_net, fp_dev = fingerprints or self.fingerprints[reporter]
        body = reports.ReportIn(
            reporter_id=reporter, subject_id=subject_id, reason=reason, text=self.rng.choice(TEXTS[reason]),
            evidence_urls=list(evidence), source=source, classifier=classifier, fp_net=fp_net, fp_dev=fp_dev,
        )

        def run(core: Fairflag) -> None:
            actor = self.platform(on_behalf_of=reporter)
            receipt = core.run(actor, reports.file_report, body, service_key_id=actor.id)
            if name:
                self.reports_by_name[name] = (receipt.id, reporter)

        self.add(at, f"report on {subject_id}", run)

    def reports(self, first: datetime, over: timedelta, count: int, subject_id: str,
                reasons: tuple[str, ...]) -> None:
        reporters = self.pick(count, subject_id)
        for when, reporter in zip(self.spread(first, count, over), reporters, strict=True):
            self.report(when, reporter, subject_id, self.rng.choice(reasons))

    # moderation
    def decide(self, at: datetime, moderator: str, subject_id: str, body: decisions.DecisionIn) -> None:
        """Claim the subject's open case, then decide it a few minutes later, as a moderator would."""
        def claim(core: Fairflag) -> None:
            core.run(self.user(moderator), queue.claim, core.query(SYSTEM, _open_case_id, subject_id))

        def decide(core: Fairflag) -> None:
            case_id = core.query(SYSTEM, _open_case_id, subject_id)
            out = core.run(self.user(moderator), decisions.decide, case_id, body)
            if isinstance(out, decisions.SecondReviewPending):  # a campaign targets it: a colleague looks too
                colleague = "alice" if moderator != "alice" else "bruno"
                core.run(self.user(colleague), queue.claim, case_id)
                core.run(self.user(colleague), decisions.decide, case_id, body)

        self.add(at, f"{moderator} claims the case on {subject_id}", claim)
        self.add(at + timedelta(minutes=self.rng.randint(3, 12)), f"{moderator} decides {subject_id}", decide)

    def appeal(self, at: datetime, subject_id: str, statement: str) -> None:
        def run(core: Fairflag) -> None:
            decision_id, owner = core.query(SYSTEM, _latest_decision, subject_id)
            core.run(self.platform(on_behalf_of=owner), appeals.file_appeal, owner, AppellantRole.creator,
                     appeals.AppealIn(decision_id=decision_id, statement=statement))

        self.add(at, f"the creator appeals the decision on {subject_id}", run)

    def resolve(self, at: datetime, senior: str, subject_id: str, body: appeals.ResolutionIn) -> None:
        def run(core: Fairflag) -> None:
            appeal_id = core.query(SYSTEM, _open_appeal_id, subject_id)
            core.run(self.user(senior), appeals.resolve_appeal, appeal_id, body)

        self.add(at, f"{senior} resolves the appeal on {subject_id}", run)

    def withdraw(self, at: datetime, name: str, note: str) -> None:
        def run(core: Fairflag) -> None:
            report_id, reporter = self.reports_by_name[name]
            core.run(self.platform(on_behalf_of=reporter), reports.withdraw_report, report_id,
                     reports.WithdrawalIn(reporter_id=reporter, note=note))

        self.add(at, "a reporter withdraws a report", run)


def _violation(action: ActionKind, rule: str, statement: str) -> decisions.DecisionIn:
    return decisions.DecisionIn(outcome=DecisionOutcome.violation, action=action, rule=rule, statement=statement)


def _no_violation(statement: str) -> decisions.DecisionIn:
    return decisions.DecisionIn(outcome=DecisionOutcome.no_violation, statement=statement)


def _script(s: _Story) -> list[_Step]:
    """The ten days, in time order. Day 0 starts ten days before "now"."""
    rng = s.rng

    # Day 0: the instance is set up; the platform describes its accounts and content.
    def setup(core: Fairflag) -> None:
        for u in DEMO_USERS:
            out = core.run(SETUP_ACTOR, auth.create_user,
                           auth.UserIn(username=u.username, role=u.role, password=u.password))
            s.user_ids[u.username] = out.id
        s.key = core.run(SETUP_ACTOR, auth.create_service_key, DEMO_KEY_NAME)

    s.add(s.at(0, 0), "console users and the platform's service key", setup)
    for i, acct in enumerate((*CREATORS, *TRUSTED_FLAGGERS)):
        s.account(s.at(0, 0.1 + i / 600), acct)
    for i, name in enumerate(ORDINARY):
        s.account(s.at(0, 0.2 + i / 600), _Account(name, rng.randint(3, 900), rng.uniform(60, 1500)))
    for i, subj in enumerate(SUBJECTS):
        s.subject(s.at(0, 0.3 + i / 600), subj)

    # Day 1: a dangerous rooftop jump goes viral; removed (a strike, so a warning); appealed on day 7.
    s.reports(s.at(1, 9), timedelta(hours=5), 12, OPEN_APPEAL_SUBJECT, ("harmful_content",))
    s.decide(s.at(1, 15), "alice", OPEN_APPEAL_SUBJECT, _violation(
        ActionKind.remove, "harmful_content",
        "The video shows a jump between two roofs without any safety measures and invites viewers to try it. "
        "Dangerous acts that could lead to serious injury are not allowed."))

    # Day 2: a "double your bitcoin" scam, confirmed by a trusted flagger.
    s.reports(s.at(2, 8), timedelta(hours=6), 9, "vid.crypto.double-your-btc", ("scam_fraud",))
    s.report(s.at(2, 14.5), "tf.antiscam", "vid.crypto.double-your-btc", "scam_fraud",
             source=ReportSource.trusted_flagger, evidence=("https://antiscam.example/cases/2026-0412",))
    s.decide(s.at(2, 16), "bruno", "vid.crypto.double-your-btc", _violation(
        ActionKind.remove, "scam_fraud", "The video asks viewers to send cryptocurrency with the promise of "
        "doubling it."))

    # Day 3: a book review quoting a film, and a workout video; neither breaks a rule.
    s.reports(s.at(3, 10), timedelta(hours=3), 2, "vid.priya.review-dune", ("copyright",))
    s.decide(s.at(3, 15), "alice", "vid.priya.review-dune",
             _no_violation("Short excerpts used for criticism and review; no infringement."))
    s.reports(s.at(3, 11), timedelta(hours=4), 4, "vid.rafa.beach-workout", ("sexual_content",))
    s.decide(s.at(3, 17), "bruno", "vid.rafa.beach-workout",
             _no_violation("An ordinary workout in sportswear; no nudity or sexual activity."))

    # Days 4-6: a removal for copyright that the creator shows was licensed: appealed and overturned.
    s.reports(s.at(4, 9), timedelta(hours=4), 6, OVERTURNED_SUBJECT, ("copyright",))
    s.decide(s.at(4, 16), "bruno", OVERTURNED_SUBJECT, _violation(
        ActionKind.remove, "copyright",
        "The video plays a commercially released track in full without a visible licence."))
    s.appeal(s.at(5, 10), OVERTURNED_SUBJECT,
             "The track is licensed to me for this video; the licence was sent to the platform.")
    s.resolve(s.at(6, 9), "chen", OVERTURNED_SUBJECT, appeals.ResolutionIn(
        outcome=AppealStatus.overturned.value,
        statement="The creator holds a licence for the track; the removal is reversed."))

    # Day 5: spam and troll comments removed; a bad-faith report from the troll is rejected.
    s.reports(s.at(5, 8), timedelta(hours=6), 8, "cmt.promo.1", ("spam",))
    s.decide(s.at(5, 15), "alice", "cmt.promo.1", _violation(
        ActionKind.remove, "spam", "The same promotional comment with a shop link was posted under many videos."))
    s.reports(s.at(5, 9), timedelta(hours=3), 3, "cmt.troll.2", ("harassment",))
    s.decide(s.at(5, 16), "bruno", "cmt.troll.2", _violation(
        ActionKind.remove, "harassment", "The comment insults the creator personally and repeatedly."))
    s.report(s.at(5, 12), TROLL, "cmt.ben.1", "hate")
    s.decide(s.at(5, 18), "alice", "cmt.ben.1", _no_violation("A disagreement about a recipe; nothing hateful."))

    # Day 6: the scammer's second video: a second strike reaches the ladder's 24-hour visibility limit.
    s.reports(s.at(6, 8), timedelta(hours=5), 9, "vid.crypto.giveaway", ("scam_fraud", "spam"))
    s.report(s.at(6, 13.5), "tf.antiscam", "vid.crypto.giveaway", "scam_fraud", source=ReportSource.trusted_flagger)
    s.decide(s.at(6, 15), "alice", "vid.crypto.giveaway", _violation(
        ActionKind.remove, "scam_fraud", "A fake giveaway that collects wallet keys."))

    # Day 7: the rooftop creator appeals; the appeal is still open.
    s.appeal(s.at(7, 11), OPEN_APPEAL_SUBJECT,
             "It was a professional stunt on a closed set with safety rigging that is cut from the video.")

    # Days 2-8: everyday low-priority reports that wait in the queue; one is withdrawn.
    noise = (("vid.maya.quilt-tutorial", "other", 3), ("vid.maya.studio-tour", "other", 3),
             ("vid.kofi.set-highlights", "copyright", 3), ("vid.rafa.leg-day", "fake_engagement", 2),
             ("vid.emma.cat", "other", 2))
    for i, (subject_id, reason, count) in enumerate(noise):
        for j, reporter in enumerate(s.pick(count, subject_id)):
            s.report(s.at(2 + i + j, 13 + 2 * j), reporter, subject_id, reason,
                     name="mistake" if subject_id == "vid.emma.cat" and j == 0 else None)
    s.withdraw(s.at(7, 9), "mistake", "Reported by mistake.")

    # Day 8: an impersonator asks maya's fans for money; maya reports it too.
    s.reports(s.at(8, 9), timedelta(hours=8), 7, "fan.of.maya", ("impersonation",))
    s.report(s.at(8, 18), "maya.makes", "fan.of.maya", "impersonation")

    # Day 9: scam spam again, troll and spam comments, and a trusted flagger's child-safety notice.
    s.reports(s.at(9, 7), timedelta(hours=6), 6, "vid.crypto.secret-signal", ("scam_fraud", "spam"))
    s.reports(s.at(9, 8), timedelta(hours=4), 2, "cmt.promo.2", ("spam",))
    s.reports(s.at(9, 9), timedelta(hours=3), 3, "cmt.troll.1", ("harassment",))
    s.report(s.at(9, 10), "tf.safekids", "vid.jordan.school-prank", "minor_safety",
             source=ReportSource.trusted_flagger, evidence=("https://safekids.example/notices/88121",))
    s.reports(s.at(9, 10.5), timedelta(hours=2), 2, "vid.jordan.school-prank", ("minor_safety", "harassment"))

    # About ten hours ago: 24 accounts created a day or so earlier report lena.cooks' videos for hate and
    # harassment within half an hour, from two networks and three devices. Nothing in them is hateful.
    burst_start = s.before_end(10 * 60)
    nets = [s.fingerprint() for _ in range(2)]
    devices = [s.fingerprint() for _ in range(3)]
    fresh = [f"user{n}" for n in rng.sample(range(10**7, 10**8), BURST_SIZE)]
    for i, name in enumerate(fresh):
        created = burst_start - timedelta(hours=rng.uniform(20, 34))
        s.account(burst_start - timedelta(minutes=30, seconds=-i),
                  _Account(name, rng.randint(0, 3), (burst_start - created) / timedelta(days=1)))
    for i, (when, name) in enumerate(zip(s.spread(burst_start, BURST_SIZE, timedelta(minutes=25)), fresh,
                                         strict=True)):
        fps = (nets[i % 2], devices[i % 3])
        s.report(when, name, BURST_SUBJECTS[0], rng.choice(("hate", "harassment")), fingerprints=fps)
        if i % 12 < 7:
            s.report(when + timedelta(minutes=4), name, BURST_SUBJECTS[1], "hate", fingerprints=fps)

    # The last 40 minutes: dj.kofi is live; viewers report hateful chat; the platform's audio classifier agrees.
    s.subject(s.before_end(40), LIVE, is_live=True)
    s.reports(s.before_end(9), timedelta(minutes=6), 12, LIVESTREAM, ("hate", "harassment"))
    s.add(s.before_end(2.5), "background pass: end expired time-limited actions",
          lambda core: core.run(SYSTEM, enforcement.expire_due))
    s.account(s.before_end(2.2), _Account(_LAST_REPORTER, 0, 700))
    s.report(s.before_end(2), _LAST_REPORTER, LIVESTREAM, "hate", source=ReportSource.automated,
             fingerprints=("platform", "audio-safety"),
             classifier=reports.ClassifierIn(name="live-audio-toxicity", version="2.3.1", score=0.91))
    return sorted(s.steps, key=lambda step: step.at)


# --- lookups the script needs between steps ------------------------------------------------------


def _open_case_id(ctx: Context, subject_id: str) -> str:
    case_id = ctx.session.scalar(select(Case.id).where(Case.subject_id == subject_id,
                                                       Case.status == CaseStatus.open.value))
    assert case_id is not None, f"no open case on {subject_id}"
    return case_id


def _latest_decision(ctx: Context, subject_id: str) -> tuple[str, str]:
    decision = ctx.session.scalars(
        select(Decision).where(Decision.subject_id == subject_id).order_by(Decision.decided_at.desc())
    ).first()
    assert decision is not None, f"no decision on {subject_id}"
    return decision.id, decision.owner_id


def _open_appeal_id(ctx: Context, subject_id: str) -> str:
    appeal_id = ctx.session.scalar(
        select(Appeal.id).join(Decision, Decision.id == Appeal.decision_id)
        .where(Decision.subject_id == subject_id, Appeal.status == AppealStatus.open.value)
    )
    assert appeal_id is not None, f"no open appeal on {subject_id}"
    return appeal_id


# --- public entry points ---------------------------------------------------------------------------


def state(core: Fairflag) -> DemoState:
    """Whether the demo can be seeded here, is already here, or would mix with other data."""
    return core.query(SYSTEM, _state)


def _state(ctx: Context) -> DemoState:
    s = ctx.session
    if s.scalar(select(Event.seq).where(Event.provenance == PROVENANCE).limit(1)) is not None:
        done = s.scalar(select(Report.id).where(Report.reporter_id == _LAST_REPORTER).limit(1))
        return DemoState.seeded if done is not None else DemoState.partial
    taken = s.scalar(select(User.id).where(User.username.in_([u.username for u in DEMO_USERS])).limit(1))
    if taken is not None or s.scalar(select(Account.id).limit(1)) is not None:
        return DemoState.foreign
    return DemoState.empty


def seed(core: Fairflag, *, seed: int = DEMO_SEED, progress: Progress | None = None) -> DemoSummary:
    """Write the demo through the use cases. Refuses unless the database is empty (see :func:`state`)."""
    found = state(core)
    if found is not DemoState.empty:
        raise DemoRefused(refusal(found))
    end = core.clock.now().replace(second=0, microsecond=0)
    start = end - HISTORY
    clock = ManualClock(start)
    # Ids and the story's chance (which includes reporters' made-up fingerprints) come from independent
    # streams: from one stream, a reporter's fingerprint reappeared inside a decision id the creator sees.
    demo_core = Fairflag(core.db, core.policy, clock=clock, ids=SeededIds(f"demo ids {seed}"),
                         provenance=PROVENANCE)
    story = _Story(random.Random(seed), start, end)
    steps = _script(story)
    for done, step in enumerate(steps, start=1):
        clock.set(max(step.at, clock.now()))  # never backwards: a step may have advanced it
        step.run(demo_core)
        if progress:
            progress(done, len(steps), step.label)
    return replace(describe(core), created=True, service_key=story.key)


def ensure(core: Fairflag, *, progress: Progress | None = None) -> DemoSummary:
    """Seed the demo into an empty database, or describe the demo already there (nothing is duplicated)."""
    if state(core) is DemoState.seeded:
        return describe(core)
    return seed(core, progress=progress)


def refusal(found: DemoState) -> str:
    """Why the demo cannot be seeded into a database in this state, and what to do."""
    if found is DemoState.partial:
        return "a previous demo seeding stopped part-way; start again with `fairflag demo --reset`"
    if found is DemoState.seeded:
        return "the demo is already seeded in this database"
    return ("the database already holds data that is not the demo; use an empty database "
            "(FAIRFLAG_DATABASE_URL) or replace everything with `fairflag demo --reset`")


def describe(core: Fairflag) -> DemoSummary:
    """Counts and the ids worth looking at, read from the database (so a re-run shows them too)."""
    return core.query(SETUP_ACTOR, _describe)


def _count(ctx: Context, entity: type, *where: ColumnElement[bool]) -> int:
    return int(ctx.session.scalar(select(func.count()).select_from(entity).where(*where)) or 0)


def _describe(ctx: Context) -> DemoSummary:
    now = ctx.now()
    counts = {
        "accounts": _count(ctx, Account),
        "subjects": _count(ctx, Subject),
        "reports": _count(ctx, Report),
        "open cases": _count(ctx, Case, Case.status == CaseStatus.open.value),
        "decided cases": _count(ctx, Case, Case.status == CaseStatus.decided.value),
        "decisions": _count(ctx, Decision),
        "active actions": _count(ctx, EnforcementAction, EnforcementAction.status == ActionStatus.active.value),
        "active strikes": _count(ctx, Strike, Strike.removed_at.is_(None), Strike.expires_at > now),
        "open appeals": _count(ctx, Appeal, Appeal.status == AppealStatus.open.value),
        "console users": _count(ctx, User),
        "service keys": _count(ctx, ServiceKey),
    }
    highlights: dict[str, str] = {}
    top = queue.list_queue(ctx, limit=1)
    if top:
        highlights["top of the queue"] = f"{top[0].id} ({top[0].subject_id})"
    for label, subject_id in (("livestream case", LIVESTREAM), ("mass-report burst case", BURST_SUBJECTS[0])):
        case = ctx.session.scalar(select(Case.id).where(Case.subject_id == subject_id,
                                                        Case.status == CaseStatus.open.value))
        if case:
            highlights[label] = f"{case} ({subject_id})"
    for label, subject_id, status in (("open creator appeal", OPEN_APPEAL_SUBJECT, AppealStatus.open),
                                      ("overturned appeal", OVERTURNED_SUBJECT, AppealStatus.overturned)):
        appeal = ctx.session.scalar(select(Appeal.id).join(Decision, Decision.id == Appeal.decision_id)
                                    .where(Decision.subject_id == subject_id, Appeal.status == status.value))
        if appeal:
            highlights[label] = f"{appeal} ({subject_id})"
    highlights["mass-reported creator"] = BURST_TARGET
    return DemoSummary(created=False, counts=counts, users=DEMO_USERS, highlights=highlights)


def reset_database(core: Fairflag) -> None:
    """Delete everything: migrate down to nothing, then up again. Only ``fairflag demo --reset`` calls it."""
    migrate.downgrade(core.db, "base")
    core.migrate()
