"""Persisting enforcement: actions and strikes from a decision, their reversal and their expiry.

Every change here writes an event (audit) and an outbox entry (delivery to the platform) in the
caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, func, select

from fairflag.delivery import outbox
from fairflag.domain.enums import ActionStatus
from fairflag.domain.events import EventKind
from fairflag.engine import enforcement
from fairflag.services.context import SYSTEM, Context
from fairflag.store.tables import Decision, EnforcementAction, Strike, Subject

AUTO_RESTRICTION = "restrict_visibility"


def active_strikes_query(account_id: Any, now: Any) -> Select[tuple[int]]:
    return select(func.count()).select_from(Strike).where(
        Strike.account_id == account_id, Strike.removed_at.is_(None), Strike.expires_at > now
    )


def active_strikes(ctx: Context, account_id: str) -> int:
    return int(ctx.session.scalar(active_strikes_query(account_id, ctx.now())) or 0)


def action_payload(action: EnforcementAction, decision: Decision | None) -> dict[str, Any]:
    """What the platform receives about an action. Never anything about who reported."""
    return {
        "action_id": action.id,
        "decision_id": action.decision_id,
        "kind": action.kind,
        "target": {"type": action.target_type, "id": action.target_id},
        "owner_id": action.owner_id,
        "automatic": action.automatic,
        "via_strike_ladder": action.via_strike_ladder,
        "status": action.status,
        "starts_at": action.starts_at.isoformat(),
        "ends_at": action.ends_at.isoformat() if action.ends_at else None,
        "rule": decision.rule if decision else None,
        "policy_version": action.policy_version,
    }


def enforce(ctx: Context, decision: Decision) -> list[EnforcementAction]:
    """Turn a violation decision into actions (and a strike) for the platform to enforce."""
    assert decision.action is not None
    strikes_before = active_strikes(ctx, decision.owner_id)
    plan = enforcement.plan(
        ctx.policy, action=decision.action, subject_id=decision.subject_id, owner_id=decision.owner_id,
        duration_s=decision.duration_s, active_strikes=strikes_before, at=ctx.now(),
    )
    created = []
    for planned in plan.actions:
        action = EnforcementAction(
            id=ctx.ids.new("act"), decision_id=decision.id, kind=planned.kind, target_type=planned.target_type,
            target_id=planned.target_id, owner_id=decision.owner_id, automatic=False,
            via_strike_ladder=planned.via_strike_ladder, status=ActionStatus.active.value, starts_at=ctx.now(),
            ends_at=planned.ends_at, policy_version=ctx.policy.full_version,
        )
        ctx.session.add(action)
        created.append(action)
    for action in created:
        payload = action_payload(action, decision)
        ctx.record(EventKind.action_applied, "action", action.id, payload)
        outbox.enqueue(ctx, outbox.ACTION_APPLIED, payload)
    if plan.strike:
        strike = Strike(
            id=ctx.ids.new("strk"), account_id=decision.owner_id, decision_id=decision.id,
            issued_at=ctx.now(), expires_at=enforcement.strike_expiry(ctx.policy, ctx.now()),
        )
        ctx.session.add(strike)
        ctx.record(EventKind.strike_issued, "account", decision.owner_id,
                   {"strike_id": strike.id, "decision_id": decision.id, "active_strikes": plan.strikes_after,
                    "ladder_rung": plan.ladder_rung, "expires_at": strike.expires_at.isoformat()})
    return created


def reverse(ctx: Context, decision: Decision, reason: str) -> list[EnforcementAction]:
    """Undo a decision's actions that are still in force, and remove its strike."""
    actions = ctx.session.scalars(
        select(EnforcementAction).where(EnforcementAction.decision_id == decision.id,
                                        EnforcementAction.status == ActionStatus.active.value)
        .with_for_update()
    ).all()
    for action in actions:
        action.status = ActionStatus.reversed.value
        action.ended_at = ctx.now()
        action.end_reason = reason
        payload = action_payload(action, decision)
        ctx.record(EventKind.action_reversed, "action", action.id, {**payload, "reason": reason})
        outbox.enqueue(ctx, outbox.ACTION_REVERSED, {**payload, "reason": reason})
    strikes = ctx.session.scalars(
        select(Strike).where(Strike.decision_id == decision.id, Strike.removed_at.is_(None))
    ).all()
    for strike in strikes:
        strike.removed_at = ctx.now()
        strike.removed_reason = reason
        ctx.record(EventKind.strike_removed, "account", strike.account_id,
                   {"strike_id": strike.id, "decision_id": decision.id, "reason": reason})
    return list(actions)


def expire_due(ctx: Context, *, limit: int = 500) -> int:
    """End time-limited actions whose time is up (suspensions end by themselves). Safe to rerun."""
    due = ctx.session.scalars(
        select(EnforcementAction)
        .where(EnforcementAction.status == ActionStatus.active.value, EnforcementAction.ends_at <= ctx.now())
        .order_by(EnforcementAction.ends_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for action in due:
        action.status = ActionStatus.expired.value
        action.ended_at = action.ends_at
        action.end_reason = "time limit reached"
        decision = ctx.session.get(Decision, action.decision_id) if action.decision_id else None
        payload = action_payload(action, decision)
        ctx.record(EventKind.action_expired, "action", action.id, payload, occurred_at=action.ends_at,
                   actor=SYSTEM)
        outbox.enqueue(ctx, outbox.ACTION_EXPIRED, payload, occurred_at=action.ends_at)
    return len(due)


def active_auto_restriction_query(subject_id: Any) -> Select[tuple[str]]:
    return select(EnforcementAction.id).where(
        EnforcementAction.target_type == "subject", EnforcementAction.target_id == subject_id,
        EnforcementAction.automatic.is_(True), EnforcementAction.status == ActionStatus.active.value,
    ).limit(1)


_ACTIVE_AUTO_RESTRICTION = active_auto_restriction_query(bindparam("subject_id"))


def active_auto_restriction(ctx: Context, subject_id: str) -> EnforcementAction | None:
    action_id = ctx.session.scalar(_ACTIVE_AUTO_RESTRICTION, {"subject_id": subject_id})
    return None if action_id is None else ctx.session.get(EnforcementAction, action_id)


def restrict_automatically(ctx: Context, case_id: str, subject: Subject, reason: str) -> EnforcementAction:
    """A reversible visibility restriction pending review; triage decides when (never a permanent action)."""
    action = EnforcementAction(
        id=ctx.ids.new("act"), decision_id=None, kind=AUTO_RESTRICTION, target_type="subject",
        target_id=subject.id, owner_id=subject.owner_id, automatic=True, via_strike_ladder=False,
        status=ActionStatus.active.value, starts_at=ctx.now(), ends_at=None, policy_version=ctx.policy.full_version,
    )
    ctx.session.add(action)
    ctx.session.flush()
    payload = {**action_payload(action, None), "case_id": case_id, "pending_review": True, "reason": reason}
    ctx.record(EventKind.action_applied, "action", action.id, payload, actor=SYSTEM)
    outbox.enqueue(ctx, outbox.ACTION_APPLIED, payload)
    return action


def lift(ctx: Context, action: EnforcementAction, reason: str) -> None:
    """End an automatic restriction and tell the platform."""
    action.status = ActionStatus.lifted.value
    action.ended_at = ctx.now()
    action.end_reason = reason
    payload = {**action_payload(action, None), "reason": reason}
    ctx.record(EventKind.action_lifted, "action", action.id, payload, actor=SYSTEM)
    outbox.enqueue(ctx, outbox.ACTION_LIFTED, payload)
