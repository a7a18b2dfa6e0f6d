"""What each policy key and event kind means: the words of the generated references (docs/configuration.md,
docs/events.md; see :mod:`fairflag.docgen`). Keys, defaults and the order come from the models themselves
(:class:`fairflag.policy.Policy`, the packaged default policy, :class:`fairflag.domain.events.EventKind`); a key
or kind without its words here fails the generation, so nothing is published undocumented. Settings carry
their words in their own ``Field(description=...)`` (:mod:`fairflag.settings`).
"""

from __future__ import annotations

from fairflag.domain.events import EventKind

# Defaults that are tables or placeholders rather than one value: said by hand (the rest are read from the
# packaged default policy, so they cannot drift).
POLICY_DEFAULTS: dict[str, str] = {
    "severities.<low|medium|high|critical>": "1, 2, 4, 8",
    "surfaces.<surface>.urgency": "account 1, video 1, comment 0.8, livestream 4",
    "surfaces.<surface>.review_deadline_s.<severity>": "livestream critical 300 s … account low 3 days",
    "reasons.<code>.description": "",
    "reasons.<code>.severity": "",
    "actions.<kind>.target": "",
    "actions.<kind>.strike": "",
    "actions.<kind>.surfaces": "",
    "actions.<kind>.requires_duration": "",
    "actions.<kind>.max_duration_s": "suspend: 90 days",
    "actions.<kind>.permanent": "ban",
    "strikes.ladder": "1: warn, 2: restrict 24 h, 3: suspend 7 days, 4: ban",
    "reasons.<code>.family": "",
    "reasons.<code>.reports_per_view": "unset",
}

