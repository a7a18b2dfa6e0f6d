"""The red team (``fairflag simulate --red-team``): an attacker who has read the README and the policy file
searches the attacks they control for the one that harms the most innocent subjects per account they run.

**The worlds.** Each attack is replayed in ``--worlds`` small organic worlds drawn like the held-out families'
(:func:`fairflag.sim.worlds.base.begin` with family ``redteam``: organic platform, report quality), the same for
every candidate; only the attack differs. They differ where an attack's harm does (:func:`world_specs`): the
first three have reviewers at 6, 30 and 120 decisions an hour (times ``--scale``: a night shift, a day, a
well-staffed day) and the targets' exposure ×1, ×0.3 and ×3; more are drawn. The attack's own draws come from
a generator seeded by the world's seed and the attack's parameters, so an attack is one fixed stream per world.
An attack is judged by its worst world, engine by engine.

**What the attacker controls** (:data:`SPACE`): how many accounts and how old (fresh … years), their
fingerprints (a device farm, residential proxies, real devices on ordinary networks, none), the text (none,
short canned, a shared template, varied), the reason (any reason of the policy, or a mix of the high-severity
ones), timing (a burst or a drip, cadence jitter, duration), targets (how many creators, subjects each, the
surface, their exposure, how old they are when the strike begins, so organic reports may already be there),
the share of its cell's targets each account reports, reputation building (days of accurate reports on real
violations of the attack's reason before striking) and camouflage (real violations reported during the
window). Policy-aware knobs: cells (accounts split into groups with disjoint targets, to stay under
``campaigns.min_members`` and lockstep overlap), a cap on reports per target per ``campaigns.burst_window_s``
(under ``burst_floor``), and a gap between strikes on one creator's subjects (under
``second_review.owner_surge_*``). Half the random candidates start from :func:`policy_aware`, which reads those
thresholds from the policy (just under each), ages accounts past ``credibility.young_account_days`` and
``campaigns.fresh_account_days``, jitters cadence above ``campaigns.cadence_max_cv``, builds enough reputation
to pass ``triage.credible_reporter`` and picks reasons at or above ``auto_restriction.min_severity``.

**Harm** = attacked innocent subjects restricted by any means (automatically, or by a mistaken reviewer) per
attacker account and in total; separately, automatically. Because fairflag rarely restricts anything, the search
also needs a **harm proxy** graded while nothing is restricted (:func:`harm`): expected innocents restricted,
counting, for each attacked innocent not restricted, the chance a reviewer error would have restricted it given
the decisions spent on it, and how close its evidence came to the automatic-restriction rule
(:func:`auto_progress`, read after every report by :class:`WatchingEngine`). **Cost** (:func:`cost`), in units
of one fresh account: an account aged d days costs ``1 + d / 30`` (a month of aging is worth a fresh account),
times 1.5 for a residential proxy and 2 for a real device; every report filed 0.05; every day of reputation
building 0.2 per account.

**Search** (:func:`search`): seeded and bounded by the budget of evaluations. 40 % random candidates (half
of them policy-aware), then generations of :data:`GENERATION` mutants of :data:`PARENTS` parents taken in turn
from the worst so far per account (:func:`rank`: harm, automatic harm, harm proxy, low cost) and the worst in
total (:func:`rank_total`), so a two-account attack that burns reviews does not crowd out a crowd that nearly
restricts. Each candidate is replayed through fairflag and the baselines by the suite's machinery (written as
``fairflag-events/1``, read back by the validating reader); candidates are evaluated in parallel but each is a
pure function of (parameters, seed, scale, worlds), so the result depends only on those and the budget.

**The target** (:func:`compare`): fairflag's harm per account at most 1/20 of count's on the same attack, in
every world. It is compared on the worst attacks for fairflag (per account and in total) and for count, and
each says how much the bound asked (:func:`kind`): nothing where count restricted nothing (trivially met), no
restriction at all where count restricted fewer than 20, a graded allowance only beyond.
"""

from __future__ import annotations

import math
import multiprocessing
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select

from fairflag.engine.triage import CaseEvidence, independent_sources
from fairflag.policy import SEVERITY_ORDER, Policy, load_policy
from fairflag.services import reports
from fairflag.services.context import Context
from fairflag.sim.events import Stream, read_events
from fairflag.sim.platform import (
    DAY,
    HOUR,
    AccountSpec,
    Attacker,
    SubjectSpec,
    attack_text,
    innocent_targets,
    make_attackers,
    stable_seed,
    target_creator,
)
from fairflag.sim.replay import FairflagEngine
from fairflag.sim.runner import Runner, tracked_subjects
from fairflag.sim.suite import ENGINES, RESULT_FORMAT, Prepared, prepare_scenario
from fairflag.sim.worlds.base import Lines, begin
from fairflag.store.tables import Case, Report

FAMILY = "redteam"
DESCRIPTION = "A red-team attack, searched against the published policy."
BASE_SCALE = 0.05  # --scale 1 is this world scale: a few hundred organic accounts, cheap to replay
MAX_ACCOUNTS = 800  # at world scale 1.0 (40 at the default), never fewer than MIN_ACCOUNTS
MIN_ACCOUNTS = 2
RANDOM_SHARE = 0.4
GENERATION = 8
PARENTS = 4
TOP = 5  # worst attacks kept with their full results, per ranking (per account, in total, for count)
NEAR_MISS = 0.5  # what an innocent brought all the way to the automatic-restriction rule counts, in subjects
# The worlds an attack is judged in: (reviewer decisions an hour at --scale 1, × the targets' exposure).
WORLDS: tuple[tuple[float, float], ...] = ((6.0, 1.0), (30.0, 0.3), (120.0, 3.0))
DEFAULT_WORLDS = 3
WORLD_SEED_STEP = 1000
TARGET_RATIO = 1 / 20  # fairflag's harm per account at most this share of the count baseline's
TEMPLATES = ("this creator posts disturbing content, please review", "remove this video it breaks the rules")
SHORT_TEXTS = ("remove", "report", "bad", "not ok")
FINGERPRINTS = ("farm", "proxies", "real", "none")
TEXTS = ("none", "short", "template", "varied")
KINDS = ("video", "livestream", "comment", "account")
TIMINGS = ("burst", "drip")
MIXES = ("mix_high", "mix_all")


