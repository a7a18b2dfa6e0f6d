"""Campaigns: coordinated-reporting clusters the detector found, for a senior moderator to judge.

A detected campaign protects its targets at once (its reports cannot restrict them automatically, and a
restriction they caused is lifted). Confirming it marks its members' reports on its targets as abusive
(and tells the platform, one ``reports.resolved`` per target), lowers their credibility, feeds misuse
handling, and opens ``report_abuse`` cases on the member accounts for human review: fairflag recommends,
a person decides. Members are never penalised for being coordinated alone — only through reports a person
rejected or a campaign a person confirmed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import and_, delete, distinct, func, select
from sqlalchemy import case as sql_case

from fairflag.delivery import events as delivered
from fairflag.delivery import outbox
from fairflag.domain.enums import CampaignStatus, CaseStatus, DecisionOutcome, ReportOutcome, ReportSource, Surface
from fairflag.domain.errors import Conflict, NotFound
from fairflag.domain.events import EventKind
from fairflag.engine.campaigns import CampaignSnapshot, community_verdict
from fairflag.services import decisions, platform, queue, reports, reputation, triage, validation
from fairflag.services.context import SYSTEM, Context
from fairflag.services.inputs import Input, Statement
from fairflag.services.permissions import READERS, SENIORS, require_role
from fairflag.services.protection import (  # noqa: F401 (re-exported: the campaign statuses' meaning)
    FLAGGING,
    PROTECTING,
    UNDECIDED,
    protecting_campaigns_query,
    reported_by_members,
)
from fairflag.services.pseudonyms import pseudonym_for
from fairflag.store.rows import insert_missing, insert_new
from fairflag.store.tables import (
    Campaign,
    CampaignMember,
    CampaignTarget,
    Case,
    CaseReporter,
    Decision,
    Report,
    ReportState,
    Subject,
)

SYSTEM_REPORTER = "fairflag:campaign-detector"
CLASSIFIER = "fairflag-campaigns"


class CampaignNotFound(NotFound):
    code = "campaign_not_found"


class CampaignAlreadyDecided(Conflict):
    code = "campaign_decided"


class CampaignOut(BaseModel):
    id: str
    status: CampaignStatus
    confidence: float
    evidence: dict[str, Any] = Field(description="What the detector sees now: each signal's share, and its current "
                                     "`members` and `targets` (reports older than its window no longer count).")
    first_at: datetime
    last_at: datetime
    reporter_count: int = Field(description="Every reporter the campaign ever linked (the length of `members`).")
    target_count: int = Field(description="Every subject it ever covered, all protected (the length of `targets`).")
    targets: list[str]
    members: list[str] = Field(description="Reporters as pseudonyms.")
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None


class CampaignDecisionIn(Input):
    note: Statement = Field(description="Why the campaign is confirmed or dismissed (recorded).")


class BulkDismissIn(Input):
    statement: Statement = Field(description="Statement of reasons for every case closed as no violation.")


class BulkDismissOut(BaseModel):
    decided_cases: list[str]
    skipped_cases: list[str] = Field(description="Held by another moderator right now; decide them one by one.")


def sync(ctx: Context) -> set[str]:
    """Persist what the detector changed; returns the cases rescored on the way."""
    if ctx.campaigns is None:
        return set()
    rescored: set[str] = set()
    for snapshot in ctx.campaigns.drain_changes():
        rescored |= persist_snapshot(ctx, snapshot)
    return rescored


def persist_snapshot(ctx: Context, snap: CampaignSnapshot) -> set[str]:
    """Record a detected cluster (or its growth); protect and regroup newly covered targets. Returns the
    open cases it rescored."""
    campaign = ctx.session.scalars(select(Campaign).where(Campaign.detector_key == snap.key)).first()
    created = False
    if campaign is None:
        # Two requests may hand on snapshots of the same new cluster at once: the second waits for the first's
        # row (ON CONFLICT on the unique detector_key) and then records its growth.
        campaign = insert_new(ctx.session, Campaign, {
            "id": ctx.ids.new("camp"), "detector_key": snap.key, "status": CampaignStatus.detected.value,
            "confidence": snap.confidence, "evidence": dict(snap.evidence), "first_at": snap.first_at,
            "last_at": snap.last_at, "reporter_count": 0, "target_count": 0, "created_at": ctx.now(),
            "updated_at": ctx.now()})
        created = campaign is not None
        if campaign is None:
            campaign = ctx.session.scalars(select(Campaign).where(Campaign.detector_key == snap.key)).one()
    known_members: set[str] = set()
    known_targets: set[str] = set()
    read_back = False  # whether known_* are the stored lists (else the counts stored are the base)
    if created:
        pass  # nothing stored yet
    elif snap.previous_reporters == snap.reporters and snap.previous_targets == snap.targets:
        campaign.confidence, campaign.last_at = snap.confidence, snap.last_at  # only the confidence moved
        return set()
    elif (snap.previous_reporters is not None and snap.previous_targets is not None
          and _last_snapshot_sizes(campaign) == (len(snap.previous_reporters), len(snap.previous_targets))):
        # The store holds at least what the detector's previous snapshot said: add the difference without
        # reading the member list back (O(members) per growth otherwise).
        known_members, known_targets = set(snap.previous_reporters), set(snap.previous_targets)
    else:  # after a restart, a rolled-back unit of work, another process or request: compare with what is stored
        read_back = True
        known_members = set(ctx.session.scalars(
            select(CampaignMember.reporter_id).where(CampaignMember.campaign_id == campaign.id)))
        known_targets = set(ctx.session.scalars(
            select(CampaignTarget.subject_id).where(CampaignTarget.campaign_id == campaign.id)))
    new_members = set(snap.reporters) - known_members
    new_targets = set(snap.targets) - known_targets
    if new_targets and not created:  # members who report a new target are listed again, vindicated or not
        new_members |= set(ctx.session.scalars(
            select(Report.reporter_id).where(Report.subject_id.in_(sorted(new_targets)),
                                             Report.reporter_id.in_(sorted(snap.reporters))).distinct()))
    if new_members and campaign.status != CampaignStatus.confirmed.value:
        new_members -= upheld_only(ctx, new_members, snap.targets)  # vindicated already (see _vindicate)
    # A member who left the cluster (silent for window_s) and came back is stored already: insert_missing.
    added_members = insert_missing(ctx.session, CampaignMember.__table__,
                                   [{"campaign_id": campaign.id, "reporter_id": r} for r in sorted(new_members)])
    added_targets = insert_missing(ctx.session, CampaignTarget.__table__,
                                   [{"campaign_id": campaign.id, "subject_id": t} for t in sorted(new_targets)])
    campaign.confidence = snap.confidence
    campaign.evidence = dict(snap.evidence)
    campaign.last_at = snap.last_at
    # The counts say how long the stored lists are (what the API lists, what confirming and dismissing act
    # on), not how many the detector sees now: members and targets are kept when their reports age out of its
    # window, and a target stays protected. The detector's current sizes are in the evidence.
    campaign.reporter_count = (len(known_members) if read_back else campaign.reporter_count) + added_members
    campaign.target_count = (len(known_targets) if read_back else campaign.target_count) + added_targets
    campaign.updated_at = ctx.now()
    ctx.session.flush()
    ctx.record(EventKind.campaign_detected if created else EventKind.campaign_updated, "campaign", campaign.id,
               {"confidence": snap.confidence, "reporters": len(snap.reporters), "targets": len(snap.targets),
                "new_targets": sorted(new_targets)[:50], "evidence": dict(snap.evidence)}, actor=SYSTEM)
    if campaign.status == CampaignStatus.dismissed.value:
        return set()
    if created or new_targets or (added_members and campaign.status == CampaignStatus.demoted.value):
        _judge(ctx, campaign.id, None)  # outcomes decided before the group was seen count at once
    # Regroup only what changed: open cases where a newly linked member was counted on their own, and the
    # open cases of newly covered targets (which also become protected). Indexed, never all the members' cases.
    affected: set[str] = set(ctx.session.scalars(
        select(CaseReporter.case_id).join(Case, Case.id == CaseReporter.case_id)
        .where(CaseReporter.reporter_id.in_(sorted(new_members)), CaseReporter.group_key != snap.key,
               Case.status == CaseStatus.open.value, Case.subject_id.in_(sorted(snap.targets)))
    )) if new_members else set()
    if new_targets:
        affected |= set(ctx.session.scalars(
            select(Case.id).where(Case.subject_id.in_(sorted(new_targets)), Case.status == CaseStatus.open.value)))
    members = set(snap.reporters)
    rescored: set[str] = set()
    for case_id in sorted(affected):
        case = ctx.session.scalars(select(Case).where(Case.id == case_id).with_for_update()).one()
        subject = ctx.session.get(Subject, case.subject_id)
        if subject is None:
            continue
        triage.regroup_case(ctx, case, members, snap.key)
        triage.rescore(ctx, case, subject)
        rescored.add(case.id)
    return rescored


def upheld_only(ctx: Context, reporters: set[str], targets: frozenset[str] | set[str]) -> set[str]:
    """The reporters whose every report on these targets inside the detector's window was upheld (at least
    one): what :func:`_vindicate` frees, applied to members a campaign is about to list. O(their reports on
    the targets), one grouped query."""
    if not reporters or not targets:
        return set()
    since = ctx.now() - timedelta(seconds=ctx.policy.campaigns.window_s)
    upheld = func.sum(sql_case((ReportState.outcome == ReportOutcome.upheld.value, 1), else_=0))
    rows = ctx.session.execute(
        select(Report.reporter_id, func.count(), upheld).join(ReportState, ReportState.report_id == Report.id)
        .where(Report.reporter_id.in_(sorted(reporters)), Report.subject_id.in_(sorted(targets)),
               Report.reported_at >= since, ReportState.outcome != ReportOutcome.withdrawn.value)
        .group_by(Report.reporter_id)).all()
    return {r for r, n, up in rows if n and int(up or 0) == int(n)}


def _last_snapshot_sizes(campaign: Campaign) -> tuple[int, int] | None:
    """The member and target counts of the last snapshot stored (its evidence), to tell whether the
    detector's previous snapshot is the one the store holds."""
    evidence = campaign.evidence or {}
    if "members" not in evidence or "targets" not in evidence:
        return None
    return int(evidence["members"]), int(evidence["targets"])


