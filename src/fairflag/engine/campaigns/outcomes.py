"""After-the-fact evidence from moderators' decisions: who pushed a cleared subject as a group, and whether a
detected campaign is a community that was right."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence

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
    reported two of a viral creator's videos did so whenever they watched, not both inside one push; but
    when the span is long beside the subject's organic reports (a push over many hours), that happens to
    organic viewers too, and (a) applies only while the organic reporters it would sweep in by chance are
    expected to be at most ``clearance_max_swept_share`` of the group (see the code for the estimate); and
    (b) every reporter of the subject inside the span when the span holds ``clearance_min_excess`` times
    the reports the subject's own rate outside it explains (then nearly all of them are the push). When
    fewer than ``min_members`` come together in all, the group is the marked reporters alone: three or more
    accounts a person saw report one owner's content in bad faith inside ``window_s`` are linked, and
    nobody joins a group that small on timing alone (a slow drip of a few accounts; found by slow_drip
    tune seed 4, where 4 of 11 members were marked and nobody was linked).
    """
    marked_here = {r for r in marked if r in owner_reports}
    if len(marked_here) < policy.clearance_min_marked:
        return set()
    times = [t for r in marked_here for t in owner_reports[r]]
    lo, hi = min(times), max(times)
    group = set(marked_here)
    inside: list[str] = []
    expected = 0.0  # the subject's organic first reports the span would hold at its rate outside the span
    outside_n = 0
    if first_reports:
        inside = [r for r, t in first_reports.items() if lo <= t <= hi]
        start = min(first_reports.values())
        outside_s = max(0.0, (max(now_us, hi) - start - (hi - lo)) / _US)
        outside_n = len(first_reports) - len(inside)
        span_s = max(1.0, (hi - lo) / _US)
        expected = outside_n / outside_s * span_s if outside_s > 0 else float(outside_n)
    # (a), against its base rate: an organic reporter's two reports both fall inside the span with probability
    # q**2, q the share of organic reports inside it; those with a report outside are organic, and about
    # outside * q**2 / (1 - q**2) more are inside by chance.
    within = {r for r, ts in owner_reports.items()
              if len(ts) >= 2 and r not in marked_here and all(lo <= t <= hi for t in ts)}
    outside = sum(1 for r, ts in owner_reports.items() if len(ts) >= 2 and r not in marked_here) - len(within)
    q = expected / (expected + outside_n) if expected + outside_n > 0 else 0.0
    swept = math.inf if q >= 1 else outside * q * q / (1 - q * q)
    if swept <= policy.clearance_max_swept_share * (len(group) + len(within)):
        group |= within
    if first_reports and len(inside) >= policy.clearance_min_excess * max(1.0, expected):
        group.update(inside)
    return group if len(group) >= policy.min_members else marked_here


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


def cleared_cohort(seeds: Collection[str], by_reporter: Mapping[str, Mapping[str, float]],
                   by_subject: Mapping[str, Collection[str]], policy: CampaignPolicy,
                   joins: Callable[[str, str], bool] = lambda _rid, _subject: True) -> set[str]:
    """Who pushed thin subjects moderators cleared, across owners and time (principle: the reporters of a
    cleared subject are evidence for linking after the fact, when their reports on several cleared subjects
    share structure beyond a base rate).

    A *thin* cleared subject had at least two reporters, more than its exposure explains (its
    :func:`co_report_weight` at least ``clearance_thin_weight``, the value each such subject weighs): organic
    mistaken reports follow views, so honest reporters of innocent content rarely meet on a thin subject, and
    almost never on two. ``by_reporter``: each reporter -> its thin cleared subjects (with their weights) inside
    ``window_s``; ``by_subject``: each such subject -> its reporters; ``seeds``: the reporters of the subject
    just cleared.

    A *repeat pusher* co-reported thin cleared subjects weighing ``clearance_min_subjects`` or more. The
    group grows from the seeds that are repeat pushers over their thin cleared subjects to the co-reporters
    there, and on from those that are repeat pushers too. A co-reporter that is no repeat pusher joins only
    when ``joins(reporter, subject)`` says so: the detector asks that two reporters be more than the
    subject's audience explains (a spread-out account with one report met a repeat pusher on a thin upload;
    an honest viewer who mistook a watched video a ring struck does not). It is a group when it holds
    ``clearance_min_core`` repeat pushers and ``min_members`` reporters; else nothing. O(the group's thin
    cleared subjects and their reporters), in sorted order.
    """
    def repeat(rid: str) -> bool:
        return sum(by_reporter.get(rid, {}).values()) >= policy.clearance_min_subjects

    frontier = sorted(r for r in set(seeds) if repeat(r))
    group = set(frontier)
    while frontier:
        rid = frontier.pop()
        for subject in sorted(by_reporter.get(rid, {})):
            for other in sorted(by_subject.get(subject, ())):
                if other in group:
                    continue
                if repeat(other):
                    group.add(other)
                    frontier.append(other)
                elif joins(other, subject):
                    group.add(other)
    core = sum(1 for r in group if repeat(r))
    if core < policy.clearance_min_core or len(group) < policy.min_members:
        return set()
    return group
