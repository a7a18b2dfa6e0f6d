"""The platform describes its accounts and subjects (and keeps their exposure signals current)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from fairflag.domain.enums import Surface
from fairflag.domain.errors import InvalidInput
from fairflag.domain.events import EventKind
from fairflag.services import validation
from fairflag.services.context import Context
from fairflag.services.inputs import Bool, ExternalId, Input, Integer, Label, Number, Time, when
from fairflag.store.tables import Account, Subject

# Counts are stored as BIGINT; bounded to what every JSON client reads exactly (2^53 - 1), so an absurd value
# is a 422, not a database overflow or a rounding surprise.
NonNegative = Annotated[Integer, Field(ge=0, le=2**53 - 1)]
Signal = Annotated[Number, Field(allow_inf_nan=False)]
SignalName = Annotated[Label, Field(max_length=100)]


class AccountIn(Input):
    id: ExternalId = Field(description="The platform's id for the account.")
    created_at: Time | None = Field(None, description="When the account was created on the platform.")
    verified: Bool = False
    trusted_flagger: Bool = Field(False, description="Awarded trusted-flagger status (DSA Art. 22).")
    followers: NonNegative = 0


class SubjectIn(Input):
    model_config = ConfigDict(json_schema_extra={"allOf": [
        when("surface", "account", otherwise_required="owner_id"),
    ]})

    id: ExternalId = Field(description="The platform's id for the reportable thing.")
    surface: Surface
    owner_id: ExternalId | None = Field(None, description="The owning account: required unless surface is "
                                        "`account` (an account subject is owned by itself; send its own id or none).")
    created_at: Time | None = None
    views: NonNegative = 0
    is_live: Bool = False
    signals: dict[SignalName, Signal] = Field(
        default_factory=dict,
        description="Engagement and spam signals from the platform (e.g. likes, shares, spam_score).",
        max_length=50,
    )


class AccountOut(BaseModel):
    id: str
    created_at: datetime | None
    verified: bool
    trusted_flagger: bool
    followers: int


class SubjectOut(BaseModel):
    id: str
    surface: Surface
    owner_id: str
    created_at: datetime | None
    views: int
    is_live: bool
    signals: dict[str, float]


_ADDED_ACCOUNTS = "fairflag.platform.added_accounts"  # Session.info: accounts added in this unit of work


def ensure_account(ctx: Context, account_id: str, field: str, described: dict[str, Any] | None = None) -> Account:
    """The account, created with what little we know (or ``described``) if the platform has not described it
    yet. Written with the rest of the unit of work (the ORM writes accounts before what references them)."""
    validation.external_id(ctx.policy, account_id, field)
    return _known_account(ctx, account_id) or _add_account(ctx, account_id, described or {})


def added_in_this_unit(ctx: Context, account_id: str) -> bool:
    """The account did not exist before this unit of work (so nothing refers to it yet)."""
    return account_id in ctx.session.info.get(_ADDED_ACCOUNTS, {})


def _known_account(ctx: Context, account_id: str) -> Account | None:
    return ctx.session.info.get(_ADDED_ACCOUNTS, {}).get(account_id) or ctx.session.get(Account, account_id)


def _add_account(ctx: Context, account_id: str, described: dict[str, Any]) -> Account:
    values = {"created_at": None, "verified": False, "trusted_flagger": False, "followers": 0, **described}
    account = Account(id=account_id, first_seen_at=ctx.now(), updated_at=ctx.now(), **values)
    ctx.session.add(account)
    ctx.session.info.setdefault(_ADDED_ACCOUNTS, {})[account_id] = account  # the identity map holds flushed rows
    return account


def upsert_account(ctx: Context, body: AccountIn) -> AccountOut:
    validation.external_id(ctx.policy, body.id, "id")
    created = validation.past_time(ctx.policy, body.created_at, ctx.now(), "created_at")
    values: dict[str, Any] = {
        "created_at": created, "verified": body.verified, "trusted_flagger": body.trusted_flagger,
        "followers": body.followers,
    }
    known = _known_account(ctx, body.id)
    if known is None:
        account = _add_account(ctx, body.id, values)
        changed = values
    else:
        account = known
        changed = _assign(account, values)
    account.updated_at = ctx.now()
    if changed:
        ctx.record(EventKind.account_upserted, "account", account.id, _jsonable(changed))
    return account_out(account)


def upsert_subject(ctx: Context, body: SubjectIn) -> SubjectOut:
    validation.external_id(ctx.policy, body.id, "id")
    owner_id = body.owner_id or (body.id if body.surface is Surface.account else None)
    if owner_id is None:
        raise InvalidInput("required unless surface is account", field="owner_id")
    if body.surface is Surface.account and owner_id != body.id:
        raise InvalidInput("an account subject is owned by itself", field="owner_id")
    created = validation.past_time(ctx.policy, body.created_at, ctx.now(), "created_at")
    subject = ctx.session.get(Subject, body.id)
    if subject is None:  # a known subject's owner exists (and cannot change: checked below)
        ensure_account(ctx, owner_id, "owner_id")
    else:
        validation.external_id(ctx.policy, owner_id, "owner_id")
    values: dict[str, Any] = {
        "owner_id": owner_id, "created_at": created, "views": body.views, "is_live": body.is_live,
        "signals": dict(body.signals),
    }
    if subject is None:
        subject = Subject(id=body.id, surface=body.surface.value, first_seen_at=ctx.now(), updated_at=ctx.now(),
                          **values)
        ctx.session.add(subject)
        changed = {"surface": body.surface.value, **values}
    else:
        if subject.surface != body.surface.value:
            raise InvalidInput(f"a subject's surface cannot change (it is {subject.surface})", field="surface")
        if subject.owner_id != owner_id:
            raise InvalidInput("a subject's owner cannot change", field="owner_id")
        changed = _assign(subject, values)
        subject.updated_at = ctx.now()
    if changed:
        ctx.record(EventKind.subject_upserted, "subject", subject.id, _jsonable(changed))
    return subject_out(subject)


def account_out(a: Account) -> AccountOut:
    return AccountOut(id=a.id, created_at=a.created_at, verified=a.verified, trusted_flagger=a.trusted_flagger,
                      followers=a.followers)


def subject_out(s: Subject) -> SubjectOut:
    return SubjectOut(id=s.id, surface=Surface(s.surface), owner_id=s.owner_id, created_at=s.created_at,
                      views=s.views, is_live=s.is_live, signals=s.signals or {})


def _assign(row: Any, values: dict[str, Any]) -> dict[str, Any]:
    changed = {}
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed[key] = value
    return changed


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}