# --- the parameter space -------------------------------------------------------------------------


@dataclass(frozen=True)
class Gene:
    """One attack parameter: ``int``/``float`` in [low, high] (log-uniform when ``log``), or a ``choice``."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    options: tuple[str, ...] = ()
    words: str = ""

    def sample(self, rng: np.random.Generator) -> Any:
        if self.kind == "choice":
            return self.options[int(rng.integers(len(self.options)))]
        if self.log:
            x = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            x = float(rng.uniform(self.low, self.high))
        return self.clip(x)

    def mutate(self, value: Any, rng: np.random.Generator) -> Any:
        if self.kind == "choice":
            others = [o for o in self.options if o != value]
            return others[int(rng.integers(len(others)))] if others else value
        if self.log:
            x = float(value) * math.exp(rng.normal(0.0, 0.6))
        else:
            x = float(value) + rng.normal(0.0, 0.25 * (self.high - self.low))
        out = self.clip(x)
        if out == value and self.kind == "int":  # an int that did not move: step by one
            out = self.clip(int(value) + (1 if rng.random() < 0.5 else -1))
        return out

    def clip(self, x: float) -> Any:
        x = min(self.high, max(self.low, x))
        return round(x) if self.kind == "int" else round(float(x), 4)


def space(policy: Policy, world_scale: float) -> tuple[Gene, ...]:
    """What the attacker controls; reasons come from the policy, the account count scales with the world."""
    reasons = tuple(r for r in policy.reasons if r != "report_abuse") + MIXES
    most = max(MIN_ACCOUNTS + 1, round(MAX_ACCOUNTS * world_scale))
    return (
        Gene("accounts", "int", MIN_ACCOUNTS, most, log=True, words="attacker accounts"),
        Gene("age_days", "float", 0.04, 1500.0, log=True, words="account age (days)"),
        Gene("fingerprints", "choice", options=FINGERPRINTS, words="fingerprints"),
        Gene("accounts_per_device", "int", 2, 30, log=True, words="accounts per farm device"),
        Gene("text", "choice", options=TEXTS, words="report text"),
        Gene("reason", "choice", options=reasons, words="reason"),
        Gene("timing", "choice", options=TIMINGS, words="timing"),
        Gene("jitter", "float", 0.0, 1.0, words="cadence jitter"),
        Gene("duration_h", "float", 0.05, 24.0, log=True, words="strike duration (h)"),
        Gene("creators", "int", 1, 4, words="creators targeted"),
        Gene("targets_per_creator", "int", 1, 8, words="subjects per creator"),
        Gene("kind", "choice", options=KINDS, words="surface"),
        Gene("exposure", "float", 0.1, 10.0, log=True, words="targets' exposure (× usual views)"),
        Gene("target_age_h", "float", 0.2, 72.0, log=True, words="target age at the strike (h)"),
        Gene("share", "float", 0.05, 1.0, words="share of its cell's targets each account reports"),
        Gene("cell_size", "int", 1, most, log=True, words="accounts per cell (disjoint targets)"),
        Gene("per_target_cap", "int", 1, 200, log=True, words="reports per target per burst window"),
        Gene("owner_gap_h", "float", 0.0, 6.0, words="gap between one creator's targets (h)"),
        Gene("rep_days", "float", 0.0, 4.0, words="days of reputation building"),
        Gene("rep_reports", "int", 0, 12, words="accurate reports per account before striking"),
        Gene("cover_reports", "int", 0, 5, words="real violations reported per account in the window"),
    )


Attack = dict[str, Any]


def sample(genes: Sequence[Gene], rng: np.random.Generator) -> Attack:
    return {g.name: g.sample(rng) for g in genes}


def policy_aware(base: Attack, genes: Sequence[Gene], policy: Policy, rng: np.random.Generator) -> Attack:
    """An attack that stays just under each published threshold (each trick applied with probability 0.7)."""
    by_name = {g.name: g for g in genes}
    c, s, cred = policy.campaigns, policy.second_review, policy.credibility
    severities = list(policy.severities)
    floor = severities.index(policy.auto_restriction.min_severity)
    severe = [r for r, spec in policy.reasons.items()
              if severities.index(spec.severity) >= floor and r != "report_abuse"]
    surge_gap_h = s.owner_surge_window_s / HOUR / max(1, s.owner_surge_subjects - 1)
    tricks: dict[str, Callable[[], Any]] = {
        "cell_size": lambda: max(1, c.min_members - 1),
        "per_target_cap": lambda: max(1, c.burst_floor - 1),
        "age_days": lambda: max(cred.young_account_days, c.fresh_account_days) * float(rng.uniform(1.1, 4.0)),
        "jitter": lambda: min(1.0, c.cadence_max_cv * float(rng.uniform(2.0, 6.0))),
        "timing": lambda: "drip",
        "text": lambda: "varied" if rng.random() < 0.5 else "short",
        "owner_gap_h": lambda: surge_gap_h * float(rng.uniform(1.0, 1.5)),
        "targets_per_creator": lambda: max(1, min(s.owner_surge_subjects - 1, 8)),
        "fingerprints": lambda: "real" if rng.random() < 0.5 else "proxies",
        "reason": lambda: severe[int(rng.integers(len(severe)))] if severe else "mix_high",
        "rep_days": lambda: float(rng.uniform(2.0, 4.0)),
        "rep_reports": lambda: int(rng.integers(6, 13)),
    }
    out = dict(base)
    for name, trick in tricks.items():
        if rng.random() < 0.7 and name in by_name:
            value = trick()
            gene = by_name[name]
            out[name] = value if gene.kind == "choice" else gene.clip(value)
    return out


def mutate(parent: Attack, genes: Sequence[Gene], rng: np.random.Generator) -> Attack:
    """Each gene moves with probability 2/len (at least one moves)."""
    child = dict(parent)
    moved = [g for g in genes if rng.random() < 2.0 / len(genes)] or [genes[int(rng.integers(len(genes)))]]
    for g in moved:
        child[g.name] = g.mutate(child[g.name], rng)
    return child


def describe(attack: Attack) -> str:
    """The attack in words, for tables and the report."""
    a = attack
    fp = {"farm": f"a device farm ({a['accounts_per_device']} accounts/device)", "proxies": "residential proxies",
          "real": "real devices", "none": "no fingerprints"}[a["fingerprints"]]
    rep = (f"{a['rep_days']:.1f} d of reputation building ({a['rep_reports']} accurate reports each), "
           if a["rep_days"] > 0 and a["rep_reports"] > 0 else "")
    return (f"{a['accounts']} accounts aged {_age(a['age_days'])} on {fp}; {rep}"
            f"{a['timing']} over {a['duration_h']:.1f} h (jitter {a['jitter']:.2f}) on {a['creators']} creator(s) × "
            f"{a['targets_per_creator']} {a['kind']}(s) (exposure ×{a['exposure']:.1f}, "
            f"{a['target_age_h']:.1f} h old), "
            f"reason {a['reason']}, text {a['text']}, cells of {a['cell_size']}, share {a['share']:.2f}, "
            f"≤{a['per_target_cap']}/target/burst window, {a['owner_gap_h']:.1f} h between a creator's targets, "
            f"{a['cover_reports']} cover reports each")


def _age(days: float) -> str:
    if days < 1:
        return f"{days * 24:.0f} h"
    if days < 60:
        return f"{days:.0f} d"
    return f"{days / 365:.1f} y" if days >= 365 else f"{days / 30:.0f} mo"


def cost(attack: Attack, reports: int) -> float:
    """What the attack cost, in fresh accounts (see the module docstring)."""
    per_account = (1.0 + float(attack["age_days"]) / 30.0) * {"proxies": 1.5, "real": 2.0}.get(
        attack["fingerprints"], 1.0)
    rep_days = float(attack["rep_days"]) if int(attack["rep_reports"]) > 0 else 0.0
    n = int(attack["accounts"])
    return round(n * per_account + 0.05 * reports + 0.2 * rep_days * n, 3)


# --- one attack as a stream ----------------------------------------------------------------------


def _reasons(attack: Attack, policy: Policy) -> tuple[str, ...]:
    reason = str(attack["reason"])
    if reason not in MIXES:
        return (reason,)
    pool = [r for r in policy.reasons if r != "report_abuse"]
    if reason == "mix_all":
        return tuple(pool)
    severities = list(policy.severities)
    floor = severities.index(policy.auto_restriction.min_severity)
    return tuple(r for r in pool if severities.index(policy.reasons[r].severity) >= floor) or tuple(pool)


def _text(rng: np.random.Generator, mode: str) -> str | None:
    if mode == "short":
        return SHORT_TEXTS[int(rng.integers(len(SHORT_TEXTS)))]
    return attack_text(rng, mode, TEMPLATES)


def build(attack: Attack, seed: int, world_scale: float, policy: Policy, world: WorldSpec | None = None) -> Lines:
    """The fixed organic world of (seed, scale) with this attack in it, as ``fairflag-events/1`` lines. With a
    ``world``, its reviewer capacity replaces the drawn one and the targets' exposure is multiplied by its
    own (the organic world is drawn from ``seed`` all the same)."""
    w = begin(FAMILY, seed, world_scale)
    if world is not None:
        w.per_hour = world.per_hour
        w.note(per_hour=world.per_hour, world_index=world.index, world_exposure=world.exposure)
    platform = w.platform
    platform.organic(0.0, w.horizon_s)
    rng = np.random.default_rng(stable_seed("redteam-attack", seed, repr(float(world_scale)),
                                            repr(sorted(attack.items()))))
    platform.rng = rng  # the organic world is drawn: everything from here on is the attack's
    w.rng = rng
    a = attack
    n = int(a["accounts"])
    age = float(a["age_days"]) * DAY
    created = (-age * 1.25, -age * 0.8)
    fp = str(a["fingerprints"])
    if fp == "farm":
        accounts = make_attackers(platform, n, created_between=created, fingerprints="shared",
                                  devices=max(1, math.ceil(n / int(a["accounts_per_device"]))),
                                  networks=max(1, math.ceil(n / 50)), label="redteam")
    else:
        accounts = make_attackers(platform, n, created_between=created,
                                  fingerprints={"proxies": "unique", "real": "organic"}.get(fp, "unique"),
                                  label="redteam")
        if fp == "none":
            accounts = [Attacker(x.id, None, None) for x in accounts]
    reasons = _reasons(a, policy)
    horizon = w.horizon_s
    start = min(0.5 * horizon, 3 * HOUR + float(rng.uniform(0, 3 * HOUR)))
    # Reputation building: accurate reports on real violations of the attack's reasons, before the window.
    rep_days, rep_reports = float(a["rep_days"]), int(a["rep_reports"])
    if rep_days > 0 and rep_reports > 0:
        history = [platform.new_upload(float(t), creator=_small_creator(platform), violating=True, kind="video",
                                       reason=reasons[int(rng.integers(len(reasons)))], views_factor=0.05)
                   for t in sorted(rng.uniform(-rep_days * DAY, max(-HOUR, -0.05 * rep_days * DAY), rep_reports + 2))]
        platform.user_reports(history, -rep_days * DAY, 0.0)
        _accurate(platform, accounts, history, rep_reports, rng, -rep_days * DAY, -60.0)
    if int(a["cover_reports"]) > 0:
        cover = [platform.new_upload(float(t), creator=_small_creator(platform), violating=True, kind="video",
                                     views_factor=0.05)
                 for t in sorted(rng.uniform(0, horizon - HOUR, max(2, 2 * int(a["cover_reports"]))))]
        platform.user_reports(cover, 0.0, horizon)
        _accurate(platform, accounts, cover, int(a["cover_reports"]), rng, start, horizon)
    # Targets: innocent subjects of one or more creators, attacked creator by creator.
    kind = str(a["kind"])
    per_creator = 1 if kind == "account" else int(a["targets_per_creator"])
    target_age = float(a["target_age_h"]) * HOUR
    targets: list[tuple[SubjectSpec, float]] = []  # (subject, when its strike starts)
    for _ in range(int(a["creators"])):
        creator = target_creator(platform, followers=int(rng.lognormal(8.0, 1.0)),
                                 age_days=float(rng.uniform(60, 2000)))
        subjects = innocent_targets(platform, creator, per_creator, kind=kind,
                                    views_factor=float(a["exposure"]) * (1.0 if world is None else world.exposure),
                                    created_between=(start - target_age * 1.2, start - target_age * 0.8))
        for j, s in enumerate(subjects):
            begins = start + j * float(a["owner_gap_h"]) * HOUR
            if kind == "livestream":
                s.created_at = begins - min(target_age, 1800.0)
                s.live_until = s.created_at + 3 * HOUR
            targets.append((s, begins))
    platform.user_reports([s for s, _ in targets], 0.0, horizon)
    filed = _strike(platform, accounts, targets, a, reasons, rng, policy.campaigns.burst_window_s)
    w.note(accounts=n, attack_reports=filed, attack_size=n, targets=len(targets))
    return w.finish(DESCRIPTION)


def _small_creator(platform: Any) -> AccountSpec:
    """An ordinary creator (a few hundred followers) whose real violations the attackers report. The attackers
    find them early (``views_factor`` 0.05 on these uploads), so organic reports on them stay few and an
    evaluation stays cheap."""
    return target_creator(platform, followers=int(platform.rng.lognormal(5.0, 1.0)),
                          age_days=float(platform.rng.uniform(30, 1000)))


def _accurate(platform: Any, accounts: Sequence[Attacker], pool: Sequence[SubjectSpec], k: int,
              rng: np.random.Generator, lo: float, hi: float) -> None:
    """Each account reports ``k`` of the real violations in ``pool`` accurately (good faith, as camouflage)."""
    for member in accounts:
        for i in rng.choice(len(pool), size=min(len(pool), k), replace=False):
            s = pool[int(i)]
            t = min(hi, max(lo, s.created_at + float(rng.lognormal(math.log(2 * HOUR), 0.7))))
            assert s.reason is not None
            platform.b.report(t, member.id, s.id, s.reason, fp_net=member.fp_net, fp_dev=member.fp_dev)


def _strike(platform: Any, accounts: Sequence[Attacker], targets: Sequence[tuple[SubjectSpec, float]],
            a: Attack, reasons: Sequence[str], rng: np.random.Generator, burst_window_s: float) -> int:
    """Accounts in cells with disjoint targets; each reports a share of its cell's targets (at least one),
    timed as a burst or a drip, at most ``per_target_cap`` per burst window on each target."""
    n_cells = max(1, math.ceil(len(accounts) / int(a["cell_size"])))
    plan: dict[int, list[Attacker]] = {}
    for c in range(n_cells):
        members = accounts[c::n_cells]
        mine = ([i for i in range(len(targets)) if i % n_cells == c] if n_cells <= len(targets)
                else [c % len(targets)])
        for member in members:
            chosen = [i for i in mine if rng.random() < float(a["share"])]
            if not chosen:
                chosen = [mine[int(rng.integers(len(mine)))]]
            for i in chosen:
                plan.setdefault(i, []).append(member)
    duration = float(a["duration_h"]) * HOUR
    cap = int(a["per_target_cap"])
    filed = 0
    for i, reporters in sorted(plan.items()):
        subject, begins = targets[i]
        m = len(reporters)
        if a["timing"] == "burst":
            times = sorted(begins + rng.uniform(0.0, duration, m))
        else:  # a drip: evenly spaced, each interval jittered
            times = sorted(begins + duration * (k + 0.5 + float(a["jitter"]) * (float(rng.uniform()) - 0.5)) / m
                           for k in range(m))
        for k in range(cap, m):  # at most `cap` in any burst window: push later reports back
            times[k] = max(times[k], times[k - cap] + burst_window_s)
        order = rng.permutation(m)
        for k, t in enumerate(times):
            member = reporters[int(order[k])]
            before = len(platform.b.reports)
            platform.b.report(float(t), member.id, subject.id, reasons[int(rng.integers(len(reasons)))],
                              text=_text(rng, str(a["text"])), fp_net=member.fp_net, fp_dev=member.fp_dev,
                              abusive=True)
            filed += len(platform.b.reports) - before
    return filed


# --- the worlds an attack is judged in ------------------------------------------------------------


@dataclass(frozen=True)
class WorldSpec:
    """One world an attack is replayed in: the organic world's seed, reviewer decisions an hour (already
    times ``--scale``) and a multiplier on the targets' exposure."""

    index: int
    seed: int
    per_hour: float
    exposure: float