def _out(ctx: Context, c: Campaign) -> CampaignOut:
    members = ctx.session.scalars(select(CampaignMember.reporter_id).where(CampaignMember.campaign_id == c.id)
                                  .order_by(CampaignMember.reporter_id).limit(1000))
    targets = ctx.session.scalars(select(CampaignTarget.subject_id).where(CampaignTarget.campaign_id == c.id)
                                  .order_by(CampaignTarget.subject_id).limit(1000))
    return CampaignOut(
        id=c.id, status=CampaignStatus(c.status), confidence=c.confidence, evidence=c.evidence or {},
        first_at=c.first_at, last_at=c.last_at, reporter_count=c.reporter_count, target_count=c.target_count,
        targets=list(targets), members=[pseudonym_for(ctx, m) for m in members], decided_by=c.decided_by,
        decided_at=c.decided_at, decision_note=c.decision_note,
    )


def list_campaigns(ctx: Context, status: CampaignStatus | None = None, limit: int = 100) -> list[CampaignOut]:
    require_role(ctx.actor, READERS, "reading campaigns")
    stmt = select(Campaign).order_by(Campaign.last_at.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Campaign.status == status.value)
    return [_out(ctx, c) for c in ctx.session.scalars(stmt)]


def get_campaign(ctx: Context, campaign_id: str) -> CampaignOut:
    require_role(ctx.actor, READERS, "reading a campaign")
    return _out(ctx, _get(ctx, campaign_id))


