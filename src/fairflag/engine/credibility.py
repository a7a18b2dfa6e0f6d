"""Reporter credibility: how often this reporter's decided reports were upheld.

A Beta-Binomial estimate with a prior, decay and shrinkage per reason family::

    prior (α0, β0) = strength × (mean, 1 − mean), where mean is
        trusted_prior_mean   for trusted flaggers (and strength = trusted_prior_strength)
        young_prior_mean     for accounts younger than young_account_days
        prior_mean           otherwise (also when the platform did not say the account's age)
    overall  = (α0 + upheld) / (α0 + β0 + upheld + rejected + abusive_weight × abusive)
    family   = (upheld_f + k × overall) / (n_f + k)          k = family_shrinkage
    value    = clamp(family, floor, ceiling)

An upheld report adds the information it brought (:func:`information_credits`), not a full count.
Counts decay exponentially with ``half_life_days`` so old history counts less; time comes from the
outcomes' own timestamps, never from the wall clock. Automated sources (platform classifiers) use the
same estimate per classifier name and version. The output is bounded and moves the right way: an
upheld report never lowers it, a rejected one never raises it (property-tested).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

Outcome = Literal["upheld", "rejected", "abusive"]


@dataclass(frozen=True, slots=True)
class CredibilityPolicy:
    prior_mean: float = 0.25  # ordinary user reports are upheld ~20-30% of the time (CALIBRATION.md)
    prior_strength: float = 4.0
    young_account_days: float = 30.0
    young_prior_mean: float = 0.08
    trusted_prior_mean: float = 0.9  # trusted flaggers are > 90% accurate (YouTube, 2016)
    trusted_prior_strength: float = 20.0
    half_life_days: float = 180.0
    family_shrinkage: float = 5.0
    abusive_weight: float = 3.0  # a report confirmed abusive counts as this many rejections
    floor: float = 0.01
    ceiling: float = 0.99
    information_scale: float = 1.0  # evidence already on a case after which an upheld report earns 1/e credit
    min_information_credit: float = 0.1  # the least credit an upheld report earns


@dataclass(frozen=True, slots=True)
class Counts:
    upheld: float = 0.0
    rejected: float = 0.0
    abusive: float = 0.0

    def scaled(self, factor: float) -> Counts:
        return Counts(self.upheld * factor, self.rejected * factor, self.abusive * factor)

    def add(self, outcome: Outcome, weight: float) -> Counts:
        values = {"upheld": self.upheld, "rejected": self.rejected, "abusive": self.abusive}
        values[outcome] = max(0.0, values[outcome] + weight)
        return Counts(**values)

    @property
    def total(self) -> float:
        return self.upheld + self.rejected + self.abusive


@dataclass(frozen=True, slots=True)
class History:
    """A reporter's (or classifier's) decayed outcome counts, as of ``as_of``."""

    overall: Counts = Counts()
    by_family: dict[str, Counts] = field(default_factory=dict)
    as_of: datetime | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "overall": [self.overall.upheld, self.overall.rejected, self.overall.abusive],
            "by_family": {k: [c.upheld, c.rejected, c.abusive] for k, c in self.by_family.items()},
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, object] | None) -> History:
        if not data:
            return cls()
        overall = data.get("overall") or [0.0, 0.0, 0.0]
        fams = data.get("by_family") or {}
        as_of = data.get("as_of")
        return cls(
            overall=Counts(*overall),  # type: ignore[misc]
            by_family={k: Counts(*v) for k, v in fams.items()},  # type: ignore[union-attr]
            as_of=datetime.fromisoformat(as_of) if isinstance(as_of, str) else None,
        )


def decay(history: History, to: datetime, policy: CredibilityPolicy) -> History:
    """The same history seen from a later time: every count shrinks by 2^(−Δt / half-life)."""
    if history.as_of is None or to <= history.as_of:
        return replace(history, as_of=history.as_of if history.as_of and to < history.as_of else to)
    days = (to - history.as_of).total_seconds() / 86400.0
    factor = math.pow(0.5, days / policy.half_life_days)
    return History(
        overall=history.overall.scaled(factor),
        by_family={k: c.scaled(factor) for k, c in history.by_family.items()},
        as_of=to,
    )


def record(history: History, family: str, outcome: Outcome, at: datetime, policy: CredibilityPolicy,
           weight: float = 1.0) -> History:
    """Add one decided report (``weight=-1`` takes one back, e.g. when an appeal flips the outcome)."""
    h = decay(history, at, policy)
    fams = dict(h.by_family)
    fams[family] = fams.get(family, Counts()).add(outcome, weight)
    return History(overall=h.overall.add(outcome, weight), by_family=fams, as_of=h.as_of)


@dataclass(frozen=True, slots=True)
class Credibility:
    value: float
    components: dict[str, float | str]


def prior(policy: CredibilityPolicy, *, trusted_flagger: bool,
          account_age_days: float | None) -> tuple[float, float, str]:
    if trusted_flagger:
        mean, strength, kind = policy.trusted_prior_mean, policy.trusted_prior_strength, "trusted_flagger"
    elif account_age_days is not None and account_age_days < policy.young_account_days:
        mean, strength, kind = policy.young_prior_mean, policy.prior_strength, "young_account"
    else:
        mean, strength, kind = policy.prior_mean, policy.prior_strength, "default"
    return strength * mean, strength * (1.0 - mean), kind


def credibility(history: History, *, family: str | None, trusted_flagger: bool, account_age_days: float | None,
                at: datetime, policy: CredibilityPolicy) -> Credibility:
    h = decay(history, at, policy)
    a0, b0, kind = prior(policy, trusted_flagger=trusted_flagger, account_age_days=account_age_days)
    o = h.overall
    overall = (a0 + o.upheld) / (a0 + b0 + o.upheld + o.rejected + policy.abusive_weight * o.abusive)
    fam = h.by_family.get(family) if family else None
    if fam is not None and fam.total > 0:
        n_f = fam.upheld + fam.rejected + policy.abusive_weight * fam.abusive
        estimate = (fam.upheld + policy.family_shrinkage * overall) / (n_f + policy.family_shrinkage)
    else:
        estimate = overall
    value = min(policy.ceiling, max(policy.floor, estimate))
    return Credibility(
        value=round(value, 6),
        components={
            "prior": kind,
            "prior_mean": round(a0 / (a0 + b0), 4),
            "upheld": round(o.upheld, 3),
            "rejected": round(o.rejected, 3),
            "abusive": round(o.abusive, 3),
            "overall": round(overall, 4),
            "family": family or "",
            "family_decided": round(fam.total, 3) if fam else 0.0,
        },
    )


def information_credits(weights: Sequence[float], policy: CredibilityPolicy) -> list[float]:
    """How much credit each upheld report of a case earns, given the counted weights of the case's reports in
    the order they arrived: ``max(min_information_credit, exp(−evidence before it / information_scale))``.

    Credibility earned on violations that were already obvious is worth little: the first report on a
    violation told the platform something, the fiftieth on the same obvious violation hardly anything. A ring
    that piles onto obvious violations to build a record therefore earns little, while whoever reports first
    earns full credit. Rejected and abusive reports always count in full: being wrong is always informative.
    """
    credits = []
    before = 0.0
    for w in weights:
        credits.append(max(policy.min_information_credit, math.exp(-before / policy.information_scale)))
        before += max(0.0, w)
    return credits