def world_specs(seed: int, n: int, scale: float = 1.0) -> tuple[WorldSpec, ...]:
    """The ``n`` worlds of a search: :data:`WORLDS` first (a night shift, a low-reach day, a well-staffed viral
    day), then worlds drawn from a generator seeded by (seed, index): reviewers log-uniform in 6–120 an hour,
    exposure ×0.3–3. World ``k`` is drawn from seed ``seed + WORLD_SEED_STEP × k``; reviewer capacity scales
    with ``--scale`` like the held-out worlds' (never below one decision an hour)."""
    if n < 1:
        raise ValueError("worlds must be at least 1")
    out = []
    for k in range(n):
        if k < len(WORLDS):
            per_hour, exposure = WORLDS[k]
        else:
            rng = np.random.default_rng(stable_seed("redteam-world", seed, k))
            per_hour = math.exp(rng.uniform(math.log(6.0), math.log(120.0)))
            exposure = math.exp(rng.uniform(math.log(0.3), math.log(3.0)))
        out.append(WorldSpec(k, seed + WORLD_SEED_STEP * k, round(max(1.0, per_hour * scale), 2),
                             round(exposure, 3)))
    return tuple(out)


# --- evaluating one attack -----------------------------------------------------------------------


def _generate(attack: Attack, policy_file: str | None, world: WorldSpec | None, _name: str, seed: int,
              world_scale: float) -> Lines:
    return build(attack, seed, world_scale, _load(policy_file), world)


