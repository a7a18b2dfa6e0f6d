"""Tables. ``events`` and ``reports`` are append-only (a PostgreSQL trigger refuses UPDATE and
DELETE on them); everything else is a projection of the events, written in the same transaction.

Each index names the query it serves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from fairflag.store.types import JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a log.
BigId = BigInteger().with_variant(Integer(), "sqlite")

ID = 64  # length of our own prefixed ids
EXT = 200  # external ids sent by the platform (policy limits.max_id_chars is the live bound)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --- credentials -------------------------------------------------------------------------------


class ServiceKey(Base):
    """A platform backend's API key. Only a SHA-256 of the secret is kept (it is 256 random bits)."""

    __tablename__ = "service_keys"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class User(Base):
    """A console user: moderator, senior, admin or auditor. Passwords are argon2 hashes."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class UserToken(Base):
    """A bearer token issued at login; only its SHA-256 is stored."""

    __tablename__ = "user_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InstanceSecret(Base):
    """Secrets this installation generates for itself on first start (e.g. the pseudonym key)."""

    __tablename__ = "instance_secrets"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- platform entities -------------------------------------------------------------------------


class Account(Base):
    """A platform account, as the platform last described it. Reporters and creators alike."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(EXT), primary_key=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    trusted_flagger: Mapped[bool] = mapped_column(Boolean, default=False)
    followers: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Subject(Base):
    """Something that can be reported: an account, a video, a comment or a livestream."""

    __tablename__ = "subjects"
    id: Mapped[str] = mapped_column(String(EXT), primary_key=True)
    surface: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)  # creator view by owner
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    is_live: Mapped[bool] = mapped_column(Boolean, default=False)
    signals: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # engagement / spam signals
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- reports and cases -------------------------------------------------------------------------


class Report(Base):
    """A report as received. Immutable: its outcome and withdrawal live in ``report_states``."""

    __tablename__ = "reports"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    reporter_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    reason: Mapped[str] = mapped_column(String(50))
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    evidence_urls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    source: Mapped[str] = mapped_column(String(20))
    source_detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    fp_net: Mapped[str | None] = mapped_column(String(128), nullable=True)
    fp_dev: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    service_key_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(120))

    __table_args__ = (
        # idempotent retries: one report per (key, idempotency key)
        UniqueConstraint("service_key_id", "idempotency_key", name="uq_reports_idempotency"),
        # reports on a subject in a time window (triage, burst detection)
        Index("ix_reports_subject_time", "subject_id", "reported_at"),
        # a reporter's own reports (reporter view, credibility)
        Index("ix_reports_reporter_time", "reporter_id", "reported_at"),
        # the reports of a case
        Index("ix_reports_case", "case_id"),
    )


class ReportState(Base):
    """Projection: a report's outcome and withdrawal, changed only by events."""

    __tablename__ = "report_states"
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # False when the reporter's report processing was suspended (DSA Art. 23): stored, not counted.
    processed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    # What triage counted for this report: the reporter's credibility then, and its coordination group.
    weight: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    group_key: Mapped[str | None] = mapped_column(String(EXT), nullable=True)
    suspicion: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, server_default=text("'{}'"))


class Case(Base):
    """Projection of the case reducer (``fairflag.domain.cases``) plus its queue priority."""

    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"))
    status: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn_count: Mapped[int] = mapped_column(Integer, default=0)
    reporter_count: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    severity: Mapped[str] = mapped_column(String(20))
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    priority_components: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Running sums of the case's evidence (engine.triage.CaseEvidence), updated in O(1) per report.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, server_default=text("'{}'"))
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The queue's sort key (engine.triage.queue_rank): priority plus aging, as a constant.
    queue_rank: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    # A follow-up on a subject cleared recently ([rereview]): not handed out by claim-next until then.
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    follows_decision_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    # A restrictive first opinion awaiting a second moderator ([second_review]); the opinion itself is kept
    # for the audit (the second moderator does not see it).
    first_opinion_by: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    first_opinion: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # A second moderator who disagreed ([second_review] tie_break): a third, who gave neither, decides.
    second_opinion_by: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    second_opinion: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    policy_version: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, default=0)  # optimistic check on every write

    __table_args__ = (
        # at most one open case per subject (new reports join it)
        Index("uq_cases_open_subject", "subject_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        # the review queue: open cases by rank (priority with aging)
        Index("ix_cases_rank", "status", "queue_rank"),
        # a subject's case history
        Index("ix_cases_subject", "subject_id", "opened_at"),
    )


class CaseReporter(Base):
    """One row per distinct reporter of a case: what triage counted for them (duplicates count once)."""

    __tablename__ = "case_reporters"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    reporter_id: Mapped[str] = mapped_column(String(EXT), primary_key=True)
    group_key: Mapped[str] = mapped_column(String(EXT))
    weight: Mapped[float] = mapped_column(Float)
    credible: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(50))
    first_report_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # the cases a reporter was counted on (regrouping them when they turn out to be in a campaign)
    __table_args__ = (Index("ix_case_reporters_reporter", "reporter_id"),)