def _get(ctx: Context, campaign_id: str, lock: bool = False) -> Campaign:
    campaign = ctx.session.get(Campaign, campaign_id, with_for_update=lock or None)
    if campaign is None:
        raise CampaignNotFound("no such campaign", field="campaign_id")
    return campaign


def _decide(ctx: Context, campaign_id: str, body: CampaignDecisionIn, status: CampaignStatus) -> Campaign:
    senior = require_role(ctx.actor, SENIORS, "confirming or dismissing a campaign")
    validation.text(ctx.policy, body.note, "note", required=True)
    campaign = _get(ctx, campaign_id, lock=True)
    if campaign.status not in UNDECIDED:
        raise CampaignAlreadyDecided(f"this campaign was already {campaign.status}", field="campaign_id")
    campaign.status = status.value
    campaign.decided_by = senior
    campaign.decided_at = ctx.now()
    campaign.decision_note = body.note
    return campaign


def confirm(ctx: Context, campaign_id: str, body: CampaignDecisionIn) -> CampaignOut:
    campaign = _decide(ctx, campaign_id, body, CampaignStatus.confirmed)
    members = set(ctx.session.scalars(select(CampaignMember.reporter_id)
                                      .where(CampaignMember.campaign_id == campaign.id)))
    targets = set(ctx.session.scalars(select(CampaignTarget.subject_id)
                                      .where(CampaignTarget.campaign_id == campaign.id)))
    rows = ctx.session.execute(
        select(Report, ReportState).join(ReportState, ReportState.report_id == Report.id)
        .where(Report.subject_id.in_(targets), Report.reporter_id.in_(members))
    ).all() if members and targets else []
    marked: dict[str, list[dict[str, str]]] = {}  # subject -> its reports now abusive
    for report, state in sorted(rows, key=lambda row: (row[0].subject_id, row[0].reported_at, row[0].id)):
        if state.outcome in (ReportOutcome.upheld.value, ReportOutcome.abusive.value, ReportOutcome.withdrawn.value):
            continue  # a report a moderator upheld was right, whoever filed it
        if state.outcome == ReportOutcome.rejected.value:
            reputation.record_outcome(ctx, report.reporter_id, report.reason, "rejected", weight=-1.0)
        state.outcome = ReportOutcome.abusive.value
        state.updated_at = ctx.now()
        reputation.record_outcome(ctx, report.reporter_id, report.reason, "abusive")
        marked.setdefault(report.subject_id, []).append(
            delivered.resolved_report(report.id, report.reporter_id, ReportOutcome.abusive))
    ctx.record(EventKind.campaign_confirmed, "campaign", campaign.id,
               {"note": body.note, "abusive_reports": sum(map(len, marked.values())), "members": len(members)})
    for subject_id, resolved in marked.items():  # the platform tells each reporter, as after a decision
        outbox.enqueue(ctx, delivered.EventType.reports_resolved, delivered.reports_resolved(
            delivered.ResolutionCause.campaign_confirmed, subject_id=subject_id, campaign_id=campaign.id,
            reports=resolved))
    _open_member_cases(ctx, campaign, sorted(members))
    return _out(ctx, campaign)