POLICY_MEANINGS: dict[str, str] = {
    "version": "recorded on every decision",
    "limits.max_text_chars": "longest report text, appeal or statement",
    "limits.max_evidence_urls": "evidence URLs per report",
    "limits.max_url_chars": "longest evidence URL",
    "limits.max_backdate_s": "a report's `reported_at` may be at most 30 days old",
    "limits.max_future_skew_s": "… and at most this far in the future",
    "limits.max_id_chars": "longest external id",
    "limits.claim_lease_s": "a claimed case returns to the queue after this",
    "limits.appeal_window_days": "how long after a decision it can be appealed",
    "limits.triage_max_attempts": "a triage log row (a report or decision to weigh) whose triage fails this many "
                                  "times in a row is set aside so the consumer goes on; it is recorded, logged, "
                                  "counted in /metrics and listed at GET /v1/admin/triage/set-aside",
    "severities.<low|medium|high|critical>": "weight of each severity in the priority",
    "surfaces.<surface>.urgency": "priority multiplier",
    "surfaces.<surface>.review_deadline_s.<severity>": "review deadline",
    "reasons.<code>.description": "shown to reporters (`GET /v1/reasons`)",
    "reasons.<code>.severity": "spam, fake_engagement, harmful_content, copyright, harassment, impersonation, "
                               "scam_fraud, hate, violence, sexual_content, minor_safety, self_harm, "
                               "illegal_content, report_abuse, other",
    "actions.<kind>.target": "`subject` or `account`",
    "actions.<kind>.strike": "whether the action adds a strike",
    "actions.<kind>.surfaces": "surfaces the action applies to (end_livestream: livestream)",
    "actions.<kind>.requires_duration": "suspend needs `duration_s`",
    "actions.<kind>.max_duration_s": "longest duration",
    "actions.<kind>.permanent": "permanent actions are only ever taken by a human decision",
    "strikes.expire_after_days": "a strike stops counting after this",
    "strikes.ladder": "the consequence for the account at each count of active strikes",
    "reasons.<code>.family": "reason family for per-family credibility (safety, abuse, integrity, legal, fraud, other)",
    "reasons.<code>.reports_per_view": "overrides `triage.base_reports_per_view` for this reason",
    "triage.group_cap": "the most evidence one coordinated group adds, however large",
    "triage.group_cap_members": "the most effective reporters one coordinated group counts as",
    "triage.severity_evidence_full": "credible evidence a reason needs before its full severity counts",
    "triage.credible_reporter": "credibility from which a reporter counts toward automatic restriction",
    "triage.base_reports_per_view": "organic reports per view on non-violating content (not published anywhere: a "
                                    "parameter)",
    "triage.exposure_floor": "the least weight evidence keeps however many views explain it",
    "triage.plausible_report_rate": "more distinct reporters than this share of views is an anomaly",
    "triage.owner_strike_factor": "priority rises by this per active strike of the owner …",
    "triage.owner_strike_cap": "… counting at most this many",
    "triage.spam_signal_weight": "priority multiplier per unit of the platform's `spam_score` signal",
    "triage.trusted_flagger_bonus": "added to the priority when a trusted flagger reported (DSA Art. 22)",
    "triage.review_group_extra": "the review priority (never the score's evidence, the severity label or an "
                                 "automatic step) also counts a coordinated group's weight beyond `group_cap`, up "
                                 "to this much, in the share of its members the views cannot explain (0: off)",
    "triage.aging_per_hour": "the queue rank rises by this per hour a case waits (a low case passes a fresh medium "
                             "one in about two days)",
    "rereview.window_s": "after a moderator found no violation, new reports on the subject wait in a held follow-up "
                         "for 14 days … (0: off)",
    "rereview.min_new_evidence": "… unless independent (not coordinated) reporters bring this much "
                                 "credibility-weighted evidence …",
    "rereview.min_credible_reporters": "… or this many credible independent reporters report …",
    "rereview.release_on_trusted_flagger": "… or a trusted flagger …",
    "rereview.release_on_classifier": "… or a classifier at or above `auto_restriction.classifier_min`",
    "rereview.live_surfaces": "surfaces whose harm cannot wait out a hold: there …",
    "rereview.live_min_reporters": "… this many reporters outside any coordinated group …",
    "rereview.live_min_new_evidence": "… bringing this much evidence release the hold (two ordinary accounts)",
    "rereview.relook_min_reporters": "this many reporters on a held follow-up, coordinated or not, bring a subject "
        "one moderator cleared back for one more look (not after a second clearance); a restriction then needs a "
        "second moderator (`relook` trigger; "
        "`second_review.thin_evidence_exempt_surfaces` are exempt); 0 turns it off",
    "rereview.relook_min_independent": "… and so do at least this many reporters outside any coordinated group on "
        "the follow-up, when they are more than the subject's views explain (below): a missed violation seen by "
        "few people draws few reports; 0 turns it off",
    "rereview.relook_independent_p_value": "… more than the views explain: organic reports at "
        "`expected_organic_reports` (Poisson) reach as many with less than this probability",
    "rereview.relook_priority_factor": "the relook's priority counts this much in the queue rank (a second look at "
        "what a moderator cleared does not displace a first look at what nobody has seen; aging still raises it)",
    "second_review.on_protected_subjects": "a restrictive decision on a subject a detected campaign targets (or one "
                                           "of its members reported) takes effect only when a second moderator, "
                                           "blind to the first opinion, also finds a violation …",
    "second_review.campaign_waiver_sources": "… unless this many credible reporters outside any coordinated group, "
                                             "with distinct network and device fingerprints, … (0: never waived)",
    "second_review.campaign_waiver_evidence": "… bring this much evidence (or a trusted flagger or a credible "
                                              "classifier reported)",
    "second_review.thin_evidence_below": "a restrictive decision on reports weighing less than this (the score's "
                                         "`E`; no trusted flagger) needs a second moderator; 0 turns it off",
    "second_review.thin_evidence_exempt_surfaces": "surfaces the thin-evidence rule spares (harm that cannot wait)",
    "second_review.thin_evidence_exempt_sources": "N > 0: the exempt surfaces are spared only where N credible "
        "reporters outside any group, with distinct network and device fingerprints, or a credible classifier "
        "reported (0: always spared)",
    "second_review.thin_evidence_max_owner_strikes": "the thin-evidence rule applies while the owner has at most "
                                                     "this many active strikes",
    "second_review.campaign_max_owner_strikes": "the campaign, owner-surge and owner-spread rules apply while the "
        "owner has at most this many active strikes (a confirmed violator's other content is decided by one "
        "moderator)",
    "second_review.owner_surge_window_s": "the window in which an owner surge is counted",
    "second_review.owner_surge_subjects": "an owner surge: at least this many of the creator's subjects reported (0 "
                                          "turns it off) ...",
    "second_review.owner_surge_reporters": "... by at least this many distinct human reporters within the window (0 "
                                           "turns it off)",
    "second_review.owner_spread_subjects": "an owner spread, the smaller shape of an attack on a person: at least "
        "this many of the creator's subjects reported within `owner_surge_window_s` (0 turns it off) ...",
    "second_review.owner_spread_reporters": "... by at least this many distinct human reporters, fewer than "
        "`owner_surge_reporters` (0 turns it off); waived when a trusted flagger or a credible classifier reported "
        "the subject; `thin_evidence_exempt_surfaces` are exempt",
    "second_review.after_clearance": "a finding of violation in a follow-up of a clearance (within "
        "`rereview.window_s`) is one opinion against another and needs a second moderator "
        "(`thin_evidence_exempt_surfaces` are exempt)",
    "second_review.tie_break": "a second moderator who finds no violation where the first found one hands the case "
                               "to a third, who gave neither opinion (false: the disagreement clears the subject)",
    "second_review.rank_boost": "added to the case's priority while it awaits the second moderator (a first opinion "
                                "is half a decision: the second look comes next)",
    "auto_restriction.enabled": "restrict visibility automatically pending review",
    "auto_restriction.min_severity": "only for credible severity at least this",
    "auto_restriction.min_independent": "independent credible sources needed …",
    "auto_restriction.min_evidence": "… and their summed credibility",
    "auto_restriction.classifier_min": "credibility × score from which a classifier counts as a credible source",
    "auto_restriction.live_spread_window_s": "each live-rule reporter's credibility counts divided by the "
        "distinct subjects it reported within this window (an earned record restricts one stream at a time before a "
        "person looks); 0: not divided",
    "auto_restriction.user_reports_alone": "false: one of those sources must be a credible classifier or a trusted "
        "flagger (credible user reports alone do not restrict non-live content before review)",
    "auto_restriction.withhold_on_owner_surge": "never while the subject's owner is under a surge "
        "(`second_review.owner_surge_*`): a reviewer decides",
    "auto_restriction.live_surfaces": "where a stream's harm cannot wait for a scarce reviewer, it suffices that …",
    "auto_restriction.live_min_severity": "… the credible severity reaches this, and …",
    "auto_restriction.live_min_independent": "… this many credible reporters outside any coordinated group, with "
                                             "distinct network AND device fingerprints, not all young accounts, …",
    "auto_restriction.live_min_evidence": "… bring this much summed credibility",
    "credibility.prior_mean": "prior of an ordinary reporter (user reports are upheld 20–30 % of the time)",
    "credibility.prior_strength": "how many decided reports the prior is worth",
    "credibility.young_account_days": "accounts younger than this get …",
    "credibility.young_prior_mean": "… this cautious prior (unknown age: the ordinary prior)",
    "credibility.trusted_prior_mean": "prior of a trusted flagger …",
    "credibility.trusted_prior_strength": "… and its strength",
    "credibility.half_life_days": "an outcome counts half after this long",
    "credibility.family_shrinkage": "pseudo-count pulling a family estimate toward the overall one",
    "credibility.abusive_weight": "an abusive report counts as this many rejections",
    "credibility.floor": "lowest credibility",
    "credibility.ceiling": "highest credibility",
    "credibility.information_scale": "an upheld report earns credit exp(−evidence already on the case / this) …",
    "credibility.min_information_credit": "… and at least this (rejected reports always count in full)",
    "misuse.window_days": "window for counting manifestly unfounded reports",
    "misuse.warn_after": "unfounded reports before a warning",
    "misuse.suspend_after": "more after the warning before a suspension",
    "misuse.warning_valid_days": "how long a warning stays in force",
    "misuse.suspension_days": "successive suspensions of report processing",
    "campaigns.window_s": "7 days: reporters' target sets, subject history and cluster membership (a spread-out "
                          "attack must fit)",
    "campaigns.burst_window_s": "a burst on a subject is counted over this window",
    "campaigns.cohort_window_s": "shared fingerprints, shared text and fresh cohorts are looked for within this window",
    "campaigns.min_members": "a campaign needs at least this many reporters ...",
    "campaigns.detect_confidence": "... and this confidence (noisy-OR of signal coverage)",
    "campaigns.target_min_members": "a subject is a campaign target when this many members reported it",
    "campaigns.plausible_report_rate": "at most this share of viewers reports a subject within a burst window",
    "campaigns.burst_floor": "fewer distinct reporters than this are never a burst",
    "campaigns.burst_full_ratio": "reporters / plausible at which the burst signal is full",
    "campaigns.burst_p_value": "Poisson tail against the subject's own earlier rate that counts as a burst",
    "campaigns.baseline_min_reports": "earlier reports needed before the subject's own rate is trusted",
    "campaigns.poisson_strength_cap": "an anomaly against history alone cannot reach detection by itself",
    "campaigns.network_p_value": "a network links an owner's reporters only this far (binomial tail) beyond its "
                                 "share of everyone else's",
    "campaigns.fresh_account_days": "accounts younger than this are fresh (unknown age never is)",
    "campaigns.fresh_min_count": "fresh reporters of one subject ...",
    "campaigns.fresh_min_share": "... making up at least this share of its reporters form a fresh cohort",
    "campaigns.text_min_reporters": "reporters writing the same normalised text that links them",
    "campaigns.text_min_chars": "shorter texts are too common to mean anything",
    "campaigns.text_p_value": "the same text links an owner's reporters only this far (binomial tail) beyond its "
                              "share of everyone else's",
    "campaigns.cadence_history": "a reporter's last reports looked at for cadence",
    "campaigns.cadence_min_reports": "reports needed before cadence is judged",
    "campaigns.cadence_max_cv": "intervals this regular (coefficient of variation) are a machine's",
    "campaigns.cadence_fast_s": "a median interval under this, across ...",
    "campaigns.cadence_min_subjects": "... this many subjects, is faster than anyone watches",
    "campaigns.lockstep_jaccard": "target-set overlap (Jaccard) that links two reporters ...",
    "campaigns.lockstep_min_common": "... with at least this many common targets",
    "campaigns.lockstep_full_common": "common targets at which the overlap counts in full",
    "campaigns.lockstep_num_perm": "MinHash permutations",
    "campaigns.lockstep_lsh_threshold": "LSH candidate threshold (below lockstep_jaccard so few true pairs are missed)",
    "campaigns.lockstep_max_candidates": "exact Jaccard checks per report",
    "campaigns.lockstep_lsh_per_cluster": "LSH entries per cluster: keeps buckets small during a swarm",
    "campaigns.max_reports_per_reporter": "reports remembered per reporter (bounds memory and target sets)",
    "campaigns.co_report_fanout": "a new report is paired with at most this many of the subject's latest reporters",
    "campaigns.co_report_min_common": "weighted co-reported subjects that make two reporters partners",
    "campaigns.co_report_crowd": "reporters of a subject up to which a co-report counts in full (then crowd / "
                                 "reporters)",
    "campaigns.co_report_min_partners": "partners each of two reporters needs before they are linked",
    "campaigns.co_report_full_partners": "partners at which a reporter's co_report signal is full",
    "campaigns.clearance_min_marked": "reporters a moderator marked abusive on an owner's cleared content that start "
                                      "a group linked after the fact",
    "campaigns.clearance_min_excess": "... joined by every reporter inside their span when it holds this many times "
                                      "what the subject's rate outside explains",
    "campaigns.clearance_min_subjects": "an owner's cleared subjects (weighted by exposure) reported after clearance "
                                        "that make a pusher; min_members pushers are linked",
    "campaigns.community_min_upheld": "upheld targets before a campaign is demoted as a community that was right ...",
    "campaigns.community_min_upheld_share": "... with this share of its members' reports on its targets upheld "
                                            "(pending count against), none abusive ...",
    "campaigns.community_attack_share": "... and no cleared target reported by this share of its members (that is a "
                                        "strike, not a slip)",
    "campaigns.clearance_max_swept_share": "... joined by reporters whose reports on it all fall inside the marked "
        "span, while chance would sweep in at most this share of organic ones",
    "campaigns.clearance_thin_weight": "co-report weight from which a cleared subject is thin (more reporters than "
        "its views explain)",
    "campaigns.clearance_min_core": "repeat pushers a group linked over thin cleared subjects of any owners needs "
        "(with min_members in all)",
    "campaigns.weights": "how much each kind of evidence alone can prove",
    "delivery.webhook_max_attempts": "attempts before a delivery becomes a dead letter",
    "delivery.webhook_backoff_base_s": "first retry delay; doubles each attempt",
    "delivery.webhook_backoff_max_s": "longest retry delay",
    "delivery.webhook_timeout_s": "HTTP timeout per webhook attempt",
    "rate_limits.enabled": "refuse requests over the limits below with 429 and `Retry-After` (held in the database: "
                           "one limit across processes)",
    "rate_limits.service_key_per_s": "requests per second per platform service key (a batch is one request) …",
    "rate_limits.service_key_burst": "… with this many at once",
    "rate_limits.reporter_per_minute": "new reports per reporter in any minute (a retry with the same idempotency "
                                       "key is not new) …",
    "rate_limits.reporter_per_hour": "… and in any hour …",
    "rate_limits.reporter_exempt_sources": "… except reports from these sources, whose volume is their job "
                                           "(trusted flaggers, DSA Art. 22; platform classifiers)",
    "rate_limits.report_links_per_hour": "links to the report page (POST /v1/report-links) per reporter: this many "
                                         "at once, then one every hour divided by this (a refused or failed request "
                                         "takes none)",
}

