"""Invariants of the whole service under random report streams (hypothesis over the real database):
an automatic action is only ever a reversible visibility restriction pending review; anything else —
removal, strikes, suspension, a ban — carries a human decision."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.domain.enums import ActorType, DecisionOutcome, ReportSource, Role
from fairflag.services import auth, decisions, platform, queue, reports
from fairflag.services.context import Actor
from fairflag.store.tables import Decision, EnforcementAction, User
from tests.support import CLI, PASSWORD

PLATFORM = Actor(ActorType.platform, "invariants")
_examples = itertools.count()

report_stream = st.lists(
    st.tuples(st.integers(0, 9), st.integers(0, 3), st.sampled_from(["violence", "spam", "self_harm", "hate"]),
              st.integers(0, 120), st.booleans()),
    min_size=1, max_size=40,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=report_stream)
def test_automatic_actions_are_only_reversible_restrictions(core: Fairflag, clock: ManualClock,
                                                            stream: list[tuple[int, int, str, int, bool]]) -> None:
    n = next(_examples)
    name = f"inv{n}"
    core.run(CLI, auth.create_user, auth.UserIn(username=name, role=Role.moderator, password=PASSWORD))
    with core.db.reader() as s:
        moderator = Actor(ActorType.user, s.scalars(select(User.id).where(User.username == name)).one(),
                          Role.moderator)
    for r in range(10):  # reporters 0-3 are trusted flaggers: credible enough to restrict automatically
        core.run(PLATFORM, platform.upsert_account, platform.AccountIn(id=f"{name}-r{r}", trusted_flagger=r < 4))
    for k in range(4):
        core.run(PLATFORM, platform.upsert_subject, platform.SubjectIn(
            id=f"{name}-s{k}", surface="livestream" if k == 0 else "video", owner_id=f"{name}-owner", views=900))
    for reporter, subject, reason, gap, decide_now in stream:
        clock.advance(gap)
        source = ReportSource.trusted_flagger if reporter < 4 else ReportSource.user
        core.run(PLATFORM, reports.file_report, reports.ReportIn(
            reporter_id=f"{name}-r{reporter}", subject_id=f"{name}-s{subject}", reason=reason, source=source))
        if decide_now:
            try:
                case = core.run(moderator, queue.claim_next)
            except queue.QueueEmpty:
                continue
            core.run(moderator, decisions.decide, case.id, decisions.DecisionIn(
                outcome=DecisionOutcome.violation, action="remove", rule="violence", statement="Seen."))

    with core.db.reader() as s:
        actions = s.scalars(select(EnforcementAction).where(EnforcementAction.owner_id == f"{name}-owner")).all()
        for action in actions:
            if action.automatic:
                assert action.kind == "restrict_visibility" and action.target_type == "subject"
                assert action.decision_id is None and action.ends_at is None and not action.via_strike_ladder
            else:
                decision = s.get(Decision, action.decision_id)
                assert decision is not None and decision.moderator_id == moderator.id
