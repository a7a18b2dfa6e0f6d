"""Coordinated-report ("campaign") detection, fed one report at a time.

Mass-reporting services rotate fingerprints, buy aged accounts and spread their reports over days, so no
single signal is trusted. Seven cheap signals each *link* reporters; links feed a union-find of reporters; a
cluster's confidence combines how much of it each kind of evidence covers; a cluster with at least
``min_members`` reporters and ``detect_confidence`` is a campaign. The detector never decides whether the
reported content violates policy: a community that really does report a scam together *is* coordinated and
is grouped (bounded in triage), not silenced. Independent reporters stay ``r:<reporter>``.

Signals (each a small pure function below; the detector only feeds them window counts):

1. ``burst``: distinct reporters of a subject inside ``burst_window_s`` above what its exposure makes
   plausible, ``max(burst_floor, views * plausible_report_rate)``, or in the Poisson tail of the subject's
   own earlier report rate. Links the burst cohort (everyone reporting the subject in that window).
2. ``shared_device`` / ``shared_network``: reporters sharing a device fingerprint (anywhere), or a network
   fingerprint on the same owner's content, within ``cohort_window_s``. Networks are shared by whole
   carriers and campuses, so a network links only beyond what its share of everyone's reporters explains:
   with ``expected = share * the owner's distinct reporters`` (``share``: the network's distinct reporters
   on *other* owners' content over all reporters of other owners' content, 0 when there are none), ``k``
   reporters of the owner on one network link when the Poisson tail ``P[X >= k] < network_p_value``, with
   strength ``(k - 1 - expected) / 4`` (a farm's network, seen nowhere else: ``(k - 1) / 4`` from ``k = 2``).
   A network its share explains (a carrier with 40 % of everyone puts 5 of an owner's 12 reporters on it by
   itself) links nobody, so it cannot chain honest people into a campaign; its reporters on that owner's
   content still share one group key in triage (``net_...``, while the window lives) instead of counting as
   independent voices, as they did when such networks linked them.
3. ``fresh_account`` / ``fresh_cohort``: accounts younger than ``fresh_account_days`` (unknown age is never
   fresh); a subject whose recent reporters are mostly fresh links those fresh reporters.
4. ``shared_text``: the same normalised text (casefolded, punctuation and symbols removed, whitespace
   collapsed, at least ``text_min_chars`` long) from ``text_min_reporters`` or more reporters on the same
   owner's content. Short and empty texts ("spam", canned UI strings) do not count: independent people
   write them all the time.
5. ``automation``: a reporter whose last intervals are machine-regular (coefficient of variation at most
   ``cadence_max_cv`` over ``cadence_min_reports`` reports) or faster than anyone can watch content (median
   interval under ``cadence_fast_s`` across different subjects). A property of the reporter, no link.
6. ``lockstep`` (CopyCatch-like): reporters whose target sets inside ``window_s`` overlap with Jaccard
   >= ``lockstep_jaccard`` and >= ``lockstep_min_common`` common targets. Candidates come from MinHash LSH,
   then the exact Jaccard is checked. This is what catches an attack spread over many targets and days by
   aged accounts with unique fingerprints, as long as each member covers a good share of the target list.
7. ``co_report`` (pair co-occurrence on thin targets): an attack spread thinner still (each of 200 accounts
   reports 25 of 300 videos: two members share ~2 targets, Jaccard ~0.04) hides from lockstep, but the
   group is dense: each member shares two or more targets with most of the others, which organic reporters
   almost never do. When a reporter first reports a subject inside ``window_s``, the subject's latest
   ``co_report_fanout`` distinct reporters are read, newest first, as *units* (a reporter; or "detected
   campaigns", one unit for all their members), and each other unit adds to the pair counter of (the
   reporter's unit, that unit) once per subject::

       w(subject) = min(1, co_report_crowd / n) * min(1, n / max(1, views * plausible_report_rate))

   with ``n`` the subject's distinct reporters inside ``window_s``: many reporters, or reporters its
   exposure explains, make a co-report nearly worthless (two people reporting the same viral video is no
   evidence); weights under 0.05 are neither counted nor stored. Two reporters whose count reaches
   ``co_report_min_common`` become *partners*; each carries the signal with strength ``min(1, partners /
   co_report_full_partners)``, and the two are linked once both have ``co_report_min_partners`` partners
   (a reporter reaching that many is linked to its partners that have too). A chance pair, or a chain of
   them, thus links nobody: only a dense group does. Against the campaigns unit a subject counts only where
   campaign members are at least ``target_min_members`` and half of the subject's other latest reporters,
   and in proportion to their share (``w * members / others``); a reporter whose count reaches
   ``co_report_min_common`` joins the campaign of the newest member on the subject that tipped it (or, for
   a member's report, the reporter joins that member's campaign). This finds the accounts of a
   thin flood that each share a target or two with different members of an already detected farm; an
   honest reporter of a popular or violating video that a campaign also reports (a minority of its
   reporters) does not join. Counters, the subjects a campaign pair has counted and partner lists expire
   with the reports that made them (``window_s``).

Cluster confidence (noisy-OR over kinds of evidence)::

    coverage_k   = members carrying signal k / members
    confidence   = 1 - prod_k (1 - weight_k * coverage_k * peak_k)

where ``peak_k`` is the strongest value of signal k seen in the cluster. Coverage keeps one odd member from
lending its signal to a whole cluster; the weights (``CampaignPolicy.weights``) say how much each kind of
evidence alone can prove. Detection is sticky while the cluster lives, so a campaign key handed to triage
does not flicker. Clusters only grow by links and shrink when members fall silent for ``window_s``; they
never split (links are not stored), and peaks are not lowered when members leave: both err towards keeping
coordinated reporters grouped.

Per-report score, with ``size = min(1, members / min_members)`` (1 once the cluster is a campaign; an
unlinked reporter counts as one member)::

    score = max(cluster confidence * size, noisy-OR(the report's own signals) * (0.4 + 0.6 * size))

Coordination takes more than one account: a lone fresh or fast reporter, or two people who happened to
report the same two popular videos, stay well under a campaign's score.

Cost per ``observe`` is bounded, whatever the history: every structure is a sliding window keyed by subject,
fingerprint, text or reporter with a time-ordered expiry queue, so eviction touches only what expires
(amortized O(1) per report) and memory is proportional to the reports inside the windows. Each window
member is linked once per window lifetime; the union-find relabels the smaller cluster on merge (O(log n)
amortized per reporter); the LSH holds at most ``lockstep_lsh_per_cluster`` members of any one cluster, so
its buckets (and thus queries) stay small even during a thousand-account swarm. A co-report reads at most
``co_report_fanout`` + 1 of the subject's reporters (the newest ones, from the end of the subject's window,
whose insertion order is their first report) and adds at most that many pair-counter entries to one
time-ordered expiry queue, so it costs O(fanout) per report and the pair memory is at most
``co_report_fanout`` entries per report inside ``window_s`` (far less in practice: popular subjects weigh
under the 0.05 cut-off and add nothing); a reporter becoming dense links at most ``co_report_min_partners``
partners once. The network base rate is three more sliding windows (network, owner, everyone) of O(1) per
report. Snapshots (``drain_changes``
and friends) are O(members) per changed campaign, which is the size of what they return.

Time comes only from the observations (event time, non-decreasing in a replay; a late event is filed at the
latest time seen, so windows stay ordered). All tie-breaks use ids or insertion order, never hash
order, so the same sequence of observations always gives the same suspicions, keys and snapshots. The
detector is shared by a process, so public methods hold a lock.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import string
import threading
import unicodedata
from collections import Counter, deque
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise
from statistics import fmean, median, pstdev

from datasketch import MinHash, MinHashLSH
from scipy.special import bdtrc, pdtrc

__all__ = [
    "AUTOMATION", "BURST", "CLEARED_PUSH", "CO_REPORT", "FRESH_ACCOUNT", "FRESH_COHORT", "LOCKSTEP", "SHARED_DEVICE",
    "SHARED_NETWORK", "SHARED_TEXT", "SIGNALS", "CampaignDetector", "CampaignPolicy", "CampaignSnapshot",
    "ReportObservation", "Suspicion", "brigade_after_clearance", "cadence_strength", "co_report_strength",
    "co_report_weight", "combine", "community_verdict", "concentration_p_value", "exposure_burst", "exposure_weight",
    "fingerprint_strength", "fresh_cohort_strength", "freshness", "lockstep_strength", "network_strength",
    "normalise_text", "poisson_burst", "text_key", "text_strength",
]

BURST = "burst"
SHARED_DEVICE = "shared_device"
SHARED_NETWORK = "shared_network"
SHARED_TEXT = "shared_text"
FRESH_ACCOUNT = "fresh_account"
FRESH_COHORT = "fresh_cohort"
AUTOMATION = "automation"
LOCKSTEP = "lockstep"
CO_REPORT = "co_report"
CLEARED_PUSH = "cleared_push"
SIGNALS = (BURST, SHARED_DEVICE, SHARED_NETWORK, SHARED_TEXT, FRESH_ACCOUNT, FRESH_COHORT, AUTOMATION, LOCKSTEP,
           CO_REPORT, CLEARED_PUSH)

# How much each kind of evidence can prove on its own (see the module docstring for the formula).
# A burst far above exposure, lockstep target sets or a shared device are each close to proof of
# coordination; shared text or a shared network on one owner's content are suggestive; fresh accounts are
# common among honest newcomers and only add to other evidence. Dense co-reporting of thin targets proves a
# group once its members have many partners (its strength grows with them, see co_report_strength).
DEFAULT_WEIGHTS: tuple[tuple[str, float], ...] = (
    (BURST, 0.75), (LOCKSTEP, 0.85), (SHARED_DEVICE, 0.7), (SHARED_NETWORK, 0.5), (SHARED_TEXT, 0.5),
    (AUTOMATION, 0.6), (FRESH_ACCOUNT, 0.4), (FRESH_COHORT, 0.3), (CO_REPORT, 0.75), (CLEARED_PUSH, 0.85),
)

_ASCII_DROP = str.maketrans("", "", string.punctuation)  # ASCII punctuation and symbols (categories P, S)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_US = 1_000_000
_MILLI = 1000  # co-report weights are counted in thousandths, so expiry subtracts exactly what was added
_CO_REPORT_MIN_MILLI = 50  # co-reports weighing under 0.05 are not counted (nor stored) at all
_CAMPAIGNS = "c:"  # the co-report unit of every detected campaign's members (reporter units are "r:<id>")


@dataclass(frozen=True, slots=True)
class ReportObservation:
    report_id: str
    reporter_id: str
    subject_id: str
    owner_id: str
    reason: str
    text: str | None
    fp_net: str | None  # opaque hashes, may be None
    fp_dev: str | None
    at: datetime  # tz-aware UTC; event time (replays feed historic times in order)
    reporter_age_days: float | None  # None = unknown (never treated as fresh)
    subject_views: int
    subject_surface: str  # account | video | comment | livestream


@dataclass(frozen=True, slots=True)
class Suspicion:
    group_key: str  # reporters sharing a key on a subject count as ONE group in triage; alone: "r:<reporter>"
    score: float  # 0..1: how likely this report belongs to a coordinated campaign
    signals: dict[str, float]  # signals that fired for this report, strength 0..1 (for explanations)
    campaign_key: str | None  # key of the detected campaign this reporter belongs to, if any


@dataclass(frozen=True, slots=True)
class CampaignSnapshot:
    key: str  # stable across updates; when two clusters merge the older key is kept
    reporters: frozenset[str]
    targets: frozenset[str]  # subjects reported by at least target_min_members members (inside window_s)
    first_at: datetime
    last_at: datetime
    confidence: float  # 0..1
    evidence: dict[str, float]  # signal -> coverage * peak; plus "members" and "targets" counts
    # What the previous snapshot of this campaign said (None: the first one), so a store can add only the new
    # members and targets when it holds exactly that.
    previous_reporters: frozenset[str] | None = None
    previous_targets: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class CampaignPolicy:
    """The detector's knobs. Defaults are conservative: organic traffic must form no campaign."""

    # Windows (seconds). window_s bounds reporter target sets, subject history and cluster membership: a
    # reporter silent for that long leaves its cluster. It must cover a spread-out attack (days).
    window_s: float = 7 * 86400.0
    burst_window_s: float = 3600.0  # a burst is counted over this window
    cohort_window_s: float = 86400.0  # shared fingerprints, shared text and fresh cohorts
    # Detection.
    min_members: int = 5  # a campaign needs at least this many reporters ...
    detect_confidence: float = 0.6  # ... and this confidence
    target_min_members: int = 2  # a subject is a campaign target when this many members reported it
    # 1. burst vs exposure / baseline
    plausible_report_rate: float = 0.01  # at most 1 in 100 viewers reports a subject within a burst window
    burst_floor: int = 10  # never call fewer distinct reporters than this a burst (tiny or unknown exposure)
    burst_full_ratio: float = 10.0  # reporters / plausible at which the burst signal reaches 1
    burst_p_value: float = 1e-9  # Poisson tail against the subject's own earlier rate
    baseline_min_reports: int = 5  # earlier reports needed before the subject's own rate is trusted
    poisson_strength_cap: float = 0.5  # an anomaly against history alone cannot reach detection by itself
    # 2. shared network
    network_p_value: float = 1e-3  # Poisson tail of a network's reporters on one owner against its share elsewhere
    # 3. fresh accounts
    fresh_account_days: float = 14.0
    fresh_min_count: int = 5  # fresh reporters of one subject inside cohort_window_s ...
    fresh_min_share: float = 0.5  # ... making up at least this share of its reporters
    # 4. identical text
    text_min_reporters: int = 3
    text_min_chars: int = 12  # normalised; shorter texts are too common to mean anything
    text_p_value: float = 1e-3  # tail of the owner's share of a text's reporters against everyone else's content
    # 5. automation cadence
    cadence_history: int = 10  # the last reports looked at
    cadence_min_reports: int = 5
    cadence_max_cv: float = 0.15  # coefficient of variation of intervals at or under which timing is a machine's
    cadence_fast_s: float = 5.0  # median interval under which nobody watched what they reported ...
    cadence_min_subjects: int = 3  # ... across at least this many different subjects
    # 6. lockstep (co-reporting overlap)
    lockstep_jaccard: float = 0.5
    lockstep_min_common: int = 2
    lockstep_full_common: int = 4  # common targets at which the overlap counts in full
    lockstep_num_perm: int = 64
    lockstep_lsh_threshold: float = 0.4  # below lockstep_jaccard so LSH misses few true pairs
    lockstep_max_candidates: int = 32  # exact Jaccard checks per report (candidates already linked are free)
    lockstep_lsh_per_cluster: int = 48  # LSH entries per cluster: keeps buckets small during a swarm
    max_reports_per_reporter: int = 128  # per-reporter memory; also bounds target sets for Jaccard
    # 7. co_report (pair co-occurrence on thin targets)
    co_report_fanout: int = 32  # a new report pairs with at most this many of the subject's latest reporters
    co_report_min_common: float = 2.0  # weighted shared subjects that link a pair
    co_report_crowd: int = 20  # reporters of a subject up to which a co-report counts in full (then crowd / n)
    co_report_min_partners: int = 3  # partners each reporter of a pair needs before the pair is linked
    co_report_full_partners: int = 8  # partners at which a reporter's co_report signal is full
    # 8. outcomes (after the fact)
    clearance_min_marked: int = 3  # reporters marked abusive on an owner's cleared content that start a group
    clearance_min_excess: float = 10.0  # reports in the group's span over what the subject's rate outside explains
    clearance_min_subjects: float = 2.0  # an owner's cleared subjects (weighted by exposure) that make a pusher
    community_min_upheld: int = 2  # upheld targets before a campaign can be demoted as a community that was right
    community_min_upheld_share: float = 0.7  # share of its members' reports on its targets that were upheld
    community_attack_share: float = 0.25  # a cleared target reported by this share of members is an attack, not a slip
    weights: tuple[tuple[str, float], ...] = DEFAULT_WEIGHTS

    def __post_init__(self) -> None:
        if not 0 < self.burst_window_s <= self.cohort_window_s <= self.window_s:
            raise ValueError("need 0 < burst_window_s <= cohort_window_s <= window_s")
        if self.min_members < 2 or self.target_min_members < 1:
            raise ValueError("min_members must be >= 2 and target_min_members >= 1")
        for name in ("detect_confidence", "fresh_min_share", "lockstep_jaccard", "lockstep_lsh_threshold",
                     "poisson_strength_cap", "burst_p_value", "network_p_value", "text_p_value"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1]")
        if self.burst_full_ratio <= 1 or self.plausible_report_rate <= 0 or self.burst_floor < 1:
            raise ValueError("need burst_full_ratio > 1, plausible_report_rate > 0, burst_floor >= 1")
        if self.cadence_min_reports < 3 or self.cadence_history < self.cadence_min_reports:
            raise ValueError("need 3 <= cadence_min_reports <= cadence_history")
        if self.lockstep_min_common < 1 or self.lockstep_full_common < 1 or self.max_reports_per_reporter < 2:
            raise ValueError("lockstep counts and max_reports_per_reporter must be positive")
        if (self.clearance_min_marked < 1 or self.clearance_min_excess <= 1 or self.community_min_upheld < 1
                or self.clearance_min_subjects <= 0):
            raise ValueError("need clearance_min_marked >= 1, clearance_min_excess > 1, community_min_upheld >= 1")
        if not (0 < self.community_min_upheld_share <= 1 and 0 < self.community_attack_share <= 1):
            raise ValueError("community shares must be in (0, 1]")
        if (self.co_report_fanout < 1 or self.co_report_min_common <= 0 or self.co_report_crowd < 1
                or self.co_report_min_partners < 1 or self.co_report_full_partners < 1):
            raise ValueError("co_report counts must be positive")
        unknown = {k for k, _ in self.weights} - set(SIGNALS)
        if unknown or any(not 0 <= w <= 1 for _, w in self.weights):
            raise ValueError(f"weights must name known signals {SIGNALS} with values in [0, 1]")


