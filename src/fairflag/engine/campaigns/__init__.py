"""Coordinated-report ("campaign") detection, fed one report at a time.

Mass-reporting services rotate fingerprints, buy aged accounts and spread their reports over days, so no
single signal is trusted. Seven cheap signals each *link* reporters; links feed a union-find of reporters; a
cluster's confidence combines how much of it each kind of evidence covers; a cluster with at least
``min_members`` reporters and ``detect_confidence`` is a campaign. The detector never decides whether the
reported content violates policy: a community that really does report a scam together *is* coordinated and
is grouped (bounded in triage), not silenced. Independent reporters stay ``r:<reporter>``.

Signals (each a small pure function in ``signals``; the detector only feeds them window counts):

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

After the fact (``observe_clearance``, module ``outcomes``), a moderator's clearance links who pushed it
(``cleared_push``): the owner-level push behind marked-abusive reports (:func:`brigade_after_clearance`),
pushers who kept reporting an owner's cleared content, and the repeat pushers of *thin* cleared subjects of
any owners with the accounts they met there (:func:`cleared_cohort`), each beyond what organic mistakes
explain. Reporters a moderator marked abusive are *vouched for*: three or more of them on one owner's
cleared content are a group at any size (a slow drip of a few accounts), and one on a cleared subject joins
the detected group that pushed it (or, without one, links with the subject's other vouched reporters); a
campaign smaller than ``min_members`` is detected only when every member is vouched for, so nobody is
linked by such a group on timing alone. :func:`community_verdict` demotes a campaign whose targets
moderators upheld.

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

from fairflag.engine.campaigns.detector import CampaignDetector
from fairflag.engine.campaigns.observations import CampaignSnapshot, ReportObservation, Suspicion
from fairflag.engine.campaigns.outcomes import brigade_after_clearance, cleared_cohort, community_verdict
from fairflag.engine.campaigns.policy import (
    AUTOMATION,
    BURST,
    CLEARED_PUSH,
    CO_REPORT,
    FRESH_ACCOUNT,
    FRESH_COHORT,
    LOCKSTEP,
    SHARED_DEVICE,
    SHARED_NETWORK,
    SHARED_TEXT,
    SIGNALS,
    CampaignPolicy,
)
from fairflag.engine.campaigns.signals import (
    cadence_strength,
    co_report_strength,
    co_report_weight,
    combine,
    concentration_p_value,
    exposure_burst,
    exposure_weight,
    fingerprint_strength,
    fresh_cohort_strength,
    freshness,
    lockstep_strength,
    network_strength,
    normalise_text,
    poisson_burst,
    text_key,
    text_strength,
)

__all__ = [
    "AUTOMATION", "BURST", "CLEARED_PUSH", "CO_REPORT", "FRESH_ACCOUNT", "FRESH_COHORT", "LOCKSTEP", "SHARED_DEVICE",
    "SHARED_NETWORK", "SHARED_TEXT", "SIGNALS", "CampaignDetector", "CampaignPolicy", "CampaignSnapshot",
    "ReportObservation", "Suspicion", "brigade_after_clearance", "cadence_strength", "cleared_cohort",
    "co_report_strength", "co_report_weight", "combine", "community_verdict", "concentration_p_value",
    "exposure_burst", "exposure_weight", "fingerprint_strength", "fresh_cohort_strength", "freshness",
    "lockstep_strength", "network_strength", "normalise_text", "poisson_burst", "text_key", "text_strength",
]
