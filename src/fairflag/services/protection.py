"""Which campaigns protect a subject or flag its reporters: the queries triage and second review ask about
campaigns, below the campaign use cases (services/campaigns.py), so the lower services need not import them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from fairflag.domain.enums import CampaignStatus
from fairflag.services.context import Context
from fairflag.store.tables import Campaign, CampaignMember, CampaignTarget, CaseReporter

# A demoted campaign (a community that was right) still protects its targets from automatic restriction by
# its reports and still asks for a second review, as before: demotion changes who is flagged as a coordinated
# reporter, never what waits for review (a ring demoted on its camouflage must not gain by it).
PROTECTING = (CampaignStatus.detected.value, CampaignStatus.confirmed.value, CampaignStatus.demoted.value)
# Campaigns whose members are flagged as coordinated reporters (misuse handling, the reporter view).
FLAGGING = (CampaignStatus.detected.value, CampaignStatus.confirmed.value)
# Campaigns outcomes may still move between detected and demoted (a senior's decision is final).
UNDECIDED = (CampaignStatus.detected.value, CampaignStatus.demoted.value)


def protecting_campaigns_query(subject_id: Any) -> Select[tuple[str]]:
    return (
        select(Campaign.id).join(CampaignTarget, CampaignTarget.campaign_id == Campaign.id)
        .where(CampaignTarget.subject_id == subject_id, Campaign.status.in_(PROTECTING))
    )


def reported_by_members(ctx: Context, case_id: str) -> bool:
    """Whether someone counted on this case is a member of a detected (or confirmed) campaign, whether or not
    the subject became one of its targets (a target needs two members; a spread-out attack gives most
    subjects one). O(the case's reporters), indexed."""
    stmt = (
        select(CaseReporter.reporter_id)
        .join(CampaignMember, CampaignMember.reporter_id == CaseReporter.reporter_id)
        .join(Campaign, Campaign.id == CampaignMember.campaign_id)
        .where(CaseReporter.case_id == case_id, Campaign.status.in_(PROTECTING))
        .limit(1)
    )
    return ctx.session.scalar(stmt) is not None