def _load(policy_file: str | None) -> Policy:
    return load_policy(policy_file) if policy_file else load_policy()


def auto_progress(ev: CaseEvidence, severity: str, live: bool, policy: Policy) -> float:
    """How close a case's evidence is to the automatic-restriction rule (:func:`fairflag.engine.triage.
    auto_restriction`), 0–1: the binding one of its conditions as a share of what it asks (credible severity,
    independent credible units, their evidence; on a live surface also the live rule's, the better of the two).
    1 means the rule is met but something else (a detected campaign, implausible exposure) held it back."""
    a = policy.auto_restriction
    if not a.enabled:
        return 0.0
    rank = SEVERITY_ORDER.index(severity) + 1 if severity in SEVERITY_ORDER else 0

    def sev(minimum: str) -> float:
        return min(1.0, rank / (SEVERITY_ORDER.index(minimum) + 1))

    classifiers = [c for c in ev.classifiers.values() if float(c["w"]) >= a.classifier_min]
    units = ev.individual.credible_n + len(classifiers)
    evidence = ev.individual.credible_s + sum(float(c["w"]) for c in classifiers)
    best = min(sev(a.min_severity), units / a.min_independent, evidence / a.min_evidence)
    if live:
        sources = independent_sources(ev)
        aged = 1.0 if any(c.get("aged") for c in sources) else 0.5
        best = max(best, min(sev(a.live_min_severity), len(sources) / a.live_min_independent,
                             sum(float(c["w"]) for c in sources) / a.live_min_evidence, aged))
    return round(min(1.0, max(0.0, best)), 4)