class ReporterStats(Base):
    """Projection: a reporter's (or classifier's, id ``classifier:name@version``) decided outcomes, decayed,
    and their misuse state. Updated when cases are decided and when appeals flip outcomes."""

    __tablename__ = "reporter_stats"
    reporter_id: Mapped[str] = mapped_column(String(EXT), primary_key=True)
    history: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    abusive_times: Mapped[list[str]] = mapped_column(JSONType, default=list)  # ISO times within the window
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    warning_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suspension_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    suspensions: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Campaign(Base):
    """A detected coordinated-reporting campaign, for a senior moderator to confirm or dismiss."""

    __tablename__ = "campaigns"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    detector_key: Mapped[str] = mapped_column(String(EXT), unique=True)  # the detector's stable cluster key
    status: Mapped[str] = mapped_column(String(20))  # detected | confirmed | dismissed
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reporter_count: Mapped[int] = mapped_column(Integer, default=0)
    target_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    # the campaigns list by status and recency
    __table_args__ = (Index("ix_campaigns_status", "status", "last_at"),)


class CampaignMember(Base):
    __tablename__ = "campaign_members"
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    reporter_id: Mapped[str] = mapped_column(String(EXT), primary_key=True)

    # is this reporter in a campaign (triage grouping, misuse, reporter view)
    __table_args__ = (Index("ix_campaign_members_reporter", "reporter_id"),)


class CampaignTarget(Base):
    __tablename__ = "campaign_targets"
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(EXT), primary_key=True)

    # is this subject protected by a detected campaign (auto-restriction, lifting)
    __table_args__ = (Index("ix_campaign_targets_subject", "subject_id"),)


# --- decisions, enforcement, appeals -----------------------------------------------------------


class Decision(Base):
    """A moderator's decision on a case. Immutable; an overturn is an appeal resolution."""

    __tablename__ = "decisions"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)  # creator view
    moderator_id: Mapped[str] = mapped_column(String(ID))
    outcome: Mapped[str] = mapped_column(String(20))
    action: Mapped[str | None] = mapped_column(String(30), nullable=True)
    rule: Mapped[str | None] = mapped_column(String(50), nullable=True)
    statement: Mapped[str] = mapped_column(Text)
    duration_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    appeal_deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_appeal_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    policy_version: Mapped[str] = mapped_column(String(120))


class EnforcementAction(Base):
    """An action the platform must enforce. Projection: status changes only through events."""

    __tablename__ = "actions"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    decision_id: Mapped[str | None] = mapped_column(ForeignKey("decisions.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    target_type: Mapped[str] = mapped_column(String(20))  # subject | account
    target_id: Mapped[str] = mapped_column(String(EXT))
    owner_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)  # creator view
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    via_strike_ladder: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    policy_version: Mapped[str] = mapped_column(String(120))

    __table_args__ = (
        # the expiry sweep: active actions whose time is up
        Index("ix_actions_expiry", "status", "ends_at"),
        # triage, on every report: is there an active automatic restriction on this subject?
        Index("ix_actions_target", "target_id", "status"),
    )


class Strike(Base):
    __tablename__ = "strikes"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)

    # an account's active strikes (strike ladder, creator view)
    __table_args__ = (Index("ix_strikes_account", "account_id", "expires_at"),)


class Appeal(Base):
    __tablename__ = "appeals"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"))
    appellant_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    appellant_role: Mapped[str] = mapped_column(String(20))
    statement: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    resolved_by: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution_statement: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_decision_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    policy_version: Mapped[str] = mapped_column(String(120))

    __table_args__ = (
        # one appeal per appellant per decision
        UniqueConstraint("decision_id", "appellant_id", name="uq_appeals_decision_appellant"),
        # the appeals queue
        Index("ix_appeals_status", "status", "filed_at"),
    )


class ReportLink(Base):
    """A signed, short-lived link that lets one user report one subject from a page without logging in
    (services.report_links). The row makes it single-use across processes: filing sets ``used_at`` with a
    conditional UPDATE that only one request can win. The DSA Art. 16 contact details (name, email, good-faith
    statement) are kept here, for the provider's records, and never in the report moderators read."""

    __tablename__ = "report_links"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    reporter_id: Mapped[str] = mapped_column(String(EXT))
    subject_id: Mapped[str] = mapped_column(String(EXT))
    service_key_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    report_id: Mapped[str | None] = mapped_column(String(ID), nullable=True)
    notice: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    follow_up: Mapped[str | None] = mapped_column(String(10), nullable=True)  # block | mute
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # the per-reporter rate limit: links issued to a reporter in the last hour
    __table_args__ = (Index("ix_report_links_reporter_time", "reporter_id", "created_at"),)


