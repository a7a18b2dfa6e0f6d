"""Typed dependencies: the core, and the authenticated actor for each kind of caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from fairflag.api.metrics import Metrics
from fairflag.core import Fairflag
from fairflag.domain.enums import ActorType, Role
from fairflag.domain.errors import Unauthenticated
from fairflag.services import auth, ratelimits
from fairflag.services.context import Actor

_bearer = HTTPBearer(auto_error=False, description="A platform service key or a console login token.")


def get_core(request: Request) -> Fairflag:
    return request.app.state.core  # type: ignore[no-any-return]


CoreDep = Annotated[Fairflag, Depends(get_core)]


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics  # type: ignore[no-any-return]


MetricsDep = Annotated[Metrics, Depends(get_metrics)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


class MissingCredentials(Unauthenticated):
    code = "missing_credentials"


def platform_actor(core: CoreDep, creds: Credentials) -> Actor:
    if creds is None:
        raise MissingCredentials("send a service key as `Authorization: Bearer <key>`")
    key = core.query(Actor(ActorType.platform, None), auth.authenticate_service_key, creds.credentials)
    actor = Actor(ActorType.platform, key.id)
    core.count(actor, ratelimits.take_service_key, key.id)
    return actor


def user_actor(core: CoreDep, creds: Credentials) -> Actor:
    if creds is None:
        raise MissingCredentials("log in (POST /v1/auth/login) and send `Authorization: Bearer <token>`")
    user = core.query(Actor(ActorType.user, None), auth.authenticate_token, creds.credentials)
    return Actor(ActorType.user, user.id, Role(user.role))


PlatformActor = Annotated[Actor, Depends(platform_actor)]
UserActor = Annotated[Actor, Depends(user_actor)]


# Ids in paths: bounded, and free of control characters (PostgreSQL cannot even compare a NUL).
PathId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
