"""A synthetic short-video platform: creators, uploads with ground truth, organic reporters, trusted flaggers,
a platform classifier, and the toolkit attack scenarios use.

Calibration (see /work/shared/CALIBRATION.md; ``tests/test_sim_platform.py`` checks the generated figures):

* reach is heavy-tailed: followers are Pareto (alpha 1.1), an upload's views lognormal around a median that
  grows with the creator's followers, accumulating as ``1 - exp(-age / tau)`` (a livestream: linearly while
  live);
* ~0.7 % of uploads violate (TikTok CGER), with a mix of reasons;
* organic reports arrive per view (no platform publishes reports per view, so ``reports_per_view`` is a
  parameter), many times more often on violating content; honest-but-mistaken reporters are the common
  case, so only ~20-30 % of ordinary user reports are upheld, and reports pile up at 2-3 per reported item;
* reporters differ in accuracy (Beta-distributed) and activity (lognormal);
* a few trusted flaggers, ~90 % accurate; a platform classifier with realistic precision (~0.6-0.7);
* moderator capacity is set from the organic case load with a margin, so the queue keeps up without an
  attack and falls behind during one.

Only subjects that receive at least one report appear in the stream: unreported uploads are invisible to a
report-handling system. The generator is deterministic for (scenario name, seed, scale): every random draw
comes from one ``numpy`` generator seeded from them, and ids come from counters.
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from fairflag.sim.events import FORMAT

DAY = 86400.0
HOUR = 3600.0
START = datetime(2026, 6, 1, tzinfo=UTC)

# Reasons of violating uploads (shares sum to 1).
VIOLATION_MIX: tuple[tuple[str, float], ...] = (
    ("spam", 0.28), ("sexual_content", 0.16), ("harassment", 0.10), ("scam_fraud", 0.10), ("hate", 0.07),
    ("harmful_content", 0.07), ("violence", 0.06), ("copyright", 0.06), ("impersonation", 0.03),
    ("self_harm", 0.03), ("minor_safety", 0.02), ("illegal_content", 0.02),
)
# What honest people pick when they report something that breaks no rule.
MISTAKEN_MIX: tuple[tuple[str, float], ...] = (
    ("spam", 0.30), ("other", 0.20), ("harassment", 0.12), ("hate", 0.08), ("sexual_content", 0.08),
    ("scam_fraud", 0.07), ("fake_engagement", 0.06), ("impersonation", 0.05), ("violence", 0.04),
)
CANNED_TEXTS = ("spam", "fake", "offensive", "inappropriate", "scam", "not ok", "bad", "report")
WORDS = ("this", "video", "is", "really", "clearly", "not", "okay", "for", "kids", "the", "creator", "keeps",
         "posting", "stuff", "like", "again", "please", "remove", "it", "looks", "fake", "rude", "weird",
         "comments", "under", "people", "are", "being", "mean", "about", "stream", "link", "bio", "giveaway")
CLASSIFIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("nudity@3", ("sexual_content",)),
    ("spam@7", ("spam", "fake_engagement")),
)


@dataclass(frozen=True)
class PlatformParams:
    """The organic platform behind every scenario. Figures are per day at scale 1.0."""

    uploads_per_day: float = 6000.0
    creators: int = 6000
    viewers: int = 40000
    violating_rate: float = 0.007
    livestream_share: float = 0.04
    comment_share: float = 0.15
    account_share: float = 0.01
    views_median: float = 250.0
    views_sigma: float = 1.7
    views_cap: float = 3e7
    reports_per_view: float = 0.0003  # on innocent content. Unpublished by any platform: a parameter.
    violating_report_multiplier: float = 45.0
    true_reason_share: float = 0.7  # reports on violating content naming the rule it breaks
    text_share: float = 0.35
    fingerprint_share: float = 0.9  # reports that carry the platform's fingerprints
    trusted_flaggers: int = 6
    trusted_recall: float = 0.05  # share of violating uploads a trusted flagger reports
    trusted_accuracy: float = 0.9
    classifier_recall: float = 0.6
    classifier_false_positive_rate: float = 0.0004  # per innocent upload, per classifier
    moderator_margin: float = 1.3  # capacity / organic case arrival rate
    error_false_negative: float = 0.03
    error_false_positive: float = 0.01
    abusive_recognition: float = 0.5


def stable_seed(*parts: object) -> int:
    """A seed from values, independent of Python's per-process string hashing."""
    return zlib.crc32("|".join(str(p) for p in parts).encode())