# --- signals: small pure functions -------------------------------------------------------------------


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


def brigade_after_clearance(first_reports: Mapping[str, int], marked: Collection[str],
                            owner_reports: Mapping[str, Sequence[int]], now_us: int,
                            policy: CampaignPolicy) -> set[str]:
    """Who pushed a subject a moderator cleared, as a group (principle: brigade accounts that pushed a cleared
    subject are linked after the fact, for misuse handling; mistaken reporters of a popular video are not).

    ``first_reports``: each reporter of the cleared subject -> its first report (microseconds);
    ``marked``: reporters a moderator marked abusive on the owner's cleared content (bad faith a person saw);
    ``owner_reports``: each reporter -> times of its reports on the owner's cleared subjects.

    Nothing happens under ``clearance_min_marked`` marked reporters: mistakes alone never make a group. The
    marked reporters' report times span the push ``[lo, hi]``. Linked with them are (a) reporters all of
    whose reports on the owner's cleared content (two or more) fall inside that span: an organic viewer who
    reported two of a viral creator's videos did so whenever they watched, not both inside one push; and
    (b) every reporter of the subject inside the span when the span holds ``clearance_min_excess`` times
    the reports the subject's own rate outside it explains (then nearly all of them are the push). Fewer
    than ``min_members`` in all is no group.
    """
    marked_here = {r for r in marked if r in owner_reports}
    if len(marked_here) < policy.clearance_min_marked:
        return set()
    times = [t for r in marked_here for t in owner_reports[r]]
    lo, hi = min(times), max(times)
    group = set(marked_here)
    for rid, ts in owner_reports.items():
        if len(ts) >= 2 and all(lo <= t <= hi for t in ts):
            group.add(rid)
    if first_reports:
        inside = [r for r, t in first_reports.items() if lo <= t <= hi]
        start = min(first_reports.values())
        outside_s = max(0.0, (max(now_us, hi) - start - (hi - lo)) / _US)
        outside_n = len(first_reports) - len(inside)
        span_s = max(1.0, (hi - lo) / _US)
        expected = outside_n / outside_s * span_s if outside_s > 0 else float(outside_n)
        if len(inside) >= policy.clearance_min_excess * max(1.0, expected):
            group.update(inside)
    return group if len(group) >= policy.min_members else set()


