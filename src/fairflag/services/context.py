"""What every use case receives: the transaction, the clock, the policy, an id factory and the actor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from fairflag.clock import Clock
from fairflag.domain.enums import ActorType, Role
from fairflag.domain.events import EventKind
from fairflag.ids import IdFactory
from fairflag.policy import Policy
from fairflag.store import eventlog

if TYPE_CHECKING:
    from fairflag.engine.campaigns import CampaignDetector
    from fairflag.services.key_cache import VerifiedKeys


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting. For a platform key acting for one of its users, ``on_behalf_of`` is that user."""

    type: ActorType
    id: str | None
    role: Role | None = None
    on_behalf_of: str | None = None

    @property
    def label(self) -> str:
        return f"{self.type.value}:{self.id}" if self.id else self.type.value


SYSTEM = Actor(ActorType.system, "fairflag")


@dataclass
class Context:
    session: Session
    clock: Clock
    policy: Policy
    ids: IdFactory
    actor: Actor
    provenance: str = "api"
    campaigns: CampaignDetector | None = None  # the incremental detector shared by the process
    service_keys: VerifiedKeys | None = None  # keys verified recently by this process (services.key_cache)
    _now: datetime | None = field(default=None, repr=False)

    def now(self) -> datetime:
        """One "now" per unit of work, so every row a use case writes carries the same time."""
        if self._now is None:
            self._now = self.clock.now()
        return self._now

    def record(
        self,
        kind: EventKind,
        entity_type: str,
        entity_id: str,
        data: dict[str, Any] | None = None,
        *,
        occurred_at: datetime | None = None,
        actor: Actor | None = None,
    ) -> None:
        """Append one event to the log (the audit trail), written when the unit of work commits. There is no
        other way to write it."""
        who = actor or self.actor
        eventlog.append(self.session, {
            "kind": kind.value,
            "occurred_at": occurred_at or self.now(),
            "recorded_at": self.now(),
            "actor_type": who.type.value,
            "actor_id": who.id,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "policy_version": self.policy.full_version,
            "provenance": self.provenance,
            "data": data or {},
        })