class WatchingEngine(FairflagEngine):
    """fairflag's replay, also noting each attacked innocent subject's closest approach to automatic
    restriction (:func:`progress`, after every report on it) and the second reviews its cases took. It reads
    what the services stored; it changes nothing they do."""

    def __init__(self, stream: Stream, workdir: Path, *, seed: int, policy: Policy, track: frozenset[str],
                 watch: frozenset[str]) -> None:
        super().__init__(stream, workdir, seed=seed, policy=policy, track=track)
        self.policy = policy
        self.watch = watch
        self.peak: dict[str, float] = {}

    def _file(self, ctx: Context, body: reports.ReportIn, accounts: list[str], subject: bool) -> tuple[str, float]:
        report_id, priority = super()._file(ctx, body, accounts, subject)
        if body.subject_id in self.watch:
            row = ctx.session.get(Report, report_id)
            case = None if row is None else ctx.session.get(Case, row.case_id)
            if case is not None:
                state = self.subjects[body.subject_id]
                p = auto_progress(CaseEvidence.from_json(case.evidence), case.severity,
                             state.ev.kind == "livestream" and state.live, self.policy)
                self.peak[body.subject_id] = max(self.peak.get(body.subject_id, 0.0), p)
        return report_id, priority

    def second_reviews(self) -> int:
        """Cases of attacked innocents that asked a second moderator (one more review each)."""
        if not self.watch:
            return 0
        with self.db.reader() as session:
            return int(session.scalar(select(func.count()).select_from(Case).where(
                Case.subject_id.in_(sorted(self.watch)), Case.first_opinion_by.is_not(None))) or 0)


def _replay_fairflag(prepared: Prepared, policy_file: str | None) -> dict[str, Any]:
    """:func:`fairflag.sim.suite.run_job` with a :class:`WatchingEngine`: the same output plus ``peaks`` and
    ``second_reviews``."""
    policy = _load(policy_file)
    stream = read_events(Path(prepared.path), policy)
    watch = frozenset(s for s, ev in stream.subjects.items()
                      if ev.truth is not None and ev.truth.attacked and not ev.truth.violating)
    with tempfile.TemporaryDirectory(prefix="fairflag-redteam-ff-") as workdir:
        engine = WatchingEngine(stream, Path(workdir), seed=prepared.seed, policy=policy,
                                track=tracked_subjects(stream), watch=watch)
        try:
            output = Runner(stream, engine, seed=prepared.seed).run().as_json()
            output["peaks"] = dict(sorted(engine.peak.items()))
            output["second_reviews"] = engine.second_reviews()
        finally:
            engine.close()
    return output


