"""Property tests of the pure case reducer (fairflag.domain.cases.apply).

Random histories of claims, releases, decisions, attached and withdrawn reports by a few moderators at
random (non-decreasing) times are folded through the reducer. Each event is either accepted (a new state)
or refused (a domain error, state untouched). The properties are checked against an independent model of
leases written here from the rules in the module docstring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st

from fairflag.domain import cases
from fairflag.domain.cases import (
    CaseClaimed,
    CaseDecided,
    CaseEvent,
    CaseHeldByOther,
    CaseNotClaimed,
    CaseNotOpen,
    CaseOpened,
    CaseReleased,
    CaseState,
    FirstOpinionGiven,
    LeaseExpired,
    ReportAttached,
    ReportWithdrawn,
    SecondModeratorRequired,
    SecondOpinionGiven,
)
from fairflag.domain.enums import CaseStatus
from fairflag.domain.errors import DomainError

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LEASE = 900
MODERATORS = ("m1", "m2", "m3")

# Steps between events, dense around the lease boundary.
gaps = st.sampled_from([0, 0, 1, 30, 450, LEASE - 1, LEASE, LEASE + 1, 3600])
kinds = st.sampled_from(["claim", "claim", "claim", "release", "decide", "decide", "attach", "withdraw"])
steps = st.lists(st.tuples(gaps, kinds, st.sampled_from(MODERATORS)), max_size=40)


def build(raw: list[tuple[int, str, str]]) -> list[CaseEvent]:
    """A history: the case opens at T0, then the random steps, each at its own non-decreasing time."""
    events: list[CaseEvent] = [CaseOpened("case_1", "subj_1", T0)]
    at = T0
    for n, (gap, kind, moderator) in enumerate(raw):
        at += timedelta(seconds=gap)
        if kind == "claim":
            events.append(CaseClaimed(moderator, at, LEASE))
        elif kind == "release":
            events.append(CaseReleased(moderator, at))
        elif kind == "decide":
            events.append(CaseDecided(moderator, f"dec_{n}", at))
        elif kind == "attach":
            events.append(ReportAttached(f"rep_{n}", at))
        else:
            events.append(ReportWithdrawn(f"rep_{n}", at))
    return events


@dataclass
class Outcome:
    before: CaseState | None
    event: CaseEvent
    after: CaseState | None  # None: refused
    error: DomainError | None


def fold(events: list[CaseEvent]) -> list[Outcome]:
    """Apply every event; a refused one leaves the state as it was."""
    state: CaseState | None = None
    outcomes = []
    for event in events:
        try:
            new = cases.apply(state, event)
        except DomainError as exc:
            outcomes.append(Outcome(state, event, None, exc))
            continue
        outcomes.append(Outcome(state, event, new, None))
        state = new
    return outcomes


def final(outcomes: list[Outcome]) -> CaseState | None:
    accepted = [o.after for o in outcomes if o.after is not None]
    return accepted[-1] if accepted else None


@given(steps)
@settings(max_examples=200, deadline=None)
def test_decided_case_never_changes_again(raw: list[tuple[int, str, str]]) -> None:
    outcomes = fold(build(raw))
    decided: CaseState | None = None
    for o in outcomes:
        if decided is not None:
            # After the decision, every event is refused, or (a withdrawal) accepted without any change.
            if o.error is None:
                assert isinstance(o.event, ReportWithdrawn)
                assert o.after == decided
            else:
                assert isinstance(o.error, CaseNotOpen)
        elif o.after is not None and o.after.status is CaseStatus.decided:
            assert isinstance(o.event, CaseDecided)
            assert o.after.decision_id == o.event.decision_id and o.after.decided_at == o.event.at
            assert o.after.claimed_by is None and o.after.lease_expires_at is None
            decided = o.after
    end = final(outcomes)
    assert end is not None
    assert (end.status is CaseStatus.decided) == (decided is not None)


@dataclass
class Lease:
    moderator: str
    start: datetime
    end: datetime  # the expiry, or the release / decision / renewal that ended it earlier


@given(steps)
@settings(max_examples=200, deadline=None)
def test_at_most_one_live_lease_holder(raw: list[tuple[int, str, str]]) -> None:
    """Lease intervals [start, end) of different moderators never overlap, and the reducer's holder at every
    event time matches that model."""
    leases: list[Lease] = []
    current: Lease | None = None
    for o in fold(build(raw)):
        at = o.event.at
        model_holder = current.moderator if current is not None and at < current.end else None
        if o.before is not None:
            assert o.before.holder_at(at) == model_holder
        if o.after is None:
            continue
        if isinstance(o.event, CaseClaimed):
            assert model_holder in (None, o.event.moderator_id), "a claim was granted over a live lease"
            if current is not None and at < current.end:
                current.end = at  # renewed by its holder: the old interval ends where the new one starts
            current = Lease(o.event.moderator_id, at, at + timedelta(seconds=o.event.lease_s))
            leases.append(current)
            assert o.after.holder_at(at) == o.event.moderator_id
        elif isinstance(o.event, CaseReleased | CaseDecided):
            assert current is not None
            current.end = at
            current = None
            assert o.after.holder_at(at) is None
    for i, a in enumerate(leases):
        for b in leases[i + 1:]:
            if a.moderator != b.moderator:
                assert a.end <= b.start or b.end <= a.start, f"{a} overlaps {b}"


@given(steps)
@settings(max_examples=200, deadline=None)
def test_only_the_live_lease_holder_decides_or_releases(raw: list[tuple[int, str, str]]) -> None:
    for o in fold(build(raw)):
        if not isinstance(o.event, CaseDecided | CaseReleased):
            continue
        before = o.before
        assert before is not None
        at, moderator = o.event.at, o.event.moderator_id
        if before.status is not CaseStatus.open:
            assert isinstance(o.error, CaseNotOpen)
        elif before.claimed_by != moderator:
            assert isinstance(o.error, CaseNotClaimed)
        elif not before.lease_live(at):
            assert isinstance(o.error, LeaseExpired)
        else:
            assert o.error is None and before.holder_at(at) == moderator
        if o.error is None:
            assert before.holder_at(at) == moderator


@given(steps)
@settings(max_examples=200, deadline=None)
def test_claims_follow_the_lease_rules(raw: list[tuple[int, str, str]]) -> None:
    for o in fold(build(raw)):
        if not isinstance(o.event, CaseClaimed):
            continue
        before = o.before
        assert before is not None
        holder = before.holder_at(o.event.at)
        if before.status is not CaseStatus.open:
            assert isinstance(o.error, CaseNotOpen)
        elif holder is not None and holder != o.event.moderator_id:
            assert isinstance(o.error, CaseHeldByOther) and o.error.field == "case_id"
        else:
            assert o.error is None and o.after is not None
            assert o.after.lease_expires_at == o.event.at + timedelta(seconds=LEASE)


@given(steps)
@settings(max_examples=200, deadline=None)
def test_replaying_accepted_events_rebuilds_the_same_state(raw: list[tuple[int, str, str]]) -> None:
    outcomes = fold(build(raw))
    accepted = [o.event for o in outcomes if o.error is None]
    rebuilt = reduce(cases.apply, accepted, None)  # type: ignore[arg-type]
    assert rebuilt == final(outcomes)
    assert reduce(cases.apply, accepted, None) == rebuilt  # type: ignore[arg-type]
    # Every intermediate state is rebuilt too, and the counters count what was accepted.
    state: CaseState | None = None
    for o in outcomes:
        if o.error is None:
            state = cases.apply(state, o.event)
            assert state == o.after
    assert rebuilt is not None
    assert rebuilt.report_count == sum(isinstance(e, ReportAttached) for e in accepted)
    open_withdrawals = [o for o in outcomes if isinstance(o.event, ReportWithdrawn)
                        and o.before is not None and o.before.status is CaseStatus.open]
    assert rebuilt.withdrawn_count == len(open_withdrawals)


def test_refusals_name_their_reason() -> None:
    opened = cases.apply(None, CaseOpened("case_1", "subj_1", T0))
    held = cases.apply(opened, CaseClaimed("m1", T0, LEASE))
    lapse = T0 + timedelta(seconds=LEASE)
    refusals: list[tuple[CaseState | None, CaseEvent, type[DomainError], str]] = [
        (None, ReportAttached("r", T0), CaseNotOpen, "case_not_open"),
        (opened, CaseOpened("case_1", "subj_1", T0), CaseNotOpen, "case_not_open"),
        (held, CaseClaimed("m2", lapse - timedelta(seconds=1), LEASE), CaseHeldByOther, "case_held_by_other"),
        (held, CaseDecided("m2", "d", T0), CaseNotClaimed, "case_not_claimed"),
        (opened, CaseReleased("m1", T0), CaseNotClaimed, "case_not_claimed"),
        (held, CaseDecided("m1", "d", lapse), LeaseExpired, "lease_expired"),
    ]
    for state, event, error, code in refusals:
        try:
            cases.apply(state, event)
        except DomainError as exc:
            assert type(exc) is error and exc.code == code, (event, exc)
        else:
            raise AssertionError(f"{event} was accepted")
    # At the lapse instant the lease is over: another moderator may claim.
    assert cases.apply(held, CaseClaimed("m2", lapse, LEASE)).claimed_by == "m2"


def test_a_first_opinion_releases_the_case_to_another_moderator_only() -> None:
    opened = cases.apply(None, CaseOpened("case_1", "subj_1", T0))
    held = cases.apply(opened, CaseClaimed("m1", T0, LEASE))
    first = cases.apply(held, FirstOpinionGiven("m1", T0 + timedelta(seconds=10)))
    assert first.status is CaseStatus.open and first.claimed_by is None and first.first_opinion_by == "m1"
    later = T0 + timedelta(seconds=20)
    for event in (CaseClaimed("m1", later, LEASE), FirstOpinionGiven("m1", later)):
        try:
            cases.apply(first, event)
        except SecondModeratorRequired as exc:
            assert exc.code == "second_moderator_required"
        else:
            raise AssertionError(f"{event} was accepted")
    # Nobody gives a first opinion without holding the case.
    try:
        cases.apply(opened, FirstOpinionGiven("m2", T0))
    except CaseNotClaimed:
        pass
    else:
        raise AssertionError("a first opinion without a claim was accepted")
    # One first opinion per case: another moderator cannot replace it.
    try:
        cases.apply(cases.apply(first, CaseClaimed("m2", later, LEASE)), FirstOpinionGiven("m2", later))
    except CaseNotOpen:
        pass
    else:
        raise AssertionError("a second first opinion was accepted")
    second = cases.apply(cases.apply(first, CaseClaimed("m2", later, LEASE)), CaseDecided("m2", "d", later))
    assert second.status is CaseStatus.decided and second.first_opinion_by == "m1"


def test_a_disagreement_goes_to_a_third_moderator_who_gave_neither_opinion() -> None:
    t = [T0 + timedelta(seconds=10 * i) for i in range(8)]
    opened = cases.apply(None, CaseOpened("case_1", "subj_1", t[0]))
    first = cases.apply(cases.apply(opened, CaseClaimed("m1", t[0], LEASE)), FirstOpinionGiven("m1", t[1]))
    # A second opinion answers a first one: not on a case without one.
    try:
        cases.apply(cases.apply(opened, CaseClaimed("m2", t[1], LEASE)), SecondOpinionGiven("m2", t[2]))
    except CaseNotOpen:
        pass
    else:
        raise AssertionError("a second opinion without a first was accepted")
    second = cases.apply(cases.apply(first, CaseClaimed("m2", t[2], LEASE)), SecondOpinionGiven("m2", t[3]))
    assert second.status is CaseStatus.open and second.claimed_by is None
    assert (second.first_opinion_by, second.second_opinion_by) == ("m1", "m2")
    for moderator in ("m1", "m2"):
        try:
            cases.apply(second, CaseClaimed(moderator, t[4], LEASE))
        except SecondModeratorRequired:
            pass
        else:
            raise AssertionError(f"{moderator} claimed a case they gave an opinion on")
    held = cases.apply(second, CaseClaimed("m3", t[4], LEASE))
    try:
        cases.apply(held, SecondOpinionGiven("m3", t[5]))  # only one second opinion
    except CaseNotOpen:
        pass
    else:
        raise AssertionError("a third opinion was accepted")
    assert cases.apply(held, CaseDecided("m3", "d", t[5])).status is CaseStatus.decided
