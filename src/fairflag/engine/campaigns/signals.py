"""The signals: small pure functions of window counts (see the package docstring for each formula)."""

from __future__ import annotations

import hashlib
import math
import string
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from itertools import pairwise
from statistics import fmean, median, pstdev

from scipy.special import bdtrc, pdtrc

from fairflag.engine.campaigns.observations import _US
from fairflag.engine.campaigns.policy import CampaignPolicy

_ASCII_DROP = str.maketrans("", "", string.punctuation)  # ASCII punctuation and symbols (categories P, S)


def exposure_burst(distinct_reporters: int, views: int, policy: CampaignPolicy) -> float:
    """Burst against exposure: 0 while ``distinct <= max(burst_floor, views * plausible_report_rate)``, then
    ``log(distinct / plausible) / log(burst_full_ratio)`` capped at 1.

    A harmful livestream with 800 viewers and 5 reports is well inside the floor; 500 reporters of a
    2,000-view video (a quarter of everyone who ever saw it, in minutes) is 25x the plausible count.
    """
    plausible = max(float(policy.burst_floor), max(views, 0) * policy.plausible_report_rate)
    if distinct_reporters <= plausible:
        return 0.0
    return min(1.0, math.log(distinct_reporters / plausible) / math.log(policy.burst_full_ratio))


def poisson_burst(distinct_reporters: int, earlier_reports: int, earlier_span_s: float,
                  policy: CampaignPolicy) -> float:
    """Burst against the subject's own earlier rate, for subjects whose exposure hides a swarm.

    ``lambda = earlier_reports / earlier_span_s * burst_window_s``; fires when ``P[X >= distinct] <
    burst_p_value``, with strength ``poisson_strength_cap * min(1, -log10 p / (2 * -log10 burst_p_value))``.
    Capped, because a subject can also become newsworthy: history alone suggests, it does not prove.
    ``pdtrc(k, lam)`` is ``scipy.stats.poisson.sf(k, lam)`` without the distribution-object overhead.
    """
    if (distinct_reporters < policy.burst_floor or earlier_reports < policy.baseline_min_reports
            or earlier_span_s < policy.burst_window_s):
        return 0.0
    lam = earlier_reports / earlier_span_s * policy.burst_window_s
    p = float(pdtrc(distinct_reporters - 1, lam))
    if p >= policy.burst_p_value:
        return 0.0
    tail = -math.log10(p) if p > 0 else 300.0
    return policy.poisson_strength_cap * min(1.0, tail / (-2 * math.log10(policy.burst_p_value)))


def fingerprint_strength(distinct_reporters: int, full: int) -> float:
    """``(distinct - 1) / full`` capped at 1: two accounts on one device is already telling."""
    if distinct_reporters < 2:
        return 0.0
    return min(1.0, (distinct_reporters - 1) / full)


def concentration_p_value(here: int, elsewhere: int, owner_reporters: int, other_reporters: int) -> float:
    """How unlikely it is that ``here`` of an owner's ``owner_reporters`` share a network (or a text) that
    ``elsewhere`` of the ``other_reporters`` of everyone else's content share, if it were spread alike.

    The conditional test for two rates: of the ``here + elsewhere`` reporters on it, each lands on the owner
    with probability ``owner / (owner + other)``; the answer is ``P[Binomial >= here]``. It weighs the sample
    behind the base rate: when one owner's content draws nearly every report (a viral video), nothing
    elsewhere can tell a farm's network or template from a carrier or a canned phrase, and the answer is
    near 1 (no link); with no other reporters at all it is 1. A network seen nowhere else in a busy world
    still stands out at once (two of an owner's 2 reporters against 300 elsewhere: p ~ 4e-5).
    """
    if here < 1 or other_reporters <= 0 or owner_reporters <= 0:
        return 1.0
    share = owner_reporters / (owner_reporters + other_reporters)
    return float(bdtrc(here - 1, here + max(0, elsewhere), share))


def network_strength(distinct_reporters: int, expected: float, policy: CampaignPolicy) -> float:
    """``(distinct - 1 - expected) / 4`` capped at 1, once ``P[Poisson(expected) >= distinct] <
    network_p_value``; 0 before. With ``expected = 0`` (a network seen nowhere else) this is
    ``fingerprint_strength(distinct, 4)``."""
    if distinct_reporters < 2:
        return 0.0
    if expected > 0 and float(pdtrc(distinct_reporters - 1, expected)) >= policy.network_p_value:
        return 0.0
    return min(1.0, max(0.0, distinct_reporters - 1 - expected) / 4)


def normalise_text(text: str | None) -> str:
    """Casefold, drop punctuation and symbols (emoji included), collapse whitespace: templated reports that
    differ only in "!!!" or spacing hash alike."""
    if not text:
        return ""
    if text.isascii():  # the common case, without a Unicode lookup per character
        return " ".join(text.translate(_ASCII_DROP).lower().split())
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PS")
    return " ".join(kept.split())


def text_key(text: str | None, policy: CampaignPolicy) -> str | None:
    """A short hash of the normalised text, or None when it is empty or too short to mean anything."""
    norm = normalise_text(text)
    if len(norm) < policy.text_min_chars:
        return None
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:20]


def text_strength(distinct_reporters: int, policy: CampaignPolicy) -> float:
    """0 under ``text_min_reporters``, then ``distinct / (2 * text_min_reporters)`` capped at 1."""
    if distinct_reporters < policy.text_min_reporters:
        return 0.0
    return min(1.0, distinct_reporters / (2 * policy.text_min_reporters))