EVENT_MEANINGS: dict[EventKind, str] = {
    EventKind.account_upserted: "the platform created or changed an account",
    EventKind.subject_upserted: "the platform created or changed a subject (views, live status, signals)",
    EventKind.report_filed: "a report was received",
    EventKind.report_withdrawn: "the reporter withdrew a report (the report stays)",
    EventKind.case_opened: "the first report on a subject opened a case",
    EventKind.case_hold_released: "a held follow-up on a cleared subject received material new evidence and went "
                                  "back in the queue",
    EventKind.case_reprioritised: "the case's priority was recomputed outside a report (reserved)",
    EventKind.case_claimed: "a moderator took a lease on the case",
    EventKind.case_released: "… and gave it back",
    EventKind.case_second_review_requested: "a restrictive first opinion where a second review applies (`trigger`: "
                                            "campaign, thin_evidence, owner_surge, owner_spread, after_clearance or "
                                            "relook, with its facts); the case waits "
                                            "for another moderator (the opinion is hidden from them until they "
                                            "decide)",
    EventKind.case_tie_break_requested: "the second moderator found no violation where the first found one; a third "
                                        "moderator, who gave neither opinion, decides (the opinion is hidden from "
                                        "them until they do)",
    EventKind.case_decided: "a decision was recorded (`second_review` in its data when it followed a first opinion, "
                            "with `tie_break` when a third moderator decided)",
    EventKind.report_outcome_set: "the reports of a decided case were upheld or rejected (again after an overturn)",
    EventKind.action_applied: "an action for the platform to enforce",
    EventKind.action_expired: "a time-limited action ended by itself",
    EventKind.action_reversed: "an action was undone (appeal overturned)",
    EventKind.strike_issued: "a strike was added to an account",
    EventKind.strike_removed: "a strike was removed (appeal overturned)",
    EventKind.action_lifted: "an automatic restriction ended: its case was reviewed, or a campaign was detected "
                             "behind it",
    EventKind.reporter_warned: "a reporter was warned for manifestly unfounded reports (DSA Art. 23)",
    EventKind.reporter_suspended: "processing of a reporter's reports was suspended for a time",
    EventKind.campaign_detected: "the detector found a coordinated-reporting campaign; its targets are protected",
    EventKind.campaign_updated: "a detected campaign grew (members, targets)",
    EventKind.campaign_confirmed: "a senior confirmed a campaign: its reports become abusive, member cases open",
    EventKind.campaign_dismissed: "a senior dismissed a campaign",
    EventKind.appeal_filed: "a creator or reporter appealed",
    EventKind.appeal_resolved: "a senior moderator resolved an appeal",
    EventKind.service_key_created: "a platform key was created",
    EventKind.service_key_revoked: "a platform key was revoked",
    EventKind.user_created: "a console user was created",
    EventKind.webhook_endpoint_created: "a webhook endpoint was registered",
    EventKind.delivery_resent: "a dead letter was sent again",
    EventKind.report_link_issued: "the platform asked for a signed link to fairflag's report page for one user and "
                                  "one subject",
    EventKind.account_block_requested: "after reporting through the report page, the user asked to block or mute the "
                                       "account (delivered as `account.block_requested`)",
    EventKind.triage_row_set_aside: "a report or decision whose triage failed `limits.triage_max_attempts` times "
                                    "was set aside: the consumer passes it unweighed and goes on (the error is in "
                                    "the event; GET /v1/admin/triage/set-aside lists them)",
}
