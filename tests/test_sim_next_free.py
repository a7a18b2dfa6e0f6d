"""The replay's "when can a reviewer next get a case" answer: one aggregate row, equal to reading every open case.

The open cases that wait are mostly follow-ups held for ``[rereview] window_s`` (14 days), so their number grows
with the history replayed; reading them one by one made each empty-queue check slower as a long replay went on
(``fairflag bench history``). The aggregate must give exactly what the row-by-row rule gives, on both
databases, and the replay must give the same outcomes as the row-by-row rule (the outcome half is
tests/test_sim_idle.py's, which replays with and without skipping idle slots)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select, update

from fairflag.clock import ManualClock
from fairflag.core import Fairflag
from fairflag.domain.enums import ActorType, CaseStatus
from fairflag.services import platform, reports
from fairflag.services.context import Actor
from fairflag.sim.replay import next_free
from fairflag.store.tables import Case

PLATFORM = Actor(ActorType.platform, "next-free")


def row_by_row(core: Fairflag) -> float:
    """The rule as the replay first wrote it: every open case, the later of its hold and its lease (a POSIX
    time; -inf: free now; inf: no open case)."""
    with core.db.reader() as session:
        rows = session.execute(select(Case.held_until, Case.claimed_by, Case.lease_expires_at)
                               .where(Case.status == CaseStatus.open.value)).all()
    if any(held is None and by is None for held, by, _ in rows):
        return -math.inf
    return min((max(-math.inf if held is None else held.timestamp(),
                    -math.inf if by is None or lease is None else lease.timestamp()) for held, by, lease in rows),
               default=math.inf)


def aggregate(core: Fairflag) -> float:
    with core.db.reader() as session:
        free = next_free(session)
    return free if isinstance(free, float) else free.timestamp()


def test_next_free_equals_the_row_by_row_rule(core: Fairflag, clock: ManualClock) -> None:
    assert aggregate(core) == math.inf == row_by_row(core)  # no open case
    for i in range(5):
        core.run(PLATFORM, platform.upsert_subject, platform.SubjectIn(id=f"s{i}", surface="video", owner_id="c"))
        core.run(PLATFORM, reports.file_report, reports.ReportIn(reporter_id=f"u{i}", subject_id=f"s{i}",
                                                                 reason="spam"))
    now = clock.now()

    def set_case(subject: str, held: timedelta | None, by: str | None, lease: timedelta | None) -> None:
        with core.db.unit_of_work() as session:
            session.execute(update(Case).where(Case.subject_id == subject).values(
                held_until=None if held is None else now + held, claimed_by=by,
                lease_expires_at=None if lease is None else now + lease))

    def check(expected: datetime | float) -> None:
        assert aggregate(core) == row_by_row(core) == (
            expected if isinstance(expected, float) else expected.timestamp())

    check(-math.inf)  # unclaimed and not held: free now
    set_case("s0", timedelta(hours=5), None, None)
    set_case("s1", timedelta(hours=3), "m1", timedelta(hours=2))  # free when the hold lapses (after the lease)
    set_case("s2", None, "m2", timedelta(hours=4))  # free when the lease lapses
    set_case("s3", timedelta(hours=1), "m3", timedelta(hours=6))  # the lease outlasts the hold
    set_case("s4", timedelta(hours=7), None, timedelta(hours=1))  # a stale lease without a holder: the hold
    check(now + timedelta(hours=3))
    set_case("s1", timedelta(minutes=-30), None, None)  # a hold that already lapsed
    check(now - timedelta(minutes=30))
    set_case("s1", None, "m1", None)  # claimed without a lease: nothing keeps it back
    check(-math.inf)
    set_case("s1", timedelta(hours=9), None, None)
    set_case("s2", None, None, None)  # free now again
    check(-math.inf)
