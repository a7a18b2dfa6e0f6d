"""Quality metrics: pure functions over per-subject and per-reporter outcomes (REPLAY_FORMAT.md's output,
plus the truth and review counts the runner adds to each record).

Definitions (every rate is ``None`` when its denominator is 0, so "nothing to measure" never reads as 0 %):

* attacked innocent subjects: ``attacked`` and not ``violating``; *wrongly restricted* when restricted by any
  means at any time (``first_restricted_t`` set), automatically or by a mistaken reviewer.
* time to action: from a violating subject's first report to its first restriction by any means. A violating
  subject never actioned counts with the time up to the horizon (censored: a lower bound), so an engine cannot
  look fast by never acting; how many there were is reported too. Median is the usual median; p95 is the
  nearest-rank percentile (the ``ceil(0.95 * n)``-th smallest value).
* reviewer effort: decisions per true violation = all decisions / violating subjects a reviewer actioned;
  the share of decisions spent on attacked innocent subjects; repeat decisions (a subject decided again because
  new reports reopened it after a decision) and the most decisions any one subject took.
* overturned restrictions: automatic restrictions that ended without a reviewer finding a violation (cleared
  on review, or lifted when a campaign was detected behind them), over all automatic restrictions.
* campaign detection, by reporter account: precision and recall of ``flagged`` against ``abusive`` (the
  reporter filed at least one report in bad faith). ``None`` for engines without a detector.
* honest reporters wrongly warned or suspended: reporters with no bad-faith report whose reports were
  nonetheless warned about or suspended (``None`` for engines without misuse handling).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Record = Mapping[str, Any]


def ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the ``ceil(p/100 * n)``-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def attacked_innocent(subjects: Iterable[Record]) -> list[Record]:
    return [s for s in subjects if s.get("attacked") and s.get("violating") is False]


def wrongful_restrictions(subjects: Iterable[Record]) -> dict[str, Any]:
    """Attacked innocent subjects restricted at all; also every innocent reported subject, attacked or not."""
    subjects = list(subjects)
    attacked = attacked_innocent(subjects)
    hit = [s for s in attacked if s.get("first_restricted_t") is not None]
    innocent = [s for s in subjects if s.get("violating") is False and s.get("first_report_t") is not None]
    innocent_hit = [s for s in innocent if s.get("first_restricted_t") is not None]
    return {
        "attacked_innocent": len(attacked),
        "attacked_innocent_restricted": len(hit),
        "attacked_innocent_restricted_rate": ratio(len(hit), len(attacked)),
        "attacked_innocent_restricted_by_auto": sum(1 for s in hit if s.get("restricted_by") == "auto"),
        "attacked_innocent_restricted_hours": round(sum(float(s.get("restricted_s") or 0) for s in attacked) / 3600,
                                                    3),
        "innocent_reported": len(innocent),
        "innocent_restricted": len(innocent_hit),
        "innocent_restricted_rate": ratio(len(innocent_hit), len(innocent)),
    }


def action_times(subjects: Iterable[Record], horizon_s: float) -> list[float]:
    """Seconds from first report to first restriction of each reported violating subject, censored at the
    horizon for those never actioned."""
    out = []
    for s in subjects:
        first = s.get("first_report_t")
        if s.get("violating") is not True or first is None:
            continue
        restricted = s.get("first_restricted_t")
        out.append(max(0.0, (restricted if restricted is not None else horizon_s) - first))
    return out


def time_to_action(subjects: Iterable[Record], horizon_s: float, prefix: str = "tta") -> dict[str, Any]:
    subjects = list(subjects)
    times = action_times(subjects, horizon_s)
    never = sum(1 for s in subjects if s.get("violating") is True and s.get("first_report_t") is not None
                and s.get("first_restricted_t") is None)
    return {f"{prefix}_n": len(times), f"{prefix}_median_s": median(times), f"{prefix}_p95_s": percentile(times, 95),
            f"{prefix}_never_actioned": never}


def reviewer_effort(subjects: Iterable[Record]) -> dict[str, Any]:
    subjects = list(subjects)
    total = sum(int(s.get("decisions") or 0) for s in subjects)
    found = sum(1 for s in subjects if s.get("violating") is True and int(s.get("violation_decisions") or 0) > 0)
    on_attacked = sum(int(s.get("decisions") or 0) for s in attacked_innocent(subjects))
    per_subject = [int(s.get("decisions") or 0) for s in subjects]
    return {"decisions": total, "true_violations_actioned_by_review": found,
            "decisions_per_true_violation": ratio(total, found),
            "decision_share_attacked_innocent": ratio(on_attacked, total),
            "repeat_decisions": sum(max(0, n - 1) for n in per_subject),
            "max_decisions_one_subject": max(per_subject, default=0)}


def overturned(subjects: Iterable[Record]) -> dict[str, Any]:
    subjects = list(subjects)
    auto = sum(int(s.get("auto_restrictions") or 0) for s in subjects)
    over = sum(int(s.get("overturned") or 0) for s in subjects)
    return {"auto_restrictions": auto, "restrictions_overturned": over, "overturned_rate": ratio(over, auto)}


def campaign_detection(reporters: Iterable[Record]) -> dict[str, Any]:
    reporters = list(reporters)
    if not reporters or any(r.get("flagged") is None for r in reporters):
        return {"flagged_reporters": None, "abusive_reporters": sum(1 for r in reporters if r.get("abusive")),
                "campaign_precision": None, "campaign_recall": None}
    flagged = {r["reporter"] for r in reporters if r.get("flagged")}
    abusive = {r["reporter"] for r in reporters if r.get("abusive")}
    both = len(flagged & abusive)
    return {"flagged_reporters": len(flagged), "abusive_reporters": len(abusive),
            "campaign_precision": ratio(both, len(flagged)), "campaign_recall": ratio(both, len(abusive))}


def misuse(reporters: Iterable[Record], handled: bool = True) -> dict[str, Any]:
    reporters = list(reporters)
    honest = [r for r in reporters if not r.get("abusive")]
    abusive = [r for r in reporters if r.get("abusive")]
    if not handled:
        return {"honest_wrongly_sanctioned": None, "honest_wrongly_sanctioned_rate": None,
                "abusive_sanctioned": None}
    wrong = sum(1 for r in honest if r.get("misuse") in ("warned", "suspended"))
    return {"honest_wrongly_sanctioned": wrong, "honest_wrongly_sanctioned_rate": ratio(wrong, len(honest)),
            "abusive_sanctioned": sum(1 for r in abusive if r.get("misuse") in ("warned", "suspended"))}


def throughput(run: Mapping[str, Any]) -> dict[str, Any]:
    wall = float(run.get("wall_s") or 0.0)
    reports = int(run.get("reports") or 0)
    return {"reports": reports, "dropped_reports": run.get("dropped_reports", 0), "wall_s": round(wall, 3),
            "reports_per_s": None if wall <= 0 else round(reports / wall, 1)}


TIMING_KEYS = ("wall_s", "reports_per_s")  # the only metrics that differ between identical runs


def compute(subjects: Sequence[Record], reporters: Sequence[Record], run: Mapping[str, Any]) -> dict[str, Any]:
    """Every metric for one engine on one stream."""
    horizon = float(run["horizon_s"])
    live = [s for s in subjects if s.get("kind") == "livestream"]
    scam = [s for s in subjects if s.get("cohort") == "legit_scam"]
    out: dict[str, Any] = {}
    out.update(wrongful_restrictions(subjects))
    out.update(time_to_action(subjects, horizon))
    out.update(time_to_action(live, horizon, "tta_live"))
    out.update(time_to_action(scam, horizon, "tta_legit_scam"))
    out["violating_reported"] = out["tta_n"]
    out["violating_never_actioned"] = out["tta_never_actioned"]
    out.update(reviewer_effort(subjects))
    out.update(overturned(subjects))
    out.update(campaign_detection(reporters))
    out["campaigns"] = run.get("campaigns")
    out["reviews"] = run.get("reviews")  # reviewer slots spent, first opinions included
    out["opinions"] = run.get("opinions", 0)  # reviews not final: first opinions, disagreements awaiting a third
    out.update(misuse(reporters, handled=bool(run.get("misuse_handling", True))))
    out.update(throughput(run))
    return out
