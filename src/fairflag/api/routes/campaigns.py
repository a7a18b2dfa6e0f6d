"""Routes for campaigns: detected coordinated reporting, confirmed or dismissed by a senior moderator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from fairflag.api.deps import CoreDep, PathId, UserActor
from fairflag.domain.enums import CampaignStatus
from fairflag.services import campaigns

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


@router.get("", summary="Detected campaigns, most recent first")
def list_campaigns(core: CoreDep, actor: UserActor, status: CampaignStatus | None = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[campaigns.CampaignOut]:
    return core.query(actor, campaigns.list_campaigns, status, limit)


@router.get("/{campaign_id}", summary="A campaign: evidence, targets, members as pseudonyms")
def get_campaign(campaign_id: PathId, core: CoreDep, actor: UserActor) -> campaigns.CampaignOut:
    return core.query(actor, campaigns.get_campaign, campaign_id)


@router.post("/{campaign_id}/confirm", summary="Confirm a campaign (senior): its reports become abusive")
def confirm(campaign_id: PathId, body: campaigns.CampaignDecisionIn, core: CoreDep,
            actor: UserActor) -> campaigns.CampaignOut:
    return core.run(actor, campaigns.confirm, campaign_id, body)


@router.post("/{campaign_id}/dismiss", summary="Dismiss a campaign (senior): not coordinated abuse")
def dismiss(campaign_id: PathId, body: campaigns.CampaignDecisionIn, core: CoreDep,
            actor: UserActor) -> campaigns.CampaignOut:
    return core.run(actor, campaigns.dismiss, campaign_id, body)


@router.post("/{campaign_id}/dismiss-cases",
             summary="Close every open case the campaign targets as no violation, in one decision (senior)")
def dismiss_cases(campaign_id: PathId, body: campaigns.BulkDismissIn, core: CoreDep,
                  actor: UserActor) -> campaigns.BulkDismissOut:
    return core.run(actor, campaigns.dismiss_cases, campaign_id, body)
