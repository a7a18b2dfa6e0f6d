"""Routes for admins: service keys, console users, and what the triage consumer set aside."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import Field

from fairflag.api.deps import CoreDep, UserActor
from fairflag.services import auth, ops
from fairflag.services.inputs import Input, Label

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class ServiceKeyIn(Input):
    name: Label = Field(max_length=200)


@router.post("/service-keys", status_code=status.HTTP_201_CREATED, summary="Create a platform service key")
def create_key(body: ServiceKeyIn, core: CoreDep, actor: UserActor) -> auth.CreatedKey:
    return core.run(actor, auth.create_service_key, body.name)


@router.post("/users", status_code=status.HTTP_201_CREATED, summary="Create a console user")
def create_user(body: auth.UserIn, core: CoreDep, actor: UserActor) -> auth.UserOut:
    return core.run(actor, auth.create_user, body)


@router.get("/triage/set-aside", summary="Triage log rows set aside after failing every attempt (newest first)")
def triage_set_aside(core: CoreDep, actor: UserActor) -> list[ops.SetAsideRow]:
    return core.query(actor, ops.set_aside_rows)
