"""From a decision to the actions the platform must enforce, including the strike ladder.

Rules:
- the chosen action applies to the subject (remove, restrict, age-restrict, demonetize, end a
  livestream) or to the owner's account (warn, suspend, ban);
- an action whose policy says ``strike = true`` adds a strike to the owner; the owner's count of active
  strikes (not expired, not removed) picks a rung of the ladder, whose consequence applies to the
  account unless the moderator's own account action is at least as severe;
- durations come from the decision (suspend) or the ladder rung; bans are permanent and only ever come
  from a human decision (this module is only called with one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fairflag.policy import Policy

# Severity order of account-level consequences, to compare a moderator's choice with the ladder's.
ACCOUNT_RANK = {"warn": 1, "restrict_visibility": 2, "suspend": 3, "ban": 4}


@dataclass(frozen=True, slots=True)
class PlannedAction:
    kind: str
    target_type: str  # "subject" | "account"
    target_id: str
    ends_at: datetime | None
    via_strike_ladder: bool


@dataclass(frozen=True, slots=True)
class EnforcementPlan:
    actions: tuple[PlannedAction, ...]
    strike: bool
    strikes_after: int  # active strikes the owner will have
    ladder_rung: int | None  # the ladder rung reached (its strike count), if any


def plan(
    policy: Policy,
    *,
    action: str,
    subject_id: str,
    owner_id: str,
    duration_s: int | None,
    active_strikes: int,
    at: datetime,
) -> EnforcementPlan:
    spec = policy.actions[action]
    actions: list[PlannedAction] = []
    ends = at + timedelta(seconds=duration_s) if duration_s else None
    if spec.target == "subject":
        actions.append(PlannedAction(action, "subject", subject_id, ends, False))
        own_account_rank = 0
    else:
        actions.append(PlannedAction(action, "account", owner_id, None if spec.permanent else ends, False))
        own_account_rank = ACCOUNT_RANK[action]

    strikes_after = active_strikes + (1 if spec.strike else 0)
    rung = policy.strikes.step_for(strikes_after) if spec.strike else None
    if rung is not None and ACCOUNT_RANK[rung.consequence] > own_account_rank:
        rung_ends = at + timedelta(seconds=rung.duration_s) if rung.duration_s else None
        actions.append(PlannedAction(rung.consequence, "account", owner_id, rung_ends, True))
    return EnforcementPlan(
        actions=tuple(actions),
        strike=spec.strike,
        strikes_after=strikes_after,
        ladder_rung=rung.strikes if rung else None,
    )


def strike_expiry(policy: Policy, at: datetime) -> datetime:
    return at + timedelta(days=policy.strikes.expire_after_days)
