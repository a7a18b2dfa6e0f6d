"""Reading the audit log (the event log). Writing happens only through ``Context.record``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from fairflag.services.context import Context
from fairflag.services.permissions import AUDITORS, require_role
from fairflag.services.pseudonyms import pseudonym_for
from fairflag.store.tables import Event


class AuditEntry(BaseModel):
    seq: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    entity_type: str
    entity_id: str
    policy_version: str
    provenance: str
    data: dict[str, Any]


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_after: int


def read_log(ctx: Context, after: int = 0, limit: int = 100, *, pseudonymous: bool = False) -> AuditPage:
    """With ``pseudonymous`` (the console's page), accounts appear as reporter pseudonyms and event data is left
    out: any account may be a reporter, and no console page shows who reported."""
    require_role(ctx.actor, AUDITORS, "reading the audit log")
    rows = ctx.session.scalars(select(Event).where(Event.seq > after).order_by(Event.seq).limit(limit)).all()
    entries = [
        AuditEntry(seq=e.seq, kind=e.kind, occurred_at=e.occurred_at, recorded_at=e.recorded_at,
                   actor=f"{e.actor_type}:{e.actor_id or ''}", entity_type=e.entity_type,
                   entity_id=pseudonym_for(ctx, e.entity_id) if pseudonymous and e.entity_type == "account"
                   else e.entity_id,
                   policy_version=e.policy_version, provenance=e.provenance, data={} if pseudonymous else e.data or {})
        for e in rows
    ]
    return AuditPage(entries=entries, next_after=entries[-1].seq if entries else after)
