"""Transparency figures (DSA Art. 15 and 24): what was reported, what was done, how fast, how often automated
means acted, how appeals ended, and how much reporting was found abusive.

Every figure is computed here, from the stored facts of one period, so the console's dashboard, the public page
and the CSV exports show the same numbers. Each figure is a :class:`Table` (named columns, plain rows): one
shape to draw, to read aloud and to export. Counts are of events inside ``[since, until)``: a report by when it
was filed, an action by when it started, a decision by when it was taken, an appeal by when it was filed.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from fairflag.domain.enums import AppealStatus, CampaignStatus, DecisionOutcome, ReportOutcome, ReportSource
from fairflag.domain.errors import InvalidInput
from fairflag.services.context import Context
from fairflag.services.permissions import READERS, require_role
from fairflag.store.tables import Appeal, Campaign, Case, Decision, EnforcementAction, Report, ReportState, Subject

MAX_PERIOD = timedelta(days=400)
Cell = str | int | float | None


class Table(BaseModel):
    name: str = Field(description="Stable identifier: the CSV file is named after it.")
    title: str
    columns: list[str]
    rows: list[list[Cell]]


class TransparencyReport(BaseModel):
    since: datetime
    until: datetime
    bucket_days: int = Field(description="Width of the time buckets of the over-time tables.")
    tables: list[Table]

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


class PeriodInvalid(InvalidInput):
    code = "period_invalid"


def transparency_report(ctx: Context, since: datetime, until: datetime) -> TransparencyReport:
    """For console users (every role reads aggregates)."""
    require_role(ctx.actor, READERS, "reading transparency figures")
    return build(ctx, since, until)


def public_transparency_report(ctx: Context, since: datetime, until: datetime) -> TransparencyReport:
    """The same figures for the public page, which the operator switches on (``FAIRFLAG_PUBLIC_TRANSPARENCY``):
    aggregates only, nothing about any one person."""
    return build(ctx, since, until)


def build(ctx: Context, since: datetime, until: datetime) -> TransparencyReport:
    if not since < until or until - since > MAX_PERIOD:
        raise PeriodInvalid(f"the period must start before it ends and last at most {MAX_PERIOD.days} days",
                            field="since")
    bucket = 1 if until - since <= timedelta(days=31) else 7
    tables = [
        _reports_over_time(ctx, since, until, bucket), _actions(ctx, since, until), _automation(ctx, since, until),
        _time_to_action(ctx, since, until), _appeals(ctx, since, until), _abuse(ctx, since, until),
    ]
    return TransparencyReport(since=since, until=until, bucket_days=bucket, tables=tables)


def _utc_day(ctx: Context, column: Any) -> Any:
    """The UTC calendar day of a timestamp column as ``YYYY-MM-DD``, computed by the database (SQLite stores UTC
    ISO text; PostgreSQL a timestamptz, read in UTC whatever the session's time zone)."""
    if ctx.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.date(column)


def _bucket(day: str, since: datetime, days: int) -> str:
    start = since.date()
    offset = (date.fromisoformat(day) - start).days
    return (start + timedelta(days=days * (offset // days))).isoformat()


def _reports_over_time(ctx: Context, since: datetime, until: datetime, days: int) -> Table:
    """Grouped by UTC day in the database (one row per day, reason and surface, however many reports), then
    folded into buckets of ``days`` days counted from the period's first day."""
    counts: Counter[tuple[str, str, str]] = Counter()
    day = _utc_day(ctx, Report.reported_at)
    rows = ctx.session.execute(
        select(day, Report.reason, Subject.surface, func.count()).join(Subject, Subject.id == Report.subject_id)
        .where(Report.reported_at >= since, Report.reported_at < until)
        .group_by(day, Report.reason, Subject.surface))
    for on, reason, surface, n in rows:
        counts[(_bucket(str(on), since, days), reason, surface)] += int(n)
    return Table(name="reports", title="Reports by reason and surface over time",
                 columns=["period_start", "reason", "surface", "reports"],
                 rows=[[*key, n] for key, n in sorted(counts.items())])


def _actions(ctx: Context, since: datetime, until: datetime) -> Table:
    rows = ctx.session.execute(
        select(EnforcementAction.kind, EnforcementAction.automatic, func.count())
        .where(EnforcementAction.starts_at >= since, EnforcementAction.starts_at < until)
        .group_by(EnforcementAction.kind, EnforcementAction.automatic))
    return Table(name="actions", title="Actions taken", columns=["action", "taken_by", "actions"],
                 rows=sorted([kind, "automated" if automatic else "human", n] for kind, automatic, n in rows))


def _share(automated: int, human: int) -> float | None:
    return round(automated / (automated + human), 4) if automated + human else None


def _automation(ctx: Context, since: datetime, until: datetime) -> Table:
    by_source = dict(ctx.session.execute(
        select(Report.source, func.count()).where(Report.reported_at >= since, Report.reported_at < until)
        .group_by(Report.source)).all())
    auto_reports = by_source.get(ReportSource.automated.value, 0)
    human_reports = sum(by_source.values()) - auto_reports
    by_kind = dict(ctx.session.execute(
        select(EnforcementAction.automatic, func.count())
        .where(EnforcementAction.starts_at >= since, EnforcementAction.starts_at < until)
        .group_by(EnforcementAction.automatic)).all())
    auto_actions, human_actions = by_kind.get(True, 0), by_kind.get(False, 0)
    return Table(name="automation", title="Automated and human share",
                 columns=["what", "automated", "human", "automated_share"],
                 rows=[["detection (reports filed)", auto_reports, human_reports, _share(auto_reports, human_reports)],
                       ["actions taken", auto_actions, human_actions, _share(auto_actions, human_actions)],
                       ["decisions (always by a person)", 0, _decisions(ctx, since, until), 0.0]])


def _decisions(ctx: Context, since: datetime, until: datetime) -> int:
    return ctx.session.scalar(select(func.count()).select_from(Decision)
                              .where(Decision.decided_at >= since, Decision.decided_at < until)) or 0


def _time_to_action(ctx: Context, since: datetime, until: datetime) -> Table:
    """From the first report (the case opening) to a person's decision that took action."""
    hours: dict[str, list[float]] = {}
    for surface, opened, decided in ctx.session.execute(
        select(Subject.surface, Case.opened_at, Decision.decided_at)
        .join(Case, Case.id == Decision.case_id).join(Subject, Subject.id == Decision.subject_id)
        .where(Decision.decided_at >= since, Decision.decided_at < until,
               Decision.outcome == DecisionOutcome.violation.value, Decision.from_appeal_id.is_(None))):
        hours.setdefault(surface, []).append(max(0.0, (decided - opened).total_seconds() / 3600))
    return Table(name="time_to_action", title="Median time from first report to action, by surface",
                 columns=["surface", "actions", "median_hours"],
                 rows=[[s, len(h), round(statistics.median(h), 2)] for s, h in sorted(hours.items())])


def _appeals(ctx: Context, since: datetime, until: datetime) -> Table:
    counts: Counter[tuple[str, str]] = Counter()
    for role, status, n in ctx.session.execute(
        select(Appeal.appellant_role, Appeal.status, func.count())
        .where(Appeal.filed_at >= since, Appeal.filed_at < until).group_by(Appeal.appellant_role, Appeal.status)):
        counts[(role, status)] += n
    rows: list[list[Cell]] = []
    for role in sorted({r for r, _ in counts}):
        upheld, overturned = counts[(role, AppealStatus.upheld.value)], counts[(role, AppealStatus.overturned.value)]
        filed = sum(n for (r, _), n in counts.items() if r == role)
        rows.append([role, filed, counts[(role, AppealStatus.open.value)], upheld, overturned,
                     round(overturned / (upheld + overturned), 4) if upheld + overturned else None])
    return Table(name="appeals", title="Appeals and how they ended",
                 columns=["appellant", "filed", "open", "upheld", "overturned", "overturn_rate"], rows=rows)


def _abuse(ctx: Context, since: datetime, until: datetime) -> Table:
    campaigns = dict(ctx.session.execute(
        select(Campaign.status, func.count()).where(Campaign.first_at >= since, Campaign.first_at < until)
        .group_by(Campaign.status)).all())
    abusive = ctx.session.scalar(
        select(func.count()).select_from(Report).join(ReportState, ReportState.report_id == Report.id)
        .where(Report.reported_at >= since, Report.reported_at < until,
               ReportState.outcome == ReportOutcome.abusive.value)) or 0
    return Table(name="abuse", title="Coordinated and abusive reporting", columns=["measure", "count"], rows=[
        ["campaigns detected", sum(campaigns.values())],
        ["of which confirmed by a senior moderator", campaigns.get(CampaignStatus.confirmed.value, 0)],
        ["of which dismissed by a senior moderator", campaigns.get(CampaignStatus.dismissed.value, 0)],
        ["of which awaiting a decision", campaigns.get(CampaignStatus.detected.value, 0)],
        ["reports found abusive", abusive],
    ])