def community_verdict(upheld: int, rejected: int, abusive: int, pending: int, upheld_targets: int,
                      widest_cleared_share: float, policy: CampaignPolicy) -> bool:
    """Whether a detected campaign is a community that was right (principle: the label follows the evidence
    as it arrives; a group whose targets moderators uphold is a community, not an attack).

    Counts are its members' reports on its targets by outcome. True when no member report was found
    abusive by a moderator, at least ``community_min_upheld`` targets were upheld, at least
    ``community_min_upheld_share`` of the reports were upheld (pending ones count against), and no cleared
    target was reported by ``community_attack_share`` of the members or more (a few members mistaking a
    look-alike is a slip; a share of the group on an innocent subject is a strike). A reputation ring
    reporting real violations as camouflage keeps its flag: its strike is pending, rejected by the share
    of members behind it, or marked abusive, and the verdict is taken again at every decision.
    """
    total = upheld + rejected + abusive + pending
    return (abusive == 0 and upheld_targets >= policy.community_min_upheld and total > 0
            and upheld >= policy.community_min_upheld_share * total
            and widest_cleared_share < policy.community_attack_share)


def combine(strengths: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """Noisy-OR: ``1 - prod(1 - weight_k * strength_k)``; each kind of evidence can only add, never more
    than its weight alone, and the result stays in [0, 1]."""
    miss = 1.0
    for kind, strength in strengths.items():
        miss *= 1.0 - min(1.0, max(0.0, weights.get(kind, 0.0) * strength))
    return min(1.0, max(0.0, 1.0 - miss))


# --- bounded state ------------------------------------------------------------------------------------


@functools.cache
def _lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows for the LSH: datasketch integrates for them (~10 ms), so do it once per setting."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def _micros(at: datetime) -> int:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("observation time must be timezone-aware (UTC)")
    return (at - _EPOCH) // _MICROSECOND


def _datetime(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


class _Window:
    """Reports of one key (subject, fingerprint, text) inside a sliding window, with distinct members.

    ``pending`` holds members not yet linked through this window, so a cohort link touches each member once
    per window lifetime (amortized O(1) per report) instead of rescanning the window. Most windows never
    link anyone, so the linked-member bookkeeping is created on first use.
    """

    __slots__ = ("counts", "entries", "linked", "linked_order", "pending")

    def __init__(self) -> None:
        self.entries: deque[tuple[int, str]] = deque()
        self.counts: dict[str, int] = {}
        self.pending: dict[str, None] = {}
        self.linked: set[str] | None = None
        self.linked_order: deque[str] | None = None

    @property
    def distinct(self) -> int:
        return len(self.counts)

    def add(self, t: int, member: str) -> None:
        self.entries.append((t, member))
        count = self.counts.get(member)
        if count is None:
            self.counts[member] = 1
            if self.linked is None or member not in self.linked:
                self.pending[member] = None
        else:
            self.counts[member] = count + 1

    def evict(self, cutoff: int) -> None:
        while self.entries and self.entries[0][0] < cutoff:
            _, member = self.entries.popleft()
            left = self.counts[member] - 1
            if left:
                self.counts[member] = left
            else:
                del self.counts[member]
                self.pending.pop(member, None)
                if self.linked is not None:
                    self.linked.discard(member)

    def mark_linked(self, member: str) -> None:
        if self.linked is None or self.linked_order is None:
            self.linked, self.linked_order = set(), deque()
        self.linked.add(member)
        self.linked_order.append(member)

    def anchor(self) -> str | None:
        """The earliest linked member still inside the window (each member is dropped from the front once)."""
        if self.linked is None or self.linked_order is None:
            return None
        while self.linked_order and self.linked_order[0] not in self.linked:
            self.linked_order.popleft()
        return self.linked_order[0] if self.linked_order else None


class _KeyedWindows:
    """Windows by key sharing one time-ordered expiry queue: eviction pops only expired entries (amortized
    O(1) per report) and deletes emptied keys, so memory is proportional to the reports inside the window."""

    __slots__ = ("queue", "span", "windows")

    def __init__(self, span_us: int) -> None:
        self.span = span_us
        self.windows: dict[Hashable, _Window] = {}
        self.queue: deque[tuple[int, Hashable]] = deque()

    def add(self, key: Hashable, t: int, member: str) -> _Window:
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = _Window()
        window.add(t, member)
        self.queue.append((t, key))
        return window

    def get(self, key: Hashable) -> _Window | None:
        return self.windows.get(key)

    def expire(self, cutoff: int) -> list[Hashable]:
        """Evict entries older than ``cutoff``; returns the keys that emptied."""
        gone: list[Hashable] = []
        while self.queue and self.queue[0][0] < cutoff:
            _, key = self.queue.popleft()
            window = self.windows.get(key)
            if window is None:
                continue
            window.evict(cutoff)
            if not window.entries:
                del self.windows[key]
                gone.append(key)
        return gone


class _PairCounts:
    """Weighted co-report counters of unit pairs (in thousandths) sharing one time-ordered expiry queue, like
    ``_KeyedWindows``: eviction pops only expired increments and deletes emptied pairs, so memory is
    proportional to the increments inside the window. ``linked`` remembers, for each pair that reached the
    threshold, the two reporters credited with a partner (None for a pair with a campaign), so the credit is
    taken back when the pair expires. Two reporters meet on a subject once (only first reports count), but
    a campaign meets a reporter once per member: ``seen`` keeps its subjects so each counts once."""

    __slots__ = ("counts", "linked", "queue", "seen")

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        self.linked: dict[tuple[str, str], tuple[str, str] | None] = {}
        self.seen: set[tuple[tuple[str, str], str]] = set()
        self.queue: deque[tuple[int, tuple[str, str], int, str | None]] = deque()

    def add(self, key: tuple[str, str], t: int, milli: int, subject: str | None = None) -> int:
        """Add ``milli`` to the pair; with a ``subject``, only if the pair has not counted it yet."""
        if subject is not None:
            if (key, subject) in self.seen:
                return self.counts.get(key, 0)
            self.seen.add((key, subject))
        total = self.counts.get(key, 0) + milli
        self.counts[key] = total
        self.queue.append((t, key, milli, subject))
        return total

    def expire(self, cutoff: int) -> list[tuple[str, str]]:
        """Evict increments older than ``cutoff``; returns the credited reporters of pairs that emptied."""
        gone: list[tuple[str, str]] = []
        while self.queue and self.queue[0][0] < cutoff:
            _, key, milli, subject = self.queue.popleft()
            if subject is not None:
                self.seen.discard((key, subject))
            left = self.counts[key] - milli
            if left > 0:
                self.counts[key] = left
                continue
            del self.counts[key]
            credited = self.linked.pop(key, None)
            if credited is not None:
                gone.append(credited)
        return gone


class _Reporter:
    """One reporter's recent reports (capped), target multiset, cadence and the signals it carries."""

    __slots__ = ("cadence", "cluster", "co_pairs", "in_lsh", "kinds", "last_us", "minhash", "reports", "rid",
                 "stale", "targets")

    def __init__(self, rid: str, cadence_history: int) -> None:
        self.rid = rid
        self.reports: deque[tuple[int, str]] = deque()
        self.targets: dict[str, int] = {}
        self.cadence: deque[tuple[int, str]] = deque(maxlen=cadence_history)
        self.kinds: dict[str, float] = {}
        self.cluster: _Cluster | None = None
        self.minhash: MinHash | None = None
        self.stale = False  # a target left the set: the MinHash must be rebuilt before the next use
        self.in_lsh = False
        self.last_us = 0
        self.co_pairs: dict[str, None] = {}  # reporters it passed the co-report threshold with, inside the window


class _Cluster:
    """A set of linked reporters (union-find by relabelling: O(1) find, O(smaller) union, and deletion,
    which a parent-pointer forest cannot do) with merge-friendly evidence sums."""

    __slots__ = ("aliases", "confidence", "dead", "detected", "first_us", "key", "kind_count", "last_us",
                 "lsh_count", "members", "peak", "serial")

    def __init__(self, serial: int, key: str, at_us: int) -> None:
        self.serial = serial
        self.key = key
        self.aliases: list[str] = []  # keys of clusters merged into this one
        self.members: set[str] = set()
        self.kind_count: Counter[str] = Counter()
        self.peak: dict[str, float] = {}
        self.lsh_count = 0
        self.first_us = at_us
        self.last_us = at_us
        self.confidence = 0.0
        self.detected = False
        self.dead = False


# --- the detector -------------------------------------------------------------------------------------


class CampaignDetector:
    """Incremental coordinated-campaign detector (see the module docstring)."""

    def __init__(self, policy: CampaignPolicy | None = None) -> None:
        self.policy = p = policy or CampaignPolicy()
        self._weights = dict(p.weights)
        self._lock = threading.RLock()
        self._burst_us = round(p.burst_window_s * _US)
        self._cohort_us = round(p.cohort_window_s * _US)
        self._window_us = round(p.window_s * _US)
        self._burst = _KeyedWindows(self._burst_us)  # subject -> reporters in the burst window
        self._recent = _KeyedWindows(self._cohort_us)  # subject -> reporters (fresh-share denominator)
        self._fresh = _KeyedWindows(self._cohort_us)  # subject -> fresh reporters
        self._shared = _KeyedWindows(self._cohort_us)  # device / (owner, network) / (owner, text) -> reporters
        self._networks = _KeyedWindows(self._cohort_us)  # network -> reporters (any owner): the network's share
        self._texts = _KeyedWindows(self._cohort_us)  # text key -> reporters (any owner): the text's share
        self._net_groups: dict[Hashable, str] = {}  # ("net", owner, network) -> group key, while its window lives
        self._owners = _KeyedWindows(self._cohort_us)  # owner -> reporters of the owner's content
        self._everyone = _KeyedWindows(self._cohort_us)  # "" -> every reporter
        self._history = _KeyedWindows(self._window_us)  # subject -> reporters (baseline, co_report, by subject)
        self._pairs = _PairCounts()  # (unit, unit) -> weighted co-reported subjects inside window_s
        self._views: dict[str, int] = {}
        self._cleared: dict[str, tuple[str, int]] = {}  # subject -> (owner, when) a moderator last cleared it
        self._cleared_expiry: deque[tuple[int, str]] = deque()
        self._marked: dict[str, dict[str, int]] = {}  # owner -> reporters marked abusive on its cleared content
        self._pushers: dict[str, dict[str, int]] = {}  # owner -> reporters who kept reporting its cleared content
        self._reporters: dict[str, _Reporter] = {}
        self._reporter_expiry: deque[tuple[int, str]] = deque()
        self._by_key: dict[str, _Cluster] = {}  # live keys and aliases of merged-away keys
        self._dirty: dict[int, _Cluster] = {}
        self._drained: dict[str, tuple[frozenset[str], frozenset[str], float]] = {}  # key -> last snapshot's
        self._touched: dict[int, _Cluster] = {}
        self._serial = 0
        self._now: int | None = None
        self._lsh = MinHashLSH(threshold=p.lockstep_lsh_threshold, num_perm=p.lockstep_num_perm,
                               params=_lsh_params(p.lockstep_lsh_threshold, p.lockstep_num_perm))
        self._perms = MinHash(p.lockstep_num_perm, seed=1).permutations

    # public API

    def observe(self, obs: ReportObservation) -> Suspicion:
        """Take one report into the windows, fire the signals, link, and say how suspect the report is."""
        event_us = _micros(obs.at)
        with self._lock:
            self._touched = {}
            # A late event is filed at the latest time seen, so every window stays in time order and all
            # structures evict a report together; only the cadence signal uses the event's own time.
            self._now = t = event_us if self._now is None else max(self._now, event_us)
            self._evict(t - self._burst_us, t - self._cohort_us, t - self._window_us)
            rep, changed = self._record(obs, t, event_us)
            signals, group = self._fire(obs, rep, changed, t)
            for cluster in self._touched.values():
                if not cluster.dead:
                    self._refresh(cluster)
            return self._suspicion(rep, signals, group)

    def drain_changes(self) -> list[CampaignSnapshot]:
        """Campaigns (detected clusters) created, grown, shrunk or changed in confidence since the last call,
        oldest first. A cluster that only saw another report from its members is not a change."""
        with self._lock:
            changed = [c for c in self._dirty.values() if c.detected and not c.dead]
            self._dirty = {}
            out = []
            for snap in (self._snapshot(c) for c in sorted(changed, key=lambda c: (c.first_us, c.key))):
                before = self._drained.get(snap.key)
                if before is not None and (before[0] == snap.reporters and before[1] == snap.targets
                                           and before[2] == snap.confidence):
                    continue
                self._drained[snap.key] = (snap.reporters, snap.targets, snap.confidence)
                out.append(snap if before is None else dataclasses.replace(
                    snap, previous_reporters=before[0], previous_targets=before[1]))
            return out

    def campaign(self, key: str) -> CampaignSnapshot | None:
        """The detected campaign with this key, or the one it merged into (whose key then differs)."""
        with self._lock:
            cluster = self._by_key.get(key)
            if cluster is None or cluster.dead or not cluster.detected:
                return None
            return self._snapshot(cluster)

    def campaigns_for_subject(self, subject_id: str) -> list[CampaignSnapshot]:
        """Detected campaigns with this subject among their targets (O(recent reporters of the subject))."""
        with self._lock:
            window = self._history.get(subject_id)
            if window is None:
                return []
            found: dict[int, _Cluster] = {}
            for rid in window.counts:
                rep = self._reporters.get(rid)
                cluster = rep.cluster if rep is not None else None
                if cluster is not None and cluster.detected:
                    found[cluster.serial] = cluster
            snaps = [self._snapshot(c) for c in sorted(found.values(), key=lambda c: (c.first_us, c.key))]
            return [s for s in snaps if subject_id in s.targets]

    def observe_clearance(self, subject_id: str, owner_id: str, at: datetime,
                          marked: Collection[str] = ()) -> set[str]:
        """A moderator cleared the subject (no violation); ``marked``: its reporters whose reports the
        moderator marked abusive. Links the group that pushed it (:func:`brigade_after_clearance`) with the
        ``cleared_push`` signal and returns its reporters (empty: none). Drain changes afterwards."""
        with self._lock:
            self._touched = {}
            t = _micros(at) if self._now is None else max(self._now, _micros(at))
            self._now = t
            self._cleared[subject_id] = (owner_id, t)
            self._cleared_expiry.append((t, subject_id))
            marks = self._marked.setdefault(owner_id, {})
            for rid in marked:
                marks[rid] = t
            cut = t - self._window_us
            for rid in [r for r, when in marks.items() if when < cut]:
                del marks[rid]
            window = self._history.get(subject_id)
            first: dict[str, int] = {}
            if window is not None:
                for when, rid in window.entries:
                    first.setdefault(rid, when)
            owner_reports: dict[str, list[int]] = {}
            for rid in sorted({*first, *marks}):
                rep = self._reporters.get(rid)
                if rep is None:
                    continue
                times = [when for when, sid in rep.reports if self._cleared.get(sid, ("", 0))[0] == owner_id]
                if times:
                    owner_reports[rid] = times
            group = brigade_after_clearance(first, marks, owner_reports, t, self.policy)
            members = [self._reporters[r] for r in sorted(group)]
            for rep in members:
                self._detach(rep)
            for rep in members:
                self._mark(rep, CLEARED_PUSH, 1.0)
            for rep in members[1:]:
                self._link(members[0], rep, CLEARED_PUSH, 1.0, t)
            for cluster in self._touched.values():
                if not cluster.dead:
                    self._refresh(cluster)
            return group

    def forget_before(self, t: datetime) -> None:
        """Drop every report older than ``t``; reporters with nothing left leave their clusters."""
        cutoff = _micros(t)
        with self._lock:
            self._touched = {}
            self._evict(cutoff, cutoff, cutoff)
            for cluster in self._touched.values():
                if not cluster.dead:
                    self._refresh(cluster)

    # intake and eviction

    def _record(self, obs: ReportObservation, t: int, event_us: int) -> tuple[_Reporter, bool]:
        """Add the report to its reporter; returns the reporter and whether its target set changed."""
        p = self.policy
        rep = self._reporters.get(obs.reporter_id)
        if rep is None:
            rep = self._reporters[obs.reporter_id] = _Reporter(obs.reporter_id, p.cadence_history)
        changed = obs.subject_id not in rep.targets
        rep.reports.append((t, obs.subject_id))
        rep.targets[obs.subject_id] = rep.targets.get(obs.subject_id, 0) + 1
        if len(rep.reports) > p.max_reports_per_reporter:
            _, old = rep.reports.popleft()
            changed |= self._forget_target(rep, old)
        rep.cadence.append((event_us, obs.subject_id))
        rep.last_us = max(rep.last_us, t)
        self._reporter_expiry.append((t, rep.rid))
        if rep.cluster is not None:
            rep.cluster.last_us = max(rep.cluster.last_us, t)
            self._touch(rep.cluster)
        self._views[obs.subject_id] = max(self._views.get(obs.subject_id, 0), obs.subject_views)
        return rep, changed or rep.stale

    def _forget_target(self, rep: _Reporter, subject: str) -> bool:
        left = rep.targets[subject] - 1
        if left:
            rep.targets[subject] = left
            return False
        del rep.targets[subject]
        rep.stale = True
        return True

    def _evict(self, burst_cut: int, cohort_cut: int, window_cut: int) -> None:
        self._burst.expire(burst_cut)
        self._recent.expire(cohort_cut)
        self._fresh.expire(cohort_cut)
        for key in self._shared.expire(cohort_cut):
            self._net_groups.pop(key, None)
        self._networks.expire(cohort_cut)
        self._texts.expire(cohort_cut)
        self._owners.expire(cohort_cut)
        self._everyone.expire(cohort_cut)
        for subject in self._history.expire(window_cut):
            self._views.pop(str(subject), None)
        while self._cleared_expiry and self._cleared_expiry[0][0] < window_cut:
            when, subject = self._cleared_expiry.popleft()
            if self._cleared.get(subject, ("", -1))[1] == when:  # not cleared again since
                del self._cleared[subject]
        for a, b in self._pairs.expire(window_cut):
            for one, other in ((a, b), (b, a)):
                partner = self._reporters.get(one)
                if partner is not None:
                    partner.co_pairs.pop(other, None)
        while self._reporter_expiry and self._reporter_expiry[0][0] < window_cut:
            _, rid = self._reporter_expiry.popleft()
            rep = self._reporters.get(rid)
            if rep is None:
                continue
            while rep.reports and rep.reports[0][0] < window_cut:
                _, subject = rep.reports.popleft()
                self._forget_target(rep, subject)
            if not rep.reports:
                self._drop(rep)

    def _drop(self, rep: _Reporter) -> None:
        if rep.in_lsh:
            self._lsh_remove(rep)
        if rep.cluster is not None:
            self._remove_member(rep)
        del self._reporters[rep.rid]

    # signals

    def _fire(self, obs: ReportObservation, rep: _Reporter, changed: bool,
              t: int) -> tuple[dict[str, float], str | None]:
        """Fire the signals; returns them and, for a reporter in no cluster, the key of the group its report
        belongs to on this subject anyway (a network its share explains), if any."""
        p = self.policy
        sid, rid = obs.subject_id, obs.reporter_id
        signals: dict[str, float] = {}
        group: str | None = None

        fresh = freshness(obs.reporter_age_days, p)
        is_fresh = obs.reporter_age_days is not None and obs.reporter_age_days < p.fresh_account_days
        if is_fresh:
            signals[FRESH_ACCOUNT] = fresh
            self._mark(rep, FRESH_ACCOUNT, fresh)

        # 1. burst vs exposure, then vs the subject's own earlier rate
        burst = self._burst.add(sid, t, rid)
        history = self._history.add(sid, t, rid)
        earlier = len(history.entries) - len(burst.entries)
        span_s = (t - self._burst_us - history.entries[0][0]) / _US
        strength = max(exposure_burst(burst.distinct, self._views[sid], p),
                       poisson_burst(burst.distinct, earlier, span_s, p))
        if strength > 0:
            signals[BURST] = strength
            self._link_cohort(burst, BURST, strength, t)
            self._mark(rep, BURST, strength)

        # 2. shared fingerprints
        if obs.fp_dev:
            window = self._shared.add(("dev", obs.fp_dev), t, rid)
            strength = fingerprint_strength(window.distinct, 2)
            if strength > 0:
                signals[SHARED_DEVICE] = strength
                self._link_cohort(window, SHARED_DEVICE, strength, t)
        owner = self._owners.add(obs.owner_id, t, rid)
        everyone = self._everyone.add("", t, rid)
        if obs.fp_net:
            net_key = ("net", obs.owner_id, obs.fp_net)
            window = self._shared.add(net_key, t, rid)
            network = self._networks.add(obs.fp_net, t, rid)
            if window.distinct >= 2:
                elsewhere = everyone.distinct - owner.distinct
                on_net_elsewhere = network.distinct - window.distinct
                share = on_net_elsewhere / elsewhere if elsewhere > 0 else 0.0
                strength = 0.0
                if concentration_p_value(window.distinct, on_net_elsewhere, owner.distinct,
                                         elsewhere) < p.network_p_value:
                    strength = network_strength(window.distinct, share * owner.distinct, p)
                if strength > 0:
                    signals[SHARED_NETWORK] = strength
                    self._link_cohort(window, SHARED_NETWORK, strength, t)
                else:  # explained by the network's share: grouped on this owner's content, never linked
                    group = self._net_groups.get(net_key)
                    if group is None:
                        digest = hashlib.sha256(f"{obs.owner_id}\x1f{obs.fp_net}\x1f{t}".encode()).hexdigest()[:20]
                        group = self._net_groups[net_key] = f"net_{digest}"

        # 3. fresh cohort on this subject
        recent = self._recent.add(sid, t, rid)
        fresh_window = self._fresh.add(sid, t, rid) if is_fresh else self._fresh.get(sid)
        if fresh_window is not None:
            strength = fresh_cohort_strength(fresh_window.distinct, recent.distinct, p)
            if strength > 0:
                self._link_cohort(fresh_window, FRESH_COHORT, strength, t)
                if is_fresh:
                    signals[FRESH_COHORT] = strength

        # 4. identical text on the same owner's content
        key = text_key(obs.text, p)
        if key is not None:
            window = self._shared.add(("text", obs.owner_id, key), t, rid)
            texts = self._texts.add(key, t, rid)
            strength = text_strength(window.distinct, p)
            if strength > 0 and concentration_p_value(
                    window.distinct, texts.distinct - window.distinct, owner.distinct,
                    everyone.distinct - owner.distinct) >= p.text_p_value:
                strength = 0.0  # a canned phrase everyone writes, or nothing elsewhere to compare with
            if strength > 0:
                signals[SHARED_TEXT] = strength
                self._link_cohort(window, SHARED_TEXT, strength, t)

        # 5. automation cadence (a property of the reporter)
        strength = cadence_strength([c[0] for c in rep.cadence], [c[1] for c in rep.cadence], p)
        if strength > 0:
            self._mark(rep, AUTOMATION, strength)

        # 6. lockstep target sets
        self._lockstep(rep, sid, changed, t)

        # 7. co-reports of thin targets
        self._co_report(rep, sid, history, t)

        # 8. pushing content a moderator cleared
        cleared = self._cleared.get(sid)
        if cleared is not None and cleared[1] < t:
            self._push(rep, cleared[0], t)

        for kind in (AUTOMATION, LOCKSTEP, CO_REPORT):  # reporter-level: every report of such a reporter carries them
            if kind in rep.kinds:
                signals[kind] = rep.kinds[kind]
        return signals, group

    def _push(self, rep: _Reporter, owner: str, t: int) -> None:
        """A report on a subject after a moderator cleared it (principle: brigade accounts that pushed a
        cleared subject are linked after the fact). The reporter is a *pusher* of the owner once the owner's
        cleared subjects it reported weigh ``clearance_min_subjects`` (each by :meth:`_exposure`, so two
        videos of a viral creator whose audience explains their reporters count little); ``min_members``
        pushers of one owner are linked (``cleared_push``), each taken out of any undetected cluster first.
        One viewer who reports a cleared video again, or many viewers of a popular one, make no group."""
        p = self.policy
        pushed = [s for s in rep.targets if self._cleared.get(s, ("", 0))[0] == owner]
        if sum(self._exposure(s) for s in pushed) < p.clearance_min_subjects:
            return
        pushers = self._pushers.setdefault(owner, {})
        cut = t - self._window_us
        for rid in [r for r, when in pushers.items() if when < cut or r not in self._reporters]:
            del pushers[rid]
        known = rep.rid in pushers
        pushers[rep.rid] = t
        if len(pushers) < p.min_members:
            return
        just_reached = not known and len(pushers) == p.min_members
        group = [self._reporters[r] for r in sorted(pushers)] if just_reached else [rep]
        anchor = self._reporters[min(pushers)]
        for one in group:
            self._detach(one)
        for one in group:
            self._mark(one, CLEARED_PUSH, 1.0)
            self._link(anchor, one, CLEARED_PUSH, 1.0, t)

    def _detach(self, rep: _Reporter) -> None:
        """Take a reporter out of an undetected cluster that no after-the-fact evidence formed, before it
        joins a group that stands on such evidence: links made in the moment (a burst cohort that also swept
        in viewers) are not carried along."""
        cluster = rep.cluster
        if cluster is not None and not cluster.detected and CLEARED_PUSH not in cluster.peak:
            self._remove_member(rep)

    def _lockstep(self, rep: _Reporter, subject: str, changed: bool, t: int) -> None:
        """Re-index the reporter's target set in the LSH when it changed, and link it to candidates whose
        exact overlap passes ``lockstep_strength``. At most ``lockstep_max_candidates`` exact checks per
        report (O(max_reports_per_reporter) each), in id order for determinism: candidates from other
        clusters first, then a quarter of what is left for its own cluster's members, whose only use is to
        raise the overlap's strength as target sets fill up. The reporter is (re)inserted unless its cluster
        already has ``lockstep_lsh_per_cluster`` entries: new accounts still find that cluster through them."""
        p = self.policy
        if len(rep.targets) < p.lockstep_min_common:
            if rep.in_lsh:
                self._lsh_remove(rep)
            rep.minhash = None
            return
        if not changed and rep.minhash is not None:
            return
        if rep.minhash is None or rep.stale:
            if rep.minhash is None:
                rep.minhash = MinHash(p.lockstep_num_perm, seed=1, permutations=self._perms, scheme="affine32")
            else:
                rep.minhash.clear()  # a MinHash cannot forget one element: rebuild from the current set
            rep.minhash.update_batch([s.encode("utf-8") for s in rep.targets])
            rep.stale = False
        else:
            rep.minhash.update(subject.encode("utf-8"))
        if rep.in_lsh:
            self._lsh_remove(rep)
        # Candidates outside the reporter's cluster first (they can add links), then a few inside it (they can
        # only raise the overlap's strength as target sets fill up).
        outside: list[_Reporter] = []
        inside: list[_Reporter] = []
        for rid in sorted(self._lsh.query(rep.minhash)):
            other = self._reporters.get(rid)
            if other is None or other is rep:
                continue
            (inside if rep.cluster is not None and other.cluster is rep.cluster else outside).append(other)
        budget = p.lockstep_max_candidates
        for other in [*outside[:budget], *inside[: max(0, budget - len(outside)) // 4]]:
            strength = lockstep_strength(rep.targets.keys(), other.targets.keys(), p, self._exposure)
            if strength > 0:
                self._link(other, rep, LOCKSTEP, strength, t)
        if rep.cluster is None or rep.cluster.lsh_count < p.lockstep_lsh_per_cluster:
            self._lsh.insert(rep.rid, rep.minhash)
            rep.in_lsh = True
            if rep.cluster is not None:
                rep.cluster.lsh_count += 1

    def _co_report(self, rep: _Reporter, subject: str, history: _Window, t: int) -> None:
        """Count the subject for each unit among its latest ``co_report_fanout`` other reporters and link the
        pairs that pass (module docstring, signal 7). Only a reporter's first report of the subject inside the
        window counts. The newest reporters come first (the subject's window read backwards, insertion order),
        so the result never depends on hash order. O(co_report_fanout)."""
        p = self.policy
        rid = rep.rid
        n = history.distinct
        if n < 2 or history.counts.get(rid) != 1:
            return
        milli = round(co_report_weight(n, self._views[subject], p) * _MILLI)
        if milli < _CO_REPORT_MIN_MILLI:
            return
        latest: list[tuple[_Reporter, str]] = []
        members: Counter[str] = Counter()  # campaign unit -> its members among the latest reporters
        for qid in islice(reversed(history.counts), p.co_report_fanout + 1):
            other = self._reporters.get(qid)
            if other is not None:
                unit = self._unit(other)
                latest.append((other, unit))
                if unit == _CAMPAIGNS:
                    members[unit] += 1
        mine = self._unit(rep)
        seen = {mine}
        need = round(p.co_report_min_common * _MILLI)
        for other, unit in latest:
            if unit in seen:
                continue
            seen.add(unit)
            key = (mine, unit) if mine < unit else (unit, mine)
            add, once = milli, None
            for side, party in ((mine, unit), (unit, mine)):
                if side in members:  # a campaign counts only where it holds most of the other reporters
                    held, others = members[side], len(latest) - members.get(party, 1)
                    add = add * held // others if held >= p.target_min_members and 2 * held >= others else 0
                    once = subject
            if add and self._pairs.add(key, t, add, once) >= need and key not in self._pairs.linked:
                if mine in members or unit in members:
                    self._pairs.linked[key] = None
                    self._join_campaign(rep, other, t)
                else:
                    self._pairs.linked[key] = (rid, other.rid)
                    self._pair_up(rep, other, t)

    def _pair_up(self, a: _Reporter, b: _Reporter, t: int) -> None:
        """Two reporters passed the co-report threshold: each gains a partner; they are linked once both have
        ``co_report_min_partners`` partners, and a reporter reaching that many is linked to those of its
        partners that have too (each partner list holds only pairs inside the window)."""
        p = self.policy
        a.co_pairs[b.rid] = None
        b.co_pairs[a.rid] = None
        for one in (a, b):
            self._mark(one, CO_REPORT, co_report_strength(len(one.co_pairs), p))
        dense_a, dense_b = (len(x.co_pairs) >= p.co_report_min_partners for x in (a, b))
        if dense_a and dense_b:
            self._link(a, b, CO_REPORT, 0.0, t)
        for one, dense in ((a, dense_a), (b, dense_b)):
            if dense and len(one.co_pairs) == p.co_report_min_partners:  # just became dense
                for partner_id in sorted(one.co_pairs):
                    partner = self._reporters.get(partner_id)
                    if partner is not None and len(partner.co_pairs) >= p.co_report_min_partners:
                        self._link(partner, one, CO_REPORT, 0.0, t)

    def _join_campaign(self, rep: _Reporter, other: _Reporter, t: int) -> None:
        """A reporter co-reported enough thin subjects with a detected campaign's members: it joins it (as if
        it had ``co_report_min_partners`` partners, unless it has more)."""
        p = self.policy
        for one in (rep, other):
            self._mark(one, CO_REPORT, co_report_strength(max(len(one.co_pairs), p.co_report_min_partners), p))
        self._link(other, rep, CO_REPORT, 0.0, t)

    def _exposure(self, subject: str) -> float:
        """:func:`exposure_weight` of a subject from its reporters inside ``window_s`` and its views."""
        window = self._history.get(subject)
        return exposure_weight(0 if window is None else window.distinct, self._views.get(subject, 0), self.policy)

    @staticmethod
    def _unit(rep: _Reporter) -> str:
        """Members of detected campaigns co-report as one unit (an operator often runs several farms, each
        caught on its own); anyone else, clustered or not, as themselves."""
        cluster = rep.cluster
        return _CAMPAIGNS if cluster is not None and cluster.detected else f"r:{rep.rid}"

    def _lsh_remove(self, rep: _Reporter) -> None:
        self._lsh.remove(rep.rid)
        rep.in_lsh = False
        if rep.cluster is not None:
            rep.cluster.lsh_count -= 1

    # union-find of reporters

    def _link_cohort(self, window: _Window, kind: str, strength: float, t: int) -> None:
        """Link the window's not-yet-linked members to its anchor (each member once per window lifetime)."""
        anchor_id = window.anchor()
        for rid in window.pending:
            rep = self._reporters[rid]
            if anchor_id is None:
                anchor_id = rid
                self._mark(rep, kind, strength)
            else:
                self._link(self._reporters[anchor_id], rep, kind, strength, t)
            window.mark_linked(rid)
        window.pending.clear()

    def _mark(self, rep: _Reporter, kind: str, strength: float) -> None:
        """Record that the reporter carries a signal (its strongest value) and update its cluster's sums."""
        old = rep.kinds.get(kind)
        if old is not None and old >= strength:
            return
        rep.kinds[kind] = strength
        cluster = rep.cluster
        if cluster is not None:
            if old is None:
                cluster.kind_count[kind] += 1
            if strength > cluster.peak.get(kind, 0.0):
                cluster.peak[kind] = strength
            self._touch(cluster)

    def _link(self, a: _Reporter, b: _Reporter, kind: str, strength: float, t: int) -> None:
        if a is b:
            return
        self._mark(a, kind, strength)
        self._mark(b, kind, strength)
        ca, cb = a.cluster, b.cluster
        if ca is None and cb is None:
            self._serial += 1
            digest = hashlib.sha256(f"{a.rid}\x1f{b.rid}\x1f{t}".encode()).hexdigest()[:20]
            cluster = _Cluster(self._serial, f"cmp_{digest}", min(a.last_us, b.last_us))
            self._by_key[cluster.key] = cluster
            self._add_member(cluster, a)
            self._add_member(cluster, b)
        elif ca is None:
            assert cb is not None
            self._add_member(cb, a)
        elif cb is None:
            self._add_member(ca, b)
        elif ca is not cb:
            self._merge(ca, cb)

    def _add_member(self, cluster: _Cluster, rep: _Reporter) -> None:
        cluster.members.add(rep.rid)
        rep.cluster = cluster
        for kind, strength in rep.kinds.items():
            cluster.kind_count[kind] += 1
            if strength > cluster.peak.get(kind, 0.0):
                cluster.peak[kind] = strength
        cluster.lsh_count += rep.in_lsh
        cluster.first_us = min(cluster.first_us, rep.last_us)
        cluster.last_us = max(cluster.last_us, rep.last_us)
        self._touch(cluster)

    def _merge(self, ca: _Cluster, cb: _Cluster) -> None:
        """Relabel the smaller cluster into the larger; the merged cluster keeps the older key."""
        big, small = (ca, cb) if (len(ca.members), -ca.serial) >= (len(cb.members), -cb.serial) else (cb, ca)
        older, younger = sorted((ca, cb), key=lambda c: (c.first_us, c.key))
        keep, lost = older.key, younger.key
        for rid in small.members:
            self._reporters[rid].cluster = big
        big.members |= small.members
        big.kind_count.update(small.kind_count)
        for kind, strength in small.peak.items():
            if strength > big.peak.get(kind, 0.0):
                big.peak[kind] = strength
        big.lsh_count += small.lsh_count
        big.first_us = min(big.first_us, small.first_us)
        big.last_us = max(big.last_us, small.last_us)
        big.detected = big.detected or small.detected
        big.aliases.extend([*small.aliases, lost])
        big.key = keep
        for key in (keep, lost, *small.aliases):
            self._by_key[key] = big
        small.dead = True
        small.members = set()
        self._dirty.pop(small.serial, None)
        self._touched.pop(small.serial, None)
        self._touch(big)

    def _remove_member(self, rep: _Reporter) -> None:
        cluster = rep.cluster
        assert cluster is not None
        cluster.members.discard(rep.rid)
        for kind in rep.kinds:
            cluster.kind_count[kind] -= 1
            if cluster.kind_count[kind] <= 0:
                del cluster.kind_count[kind]
        cluster.lsh_count -= rep.in_lsh
        rep.cluster = None
        if len(cluster.members) >= 2:
            self._touch(cluster)
            return
        for rid in cluster.members:  # a lone reporter is no cluster
            self._reporters[rid].cluster = None
        cluster.members = set()
        cluster.dead = True
        for key in (cluster.key, *cluster.aliases):
            self._by_key.pop(key, None)
        self._dirty.pop(cluster.serial, None)
        self._touched.pop(cluster.serial, None)

    def _touch(self, cluster: _Cluster) -> None:
        self._touched[cluster.serial] = cluster

    def _refresh(self, cluster: _Cluster) -> None:
        """Recompute confidence (module docstring formula); detection is sticky while the cluster lives."""
        p = self.policy
        n = len(cluster.members)
        cluster.confidence = combine(self._coverage(cluster), self._weights)
        if not cluster.detected and n >= p.min_members and cluster.confidence >= p.detect_confidence:
            cluster.detected = True
        self._dirty[cluster.serial] = cluster

    @staticmethod
    def _coverage(cluster: _Cluster) -> dict[str, float]:
        n = len(cluster.members)
        return {kind: min(1.0, count / n) * cluster.peak.get(kind, 0.0)
                for kind, count in sorted(cluster.kind_count.items()) if count > 0}

    # answers

    def _suspicion(self, rep: _Reporter, signals: dict[str, float], group_hint: str | None) -> Suspicion:
        local = combine(signals, self._weights)
        cluster = rep.cluster
        if cluster is None:
            group, campaign = group_hint or f"r:{rep.rid}", None
            size, from_cluster = 1 / self.policy.min_members, 0.0
        else:
            group = cluster.key
            campaign = cluster.key if cluster.detected else None
            size = 1.0 if cluster.detected else min(1.0, len(cluster.members) / self.policy.min_members)
            from_cluster = cluster.confidence * size
        score = max(from_cluster, local * (0.4 + 0.6 * size))
        return Suspicion(
            group_key=group,
            score=round(min(1.0, max(0.0, score)), 6),
            signals={k: round(min(1.0, max(0.0, v)), 4) for k, v in sorted(signals.items())},
            campaign_key=campaign,
        )

    def _snapshot(self, cluster: _Cluster) -> CampaignSnapshot:
        counts: Counter[str] = Counter()
        for rid in cluster.members:
            counts.update(self._reporters[rid].targets.keys())
        need = min(self.policy.target_min_members, len(cluster.members))
        targets = frozenset(s for s, k in counts.items() if k >= need)
        evidence = {k: round(v, 4) for k, v in self._coverage(cluster).items()}
        evidence["members"] = float(len(cluster.members))
        evidence["targets"] = float(len(targets))
        return CampaignSnapshot(
            key=cluster.key,
            reporters=frozenset(cluster.members),
            targets=targets,
            first_at=_datetime(cluster.first_us),
            last_at=_datetime(cluster.last_us),
            confidence=round(cluster.confidence, 4),
            evidence=evidence,
        )

