"""Typed dependencies: the core, and the authenticated actor for each kind of caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from fairflag.api.metrics import Metrics
from fairflag.core import Fairflag
from fairflag.domain.enums import ActorType, Role
from fairflag.domain.errors import Unauthenticated
from fairflag.services import auth, ratelimits
from fairflag.services.context import Actor

_bearer = HTTPBearer(auto_error=False, description="A platform service key or a console login token.")


# The dependencies that do no I/O are coroutines: FastAPI runs a plain function in a worker thread, and that hop
# costs more than the function (issue 21's profile of the report path).
async def get_core(request: Request) -> Fairflag:
    return request.app.state.core  # type: ignore[no-any-return]


CoreDep = Annotated[Fairflag, Depends(get_core)]


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics  # type: ignore[no-any-return]


MetricsDep = Annotated[Metrics, Depends(get_metrics)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


class MissingCredentials(Unauthenticated):
    code = "missing_credentials"


async def platform_actor(core: CoreDep, creds: Credentials) -> Actor:
    """A key verified in the last seconds is taken from the core's cache without leaving the event loop;
    otherwise it is verified in the database, in a worker thread."""
    if creds is None:
        raise MissingCredentials("send a service key as `Authorization: Bearer <key>`")
    key_id = auth.cached_service_key_id(core.service_keys, creds.credentials, core.clock.now())
    if key_id is None:
        key_id = await run_in_threadpool(core.query, Actor(ActorType.platform, None), auth.service_key_id,
                                         creds.credentials)
    actor = Actor(ActorType.platform, key_id)
    # The key's rate limit is one UPSERT in its own short transaction (services/ratelimits.py): off the event loop.
    await run_in_threadpool(core.count, actor, ratelimits.take_service_key, key_id)
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