def _open_member_cases(ctx: Context, campaign: Campaign, members: list[str]) -> None:
    """One report_abuse report per member account, for a person to review (never an automatic sanction)."""
    platform.ensure_account(ctx, SYSTEM_REPORTER, "reporter_id")
    for member in members:
        if ctx.session.get(Subject, member) is None:
            platform.upsert_subject(ctx, platform.SubjectIn(id=member, surface=Surface.account))
        elif ctx.session.get(Subject, member).surface != Surface.account.value:  # type: ignore[union-attr]
            continue
        reports.file_report(ctx, reports.ReportIn(
            reporter_id=SYSTEM_REPORTER, subject_id=member, reason="report_abuse", source=ReportSource.automated,
            classifier=reports.ClassifierIn(name=CLASSIFIER, version="1", score=round(campaign.confidence, 4)),
            text=f"Member of confirmed coordinated-reporting campaign {campaign.id}.",
        ))


def dismiss(ctx: Context, campaign_id: str, body: CampaignDecisionIn) -> CampaignOut:
    campaign = _decide(ctx, campaign_id, body, CampaignStatus.dismissed)
    ctx.record(EventKind.campaign_dismissed, "campaign", campaign.id, {"note": body.note})
    return _out(ctx, campaign)


def dismiss_cases(ctx: Context, campaign_id: str, body: BulkDismissIn) -> BulkDismissOut:
    """A senior closes every open case the campaign targets as "no violation", in one decision."""
    require_role(ctx.actor, SENIORS, "dismissing a campaign's cases")
    validation.text(ctx.policy, body.statement, "statement", required=True)
    campaign = _get(ctx, campaign_id)
    targets = select(CampaignTarget.subject_id).where(CampaignTarget.campaign_id == campaign.id)
    cases = ctx.session.scalars(select(Case.id).where(Case.subject_id.in_(targets),
                                                      Case.status == CaseStatus.open.value)
                                .order_by(Case.id)).all()
    decided, skipped = [], []
    for case_id in cases:
        holder = queue.summary_holder(ctx, case_id)
        if holder is not None and holder != ctx.actor.id:
            skipped.append(case_id)
            continue
        queue.claim(ctx, case_id)
        decisions.decide(ctx, case_id, decisions.DecisionIn(outcome=DecisionOutcome.no_violation,
                                                            statement=body.statement))
        decided.append(case_id)
    return BulkDismissOut(decided_cases=decided, skipped_cases=skipped)


