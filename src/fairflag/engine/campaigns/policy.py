"""The detector's policy: signal names, how much each kind of evidence can prove, and every threshold.

Values come from the ``[campaigns]`` table of the policy file (validated at start-up); the dataclass defaults
match the packaged file.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    clearance_max_swept_share: float = 0.05  # organic reporters a span may sweep in by chance, as a share of the group
    clearance_thin_weight: float = 0.5  # co-report weight from which a cleared subject is thin (reporters unexplained)
    clearance_min_core: int = 3  # repeat pushers of thin cleared subjects a group linked across owners needs
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
        if not 0 < self.clearance_thin_weight <= 1 or self.clearance_min_core < 1 or self.clearance_max_swept_share < 0:
            raise ValueError("need 0 < clearance_thin_weight <= 1, clearance_min_core >= 1, "
                             "clearance_max_swept_share >= 0")
        if not (0 < self.community_min_upheld_share <= 1 and 0 < self.community_attack_share <= 1):
            raise ValueError("community shares must be in (0, 1]")
        if (self.co_report_fanout < 1 or self.co_report_min_common <= 0 or self.co_report_crowd < 1
                or self.co_report_min_partners < 1 or self.co_report_full_partners < 1):
            raise ValueError("co_report counts must be positive")
        unknown = {k for k, _ in self.weights} - set(SIGNALS)
        if unknown or any(not 0 <= w <= 1 for _, w in self.weights):
            raise ValueError(f"weights must name known signals {SIGNALS} with values in [0, 1]")
