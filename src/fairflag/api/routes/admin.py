"""Routes for admins: service keys and console users."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import Field

from fairflag.api.deps import CoreDep, UserActor
from fairflag.services import auth
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
