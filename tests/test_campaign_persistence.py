"""Persisting a campaign as the detector sees it grow, shrink and grow again (both back ends).

Why this matters: growth is written as the difference from the detector's previous snapshot, without reading
the member list back; a member who went quiet, left the cluster and came back is already stored, and must
neither fail the report that brought them back nor be counted twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from fairflag.core import Fairflag
from fairflag.engine.campaigns import CampaignSnapshot
from fairflag.services.campaigns import persist_snapshot
from fairflag.services.context import SYSTEM, Context
from fairflag.store.tables import Campaign, CampaignMember, CampaignTarget

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def snap(members: str, targets: str, before: tuple[str, str] | None = None) -> CampaignSnapshot:
    return CampaignSnapshot(
        key="cluster-1", reporters=frozenset(members), targets=frozenset(targets), first_at=T0, last_at=T0,
        confidence=0.9, evidence={"members": float(len(members))},
        previous_reporters=None if before is None else frozenset(before[0]),
        previous_targets=None if before is None else frozenset(before[1]),
    )


def stored(core: Fairflag) -> tuple[int, int, int, int]:
    def read(ctx: Context) -> tuple[int, int, int, int]:
        campaign = ctx.session.scalars(select(Campaign)).one()
        members = ctx.session.scalar(select(func.count()).select_from(CampaignMember))
        targets = ctx.session.scalar(select(func.count()).select_from(CampaignTarget))
        return campaign.reporter_count, campaign.target_count, int(members or 0), int(targets or 0)
    return core.query(SYSTEM, read)


def test_a_member_who_leaves_and_returns_is_stored_once(core: Fairflag) -> None:
    core.run(SYSTEM, persist_snapshot, snap("abcde", "xy"))
    assert stored(core) == (5, 2, 5, 2)
    core.run(SYSTEM, persist_snapshot, snap("abcd", "xy", before=("abcde", "xy")))  # e went quiet
    assert stored(core) == (4, 2, 5, 2)  # the campaign's count follows the cluster; membership is kept
    core.run(SYSTEM, persist_snapshot, snap("abcdef", "xyz", before=("abcd", "xy")))  # e is back, f and z new
    assert stored(core) == (6, 3, 6, 3)


def test_without_the_previous_snapshot_the_store_is_compared(core: Fairflag) -> None:
    core.run(SYSTEM, persist_snapshot, snap("abcde", "xy"))
    # After a restart the detector has no previous snapshot: what is stored decides what is new.
    core.run(SYSTEM, persist_snapshot, snap("abcdefg", "xy"))
    assert stored(core) == (7, 2, 7, 2)
    # A previous snapshot that does not match the stored counts (a rolled-back unit of work) is not trusted.
    core.run(SYSTEM, persist_snapshot, snap("abcdefgh", "xyz", before=("abc", "x")))
    assert stored(core) == (8, 3, 8, 3)