class RateLimit(Base):
    """One rate limit's state (services.ratelimits): the GCRA's theoretical arrival time, in seconds since the
    epoch. Not a moderation fact: on PostgreSQL the table is UNLOGGED (a crash empties it, which only forgives
    the limits for a moment) and its updates commit without waiting for the disk."""

    __tablename__ = "rate_limits"
    key: Mapped[str] = mapped_column(String(ID + EXT), primary_key=True)
    tat: Mapped[float] = mapped_column(Float)


# --- the event log (audit trail) ---------------------------------------------------------------


class Event(Base):
    """Every state change, append-only. This is the audit log and the source of replays."""

    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(EXT), nullable=True)
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(EXT))
    policy_version: Mapped[str] = mapped_column(String(120))
    provenance: Mapped[str] = mapped_column(String(60))  # api, cli, demo, sim, system
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (
        # an entity's history (audit view, replay of one case)
        Index("ix_events_entity", "entity_type", "entity_id", "seq"),
        # audit by kind and time
        Index("ix_events_kind_time", "kind", "occurred_at"),
    )


# --- delivery to the platform ------------------------------------------------------------------


class OutboxEvent(Base):
    """Actions for the platform, written in the decision's transaction. ``seq`` is the feed cursor.

    Writers take a lock before inserting (see ``delivery.outbox``) so ``seq`` order is commit order
    and a reader never skips an event that commits late.
    """

    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(ID), unique=True)
    kind: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(200))  # needed in clear to sign; keep the DB private
    description: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # how far fan-out has read the outbox for this endpoint (advanced with the deliveries it creates)
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"))
    outbox_seq: Mapped[int] = mapped_column(ForeignKey("outbox.seq"))
    status: Mapped[str] = mapped_column(String(20))  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("endpoint_id", "outbox_seq", name="uq_webhook_deliveries_endpoint_seq"),
        # the dispatcher: due pending deliveries
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )


# --- unit-of-work ordering ---------------------------------------------------------------------
#
# The ORM orders the INSERTs of one flush by the relationships between mappers, not by foreign keys. These
# many-to-one relationships exist only for that ordering: a use case adds an account, its subject, a case and
# the report that references them, and one flush at commit writes them parents first, each table's rows in
# one statement. They are never loaded (lazy="raise"); the id columns stay the interface.


def _references(child: type[Base], name: str, column: Any, parent: type[Base]) -> None:
    setattr(child, name, relationship(parent, foreign_keys=[column], lazy="raise"))


_references(UserToken, "_user", UserToken.user_id, User)
_references(Subject, "_owner", Subject.owner_id, Account)
_references(Report, "_reporter", Report.reporter_id, Account)
_references(Report, "_subject", Report.subject_id, Subject)
_references(Report, "_case", Report.case_id, Case)
_references(ReportState, "_report", ReportState.report_id, Report)
_references(Case, "_subject", Case.subject_id, Subject)
_references(CaseReporter, "_case", CaseReporter.case_id, Case)
_references(CampaignMember, "_campaign", CampaignMember.campaign_id, Campaign)
_references(CampaignTarget, "_campaign", CampaignTarget.campaign_id, Campaign)
_references(Decision, "_case", Decision.case_id, Case)
_references(Decision, "_subject", Decision.subject_id, Subject)
_references(Decision, "_owner", Decision.owner_id, Account)
_references(EnforcementAction, "_decision", EnforcementAction.decision_id, Decision)
_references(EnforcementAction, "_owner", EnforcementAction.owner_id, Account)
_references(Strike, "_account", Strike.account_id, Account)
_references(Strike, "_decision", Strike.decision_id, Decision)
_references(Appeal, "_decision", Appeal.decision_id, Decision)
_references(Appeal, "_appellant", Appeal.appellant_id, Account)


class TriageLog(Base):
    """The committed log the triage consumer follows (services/consumer.py): one row per fact that can move
    scores or the campaign detector (a report filed, a decision taken), written in the fact's own transaction.

    Order: ``(xid, seq)``. On SQLite there is one writer, so ``seq`` (the rowid) is commit order and ``xid`` is
    0. On PostgreSQL ``xid`` is the writing transaction's id (``pg_current_xact_id()``, a column default the
    migration sets); the consumer only reads rows whose ``xid`` is below the oldest transaction still running,
    so no row can later appear before one it has passed (docs/throughput.md)."""

    __tablename__ = "triage_log"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    xid: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))  # "report" | "decision"
    ref_id: Mapped[str] = mapped_column(String(ID))  # the report's or the decision's id
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # the fact's own time (detector window on rebuild)

    __table_args__ = (
        # the consumer's read: the rows after its cursor, in log order
        Index("ix_triage_log_order", "xid", "seq"),
        # ?wait=scored and the lag probe: where one report sits in the log
        Index("ix_triage_log_ref", "ref_id"),
        # rebuilding the detector: the log rows of its window
        Index("ix_triage_log_at", "at"),
    )


class TriageCursor(Base):
    """How far the triage consumer has come, advanced in the same transaction as what it wrote."""

    __tablename__ = "triage_cursor"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    xid: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
