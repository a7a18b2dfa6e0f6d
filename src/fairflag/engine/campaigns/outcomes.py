"""After-the-fact evidence from moderators' decisions: who pushed a cleared subject as a group, and whether a
detected campaign is a community that was right."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from fairflag.engine.campaigns.observations import _US
from fairflag.engine.campaigns.policy import CampaignPolicy


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
