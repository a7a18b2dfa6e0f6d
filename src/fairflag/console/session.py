"""The console session: the login token of :mod:`fairflag.services.auth` in an HttpOnly, SameSite=Strict cookie
(Secure over HTTPS). A new token at every login; idle and absolute expiry are the service's
(:func:`fairflag.services.auth.resume_session`)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from fairflag.core import Fairflag
from fairflag.domain.enums import ActorType, Role
from fairflag.domain.errors import Unauthenticated
from fairflag.services import auth
from fairflag.services.context import Actor
from fairflag.services.permissions import ADMINS, AUDITORS

COOKIE = "ff_session"
PREFIX = "/console"  # where create_app mounts the console
COOKIE_PATH = PREFIX
ANONYMOUS = Actor(ActorType.user, None)


class LoginRequired(Exception):
    """No live session: the console answers with the login page."""


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    actor: Actor
    username: str
    token: str

    @property
    def role(self) -> Role:
        assert self.actor.role is not None
        return self.actor.role

    @property
    def may_audit(self) -> bool:
        return self.role in AUDITORS

    @property
    def may_admin(self) -> bool:
        return self.role in ADMINS


def current_user(request: Request, core: Fairflag) -> ConsoleUser:
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 200:
        raise LoginRequired
    try:
        user = core.run(ANONYMOUS, auth.resume_session, token)
    except Unauthenticated as exc:
        raise LoginRequired from exc
    return ConsoleUser(Actor(ActorType.user, user.id, Role(user.role)), user.username, token)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