def campaign_edges(ctx: Context, campaign_id: str, limit: int = 2000) -> list[tuple[str, str]]:
    """Who among the members reported which target: (pseudonym, subject id) pairs, for the campaign graph."""
    require_role(ctx.actor, READERS, "reading a campaign")
    campaign = _get(ctx, campaign_id)
    members = select(CampaignMember.reporter_id).where(CampaignMember.campaign_id == campaign.id)
    targets = select(CampaignTarget.subject_id).where(CampaignTarget.campaign_id == campaign.id)
    pairs = ctx.session.execute(
        select(Report.reporter_id, Report.subject_id)
        .where(Report.reporter_id.in_(members), Report.subject_id.in_(targets)).distinct()
        .order_by(Report.reporter_id, Report.subject_id).limit(limit)
    ).all()
    return [(pseudonym_for(ctx, r), s) for r, s in pairs]


# --- outcomes: the label follows the evidence as it arrives ------------------------------------------------


def after_decision(ctx: Context, subject: Subject, violation: bool) -> None:
    """What a decision on ``subject`` says about the groups that reported it (called once per decision).

    A clearance feeds the detector (:meth:`CampaignDetector.observe_clearance`): the reporters who pushed the
    cleared subject as a group are linked after the fact, for misuse handling. Then every undecided
    campaign one of the subject's reporters belongs to is judged again (:func:`community_verdict`):
    demoted when its targets were upheld (a community that was right), detected again when a strike shows.
    After an upheld decision, members whose every report inside the window was upheld leave their undecided
    campaigns (:func:`_vindicate`): nothing they filed was in bad faith.
    """
    if not violation and ctx.campaigns is not None:
        marked = set(ctx.session.scalars(
            select(Report.reporter_id).join(ReportState, ReportState.report_id == Report.id)
            .where(Report.subject_id == subject.id, ReportState.outcome == ReportOutcome.abusive.value)))
        ctx.campaigns.observe_clearance(subject.id, subject.owner_id, ctx.now(), marked)
        sync(ctx)
    reporters = select(Report.reporter_id).where(Report.subject_id == subject.id)
    campaign_ids = ctx.session.scalars(
        select(CampaignMember.campaign_id).join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(CampaignMember.reporter_id.in_(reporters), Campaign.status.in_(UNDECIDED))
        .distinct().order_by(CampaignMember.campaign_id)).all()
    for campaign_id in campaign_ids:
        _judge(ctx, campaign_id, subject.id)
    if violation:
        _vindicate(ctx, subject.id)


def _judge(ctx: Context, campaign_id: str, subject_id: str | None) -> None:
    """Demote or re-detect one campaign from its members' report outcomes on its targets (one grouped query);
    ``subject_id``: the decided subject that asked (None: the campaign was detected or grew)."""
    campaign = ctx.session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None or campaign.status not in UNDECIDED:
        return
    rows = ctx.session.execute(
        select(Report.subject_id, ReportState.outcome, func.count(), func.count(distinct(Report.reporter_id)))
        .join(ReportState, ReportState.report_id == Report.id)
        .join(CampaignTarget, and_(CampaignTarget.campaign_id == campaign_id,
                                   CampaignTarget.subject_id == Report.subject_id))
        .join(CampaignMember, and_(CampaignMember.campaign_id == campaign_id,
                                   CampaignMember.reporter_id == Report.reporter_id))
        .group_by(Report.subject_id, ReportState.outcome)).all()
    contested = _contested_targets(ctx, {t for t, o, _, _ in rows if o != ReportOutcome.upheld.value})
    counts: dict[str, int] = {}
    upheld_targets: set[str] = set()
    cleared: dict[str, int] = {}  # cleared target -> members who reported it
    for target, outcome, n, members in rows:
        if target in contested and outcome != ReportOutcome.abusive.value:
            continue  # a clearance (or a wait) beside the owner's upheld violations says nothing either way
        counts[outcome] = counts.get(outcome, 0) + int(n)
        if outcome == ReportOutcome.upheld.value:
            upheld_targets.add(target)
        elif outcome in (ReportOutcome.rejected.value, ReportOutcome.abusive.value):
            cleared[target] = cleared.get(target, 0) + int(members)
    # The group's size as the detector sees it (vindicated members included), or as stored if larger.
    size = max(campaign.reporter_count, int((campaign.evidence or {}).get("members", 0)))
    widest = max(cleared.values(), default=0) / max(1, size)
    community = community_verdict(
        counts.get(ReportOutcome.upheld.value, 0), counts.get(ReportOutcome.rejected.value, 0),
        counts.get(ReportOutcome.abusive.value, 0), counts.get(ReportOutcome.pending.value, 0),
        len(upheld_targets), widest, ctx.policy.campaigns)
    status = CampaignStatus.demoted.value if community else CampaignStatus.detected.value
    if status == campaign.status:
        return
    campaign.status = status
    campaign.updated_at = ctx.now()
    ctx.record(EventKind.campaign_updated, "campaign", campaign.id,
               {"status": status, "because_subject": subject_id, "reports_by_outcome": dict(sorted(counts.items())),
                "upheld_targets": len(upheld_targets), "cleared_targets": len(cleared),
                "widest_cleared_share": round(widest, 4)}, actor=SYSTEM)


