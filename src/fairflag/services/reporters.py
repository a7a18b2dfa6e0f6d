"""A reporter as moderators see them: a pseudonym with a record (credibility, outcomes, misuse warnings and
suspensions), never the account id.

A pseudonym is an HMAC and cannot be reversed, so a reporter is looked up through where the moderator met
them: a case they reported on, or a campaign they belong to. That bounds the search to that case's reporters
or that campaign's members, and it means a moderator cannot probe for an account id they already know.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select

from fairflag.domain.enums import ReportOutcome
from fairflag.domain.errors import InvalidInput, NotFound
from fairflag.engine import credibility as cred
from fairflag.services import reputation
from fairflag.services.context import Context
from fairflag.services.permissions import READERS, require_role
from fairflag.services.pseudonyms import pseudonym_for
from fairflag.store.tables import Account, CampaignMember, Report, ReportState


class ReporterNotFound(NotFound):
    code = "reporter_not_found"


class FamilyRecord(BaseModel):
    family: str
    credibility: float
    upheld: float
    rejected: float
    abusive: float


class RecentReport(BaseModel):
    case_id: str
    subject_id: str
    reason: str
    reported_at: datetime
    outcome: ReportOutcome


class ReporterProfile(BaseModel):
    pseudonym: str
    trusted_flagger: bool
    account_age_days: float | None
    credibility: float = Field(description="Overall, before any reason family is taken into account.")
    upheld: float = Field(description="Decided outcomes, decayed by the policy's half-life.")
    rejected: float
    abusive: float
    families: list[FamilyRecord]
    warned_at: datetime | None
    warning_reason: str | None
    suspended_until: datetime | None
    suspension_reason: str | None
    suspensions: int
    processing_suspended: bool
    recent_reports: list[RecentReport]


def reporter_profile(ctx: Context, pseudonym: str, *, case_id: str | None = None,
                     campaign_id: str | None = None, limit: int = 50) -> ReporterProfile:
    require_role(ctx.actor, READERS, "reading a reporter's record")
    if (case_id is None) == (campaign_id is None):
        raise InvalidInput("name the case or the campaign where you met this reporter", field="via")
    if case_id is not None:
        candidates = ctx.session.scalars(select(Report.reporter_id).where(Report.case_id == case_id).distinct())
    else:
        candidates = ctx.session.scalars(select(CampaignMember.reporter_id)
                                         .where(CampaignMember.campaign_id == campaign_id))
    reporter_id = next((r for r in candidates if pseudonym_for(ctx, r) == pseudonym), None)
    if reporter_id is None:
        raise ReporterNotFound("no such reporter there", field="pseudonym")
    now = ctx.now()
    account = ctx.session.get(Account, reporter_id)
    row = reputation.stats(ctx, reporter_id)
    history = cred.History.from_json(row.history if row else None)
    overall = reputation.credibility_of(ctx, reporter_id, family=None, account=account, at=now)
    families = [
        FamilyRecord(family=family, upheld=c.upheld, rejected=c.rejected, abusive=c.abusive,
                     credibility=reputation.credibility_of(ctx, reporter_id, family=family, account=account,
                                                           at=now).value)
        for family, c in sorted(history.by_family.items())
    ]
    recent = ctx.session.execute(
        select(Report, ReportState.outcome).join(ReportState, ReportState.report_id == Report.id)
        .where(Report.reporter_id == reporter_id).order_by(Report.reported_at.desc(), Report.id).limit(limit)
    ).all()
    state = reputation.misuse_state(row)
    return ReporterProfile(
        pseudonym=pseudonym, trusted_flagger=bool(account and account.trusted_flagger),
        account_age_days=reputation.account_age_days(account, now), credibility=overall.value,
        upheld=history.overall.upheld, rejected=history.overall.rejected, abusive=history.overall.abusive,
        families=families, warned_at=row.warned_at if row else None,
        warning_reason=row.warning_reason if row else None, suspended_until=row.suspended_until if row else None,
        suspension_reason=row.suspension_reason if row else None, suspensions=state.suspensions,
        processing_suspended=state.suspended_at(now),
        recent_reports=[RecentReport(case_id=r.case_id, subject_id=r.subject_id, reason=r.reason,
                                     reported_at=r.reported_at, outcome=ReportOutcome(outcome))
                        for r, outcome in recent],
    )
