"""The closed vocabularies of the domain."""

from __future__ import annotations

from enum import StrEnum


class Surface(StrEnum):
    account = "account"
    video = "video"
    comment = "comment"
    livestream = "livestream"


class ReportSource(StrEnum):
    """Where a report came from; all are evidence on the same case, origin kept and shown."""

    user = "user"
    trusted_flagger = "trusted_flagger"
    automated = "automated"  # a platform classifier: name, version, score
    remote = "remote"  # another instance (federation)


class CaseStatus(StrEnum):
    open = "open"
    decided = "decided"


class ReportOutcome(StrEnum):
    pending = "pending"
    upheld = "upheld"
    rejected = "rejected"
    abusive = "abusive"  # manifestly unfounded: marked by a moderator, or in a confirmed campaign
    withdrawn = "withdrawn"  # withdrawn before the case was decided


class DecisionOutcome(StrEnum):
    no_violation = "no_violation"
    violation = "violation"


class ActionKind(StrEnum):
    remove = "remove"
    restrict_visibility = "restrict_visibility"
    age_restrict = "age_restrict"
    demonetize = "demonetize"
    end_livestream = "end_livestream"
    warn = "warn"
    suspend = "suspend"
    ban = "ban"


class ActionStatus(StrEnum):
    active = "active"
    expired = "expired"  # a time-limited action that ended by itself
    reversed = "reversed"  # undone by an appeal
    lifted = "lifted"  # an automatic restriction ended: review decided, or a campaign was detected behind it


class AppealStatus(StrEnum):
    open = "open"
    upheld = "upheld"  # the original decision stands
    overturned = "overturned"


class AppellantRole(StrEnum):
    creator = "creator"
    reporter = "reporter"


class Role(StrEnum):
    moderator = "moderator"
    senior = "senior"
    admin = "admin"
    auditor = "auditor"


class ActorType(StrEnum):
    platform = "platform"  # a service key acting for the platform or one of its users
    user = "user"  # a console user (moderator, senior, admin, auditor)
    system = "system"  # fairflag itself: expiry sweeps, automatic rules
    cli = "cli"  # an operator at the command line


# What each role may do. Seniors can do what moderators can; admins manage, auditors only read.
ROLE_RANK = {Role.moderator: 1, Role.senior: 2, Role.admin: 3}


class CampaignStatus(StrEnum):
    detected = "detected"
    confirmed = "confirmed"
    dismissed = "dismissed"
    demoted = "demoted"  # its targets were upheld: a community that was right (taken back if a strike shows)
