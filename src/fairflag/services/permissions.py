"""Who may do what. Checked at the start of each use case, so every entry point (API, console, CLI)
gets the same answer."""

from __future__ import annotations

from fairflag.domain.enums import ActorType, Role
from fairflag.domain.errors import Forbidden
from fairflag.services.context import Actor

MODERATORS = frozenset({Role.moderator, Role.senior, Role.admin})
SENIORS = frozenset({Role.senior, Role.admin})
ADMINS = frozenset({Role.admin})
READERS = frozenset({Role.moderator, Role.senior, Role.admin, Role.auditor})
AUDITORS = frozenset({Role.admin, Role.auditor})


class RoleForbidden(Forbidden):
    code = "role_forbidden"


def require_role(actor: Actor, allowed: frozenset[Role], what: str) -> str:
    """The acting user's id, if their role allows ``what``; the CLI operator is trusted like an admin."""
    if actor.type is ActorType.cli:
        return actor.id or "cli"
    if actor.type is not ActorType.user or actor.role not in allowed:
        roles = ", ".join(sorted(r.value for r in allowed))
        raise RoleForbidden(f"{what} needs one of the roles: {roles}")
    assert actor.id is not None
    return actor.id
