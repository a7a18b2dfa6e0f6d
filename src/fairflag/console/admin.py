"""Admin pages: console users, platform service keys, webhook endpoints and dead letters. A secret (a new key's
token, a new endpoint's signing secret) is shown once, in the answer to the form that created it, and never
again; the page that shows it is not cached (``no-store``) like every console page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from fairflag.console.routes import CoreDep, FormUser, User, render, see_other
from fairflag.console.session import ConsoleUser
from fairflag.core import Fairflag
from fairflag.domain.enums import Role
from fairflag.domain.errors import InvalidInput
from fairflag.services import auth, webhooks

router = APIRouter()
Id = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Short = Annotated[str, Form(max_length=1024)]


def _validated(model: type[BaseModel], **fields: Any) -> Any:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        names = ", ".join(sorted({str(e.get("loc", ["?"])[-1]) for e in exc.errors()}))
        raise InvalidInput(f"check these fields: {names}") from exc


# --- users and keys ----------------------------------------------------------------------------------------

def _admin_page(request: Request, core: Fairflag, user: ConsoleUser, **shown: Any) -> HTMLResponse:
    users = core.query(user.actor, auth.list_users)
    keys = core.query(user.actor, auth.list_service_keys)
    return render(request, "admin.html", user, users=users, keys=keys, roles=list(Role), **shown)


@router.get("/admin")
def admin_page(request: Request, core: CoreDep, user: User) -> HTMLResponse:
    return _admin_page(request, core, user)


@router.post("/admin/users")
def create_user(request: Request, core: CoreDep, user: FormUser, username: Short = "", role: Short = "",
                password: Short = "") -> HTMLResponse:
    body = _validated(auth.UserIn, username=username, role=role, password=password)
    created = core.run(user.actor, auth.create_user, body)
    return _admin_page(request, core, user, created_user=created)


@router.post("/admin/keys")
def create_key(request: Request, core: CoreDep, user: FormUser, name: Short = "") -> HTMLResponse:
    created = core.run(user.actor, auth.create_service_key, name)
    return _admin_page(request, core, user, created_key=created)


@router.post("/admin/keys/{key_id}/revoke")
def revoke_key(core: CoreDep, user: FormUser, key_id: Id) -> Response:
    core.run(user.actor, auth.revoke_service_key, key_id)
    return see_other("/admin")


# --- deliveries --------------------------------------------------------------------------------------------

def _deliveries_page(request: Request, core: Fairflag, user: ConsoleUser, **shown: Any) -> HTMLResponse:
    endpoints = core.query(user.actor, webhooks.list_endpoints)
    dead = core.query(user.actor, webhooks.list_dead_letters, None, 0, 200)
    return render(request, "deliveries.html", user, endpoints=endpoints, dead=dead, **shown)


@router.get("/deliveries")
def deliveries_page(request: Request, core: CoreDep, user: User) -> HTMLResponse:
    return _deliveries_page(request, core, user)


@router.post("/deliveries/endpoints")
def create_endpoint(request: Request, core: CoreDep, user: FormUser, url: Short = "", description: Short = "",
                    backfill: Short = "") -> HTMLResponse:
    body = _validated(webhooks.EndpointIn, url=url, description=description, backfill=bool(backfill))
    created = core.run(user.actor, webhooks.create_endpoint, body)
    return _deliveries_page(request, core, user, created=created)


@router.post("/deliveries/{delivery_id}/resend")
def resend(core: CoreDep, user: FormUser,
           delivery_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> Response:
    core.run(user.actor, webhooks.resend_dead_letter, delivery_id)
    return see_other(f"/deliveries?resent={delivery_id}")
