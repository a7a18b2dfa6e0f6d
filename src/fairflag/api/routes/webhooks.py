"""Routes for admins: webhook endpoints and dead letters. Rules live in ``services.webhooks``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from fairflag.api.deps import CoreDep, UserActor
from fairflag.services import webhooks

router = APIRouter(prefix="/v1/admin", tags=["admin"])

# Delivery ids are 64-bit integers on every database we support.
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1)]
EndpointId = Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]


@router.post("/webhooks", status_code=status.HTTP_201_CREATED,
             summary="Register a webhook endpoint (the signing secret is shown once)")
def create_endpoint(body: webhooks.EndpointIn, core: CoreDep, actor: UserActor) -> webhooks.CreatedEndpoint:
    return core.run(actor, webhooks.create_endpoint, body)


@router.get("/webhooks", summary="Webhook endpoints with their pending and dead deliveries")
def list_endpoints(core: CoreDep, actor: UserActor) -> list[webhooks.EndpointOut]:
    return core.query(actor, webhooks.list_endpoints)


@router.get("/dead-letters", summary="Deliveries that ran out of attempts, oldest first")
def list_dead_letters(core: CoreDep, actor: UserActor, endpoint_id: EndpointId | None = None,
                      after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[webhooks.DeadLetter]:
    return core.query(actor, webhooks.list_dead_letters, endpoint_id, after, limit)


@router.post("/dead-letters/{delivery_id}/resend", summary="Send a dead letter again, with fresh attempts")
def resend_dead_letter(delivery_id: DeliveryId, core: CoreDep, actor: UserActor) -> webhooks.DeliveryOut:
    return core.run(actor, webhooks.resend_dead_letter, delivery_id)
