"""What delivery needs from the caller's transaction, named here so delivery never imports the use cases.

Delivery sits below the services: a use case writes the outbox inside its own unit of work, and the
background sender (:mod:`fairflag.webhook_sender`) runs delivery's steps through the core. Neither direction
may point back up, so delivery states what it reads as a protocol; :class:`fairflag.services.context.Context`
provides it without knowing of it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from fairflag.ids import IdFactory
from fairflag.policy import Policy


class UnitOfWork(Protocol):
    """One open transaction with its time, ids and policy (the use case's context)."""

    @property
    def session(self) -> Session: ...

    @property
    def ids(self) -> IdFactory: ...

    @property
    def policy(self) -> Policy: ...

    def now(self) -> datetime: ...