def freshness(age_days: float | None, policy: CampaignPolicy) -> float:
    """``1 - age / fresh_account_days`` for a known age under it; unknown age is not fresh (platforms that
    do not send ages must not make every reporter suspect)."""
    if age_days is None or age_days >= policy.fresh_account_days:
        return 0.0
    return min(1.0, 1.0 - max(age_days, 0.0) / policy.fresh_account_days)


def fresh_cohort_strength(fresh_reporters: int, distinct_reporters: int, policy: CampaignPolicy) -> float:
    """``share * min(1, fresh / (2 * fresh_min_count))`` once at least ``fresh_min_count`` fresh reporters
    make up ``fresh_min_share`` of a subject's recent reporters; honest newcomers are a small minority."""
    if fresh_reporters < policy.fresh_min_count or distinct_reporters <= 0:
        return 0.0
    share = fresh_reporters / distinct_reporters
    if share < policy.fresh_min_share:
        return 0.0
    return min(1.0, share * min(1.0, fresh_reporters / (2 * policy.fresh_min_count)))


def cadence_strength(times_us: Sequence[int], subjects: Sequence[str], policy: CampaignPolicy) -> float:
    """Automation from timing alone, over a reporter's last reports (times in microseconds).

    Regular: intervals' coefficient of variation ``cv <= cadence_max_cv`` gives ``0.5 + 0.5 * (1 - cv /
    max_cv)``. Fast: median interval ``m < cadence_fast_s`` across >= ``cadence_min_subjects`` different
    subjects gives ``0.5 + 0.5 * (1 - m / fast_s)``. The stronger of the two counts. People pause, read and
    scroll: their intervals vary by about their own size (cv ~ 1).
    """
    if len(times_us) < policy.cadence_min_reports:
        return 0.0
    gaps = [(b - a) / _US for a, b in pairwise(times_us)]
    strength = 0.0
    mean = fmean(gaps)
    if mean > 0:
        cv = pstdev(gaps) / mean
        if cv <= policy.cadence_max_cv:
            strength = 0.5 + 0.5 * (1.0 - cv / policy.cadence_max_cv)
    if len(set(subjects)) >= policy.cadence_min_subjects:
        mid = median(gaps)
        if mid < policy.cadence_fast_s:
            strength = max(strength, 0.5 + 0.5 * (1.0 - mid / policy.cadence_fast_s))
    return min(1.0, strength)


def lockstep_strength(a: Collection[str], b: Collection[str], policy: CampaignPolicy,
                      exposure: Callable[[str], float] | None = None) -> float:
    """Exact overlap of two target sets: 0 unless ``common >= lockstep_min_common`` and ``Jaccard >=
    lockstep_jaccard``; then ``jaccard * min(1, common / lockstep_full_common)``, so two reporters who
    happen to share the same two popular subjects count for half.

    With ``exposure`` (subject -> 0..1, see :func:`exposure_weight`), each common target counts only as much
    as its reporters exceed what its views explain: two people who both reported two videos of a viral
    creator (thousands of viewers each) share nothing an audience would not; two accounts that reported
    the same two thin videos do (Jaccard stays on the raw sets)."""
    if len(a) < len(b):
        a, b = b, a
    shared = [x for x in b if x in a]
    if len(shared) < policy.lockstep_min_common:
        return 0.0
    jaccard = len(shared) / (len(a) + len(b) - len(shared))
    if jaccard < policy.lockstep_jaccard:
        return 0.0
    common = float(len(shared)) if exposure is None else sum(exposure(x) for x in shared)
    if common < policy.lockstep_min_common:
        return 0.0
    return jaccard * min(1.0, common / policy.lockstep_full_common)


def exposure_weight(distinct_reporters: int, views: int, policy: CampaignPolicy) -> float:
    """What co-reporting a subject says about two reporters: ``max(min(1, co_report_crowd / n), min(1, n /
    max(1, views * plausible_report_rate)))``. Full for a subject few people report, or one with more
    reporters than its audience explains; little for a popular subject whose crowd its audience explains
    (two viewers of a viral creator who both reported two of its videos share only an audience)."""
    n = max(1, distinct_reporters)
    plausible = max(1.0, max(views, 0) * policy.plausible_report_rate)
    return max(min(1.0, policy.co_report_crowd / n), min(1.0, n / plausible))


def co_report_weight(distinct_reporters: int, views: int, policy: CampaignPolicy) -> float:
    """What one co-reported subject adds to a pair: ``min(1, co_report_crowd / n) * min(1, n / max(1, views *
    plausible_report_rate))``. A thin target with more reporters than its exposure explains counts 1; a
    subject with hundreds of reporters, or whose reporters its views explain, counts little."""
    n = max(1, distinct_reporters)
    plausible = max(1.0, max(views, 0) * policy.plausible_report_rate)
    return min(1.0, policy.co_report_crowd / n) * min(1.0, n / plausible)


def co_report_strength(partners: int, policy: CampaignPolicy) -> float:
    """``min(1, partners / co_report_full_partners)``: a reporter co-reporting thin targets with one other
    account is weak evidence, with many of them strong."""
    return min(1.0, max(0, partners) / policy.co_report_full_partners)


def combine(strengths: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """Noisy-OR: ``1 - prod(1 - weight_k * strength_k)``; each kind of evidence can only add, never more
    than its weight alone, and the result stays in [0, 1]."""
    miss = 1.0
    for kind, strength in strengths.items():
        miss *= 1.0 - min(1.0, max(0.0, weights.get(kind, 0.0) * strength))
    return min(1.0, max(0.0, 1.0 - miss))