def harm(result: Mapping[str, Any], accounts: int, fp: float = 0.0) -> dict[str, Any]:
    """One engine's harm on one attack in one world.

    Restricted (any means, automatically) and reviewer decisions spent on the attacked innocents, and the
    graded **harm proxy**, in expected innocent subjects restricted: 1 for each attacked innocent the engine
    restricted automatically; for each other one, the chance a reviewer error restricts it given the decisions
    it took (``1 - (1 - fp)^decisions``, ``fp`` the world's reviewer false-positive rate; an upper bound where a
    second review is needed), plus, for the rest of the chance, :data:`NEAR_MISS` × its peak progress² towards
    automatic restriction (fairflag only: ``peaks`` from :class:`WatchingEngine`). A reviewer's mistaken
    restriction counts by its chance, not its outcome: the simulated reviewers' coins are fixed per subject
    name and review, so the outcome rewards an attack for landing on an unlucky name (every engine alike),
    while the chance rewards it for what it made the engine do. So an attack that brought an innocent to one
    credible report short of automatic restriction, or put it before reviewers again and again, ranks above one
    that did nothing, though neither restricted anything."""
    m = result["metrics"]
    restricted = int(m.get("attacked_innocent_restricted") or 0)
    auto = int(m.get("attacked_innocent_restricted_by_auto") or 0)
    decisions = round(float(m.get("decision_share_attacked_innocent") or 0.0) * int(m.get("decisions") or 0))
    peaks: Mapping[str, float] = result.get("peaks") or {}
    subjects = [s for s in result.get("subjects") or [] if s.get("attacked") and s.get("violating") is False]
    error_risk = near = 0.0
    for s in subjects:
        if s.get("first_restricted_t") is not None and s.get("restricted_by") == "auto":
            continue
        p_err = 1.0 - (1.0 - fp) ** int(s.get("decisions") or 0)
        error_risk += p_err
        near += (1.0 - p_err) * NEAR_MISS * float(peaks.get(s["subject"], 0.0)) ** 2
    # Without per-subject records (a compacted result) the outcome is all there is.
    proxy = auto + error_risk + near if subjects else float(restricted)
    out = {"restricted": restricted, "auto": auto, "decisions": decisions,
           "attacked_innocent": int(m.get("attacked_innocent") or 0),
           "harm_per_account": round(restricted / accounts, 6), "auto_per_account": round(auto / accounts, 6),
           "decisions_per_account": round(decisions / accounts, 6),
           "error_risk": round(error_risk, 6), "near_miss": round(near, 6), "proxy": round(proxy, 6),
           "proxy_per_account": round(proxy / accounts, 6)}
    if "peaks" in result:
        out["peak_progress"] = round(max(peaks.values(), default=0.0), 4)
        out["second_reviews"] = int(result.get("second_reviews") or 0)
    return out


def _world_rank(h: Mapping[str, Any]) -> tuple[float, ...]:
    return (h.get("proxy_per_account", h["decisions_per_account"]), h["auto_per_account"], h["harm_per_account"])


