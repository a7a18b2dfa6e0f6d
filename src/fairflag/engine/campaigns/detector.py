"""The CampaignDetector facade: feeds each report into the windows, fires the signals, links reporters in a
union-find of clusters, and answers suspicions and campaign snapshots (see the package docstring)."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import Counter, deque
from collections.abc import Collection, Hashable
from datetime import datetime
from itertools import islice

from datasketch import MinHash, MinHashLSH

from fairflag.engine.campaigns.clusters import _Cluster, _lsh_params, _Reporter
from fairflag.engine.campaigns.observations import (
    _US,
    CampaignSnapshot,
    ReportObservation,
    Suspicion,
    _datetime,
    _micros,
)
from fairflag.engine.campaigns.outcomes import brigade_after_clearance, cleared_cohort
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
    poisson_burst,
    text_key,
    text_strength,
)
from fairflag.engine.campaigns.windows import _KeyedWindows, _PairCounts, _Window

_MILLI = 1000  # co-report weights are counted in thousandths, so expiry subtracts exactly what was added
_CO_REPORT_MIN_MILLI = 50  # co-reports weighing under 0.05 are not counted (nor stored) at all
_CAMPAIGNS = "c:"  # the co-report unit of every detected campaign's members (reporter units are "r:<id>")


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
        self._thin: dict[str, tuple[str, ...]] = {}  # thin cleared subject -> its reporters
        self._thin_at: dict[str, int] = {}  # thin cleared subject -> when it was cleared
        self._thin_by_reporter: dict[str, dict[str, float]] = {}  # reporter -> its thin cleared subjects, weights
        self._thin_expiry: deque[tuple[int, str]] = deque()
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
                self._vouch(rid)
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
            self._link_pushers(group, t)
            cohort = self._thin_clearance(subject_id, window, t)
            self._link_pushers(cohort - group, t)
            for cluster in list(self._touched.values()):
                if not cluster.dead:
                    self._refresh(cluster)
            vouched = self._link_vouched(window, t)
            for cluster in self._touched.values():
                if not cluster.dead:
                    self._refresh(cluster)
            return group | cohort | vouched

    def _link_vouched(self, window: _Window | None, t: int) -> set[str]:
        """Link the cleared subject's reporters a moderator marked abusive (here or on any content inside
        ``window_s``; principle: bad faith a person saw on a subject moderators cleared is evidence about the
        reporter, and two such reporters on one cleared subject pushed it together). Each joins a detected
        group already found pushing cleared content (``cleared_push``) that has members among the subject's
        reporters (the largest such, ties by key); without one, two or more are linked to each other. A
        reporter already in a detected campaign stays where it is. Nobody else is touched, so an honest
        reporter of the subject is never linked by this. O(the subject's reporters)."""
        if window is None:
            return set()
        reporters = [r for r in (self._reporters.get(rid) for rid in sorted(window.counts)) if r is not None]
        loose = [r for r in reporters if r.vouched and (r.cluster is None or not r.cluster.detected)]
        if not loose:
            return set()
        pushers: Counter[int] = Counter()
        clusters: dict[int, _Cluster] = {}
        for rep in reporters:
            cluster = rep.cluster
            if cluster is not None and cluster.detected and CLEARED_PUSH in cluster.peak:
                pushers[cluster.serial] += 1
                clusters[cluster.serial] = cluster
        for rep in loose:
            self._detach(rep)
        if pushers:
            target = min(clusters.values(), key=lambda c: (-pushers[c.serial], c.key))
            anchor = self._reporters[min(target.members)]
        elif len(loose) >= 2:
            anchor = loose[0]
        else:
            return set()
        for rep in loose:
            self._mark(rep, CLEARED_PUSH, 1.0)
            self._link(anchor, rep, CLEARED_PUSH, 1.0, t)
        return {r.rid for r in loose}

    def _vouch(self, rid: str) -> None:
        """A moderator marked one of the reporter's reports abusive: its cluster counts it as vouched for."""
        rep = self._reporters.get(rid)
        if rep is None or rep.vouched:
            return
        rep.vouched = True
        if rep.cluster is not None:
            rep.cluster.vouched += 1
            self._touch(rep.cluster)

    def _link_pushers(self, group: set[str], t: int) -> None:
        """Link a group found after the fact (``cleared_push``), each taken out of any undetected cluster first."""
        members = [self._reporters[r] for r in sorted(group) if r in self._reporters]
        for rep in members:
            self._detach(rep)
        for rep in members:
            self._mark(rep, CLEARED_PUSH, 1.0)
        for rep in members[1:]:
            self._link(members[0], rep, CLEARED_PUSH, 1.0, t)

    def _thin_clearance(self, subject_id: str, window: _Window | None, cleared_at: int) -> set[str]:
        """Remember a cleared subject whose reporters its exposure does not explain, and return the group of
        repeat pushers it completes, across owners (:func:`cleared_cohort`; empty: none). Called at the
        clearance and again by each new reporter of the subject after it (a moderator often clears a subject
        after its first report, before the rest of a spread-out push arrives). O(the subject's reporters plus
        the group)."""
        p = self.policy
        known = self._thin_at.get(subject_id) == cleared_at
        self._forget_thin(subject_id)
        if window is None or window.distinct < 2:
            return set()
        weight = co_report_weight(window.distinct, self._views.get(subject_id, 0), p)
        if weight < p.clearance_thin_weight:
            return set()
        reporters = tuple(sorted(window.counts))
        self._thin[subject_id] = reporters
        self._thin_at[subject_id] = cleared_at
        if not known:
            self._thin_expiry.append((cleared_at, subject_id))
        for rid in reporters:
            self._thin_by_reporter.setdefault(rid, {})[subject_id] = weight
        return cleared_cohort(reporters, self._thin_by_reporter, self._thin, p, self._joins)

    def _joins(self, rid: str, subject: str) -> bool:
        """Whether a reporter that is no repeat pusher joins a cleared cohort through this subject: two of its
        reporters are already more than its views explain (a thin upload), not only the crowd of pushers
        on it (a watched video a ring struck, whose audience explains an honest viewer's mistake)."""
        if co_report_weight(2, self._views.get(subject, 0), self.policy) < self.policy.clearance_thin_weight:
            return False
        return rid in self._reporters

    def _forget_thin(self, subject_id: str) -> None:
        reporters = self._thin.pop(subject_id, None)
        self._thin_at.pop(subject_id, None)
        for rid in reporters or ():
            subjects = self._thin_by_reporter.get(rid)
            if subjects is not None:
                subjects.pop(subject_id, None)
                if not subjects:
                    del self._thin_by_reporter[rid]

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
        while self._thin_expiry and self._thin_expiry[0][0] < window_cut:
            when, subject = self._thin_expiry.popleft()
            if self._thin_at.get(subject) == when:  # not cleared again since
                self._forget_thin(subject)
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
        beyond_audience = exposure_burst(burst.distinct, self._views[sid], p)
        strength = max(beyond_audience, poisson_burst(burst.distinct, earlier, span_s, p))
        if strength > 0:
            signals[BURST] = strength
            self._link_cohort(burst, BURST, strength, t, audience=beyond_audience <= 0)
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
            if history.counts.get(rid) == 1:  # a new reporter of the cleared subject
                self._link_pushers(self._thin_clearance(sid, history, cleared[1]), t)

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

    def _link_cohort(self, window: _Window, kind: str, strength: float, t: int, audience: bool = False) -> None:
        """Link the window's not-yet-linked members to its anchor (each member once per window lifetime).

        ``audience``: a burst only against the subject's own earlier rate, which its views explain (a viral
        video's crowd): the cohort holds the subject's viewers beside any push, so it never carries a detected
        campaign's label to them. Such a link is not made when it would join a detected campaign with anyone
        outside it; each member still carries the signal. (Found on brigade tune seed 2: a cleared-push group
        of 7 re-linked through a burst on the viral video swept in its 192-reporter cohort, 44 of them honest.)
        """
        anchor_id = window.anchor()
        for rid in window.pending:
            rep = self._reporters[rid]
            if anchor_id is None:
                anchor_id = rid
                self._mark(rep, kind, strength)
            elif audience and self._crosses_campaign(self._reporters[anchor_id], rep):
                self._mark(rep, kind, strength)
            else:
                self._link(self._reporters[anchor_id], rep, kind, strength, t)
            window.mark_linked(rid)
        window.pending.clear()

    @staticmethod
    def _crosses_campaign(a: _Reporter, b: _Reporter) -> bool:
        """Whether linking the two would join a detected campaign with someone outside it."""
        ca, cb = a.cluster, b.cluster
        if ca is cb:
            return False
        return (ca is not None and ca.detected) or (cb is not None and cb.detected)

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
        cluster.vouched += rep.vouched
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
        big.vouched += small.vouched
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
        cluster.vouched -= rep.vouched
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
        """Recompute confidence (module docstring formula); detection is sticky while the cluster lives. A
        cluster smaller than ``min_members`` is detected only when every member is vouched for (a moderator
        marked its report abusive) and there are ``clearance_min_marked`` of them: bad faith a person saw,
        linked after the fact (:func:`brigade_after_clearance`), needs no crowd to be a group."""
        p = self.policy
        n = len(cluster.members)
        cluster.confidence = combine(self._coverage(cluster), self._weights)
        enough = n >= p.min_members or cluster.vouched >= max(n, p.clearance_min_marked)
        if not cluster.detected and enough and cluster.confidence >= p.detect_confidence:
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