def _contested_targets(ctx: Context, cleared: set[str]) -> set[str]:
    """Of targets with reports not upheld (cleared or still pending), those whose owner a moderator found
    violating (one indexed query).

    Principle: coordination is evidence about the reporters, the outcome about the content. A community
    reporting a scam ring reports every piece of it; a reviewer who misses one of its videos, or one decided
    before the crowd came and not reviewed since, leaves reports rejected or pending on an owner whose other
    content was upheld. That is no strike: an attack on an innocent creator has no upheld subject of that
    creator behind it. Reports marked abusive still count. The target stays protected whatever the verdict
    (demotion never changes what waits for review)."""
    if not cleared:
        return set()
    owners = dict(ctx.session.execute(
        select(Subject.id, Subject.owner_id).where(Subject.id.in_(sorted(cleared)))).all())
    violating = set(ctx.session.scalars(
        select(Decision.owner_id).where(Decision.owner_id.in_(sorted(set(owners.values()))),
                                        Decision.outcome == DecisionOutcome.violation.value).distinct()))
    return {t for t, owner in owners.items() if owner in violating}


def _vindicate(ctx: Context, subject_id: str) -> None:
    """Members of undecided campaigns whose report on the subject was just upheld and whose every report on
    the campaign's targets inside the detector's window was upheld leave that campaign (principle: a member is
    flagged for what the group may have done in bad faith; one whose every report on the group's targets a
    moderator upheld took no part in it, whatever mistakes it made elsewhere). A ring member's strike is on
    the ring's targets, pending or rejected, so camouflage alone frees nobody; one freed before it struck is
    listed again when it reports a new target of the campaign (:func:`persist_snapshot`). The detector keeps
    them in their cluster, so triage still groups them. O(their reports on the campaign's targets)."""
    upheld_here = (select(Report.reporter_id).join(ReportState, ReportState.report_id == Report.id)
                   .where(Report.subject_id == subject_id, ReportState.outcome == ReportOutcome.upheld.value))
    since = ctx.now() - timedelta(seconds=ctx.policy.campaigns.window_s)
    upheld = func.sum(sql_case((ReportState.outcome == ReportOutcome.upheld.value, 1), else_=0))
    rows = ctx.session.execute(
        select(CampaignMember.campaign_id, CampaignMember.reporter_id, func.count(), upheld)
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .join(Report, Report.reporter_id == CampaignMember.reporter_id)
        .join(CampaignTarget, and_(CampaignTarget.campaign_id == CampaignMember.campaign_id,
                                   CampaignTarget.subject_id == Report.subject_id))
        .join(ReportState, ReportState.report_id == Report.id)
        .where(Campaign.status.in_(UNDECIDED), CampaignMember.reporter_id.in_(upheld_here),
               Report.reported_at >= since, ReportState.outcome != ReportOutcome.withdrawn.value)
        .group_by(CampaignMember.campaign_id, CampaignMember.reporter_id)).all()
    by_campaign: dict[str, list[str]] = {}
    for campaign_id, reporter_id, n, up in rows:
        if n and int(up or 0) == int(n):
            by_campaign.setdefault(campaign_id, []).append(reporter_id)
    for campaign_id, members in sorted(by_campaign.items()):
        campaign = ctx.session.get(Campaign, campaign_id, with_for_update=True)
        if campaign is None:
            continue
        members.sort()
        ctx.session.execute(delete(CampaignMember).where(CampaignMember.campaign_id == campaign_id,
                                                         CampaignMember.reporter_id.in_(members)))
        campaign.reporter_count = max(0, campaign.reporter_count - len(members))
        campaign.updated_at = ctx.now()
        ctx.record(EventKind.campaign_updated, "campaign", campaign_id,
                   {"vindicated_members": len(members), "because_subject": subject_id}, actor=SYSTEM)