def _worst_world(hs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """An engine's worst case over the worlds: each measure's maximum, and ``world``, the world with the
    highest harm proxy."""
    out: dict[str, Any] = {k: max(h[k] for h in hs) for k in hs[0] if k != "world"}
    out["world"] = max(hs, key=lambda h: (*_world_rank(h), -h["world"]))["world"]
    return out


def evaluate(index: int, phase: str, attack: Attack, seed: int, world_scale: float, policy_file: str | None,
             worlds: Sequence[WorldSpec] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Replay one attack through fairflag and the baselines in each world: (its trace entry, the scenario
    entry of its worst world for fairflag). The entry's ``engines`` hold each engine's worst world (``world``
    names it); ``worlds`` every world's harm, fairflag/count ratio and whether the 1/20 bound holds there."""
    started = time.perf_counter()
    baselines = [e for e in ENGINES if e != "fairflag"]
    accounts = int(attack["accounts"])
    per_world: list[dict[str, Any]] = []
    scenarios: dict[int, dict[str, Any]] = {}
    for spec in worlds or (None,):
        k = 0 if spec is None else spec.index
        world_seed = seed if spec is None else spec.seed
        with tempfile.TemporaryDirectory(prefix="fairflag-redteam-") as tmp:
            prepared, outputs = prepare_scenario(f"{FAMILY}-{index}-w{k}", world_seed, world_scale, tmp, policy_file,
                                                 baselines, partial(_generate, attack, policy_file, spec))
            outputs["fairflag"] = _replay_fairflag(prepared, policy_file)
        fp = float((prepared.moderators or {}).get("error_false_positive") or 0.0)
        reports = int(prepared.labels.get("world", {}).get("attack_reports") or 0)
        engines = {e: {**harm(outputs[e], accounts, fp), "world": k} for e in ENGINES}
        per_world.append({"world": k, "seed": world_seed, "per_hour": (prepared.moderators or {}).get("per_hour"),
                          "exposure": 1.0 if spec is None else spec.exposure, "attack_reports": reports,
                          "reports": prepared.reports, "engines": engines,
                          "ratio": _ratio(engines), "met": _bound(engines)})
        for out in outputs.values():
            out.pop("peaks", None)
        scenarios[k] = {"scenario": prepared.name, "description": describe(attack), "events": prepared.events,
                        "reports": prepared.reports, "horizon_s": prepared.horizon_s,
                        "moderators": prepared.moderators, **prepared.labels, "attack": attack, "world_index": k,
                        "results": [outputs[e] for e in ENGINES]}
    worst = {e: _worst_world([w["engines"][e] for w in per_world]) for e in ENGINES}
    reports = max(w["attack_reports"] for w in per_world)
    entry = {"index": index, "phase": phase, "attack": attack, "accounts": accounts, "attack_reports": reports,
             "cost": cost(attack, reports), "reports": sum(w["reports"] for w in per_world),
             "engines": worst, "worlds": per_world, "wall_s": round(time.perf_counter() - started, 3)}
    return entry, scenarios[worst["fairflag"]["world"]]


def rank(entry: Mapping[str, Any]) -> tuple[float, ...]:
    """How bad an attack is for fairflag per attacker account (bigger is worse), in its worst world: the
    graded harm proxy (decisions spent, for entries without one), automatic harm, harm, then low cost."""
    ff = entry["engines"]["fairflag"]
    return (*_world_rank(ff), -entry["cost"], -entry["index"])


def rank_total(entry: Mapping[str, Any]) -> tuple[float, ...]:
    """How bad an attack is for fairflag in total, whatever it cost in accounts: the harm proxy, innocents
    restricted automatically, by any means, then low cost."""
    ff = entry["engines"]["fairflag"]
    return (ff.get("proxy", ff["decisions"]), ff["auto"], ff["restricted"], -entry["cost"], -entry["index"])


def rank_count(entry: Mapping[str, Any]) -> tuple[float, ...]:
    """How bad an attack is for the count baseline per account (what the 1/20 target compares to)."""
    c = entry["engines"]["count"]
    return (c["harm_per_account"], c["restricted"], -entry["index"])


def _ratio(engines: Mapping[str, Any]) -> float | None:
    count = engines["count"]["harm_per_account"]
    return None if count == 0 else round(engines["fairflag"]["harm_per_account"] / count, 6)


def _bound(engines: Mapping[str, Any]) -> bool:
    """fairflag's harm per account at most 1/20 of count's (no harm under either: met)."""
    return engines["fairflag"]["harm_per_account"] <= TARGET_RATIO * engines["count"]["harm_per_account"]


def _worlds(entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """An entry's worlds (an entry from before there were several: its one world)."""
    return entry.get("worlds") or [{"engines": entry["engines"], "world": 0}]


def ratio(entry: Mapping[str, Any]) -> float | None:
    """fairflag's harm per account over the count baseline's on the same attack, in the world where it is
    worst (None when count did no harm in any world)."""
    ratios = [r for w in _worlds(entry) if (r := _ratio(w["engines"])) is not None]
    return max(ratios) if ratios else None


def _met(entry: Mapping[str, Any]) -> bool:
    """The 1/20 bound holds in every world the attack was replayed in."""
    return all(_bound(w["engines"]) for w in _worlds(entry))


def kind(entry: Mapping[str, Any]) -> str:
    """How much the 1/20 bound asks of fairflag on this attack: ``vacuous`` (count restricted no attacked
    innocent in any world: there is nothing to be 1/20 of), ``zero`` (count restricted fewer than 20 in every
    world, so 1/20 of it is less than one subject: the bound asks fairflag for none), ``graded`` (somewhere
    count restricted 20 or more, so fairflag may restrict some and still meet it)."""
    most = max(int(w["engines"]["count"]["restricted"]) for w in _worlds(entry))
    if most == 0:
        return "vacuous"
    return "graded" if most * TARGET_RATIO >= 1 else "zero"


def compare(trace: Sequence[Mapping[str, Any]], n: int = TOP) -> dict[str, Any]:
    """The target comparison: the ``n`` worst attacks for fairflag per account, the ``n`` worst in total and
    the ``n`` worst for count per account, each with fairflag/count in its worst world, whether the bound
    holds in every world, and how much it asked (:func:`kind`)."""
    chosen: dict[int, list[str]] = {}
    for why, key in (("fairflag per account", rank), ("fairflag in total", rank_total), ("count", rank_count)):
        for e in sorted(trace, key=key, reverse=True)[:n]:
            chosen.setdefault(int(e["index"]), []).append(why)
    by_index = {int(e["index"]): e for e in trace}
    attacks = []
    for i, why in sorted(chosen.items()):
        e = by_index[i]
        attacks.append({"index": i, "worst_for": why, "accounts": e["accounts"], "ratio": ratio(e),
                        "met": _met(e), "kind": kind(e),
                        "fairflag_restricted": max(int(w["engines"]["fairflag"]["restricted"]) for w in _worlds(e)),
                        "count_restricted": max(int(w["engines"]["count"]["restricted"]) for w in _worlds(e))})
    kinds = {k: sum(1 for a in attacks if a["kind"] == k) for k in ("vacuous", "zero", "graded")}
    return {"attacks": attacks, "compared": len(attacks), "met_on": sum(1 for a in attacks if a["met"]),
            **{f"{k}": v for k, v in kinds.items()},
            "met_graded": sum(1 for a in attacks if a["met"] and a["kind"] == "graded")}


# --- the search ----------------------------------------------------------------------------------


Progress = Callable[[int, int], None]  # (evaluations done, budget)
Evaluation = tuple[dict[str, Any], dict[str, Any]]  # (trace entry, scenario entry)
EvalArgs = tuple[int, str, Attack, int, float, str | None, tuple[WorldSpec, ...]]
Evaluator = Callable[[EvalArgs], Evaluation]


def parents(trace: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The next generation's parents: the worst so far per account and the worst in total, alternating (so
    a two-account attack that burns reviews does not crowd out a crowd that nearly restricts)."""
    lists = [sorted(trace, key=rank, reverse=True), sorted(trace, key=rank_total, reverse=True)]
    out: list[Mapping[str, Any]] = []
    seen: set[int] = set()
    pos = [0, 0]
    while len(out) < PARENTS and any(p < len(lst) for p, lst in zip(pos, lists, strict=True)):
        for j, lst in enumerate(lists):
            while pos[j] < len(lst) and int(lst[pos[j]]["index"]) in seen:
                pos[j] += 1
            if pos[j] < len(lst) and len(out) < PARENTS:
                out.append(lst[pos[j]])
                seen.add(int(lst[pos[j]]["index"]))
    return out


def search(budget: int, *, seed: int, scale: float = 1.0, workers: int = 1, policy_file: str | None = None,
           worlds: int = DEFAULT_WORLDS, progress: Progress | None = None,
           evaluator: Evaluator | None = None) -> dict[str, Any]:
    """Random then evolutionary search for the worst attack, ``budget`` evaluations (each in ``worlds``
    worlds); the suite's JSON shape (the worst attacks, each in its worst world, as ``scenarios``) plus a
    ``red_team`` object with the trace. ``evaluator`` (default: :func:`evaluate` on its argument tuple) must be
    a module-level function when ``workers`` > 1."""
    if budget < 1:
        raise ValueError("budget must be at least 1")
    started = time.perf_counter()
    policy = _load(policy_file)
    world_scale = BASE_SCALE * scale
    specs = world_specs(seed, worlds, scale)
    genes = space(policy, world_scale)
    rng = np.random.default_rng(stable_seed("redteam-search", seed, repr(float(scale)), budget))
    trace: list[dict[str, Any]] = []
    kept: dict[int, dict[str, Any]] = {}  # scenarios of the attacks that may be reported
    pool = _pool(workers)
    call = evaluator or _evaluate_star

    def keep(scenario: dict[str, Any], entry: dict[str, Any]) -> None:
        kept[int(entry["index"])] = scenario
        wanted = {int(e["index"]) for key in (rank, rank_total, rank_count)
                  for e in sorted(trace, key=key, reverse=True)[:TOP]}
        for i in list(kept):
            if i not in wanted:
                del kept[i]

    def run(batch: list[tuple[str, Attack]]) -> None:
        first = len(trace)
        args = [(first + i, phase, attack, seed, world_scale, policy_file, specs)
                for i, (phase, attack) in enumerate(batch)]
        results = pool.map(call, args) if pool is not None else map(call, args)
        for entry, scenario in results:
            trace.append(entry)
            keep(scenario, entry)
            if progress is not None:
                progress(len(trace), budget)

    try:
        n_random = max(1, min(budget, math.ceil(budget * RANDOM_SHARE)))
        batch = []
        for i in range(n_random):
            attack = sample(genes, rng)
            if i % 2 == 1:
                batch.append(("policy-aware", policy_aware(attack, genes, policy, rng)))
            else:
                batch.append(("random", attack))
        run(batch)
        while len(trace) < budget:
            chosen = parents(trace)
            size = min(GENERATION, budget - len(trace))
            run([("mutant", mutate(chosen[i % len(chosen)]["attack"], genes, rng)) for i in range(size)])
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    worst = max(trace, key=rank)
    worst_total = max(trace, key=rank_total)
    by_count = max(trace, key=rank_count)
    order = sorted(kept, key=lambda i: rank(trace[i]), reverse=True)
    scenarios = [kept[i] for i in order]
    wall = time.perf_counter() - started
    comparison = compare(trace)
    return {
        "format": RESULT_FORMAT, "seed": seed, "scale": scale, "engines": list(ENGINES),
        "policy_version": policy.full_version, "wall_s": round(wall, 3),
        "reports": sum(s["reports"] for s in scenarios), "scenarios": scenarios,
        "red_team": {
            "budget": budget, "evaluations": len(trace), "world_scale": world_scale, "world_seed": seed,
            "worlds": [{"world": w.index, "seed": w.seed, "per_hour": w.per_hour, "exposure": w.exposure}
                       for w in specs],
            "space": [{"name": g.name, "words": g.words, "kind": g.kind,
                       **({"options": list(g.options)} if g.kind == "choice" else
                          {"low": g.low, "high": g.high, "log": g.log})} for g in genes],
            "cost_model": "accounts × (1 + age_days/30) × (1.5 proxies, 2 real devices) + 0.05 × reports filed"
                          " + 0.2 × reputation-building days × accounts",
            "harm_proxy": "restricted automatically + Σ over the other attacked innocents of P(a reviewer error "
                          f"restricts it given its decisions) + (1 − that) × {NEAR_MISS} × its peak progress to "
                          "automatic restriction² (fairflag); each measure's worst world",
            "worst": worst["index"], "worst_ratio": ratio(worst),
            "worst_total": worst_total["index"], "worst_total_ratio": ratio(worst_total),
            "worst_for_count": by_count["index"], "worst_for_count_ratio": ratio(by_count),
            "max_fairflag_harm_per_account": max(e["engines"]["fairflag"]["harm_per_account"] for e in trace),
            "max_fairflag_proxy_per_account": max(e["engines"]["fairflag"].get("proxy_per_account", 0.0)
                                                  for e in trace),
            "max_fairflag_proxy": max(e["engines"]["fairflag"].get("proxy", 0.0) for e in trace),
            "max_fairflag_restricted": max(e["engines"]["fairflag"]["restricted"] for e in trace),
            "max_count_harm_per_account": by_count["engines"]["count"]["harm_per_account"],
            "target": {"max_ratio": TARGET_RATIO, "met": all(_met(e) for e in trace),
                       "attacks_over_target": sum(1 for e in trace if not _met(e)),
                       "attacks_harming_under_fairflag": sum(
                           1 for e in trace if e["engines"]["fairflag"]["restricted"] > 0),
                       "attacks_harming_under_count": sum(1 for e in trace if e["engines"]["count"]["restricted"] > 0),
                       "kinds": {k: sum(1 for e in trace if kind(e) == k) for k in ("vacuous", "zero", "graded")},
                       "comparison": comparison},
            "trace": trace,
        },
    }


def _evaluate_star(args: EvalArgs) -> Evaluation:
    return evaluate(*args)


def _pool(workers: int) -> ProcessPoolExecutor | None:
    if workers <= 1:
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


__all__ = ["BASE_SCALE", "DEFAULT_WORLDS", "TARGET_RATIO", "WORLDS", "Gene", "WatchingEngine", "WorldSpec",
           "auto_progress", "build", "compare", "cost", "describe", "evaluate", "harm", "kind", "mutate", "parents",
           "policy_aware", "rank", "rank_count", "rank_total", "ratio", "sample", "search", "space", "world_specs"]
