"""The case lifecycle as a pure reducer: ``apply(state, event) -> new state``.

Every rule about who may hold or decide a case lives here, and every time comes from the event
itself, so replaying the event log rebuilds the same cases. The store persists the result in the
same transaction as the event.

Rules:
- one case collects the reports on a subject while it is open; a decided case never reopens (a new
  report on the subject opens a new case);
- a moderator claims an open case for ``lease_s`` seconds; while the lease runs nobody else can claim
  it; the holder may renew it; after it lapses anyone may claim it;
- only the holder of a live lease decides; deciding closes the case;
- a first opinion (a restrictive decision that needs a second moderator, see ``[second_review]``) releases
  the case without closing it; the moderator who gave it can neither claim nor decide the case again;
- a second moderator who disagrees with the first opinion gives a second opinion (``tie_break``): the case
  is released again, and a third moderator, who gave neither, decides it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from fairflag.domain.enums import CaseStatus
from fairflag.domain.errors import Conflict, Forbidden


class CaseNotOpen(Conflict):
    code = "case_not_open"


class CaseHeldByOther(Conflict):
    code = "case_held_by_other"


class CaseNotClaimed(Forbidden):
    code = "case_not_claimed"


class LeaseExpired(Conflict):
    code = "lease_expired"


class SecondModeratorRequired(Forbidden):
    code = "second_moderator_required"


@dataclass(frozen=True, slots=True)
class CaseState:
    id: str
    subject_id: str
    status: CaseStatus
    opened_at: datetime
    updated_at: datetime
    report_count: int = 0
    withdrawn_count: int = 0
    claimed_by: str | None = None
    lease_expires_at: datetime | None = None
    decided_at: datetime | None = None
    decision_id: str | None = None
    first_opinion_by: str | None = None  # awaiting a second moderator's review
    second_opinion_by: str | None = None  # disagreed with the first: awaiting a third moderator

    def lease_live(self, at: datetime) -> bool:
        return self.claimed_by is not None and self.lease_expires_at is not None and at < self.lease_expires_at

    def holder_at(self, at: datetime) -> str | None:
        return self.claimed_by if self.lease_live(at) else None


@dataclass(frozen=True, slots=True)
class CaseOpened:
    case_id: str
    subject_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReportAttached:
    report_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReportWithdrawn:
    report_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseClaimed:
    moderator_id: str
    at: datetime
    lease_s: int


@dataclass(frozen=True, slots=True)
class CaseReleased:
    moderator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class FirstOpinionGiven:
    moderator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SecondOpinionGiven:
    moderator_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseDecided:
    moderator_id: str
    decision_id: str
    at: datetime


CaseEvent = (CaseOpened | ReportAttached | ReportWithdrawn | CaseClaimed | CaseReleased | FirstOpinionGiven
             | SecondOpinionGiven | CaseDecided)


def apply(state: CaseState | None, event: CaseEvent) -> CaseState:
    """Fold one event into a case; raises a domain error when the event breaks a rule."""
    if isinstance(event, CaseOpened):
        if state is not None:
            raise CaseNotOpen(f"case {event.case_id} already exists")
        return CaseState(
            id=event.case_id, subject_id=event.subject_id, status=CaseStatus.open,
            opened_at=event.at, updated_at=event.at,
        )
    if state is None:
        raise CaseNotOpen("no such case")
    if isinstance(event, ReportAttached):
        _require_open(state)
        return replace(state, report_count=state.report_count + 1, updated_at=event.at)
    if isinstance(event, ReportWithdrawn):
        # A withdrawal after the decision is still recorded on the report, but the case is closed.
        if state.status is not CaseStatus.open:
            return state
        return replace(state, withdrawn_count=state.withdrawn_count + 1, updated_at=event.at)
    if isinstance(event, CaseClaimed):
        _require_open(state)
        _require_second(state, event.moderator_id)
        holder = state.holder_at(event.at)
        if holder is not None and holder != event.moderator_id:
            raise CaseHeldByOther("another moderator holds this case", field="case_id")
        return replace(
            state, claimed_by=event.moderator_id,
            lease_expires_at=event.at + timedelta(seconds=event.lease_s), updated_at=event.at,
        )
    if isinstance(event, CaseReleased):
        _require_open(state)
        _require_holder(state, event.moderator_id, event.at)
        return replace(state, claimed_by=None, lease_expires_at=None, updated_at=event.at)
    if isinstance(event, FirstOpinionGiven | SecondOpinionGiven):
        _require_open(state)
        _require_second(state, event.moderator_id)
        _require_holder(state, event.moderator_id, event.at)
        released = replace(state, claimed_by=None, lease_expires_at=None, updated_at=event.at)
        if isinstance(event, FirstOpinionGiven):
            if state.first_opinion_by is not None:
                raise CaseNotOpen("this case already has its first opinion", field="case_id")
            return replace(released, first_opinion_by=event.moderator_id)
        if state.first_opinion_by is None or state.second_opinion_by is not None:
            raise CaseNotOpen("a second opinion answers a first one, once", field="case_id")
        return replace(released, second_opinion_by=event.moderator_id)
    if isinstance(event, CaseDecided):
        _require_open(state)
        _require_second(state, event.moderator_id)
        _require_holder(state, event.moderator_id, event.at)
        return replace(
            state, status=CaseStatus.decided, decided_at=event.at, decision_id=event.decision_id,
            claimed_by=None, lease_expires_at=None, updated_at=event.at,
        )
    raise TypeError(f"unknown case event {event!r}")


def _require_open(state: CaseState) -> None:
    if state.status is not CaseStatus.open:
        raise CaseNotOpen(f"case {state.id} is {state.status.value}", field="case_id")


def _require_second(state: CaseState, moderator_id: str) -> None:
    if moderator_id in (state.first_opinion_by, state.second_opinion_by):
        raise SecondModeratorRequired("you gave an opinion on this case; another moderator must review it",
                                      field="case_id")


def _require_holder(state: CaseState, moderator_id: str, at: datetime) -> None:
    if state.claimed_by != moderator_id:
        raise CaseNotClaimed("claim the case before deciding or releasing it", field="case_id")
    if not state.lease_live(at):
        raise LeaseExpired("your claim on this case has expired; claim it again", field="case_id")
