"""The platform describes its accounts and subjects (and keeps their exposure signals current)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from fairflag.domain.enums import Surface
from fairflag.domain.errors import InvalidInput
from fairflag.domain.events import EventKind
from fairflag.services import validation
from fairflag.services.context import Context
from fairflag.services.inputs import Bool, ExternalId, Input, Integer, Label, Number, Time, when
from fairflag.store.rows import insert_new, insert_rows
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


_ADDED_ACCOUNTS = "fairflag.platform.added_accounts"  # Session.info: ids of the accounts this unit of work created

# Locks a row for a change that keeps its key (FOR NO KEY UPDATE on PostgreSQL): rows that reference it (a report,
# a case, a decision) can still be inserted meanwhile; SQLite's single writer needs no lock.
FOR_CHANGE = {"key_share": True}


def ensure_account(ctx: Context, account_id: str, field: str, described: dict[str, Any] | None = None) -> Account:
    """The account, created with what little we know (or ``described``) if the platform has not described it
    yet. Race-free: a concurrent request creating the same account makes this one wait and use its row."""
    validation.external_id(ctx.policy, account_id, field)
    return ctx.session.get(Account, account_id) or _add_account(ctx, account_id, described or {})[0]


def added_in_this_unit(ctx: Context, account_id: str) -> bool:
    """The account did not exist before this unit of work (so nothing refers to it yet)."""
    return account_id in ctx.session.info.get(_ADDED_ACCOUNTS, set())


def accounts(ctx: Context, account_ids: list[str]) -> dict[str, Account]:
    """The accounts of these ids that exist (read in one query, not locked): what :func:`ensure_account`
    would find, for many reports at once."""
    wanted = sorted(set(account_ids))
    found: dict[str, Account] = {}
    for start in range(0, len(wanted), 500):
        for row in ctx.session.scalars(select(Account).where(Account.id.in_(wanted[start:start + 500]))):
            found[row.id] = row
    return found


def add_accounts(ctx: Context, account_ids: list[str]) -> None:
    """Create the accounts of these ids that do not exist, with what little we know, as :func:`ensure_account`
    does one by one, in one ``INSERT ... ON CONFLICT DO NOTHING`` (ids in ascending order: two batches creating
    the same accounts wait for each other instead of deadlocking). The ones this unit of work created are
    remembered (:func:`added_in_this_unit`)."""
    wanted = sorted(set(account_ids))
    if not wanted:
        return
    created = insert_rows(ctx.session, Account.__table__, [_new_account(ctx, account_id, {}) for account_id in wanted],
                          skip_existing=True, returning=("id",))
    ctx.session.info.setdefault(_ADDED_ACCOUNTS, set()).update(row[0] for row in created)


def _new_account(ctx: Context, account_id: str, described: dict[str, Any]) -> dict[str, Any]:
    values = {"created_at": None, "verified": False, "trusted_flagger": False, "followers": 0, **described}
    return {"id": account_id, "first_seen_at": ctx.now(), "updated_at": ctx.now(), **values}


def _add_account(ctx: Context, account_id: str, described: dict[str, Any]) -> tuple[Account, bool]:
    """Insert the account unless it exists (``INSERT ... ON CONFLICT DO NOTHING``). Returns the row and whether
    this unit of work created it; if a concurrent transaction did, its committed row, locked for a change."""
    account = insert_new(ctx.session, Account, _new_account(ctx, account_id, described))
    if account is not None:
        ctx.session.info.setdefault(_ADDED_ACCOUNTS, set()).add(account_id)
        return account, True
    existing = ctx.session.get(Account, account_id, with_for_update=FOR_CHANGE)
    assert existing is not None, "ON CONFLICT DO NOTHING returned nothing, so the row exists"
    return existing, False


def upsert_account(ctx: Context, body: AccountIn) -> AccountOut:
    validation.external_id(ctx.policy, body.id, "id")
    created = validation.past_time(ctx.policy, body.created_at, ctx.now(), "created_at")
    values: dict[str, Any] = {
        "created_at": created, "verified": body.verified, "trusted_flagger": body.trusted_flagger,
        "followers": body.followers,
    }
    # Locked, so two descriptions of one account apply one after the other and each records what it changed.
    account = ctx.session.get(Account, body.id, with_for_update=FOR_CHANGE)
    if account is None:
        account, inserted = _add_account(ctx, body.id, values)
        changed = values if inserted else _assign(account, values)
    else:
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
    values: dict[str, Any] = {
        "owner_id": owner_id, "created_at": created, "views": body.views, "is_live": body.is_live,
        "signals": dict(body.signals),
    }
    # Locked like an account (see upsert_account); the reports on a subject take the same lock.
    subject = ctx.session.get(Subject, body.id, with_for_update=FOR_CHANGE)
    if subject is None:
        ensure_account(ctx, owner_id, "owner_id")
        subject = insert_new(ctx.session, Subject, {"id": body.id, "surface": body.surface.value,
                                                    "first_seen_at": ctx.now(), "updated_at": ctx.now(), **values})
        if subject is not None:
            ctx.record(EventKind.subject_upserted, "subject", subject.id,
                       _jsonable({"surface": body.surface.value, **values}))
            return subject_out(subject)
        # A concurrent upsert created it first: this one is an update of that row.
        subject = ctx.session.get(Subject, body.id, with_for_update=FOR_CHANGE)
        assert subject is not None, "ON CONFLICT DO NOTHING returned nothing, so the row exists"
    else:  # a known subject's owner exists (and cannot change: checked below)
        validation.external_id(ctx.policy, owner_id, "owner_id")
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