def opaque(kind: str, key: object, salt: int) -> str:
    """An opaque fingerprint hash, as a platform would send it."""
    return hashlib.blake2b(f"{kind}:{key}:{salt}".encode(), digest_size=8).hexdigest()


# --- the stream builder --------------------------------------------------------------------------


@dataclass
class AccountSpec:
    id: str
    created_at: float | None
    verified: bool = False
    trusted_flagger: bool = False
    followers: int = 0


@dataclass
class SubjectSpec:
    id: str
    kind: str
    owner: str
    created_at: float
    total_views: float
    tau: float = DAY
    live_until: float | None = None
    violating: bool = False
    reason: str | None = None
    attacked: bool = False
    cohort: str | None = None

    def views_at(self, t: float) -> int:
        """Cumulative views: saturating for uploads, linear while a livestream is live."""
        age = t - self.created_at
        if age <= 0:
            return 0
        if self.kind == "livestream" and self.live_until is not None:
            span = max(1.0, self.live_until - self.created_at)
            return int(self.total_views * min(1.0, age / span))
        return int(self.total_views * (1.0 - math.exp(-age / self.tau)))

    def truth(self) -> dict[str, Any]:
        out: dict[str, Any] = {"violating": self.violating, "reason": self.reason, "attacked": self.attacked}
        if self.cohort:
            out["cohort"] = self.cohort
        return out


@dataclass
class _Report:
    t: float
    seq: int
    line: dict[str, Any]


@dataclass
class StreamBuilder:
    """Collects accounts, subjects and reports, then lays them out as a sorted ``fairflag-events/1`` stream.

    Account and subject lines are written at their first use (the platform describes an account or subject
    when it first matters to fairflag), views lines before a report whenever the subject's views grew by a
    quarter since the last line, so the engine always sees current exposure without a line per view.
    """

    name: str
    seed: int
    scale: float
    horizon_s: float
    accounts: dict[str, AccountSpec] = field(default_factory=dict)
    subjects: dict[str, SubjectSpec] = field(default_factory=dict)
    reports: list[_Report] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def new_id(self, prefix: str) -> str:
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        return f"{prefix}{n}"

    def add_account(self, spec: AccountSpec) -> AccountSpec:
        self.accounts[spec.id] = spec
        return spec

    def add_subject(self, spec: SubjectSpec) -> SubjectSpec:
        if spec.owner not in self.accounts:
            raise KeyError(f"subject {spec.id} names unknown owner {spec.owner}")
        self.subjects[spec.id] = spec
        return spec

    def report(self, t: float, reporter: str, subject: str, reason: str, *, text: str | None = None,
               fp_net: str | None = None, fp_dev: str | None = None, source: str = "user",
               classifier: str | None = None, score: float | None = None, abusive: bool = False) -> None:
        spec = self.subjects[subject]
        if t < spec.created_at or t > self.horizon_s:
            return  # nobody reports what does not exist yet, and the window ends at the horizon
        if spec.kind == "livestream" and spec.live_until is not None and t > spec.live_until:
            return  # an ended livestream is no longer shown
        line: dict[str, Any] = {"type": "report", "t": round(t, 3), "reporter": reporter, "subject": subject,
                                "reason": reason, "text": text, "fp_net": fp_net, "fp_dev": fp_dev}
        if source != "user":
            line["source"] = source
        if source == "automated":
            line["classifier"] = classifier
            line["score"] = round(float(score or 0.0), 4)
        line["truth"] = {"abusive": bool(abusive)}
        self.reports.append(_Report(round(t, 3), len(self.reports), line))

    def moderators(self, per_hour: float, params: PlatformParams) -> dict[str, float]:
        return {"per_hour": round(per_hour, 2), "error_false_negative": params.error_false_negative,
                "error_false_positive": params.error_false_positive,
                "abusive_recognition": params.abusive_recognition}

    def build(self, moderators: dict[str, float], *, description: str = "") -> list[dict[str, Any]]:
        header: dict[str, Any] = {
            "format": FORMAT, "name": self.name, "start": START.isoformat().replace("+00:00", "Z"),
            "horizon_s": self.horizon_s, "moderators": moderators, "seed": self.seed, "scale": self.scale,
        }
        if description:
            header["description"] = description
        lines: list[dict[str, Any]] = [header]
        introduced: set[str] = set()
        shown_views: dict[str, int] = {}
        for rep in sorted(self.reports, key=lambda r: (r.t, r.seq)):
            t = rep.t
            subject = self.subjects[rep.line["subject"]]
            for account_id in (subject.owner, rep.line["reporter"]):
                if account_id not in introduced:
                    introduced.add(account_id)
                    lines.append(self._account_line(self.accounts[account_id], t))
            views = subject.views_at(t)
            if subject.id not in shown_views:
                shown_views[subject.id] = views
                lines.append(self._subject_line(subject, t, views))
            elif views >= max(shown_views[subject.id] * 1.25, shown_views[subject.id] + 10):
                shown_views[subject.id] = views
                lines.append({"type": "views", "t": t, "subject": subject.id, "views": views})
            lines.append(rep.line)
        return lines

    @staticmethod
    def _account_line(a: AccountSpec, t: float) -> dict[str, Any]:
        created = None if a.created_at is None else round(min(a.created_at, t), 3)
        return {"type": "account", "t": t, "id": a.id, "created_at": created, "verified": a.verified,
                "trusted_flagger": a.trusted_flagger, "followers": int(a.followers)}

    @staticmethod
    def _subject_line(s: SubjectSpec, t: float, views: int) -> dict[str, Any]:
        return {"type": "subject", "t": t, "id": s.id, "kind": s.kind, "owner": s.owner,
                "created_at": round(min(s.created_at, t), 3), "views": views,
                "live_until": None if s.live_until is None else round(s.live_until, 3), "truth": s.truth()}


