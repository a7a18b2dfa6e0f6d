"""Misuse of the reporting system (DSA Art. 23): warn first, then suspend processing for a time.

A report counts as *manifestly unfounded* when a moderator marked it abusive or a senior confirmed the
campaign it belonged to. Merely rejected reports do not count: honest users are wrong most of the time
(only 20–30 % of ordinary reports are upheld), and punishing that would silence them.

Rules, evaluated after each outcome for the reporter, with counts within ``window_days``:
- no warning yet and ``abusive >= warn_after`` → warn;
- warned (warning younger than ``warning_valid_days``) and ``abusive since the warning >= suspend_after``
  → suspend processing for the next rung of ``suspension_days`` (7, 30, 90 days by default);
- a suspension ends by itself at its time; the reporter's reports are still stored, marked unprocessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal


@dataclass(frozen=True, slots=True)
class MisusePolicy:
    window_days: float = 90.0
    warn_after: int = 3
    suspend_after: int = 3
    warning_valid_days: float = 180.0
    suspension_days: tuple[float, ...] = (7.0, 30.0, 90.0)


@dataclass(frozen=True, slots=True)
class MisuseState:
    warned_at: datetime | None = None
    suspended_until: datetime | None = None
    suspensions: int = 0

    def suspended_at(self, at: datetime) -> bool:
        return self.suspended_until is not None and at < self.suspended_until


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Literal["none", "warn", "suspend"]
    reason: str
    until: datetime | None = None


def evaluate(state: MisuseState, *, abusive_in_window: int, abusive_since_warning: int, at: datetime,
             policy: MisusePolicy) -> Verdict:
    """What to do about a reporter now. Each early return says why (the reason is recorded)."""
    if state.suspended_at(at):
        return Verdict("none", "already suspended")
    warning_live = state.warned_at is not None and at - state.warned_at < timedelta(days=policy.warning_valid_days)
    if not warning_live:
        if abusive_in_window >= policy.warn_after:
            return Verdict("warn", f"{abusive_in_window} manifestly unfounded reports in {policy.window_days:g} days")
        return Verdict("none", f"{abusive_in_window} manifestly unfounded reports, below {policy.warn_after}")
    if abusive_since_warning >= policy.suspend_after:
        rung = min(state.suspensions, len(policy.suspension_days) - 1)
        until = at + timedelta(days=policy.suspension_days[rung])
        return Verdict("suspend", f"{abusive_since_warning} manifestly unfounded reports after a warning", until)
    return Verdict("none", f"warned; {abusive_since_warning} unfounded since, below {policy.suspend_after}")
