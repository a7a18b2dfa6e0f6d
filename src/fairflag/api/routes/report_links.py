"""Route for the platform backend: a signed link to fairflag's own report page for one user and one subject."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, status

from fairflag.api.deps import CoreDep, PlatformActor
from fairflag.api.errors import RATE_LIMITED_RESPONSES
from fairflag.services import report_links

router = APIRouter(prefix="/v1", tags=["platform"], responses=RATE_LIMITED_RESPONSES)


@router.post("/report-links", status_code=status.HTTP_201_CREATED,
             summary="A signed, short-lived, single-use link to the report page for one user and one subject")
def issue(body: report_links.ReportLinkIn, core: CoreDep, actor: PlatformActor) -> report_links.ReportLinkOut:
    return core.run(replace(actor, on_behalf_of=body.reporter_id), report_links.issue_link, body,
                    service_key_id=actor.id)