# --- the organic platform ------------------------------------------------------------------------


def _pick(rng: np.random.Generator, mix: Sequence[tuple[str, float]], size: int) -> list[str]:
    names = [m[0] for m in mix]
    p = np.array([m[1] for m in mix], dtype=float)
    return [names[i] for i in rng.choice(len(names), size=size, p=p / p.sum())]


class Platform:
    """The organic side of a scenario: who exists, what gets uploaded and who reports it."""

    def __init__(self, builder: StreamBuilder, rng: np.random.Generator,
                 params: PlatformParams | None = None) -> None:
        self.b = builder
        self.rng = rng
        self.p = params or PlatformParams()
        self.salt = builder.seed
        scale = builder.scale
        self.n_creators = max(20, round(self.p.creators * scale))
        self.n_viewers = max(60, round(self.p.viewers * scale))
        self.n_networks = max(8, self.n_viewers // 40)
        self.creators = self._make_creators()
        self.viewers = self._make_viewers()
        self.trusted = self._make_trusted()
        self.classifier_account = self.b.add_account(AccountSpec("platform-classifier", -3 * 365 * DAY,
                                                                 verified=True)).id

    # population

    def _make_creators(self) -> list[AccountSpec]:
        rng = self.rng
        followers = np.minimum(2e7, np.floor(30.0 * (1.0 + rng.pareto(1.1, self.n_creators))))
        age_days = rng.lognormal(math.log(500.0), 0.9, self.n_creators)
        out = []
        for f, age in zip(followers, age_days, strict=True):
            verified = bool(f > 500_000 and rng.random() < 0.8)
            out.append(self.b.add_account(AccountSpec(self.b.new_id("cr"), -float(age) * DAY, verified,
                                                      followers=int(f))))
        weights = np.array([1.0 + math.log10(1.0 + a.followers) for a in out])
        self.creator_weights = weights / weights.sum()
        return out

    def _make_viewers(self) -> list[AccountSpec]:
        rng = self.rng
        n = self.n_viewers
        age_days = rng.lognormal(math.log(600.0), 1.1, n)
        fresh = rng.random(n) < 0.04
        age_days = np.where(fresh, rng.uniform(0.2, 7.0, n), age_days)
        self.accuracy = rng.beta(1.5, 4.5, n)  # honest-but-mistaken is common: mean 0.25
        self.activity = rng.lognormal(0.0, 1.0, n)
        self.network_of = np.minimum(self.n_networks - 1, rng.zipf(1.6, n) - 1)
        out = []
        for age in age_days:
            verified = bool(rng.random() < 0.01)
            out.append(self.b.add_account(AccountSpec(self.b.new_id("u"), -float(age) * DAY, verified,
                                                      followers=int(rng.lognormal(3.0, 1.5)))))
        return out

    def _make_trusted(self) -> list[AccountSpec]:
        n = max(1, round(self.p.trusted_flaggers * min(1.0, self.b.scale * 4)))
        return [self.b.add_account(AccountSpec(self.b.new_id("tf"), -float(self.rng.uniform(400, 2000)) * DAY,
                                               verified=True, trusted_flagger=True)) for _ in range(n)]

    def viewer_fingerprints(self, index: int) -> tuple[str | None, str | None]:
        if self.rng.random() >= self.p.fingerprint_share:
            return None, None
        return opaque("net", int(self.network_of[index]), self.salt), opaque("dev", index, self.salt)

    # uploads

    def new_upload(self, created_at: float, *, creator: AccountSpec | None = None, kind: str | None = None,
                   violating: bool | None = None, reason: str | None = None, views_factor: float = 1.0,
                   cohort: str | None = None) -> SubjectSpec:
        """One upload with heavy-tailed reach. Anything left as None is drawn like an organic upload."""
        rng, p = self.rng, self.p
        if creator is None:
            creator = self.creators[int(rng.choice(len(self.creators), p=self.creator_weights))]
        if kind is None:
            u = rng.random()
            kind = ("livestream" if u < p.livestream_share else
                    "comment" if u < p.livestream_share + p.comment_share else
                    "account" if u < p.livestream_share + p.comment_share + p.account_share else "video")
        if kind == "account" and creator.id in self.b.subjects:
            kind = "video"  # one profile subject per account
        if violating is None:
            violating = bool(rng.random() < p.violating_rate)
        if violating and reason is None:
            reason = _pick(rng, VIOLATION_MIX, 1)[0]
        median = p.views_median * (1.0 + creator.followers / 1000.0) ** 0.6
        views = min(p.views_cap, float(rng.lognormal(math.log(median), p.views_sigma))) * views_factor
        tau, live_until = float(rng.lognormal(math.log(DAY), 0.6)), None
        if kind == "comment":
            views, tau = views / 5.0, tau / 4.0
        elif kind == "account":
            views = max(views, creator.followers * 3.0)
        elif kind == "livestream":
            live_until = created_at + float(np.clip(rng.lognormal(math.log(1.5 * HOUR), 0.6), 600, 8 * HOUR))
        subject_id = creator.id if kind == "account" else self.b.new_id({"video": "v", "comment": "c",
                                                                         "livestream": "l"}[kind])
        return self.b.add_subject(SubjectSpec(
            id=subject_id, kind=kind, owner=creator.id, created_at=created_at, total_views=max(1.0, views),
            tau=tau, live_until=live_until, violating=violating, reason=reason if violating else None,
            cohort=cohort,
        ))

    def organic(self, t0: float, t1: float, *, uploads_per_day: float | None = None,
                livestream_share: float | None = None) -> list[SubjectSpec]:
        """Uploads created in [t0 - 1 day, t1] and everything organic that reports them inside [t0, t1]."""
        rate = (uploads_per_day or self.p.uploads_per_day) * self.b.scale
        n = int(self.rng.poisson(rate * (t1 - t0 + DAY) / DAY))
        created = np.sort(self.rng.uniform(t0 - DAY, t1, n))
        creators = self.rng.choice(len(self.creators), size=n, p=self.creator_weights)
        subjects = []
        for c, who in zip(created, creators, strict=True):
            kind = None
            if livestream_share is not None:
                kind = "livestream" if self.rng.random() < livestream_share else None
            subjects.append(self.new_upload(float(c), creator=self.creators[int(who)], kind=kind))
        self.user_reports(subjects, t0, t1)
        self.trusted_reports(subjects, t0, t1)
        self.classifier_reports(subjects, t0, t1)
        return subjects

    # reports

    def user_reports(self, subjects: Iterable[SubjectSpec], t0: float, t1: float) -> None:
        """Organic viewer reports, Poisson per view; reporters drawn by accuracy and activity."""
        rng, p = self.rng, self.p
        plan: list[tuple[SubjectSpec, float]] = []
        for s in subjects:
            lo, hi = max(s.created_at, t0), t1
            if s.kind == "livestream" and s.live_until is not None:
                hi = min(hi, s.live_until)
            if hi <= lo:
                continue
            seen = s.views_at(hi) - s.views_at(lo)
            rate = p.reports_per_view * (p.violating_report_multiplier if s.violating else 1.0)
            for _ in range(int(rng.poisson(rate * seen))):
                plan.append((s, self._time_by_views(s, lo, hi)))
        if not plan:
            return
        good = [i for i, (s, _) in enumerate(plan) if s.violating]
        bad = [i for i, (s, _) in enumerate(plan) if not s.violating]
        who = np.zeros(len(plan), dtype=int)
        for idx, weights in ((good, self.activity * self.accuracy), (bad, self.activity * (1 - self.accuracy))):
            if idx:
                who[idx] = rng.choice(len(self.viewers), size=len(idx), p=weights / weights.sum())
        for i, (s, t) in enumerate(plan):
            v = int(who[i])
            reason = s.reason if s.violating and rng.random() < p.true_reason_share else _pick(rng, MISTAKEN_MIX, 1)[0]
            assert reason is not None
            fp_net, fp_dev = self.viewer_fingerprints(v)
            self.b.report(t, self.viewers[v].id, s.id, reason, text=self.organic_text(), fp_net=fp_net,
                          fp_dev=fp_dev)

    def _time_by_views(self, s: SubjectSpec, lo: float, hi: float) -> float:
        """A time in [lo, hi] drawn in proportion to views (people report what they watch)."""
        if s.kind == "livestream":
            return float(self.rng.uniform(lo, hi))
        a = 1.0 - math.exp(-(lo - s.created_at) / s.tau)
        b = 1.0 - math.exp(-(hi - s.created_at) / s.tau)
        u = float(self.rng.uniform(a, b))
        return min(hi, max(lo, s.created_at - s.tau * math.log(max(1e-12, 1.0 - u))))

    def organic_text(self) -> str | None:
        rng = self.rng
        if rng.random() >= self.p.text_share:
            return None
        if rng.random() < 0.6:
            return CANNED_TEXTS[int(rng.integers(len(CANNED_TEXTS)))]
        return " ".join(WORDS[int(i)] for i in rng.integers(len(WORDS), size=int(rng.integers(4, 12))))

    def trusted_reports(self, subjects: Sequence[SubjectSpec], t0: float, t1: float) -> None:
        """Trusted flaggers: a small share of violating uploads, ~90 % accurate."""
        rng, p = self.rng, self.p
        hits = 0
        for s in subjects:
            if s.violating and rng.random() < p.trusted_recall:
                t = s.created_at + float(rng.lognormal(math.log(3 * HOUR), 0.8))
                if s.kind == "livestream":
                    t = s.created_at + float(rng.uniform(0.1, 0.6)) * ((s.live_until or t) - s.created_at)
                if t0 <= t <= t1:
                    assert s.reason is not None
                    self._trusted(t, s, s.reason)
                    hits += 1
        innocent = [s for s in subjects if not s.violating and s.kind != "livestream"]
        misses = int(rng.poisson(hits * (1 - p.trusted_accuracy) / p.trusted_accuracy))
        if innocent and misses:
            views = np.array([s.total_views for s in innocent])
            for i in rng.choice(len(innocent), size=misses, p=views / views.sum()):
                s = innocent[int(i)]
                t = s.created_at + float(rng.lognormal(math.log(3 * HOUR), 0.8))
                if t0 <= t <= t1:
                    self._trusted(t, s, _pick(rng, VIOLATION_MIX, 1)[0])

    def _trusted(self, t: float, s: SubjectSpec, reason: str) -> None:
        flagger = self.trusted[int(self.rng.integers(len(self.trusted)))]
        self.b.report(t, flagger.id, s.id, reason, text="Trusted flagger notice: " + reason.replace("_", " "),
                      source="trusted_flagger")

    def classifier_reports(self, subjects: Sequence[SubjectSpec], t0: float, t1: float) -> None:
        """The platform's classifiers: recall ~0.6 on their reasons, a small false-positive rate elsewhere."""
        rng, p = self.rng, self.p
        for s in subjects:
            for name, reasons in CLASSIFIERS:
                t = s.created_at + float(rng.uniform(30, 600))
                if s.violating and s.reason in reasons:
                    if rng.random() < p.classifier_recall and t0 <= t <= t1:
                        self.b.report(t, self.classifier_account, s.id, s.reason, source="automated",
                                      classifier=name, score=float(rng.uniform(0.7, 0.99)))
                elif not s.violating and rng.random() < p.classifier_false_positive_rate and t0 <= t <= t1:
                    self.b.report(t, self.classifier_account, s.id, reasons[0], source="automated",
                                  classifier=name, score=float(rng.uniform(0.55, 0.9)))

    def moderator_capacity(self, t0: float, t1: float) -> float:
        """Decisions per hour: the good-faith case arrival rate in [t0, t1] times the margin (at least 1).

        Subjects with a good-faith report stand in for cases (a decided subject reported again reopens one,
        so this slightly understates the load); attacks come on top, which is the point of an attack.
        """
        subjects = {r.line["subject"] for r in self.b.reports
                    if t0 <= r.t <= t1 and not r.line["truth"]["abusive"]}
        hours = max(1.0, (t1 - t0) / HOUR)
        return max(1.0, self.p.moderator_margin * len(subjects) / hours)


# --- attackers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attacker:
    id: str
    fp_net: str | None
    fp_dev: str | None


def make_attackers(platform: Platform, n: int, *, created_between: tuple[float, float], fingerprints: str,
                   devices: int = 0, networks: int = 0, verified_share: float = 0.0,
                   label: str = "atk") -> list[Attacker]:
    """Attack accounts. ``fingerprints``: ``shared`` (a device farm: ``devices`` phones on ``networks``
    networks), ``unique`` (residential proxies, one device each), or ``organic`` (real people: their own
    device, networks drawn like everyone's). Ids look like everyone else's."""
    rng, b = platform.rng, platform.b
    salt = stable_seed(platform.salt, label)
    out = []
    for i in range(n):
        created = float(rng.uniform(*created_between))
        account = b.add_account(AccountSpec(b.new_id("u"), created, bool(rng.random() < verified_share),
                                            followers=int(rng.lognormal(3.0, 1.2))))
        if fingerprints == "shared":
            net = opaque("net", f"{label}-{int(rng.integers(max(1, networks)))}", salt)
            dev = opaque("dev", f"{label}-{int(rng.integers(max(1, devices)))}", salt)
        elif fingerprints == "unique":
            net = opaque("net", f"{label}-proxy-{i}", salt)
            dev = opaque("dev", f"{label}-{i}", salt)
        else:
            net = opaque("net", int(min(platform.n_networks - 1, rng.zipf(1.6) - 1)), platform.salt)
            dev = opaque("dev", f"{label}-{i}", salt)
        out.append(Attacker(account.id, net, dev))
    return out


def attack_text(rng: np.random.Generator, mode: str, templates: Sequence[str]) -> str | None:
    """``template``: one of a few shared sentences; ``varied``: each its own; ``none``: no text."""
    if mode == "none":
        return None
    if mode == "template":
        return templates[int(rng.integers(len(templates)))]
    words = rng.integers(len(WORDS), size=int(rng.integers(5, 14)))
    return " ".join(WORDS[int(i)] for i in words)


def attack(platform: Platform, attackers: Sequence[Attacker], targets: Sequence[str], *, start: float,
           duration: float, share: float, reasons: Sequence[str], text: str = "none",
           templates: Sequence[str] = (), abusive: bool = True) -> int:
    """Each attacker reports each target with probability ``share``, at a uniform time in the window."""
    rng, b = platform.rng, platform.b
    n = 0
    for a in attackers:
        for target in targets:
            if rng.random() >= share:
                continue
            t = start + float(rng.uniform(0.0, duration))
            reason = reasons[int(rng.integers(len(reasons)))]
            b.report(t, a.id, target, reason, text=attack_text(rng, text, templates), fp_net=a.fp_net,
                     fp_dev=a.fp_dev, abusive=abusive)
            n += 1
    return n


def target_creator(platform: Platform, *, followers: int, age_days: float = 900.0,
                   verified: bool = False) -> AccountSpec:
    return platform.b.add_account(AccountSpec(platform.b.new_id("cr"), -age_days * DAY, verified,
                                              followers=followers))


def innocent_targets(platform: Platform, creator: AccountSpec, n: int, *, created_between: tuple[float, float],
                     kind: str = "video", views_factor: float = 1.0) -> list[SubjectSpec]:
    """Innocent uploads of one creator that an attack will target (truth: attacked, not violating)."""
    out = []
    for c in np.sort(platform.rng.uniform(*created_between, n)):
        s = platform.new_upload(float(c), creator=creator, kind=kind, violating=False, views_factor=views_factor)
        s.attacked = True
        out.append(s)
    return out


def scaled(value: float, scale: float, minimum: int) -> int:
    """An attack size at this scale, never below what the attack needs to be one."""
    return max(minimum, round(value * scale))
