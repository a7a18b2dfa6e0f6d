"""Credentials: platform service keys and console users.

Service keys are 256-bit random secrets shown once; only their SHA-256 is stored (a slow hash adds
nothing for a secret that cannot be guessed). Passwords are argon2 hashes. Login returns a bearer
token, likewise stored as a SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, Field
from sqlalchemy import select

from fairflag.domain.enums import Role
from fairflag.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from fairflag.domain.events import EventKind
from fairflag.services.context import Context
from fairflag.services.inputs import Input, Label, Password
from fairflag.services.key_cache import VerifiedKeys
from fairflag.services.permissions import ADMINS, require_role
from fairflag.store.rows import insert_new
from fairflag.store.tables import ServiceKey, User, UserToken

KEY_PREFIX = "ffk"
TOKEN_TTL = timedelta(hours=12)  # also a console session's absolute limit
CONSOLE_IDLE = timedelta(minutes=30)  # a console session left unused this long ends
_SLIDE_STEP = timedelta(minutes=1)  # a session's expiry moves at most once a minute: a page view is rarely a write
_hasher = PasswordHasher()
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,62}$"
_USERNAME = re.compile(USERNAME_PATTERN)


class UsernameTaken(Conflict):
    code = "username_taken"


class BadCredentials(Unauthenticated):
    code = "bad_credentials"


class CreatedKey(BaseModel):
    id: str
    name: str
    token: str = Field(description="Shown once. Send it as `Authorization: Bearer <token>`.")


class UserIn(Input):
    username: str = Field(pattern=USERNAME_PATTERN, description="2-63 characters: lower-case letters, digits, "
                          "'.', '_' or '-', starting with a letter or digit.")
    role: Role
    password: Password = Field(min_length=12, max_length=1024)


class UserOut(BaseModel):
    id: str
    username: str
    role: Role
    created_at: datetime


class LoginIn(Input):
    username: Label = Field(max_length=100)
    password: Password = Field(min_length=1, max_length=1024)


class LoginOut(BaseModel):
    token: str
    expires_at: datetime
    user: UserOut


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def create_service_key(ctx: Context, name: str) -> CreatedKey:
    require_role(ctx.actor, ADMINS, "creating a service key")
    # Checked here, not only by the API's model: the console's form hands the name over as typed (a NUL would
    # be stored on SQLite and refused by PostgreSQL with a 500).
    if not name.strip() or len(name) > 200 or any(ord(c) < 32 or c == "\x7f" or 0xD800 <= ord(c) <= 0xDFFF
                                                  for c in name):
        raise InvalidInput("a name of 1 to 200 characters, without control characters, is required", field="name")
    key_id = ctx.ids.new("key")
    secret = secrets.token_urlsafe(32)
    ctx.session.add(ServiceKey(id=key_id, name=name, secret_hash=_sha256(secret), created_at=ctx.now()))
    ctx.record(EventKind.service_key_created, "service_key", key_id, {"name": name})
    return CreatedKey(id=key_id, name=name, token=f"{KEY_PREFIX}.{key_id}.{secret}")


def authenticate_service_key(ctx: Context, token: str) -> ServiceKey:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise BadCredentials("not a fairflag service key")
    key = ctx.session.get(ServiceKey, parts[1])
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, _sha256(parts[2])):
        raise BadCredentials("unknown or revoked service key")
    return key


def service_key_id(ctx: Context, token: str) -> str:
    """The id of the valid service key ``token``: from the process's cache of keys verified in the last few
    seconds (:mod:`fairflag.services.key_cache`), else verified in the database (no connection is taken on a
    hit: the session is lazy)."""
    cache = ctx.service_keys
    if cache is not None and (key_id := cached_service_key_id(cache, token, ctx.clock.now())) is not None:
        return key_id
    key = authenticate_service_key(ctx, token)
    if cache is not None:
        cache.put(_sha256(token), key.id, ctx.clock.now())
    return key.id


def cached_service_key_id(cache: VerifiedKeys, token: str, now: datetime) -> str | None:
    """The key id if ``token`` was verified in the last seconds; None means: verify it (:func:`service_key_id`).
    Needs no database, so the HTTP layer asks it before it hands the request to a thread."""
    return cache.get(_sha256(token), now)


def create_user(ctx: Context, body: UserIn) -> UserOut:
    require_role(ctx.actor, ADMINS, "creating a user")
    if not _USERNAME.match(body.username):
        raise InvalidInput("2-63 characters: lower-case letters, digits, '.', '_' or '-'", field="username")
    if ctx.session.scalar(select(User.id).where(User.username == body.username)) is not None:
        raise UsernameTaken(f"the username {body.username!r} is taken", field="username")
    # ON CONFLICT on the unique username: of two requests creating the same user at once, the second is refused.
    user = insert_new(ctx.session, User, {"id": ctx.ids.new("usr"), "username": body.username,
                                          "role": body.role.value, "password_hash": _hasher.hash(body.password),
                                          "created_at": ctx.now()})
    if user is None:
        raise UsernameTaken(f"the username {body.username!r} is taken", field="username")
    ctx.record(EventKind.user_created, "user", user.id, {"username": user.username, "role": user.role})
    return user_out(user)


def login(ctx: Context, body: LoginIn, *, ttl: timedelta = TOKEN_TTL) -> LoginOut:
    """A new token on every login (a session id is never reused). The console asks for a short ``ttl`` (its idle
    limit), which :func:`resume_session` then slides forward up to ``TOKEN_TTL`` after login."""
    user = ctx.session.scalar(select(User).where(User.username == body.username))
    try:
        if user is None or user.disabled_at is not None:
            _hasher.verify(_DUMMY_HASH, body.password)  # same cost either way: no username probing
            raise BadCredentials("wrong username or password")
        _hasher.verify(user.password_hash, body.password)
    except (VerificationError, InvalidHashError) as exc:
        raise BadCredentials("wrong username or password") from exc
    token = secrets.token_urlsafe(32)
    expires = ctx.now() + min(ttl, TOKEN_TTL)
    ctx.session.add(UserToken(token_hash=_sha256(token), user_id=user.id, created_at=ctx.now(), expires_at=expires))
    return LoginOut(token=token, expires_at=expires, user=user_out(user))


def authenticate_token(ctx: Context, token: str) -> User:
    return _authenticate(ctx, token)[1]


def _authenticate(ctx: Context, token: str) -> tuple[UserToken, User]:
    row = ctx.session.get(UserToken, _sha256(token))
    if row is None or row.expires_at <= ctx.now():
        raise BadCredentials("unknown or expired token; log in again")
    user = ctx.session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        raise BadCredentials("this user is disabled")
    return row, user


def resume_session(ctx: Context, token: str, *, idle: timedelta = CONSOLE_IDLE) -> User:
    """A console session in use: it ends ``idle`` after its last use or ``TOKEN_TTL`` after login, whichever
    comes first. Using it slides the expiry (stored in the token's own ``expires_at``, so the API's check is
    the same check)."""
    row, user = _authenticate(ctx, token)
    slid = min(row.created_at + TOKEN_TTL, ctx.now() + idle)
    if slid - row.expires_at >= _SLIDE_STEP:
        row.expires_at = slid
    return user


def logout(ctx: Context, token: str) -> None:
    """End a session now: its token stops working everywhere. Unknown tokens are ignored (logging out twice)."""
    row = ctx.session.get(UserToken, _sha256(token))
    if row is not None:
        ctx.session.delete(row)


def user_out(u: User) -> UserOut:
    return UserOut(id=u.id, username=u.username, role=Role(u.role), created_at=u.created_at)


_DUMMY_HASH = _hasher.hash("fairflag-timing-equaliser")


class ServiceKeyOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


class ServiceKeyNotFound(NotFound):
    code = "service_key_not_found"


def list_users(ctx: Context) -> list[UserOut]:
    require_role(ctx.actor, ADMINS, "listing users")
    return [user_out(u) for u in ctx.session.scalars(select(User).order_by(User.username))]


def list_service_keys(ctx: Context) -> list[ServiceKeyOut]:
    """Names and dates only: a key's secret is shown once, when it is created, and only its hash is kept."""
    require_role(ctx.actor, ADMINS, "listing service keys")
    return [ServiceKeyOut(id=k.id, name=k.name, created_at=k.created_at, revoked_at=k.revoked_at)
            for k in ctx.session.scalars(select(ServiceKey).order_by(ServiceKey.created_at, ServiceKey.id))]


def revoke_service_key(ctx: Context, key_id: str) -> ServiceKeyOut:
    """The key stops working at once, everywhere; revoking twice changes nothing."""
    require_role(ctx.actor, ADMINS, "revoking a service key")
    key = ctx.session.get(ServiceKey, key_id, with_for_update=True)
    if key is None:
        raise ServiceKeyNotFound("no such service key", field="key_id")
    if ctx.service_keys is not None:
        ctx.service_keys.forget(key.id)  # this process stops accepting it now, whatever the cache says
    if key.revoked_at is None:
        key.revoked_at = ctx.now()
        ctx.record(EventKind.service_key_revoked, "service_key", key.id, {"name": key.name})
    return ServiceKeyOut(id=key.id, name=key.name, created_at=key.created_at, revoked_at=key.revoked_at)
