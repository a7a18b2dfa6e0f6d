"""What the detector takes in (one report) and gives back (a suspicion per report, campaign snapshots), and
the microsecond time base every window uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_US = 1_000_000


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


def _micros(at: datetime) -> int:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("observation time must be timezone-aware (UTC)")
    return (at - _EPOCH) // _MICROSECOND


def _datetime(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)
