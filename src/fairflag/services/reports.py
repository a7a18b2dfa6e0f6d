"""Filing and withdrawing reports. A report, once acknowledged, is never changed or deleted."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from fairflag.domain import cases as case_rules
from fairflag.domain.enums import CaseStatus, ReportOutcome, ReportSource
from fairflag.domain.errors import Conflict, InvalidInput, NotFound
from fairflag.domain.events import EventKind
from fairflag.engine.triage import deadline
from fairflag.policy import Policy
from fairflag.services import platform, ratelimits, reputation, triage, validation
from fairflag.services.context import Context
from fairflag.services.inputs import ExternalId, Input, Label, Number, Text, Time, Url, when
from fairflag.services.platform import ensure_account
from fairflag.store import appends, locks, triagelog
from fairflag.store import cases as case_store
from fairflag.store.tables import Account, Case, Report, ReportState, Subject

Fingerprint = Annotated[Label, Field(max_length=128)]


class UnknownSubject(InvalidInput):
    code = "unknown_subject"


class UnknownReason(InvalidInput):
    code = "unknown_reason"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class ReportNotFound(NotFound):
    code = "report_not_found"


class AlreadyWithdrawn(Conflict):
    code = "already_withdrawn"


class ClassifierIn(Input):
    name: Label = Field(max_length=100)
    version: Label = Field(max_length=50)
    score: Number = Field(ge=0.0, le=1.0, description="The classifier's confidence that the subject violates.")


class ReportIn(Input):
    reporter_id: ExternalId = Field(description="The platform's id of the reporting account.")
    subject_id: ExternalId = Field(description="The reported subject (upserted beforehand).")
    model_config = ConfigDict(json_schema_extra={"allOf": [
        when("source", "automated", then_required="classifier", otherwise_null="classifier"),
        when("source", "remote", then_required="remote_instance", otherwise_null="remote_instance"),
    ]})

    reason: Label = Field(description="A reason code from the policy's taxonomy.",
                        json_schema_extra={"x-policy-enum": "reasons"})
    text: Text | None = Field(None, description="The reporter's own words.")
    evidence_urls: list[Url] = Field(default_factory=list,
                                     json_schema_extra={"x-policy-max-items": "max_evidence_urls"})
    source: ReportSource = ReportSource.user
    classifier: ClassifierIn | None = Field(None, description="Required when source is automated.")
    remote_instance: Label | None = Field(None, max_length=253, description="Required when source is remote.")
    fp_net: Fingerprint | None = Field(None, description="Opaque hash of the reporter's network.")
    fp_dev: Fingerprint | None = Field(None, description="Opaque hash of the reporter's device.")
    reported_at: Time | None = Field(
        None, description="When the user reported; defaults to now. At most the policy's `max_backdate_s` old and "
        "`max_future_skew_s` ahead (a 422 otherwise: the window moves with the clock, so no schema can say it).")
    idempotency_key: Label | None = Field(None, max_length=200)


class ReportReceipt(BaseModel):
    id: str
    case_id: str
    subject_id: str
    reporter_id: str
    reason: str
    source: ReportSource
    outcome: ReportOutcome
    withdrawn_at: datetime | None
    processed: bool = Field(True, description="False when the reporter's processing is suspended (DSA Art. 23): "
                            "the report is stored but not counted.")
    reported_at: datetime
    received_at: datetime
    replayed: bool = Field(False, description="True when this answers a retry with the same idempotency key.")


class WithdrawalIn(Input):
    reporter_id: ExternalId
    note: Text | None = None


def request_hash(body: ReportIn) -> str:
    payload = body.model_dump(mode="json", exclude={"idempotency_key"})
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def file_report(ctx: Context, body: ReportIn, *, service_key_id: str | None = None,
                rate_limit: bool = False) -> ReportReceipt:
    """Store the report, attach it to the subject's open case (opening one if needed) and reprioritise.

    ``rate_limit``: count a new report (not a replay) against the reporter's limits, refusing it over them
    (the intake API does; replays of recorded worlds and the demo do not)."""
    digest = request_hash(body)
    if body.idempotency_key is not None:
        # One writer per key: a retry sent while the first attempt is still running waits for it to commit, then
        # answers from its report (or files its own if the first failed and stored nothing).
        locks.one_writer(ctx.session, locks.LockSpace.report_idempotency,
                         f"{service_key_id}\x00{body.idempotency_key}")
        existing = ctx.session.scalars(
            select(Report).where(Report.service_key_id == service_key_id,
                                 Report.idempotency_key == body.idempotency_key)
        ).first()
        if existing is not None:
            if existing.request_hash != digest:
                raise IdempotencyKeyReused(
                    "this idempotency key was used for a different report", field="idempotency_key"
                )
            return receipt(ctx, existing, replayed=True)
    check_fields(ctx.policy, body)  # before the limit, whose key holds the reporter's id (at most max_id_chars)
    if rate_limit:
        ratelimits.take_reporter(ctx, body.reporter_id, body.source.value)

    # One flush at the end (the commit) instead of one before every query: nothing below reads back a row
    # this report adds, except campaign rows, which persist_snapshot flushes itself. What the unit of work
    # wrote before (an account or subject described just now) is flushed first, so lookups find it.
    ctx.session.flush()
    with ctx.session.no_autoflush:
        return _file_new(ctx, body, digest, service_key_id)


def check_fields(policy: Policy, body: ReportIn) -> None:
    """The rules on the report's own fields that the published schema states from the policy (reason codes,
    lengths, URLs, classifier and instance by source): nothing here reads the database or the clock."""
    validation.external_id(policy, body.reporter_id, "reporter_id")
    validation.external_id(policy, body.subject_id, "subject_id")
    if body.reason not in policy.reasons:
        raise UnknownReason(f"{body.reason!r} is not in the policy's reason taxonomy", field="reason")
    validation.text(policy, body.text, "text")
    validation.urls(policy, body.evidence_urls, "evidence_urls")
    _source_detail(body, None)


def _file_new(ctx: Context, body: ReportIn, digest: str, service_key_id: str | None) -> ReportReceipt:
    policy = ctx.policy
    reported_at = validation.event_time(policy, body.reported_at, ctx.now(), "reported_at")
    # The subject's row is locked (FOR NO KEY UPDATE) for the rest of the transaction: reports on one subject
    # take turns, so exactly one of them opens its case when none is open (uq_cases_open_subject never fires).
    subject = ctx.session.get(Subject, body.subject_id, with_for_update=platform.FOR_CHANGE)
    if subject is None:
        raise UnknownSubject("no such subject; describe it first (POST /v1/subjects)", field="subject_id")
    reporter = ensure_account(ctx, body.reporter_id, "reporter_id")
    if platform.added_in_this_unit(ctx, reporter.id):
        reputation.no_record_yet(ctx, reporter.id)
    source_detail = _source_detail(body, reporter)

    case = case_store.open_case_for_subject(ctx.session, subject.id)
    if case is None:
        case = _open_case(ctx, subject, reported_at)

    report = Report(
        id=ctx.ids.new("rep"), reporter_id=reporter.id, subject_id=subject.id, case_id=case.id,
        reason=body.reason, text=body.text, evidence_urls=list(body.evidence_urls), source=body.source.value,
        source_detail=source_detail, fp_net=body.fp_net, fp_dev=body.fp_dev, reported_at=reported_at,
        received_at=ctx.now(), service_key_id=service_key_id, idempotency_key=body.idempotency_key,
        request_hash=digest, policy_version=policy.full_version,
    )
    # DSA Art. 23: a suspended reporter's report is stored (evidence, campaign detection) but not counted; the
    # receipt says so at once, and the consumer reads it from here.
    processed = not reputation.processing_suspended(ctx, reporter.id, reported_at)
    state = ReportState(report_id=report.id, outcome=ReportOutcome.pending.value, withdrawn_at=None, decision_id=None,
                        updated_at=ctx.now(), processed=processed, weight=0.0, group_key=None, suspicion={})
    appends.add(ctx.session, report, state)  # inserted without the ORM's flush (store/appends.py)
    # Weighing follows the commit, in log order (services/consumer.py): the report is acknowledged once durable.
    triagelog.append(ctx.session, triagelog.REPORT, report.id, reported_at)
    ctx.record(
        EventKind.report_filed, "report", report.id,
        {"case_id": case.id, "subject_id": subject.id, "reporter_id": reporter.id, "reason": body.reason,
         "source": body.source.value, **({"source_detail": source_detail} if source_detail else {})},
        occurred_at=reported_at,
    )
    case_store.transition(ctx.session, case, case_rules.ReportAttached(report.id, ctx.now()))
    return receipt(ctx, report, replayed=False, state=state)


def _source_detail(body: ReportIn, reporter: Account | None) -> dict[str, object]:
    if body.source is ReportSource.automated:
        if body.classifier is None:
            raise InvalidInput("an automated report needs its classifier (name, version, score)",
                               field="classifier")
        return body.classifier.model_dump()
    if body.classifier is not None:
        raise InvalidInput("only automated reports carry a classifier", field="classifier")
    if body.source is ReportSource.remote:
        if not body.remote_instance:
            raise InvalidInput("a remote report needs the instance it came from", field="remote_instance")
        return {"instance": body.remote_instance}
    if body.remote_instance is not None:
        raise InvalidInput("only remote reports name an instance", field="remote_instance")
    if body.source is ReportSource.trusted_flagger and reporter is not None and not reporter.trusted_flagger:
        raise InvalidInput("the reporter is not a trusted flagger", field="source")
    return {}


def _open_case(ctx: Context, subject: Subject, at: datetime) -> Case:
    severity = "low"
    case = Case(
        id=ctx.ids.new("case"), subject_id=subject.id, status=CaseStatus.open.value, opened_at=ctx.now(),
        updated_at=ctx.now(),
        severity=severity, priority=0.0, priority_components={}, report_count=0, withdrawn_count=0,
        reporter_count=0, evidence={}, queue_rank=0.0,
        deadline_at=deadline(ctx.policy, subject.surface, severity, ctx.now()),
        policy_version=ctx.policy.full_version, version=0,
    )
    # The reducer is the one place that says what a new case looks like; the row mirrors it.
    state = case_rules.apply(None, case_rules.CaseOpened(case.id, subject.id, ctx.now()))
    case.status = state.status.value
    held = triage.hold_after_clearance(ctx, case)
    ctx.session.add(case)
    ctx.record(EventKind.case_opened, "case", case.id,
               {"subject_id": subject.id, "first_report_at": at.isoformat(), **held})
    return case


def withdraw_report(ctx: Context, report_id: str, body: WithdrawalIn) -> ReportReceipt:
    """A withdrawal is a new event; the report itself stays, and stops counting toward priority."""
    validation.text(ctx.policy, body.note, "note")
    report = ctx.session.get(Report, report_id)
    # Someone else's report looks exactly like a missing one: ids must not be probeable.
    if report is None or report.reporter_id != body.reporter_id:
        raise ReportNotFound("no such report for this reporter", field="report_id")
    state = ctx.session.get(ReportState, report.id, with_for_update=True)
    assert state is not None
    if state.withdrawn_at is not None:
        raise AlreadyWithdrawn("this report was already withdrawn", field="report_id")
    state.withdrawn_at = ctx.now()
    if state.outcome == ReportOutcome.pending.value:
        state.outcome = ReportOutcome.withdrawn.value
    state.updated_at = ctx.now()
    ctx.record(EventKind.report_withdrawn, "report", report.id,
               {"case_id": report.case_id, "note": body.note} if body.note else {"case_id": report.case_id})
    case = case_store.lock(ctx.session, report.case_id)
    case_store.transition(ctx.session, case, case_rules.ReportWithdrawn(report.id, ctx.now()))
    if case.status == CaseStatus.open.value:
        subject = ctx.session.get(Subject, report.subject_id)
        assert subject is not None
        triage.withdraw(ctx, report, case, subject)
    return receipt(ctx, report, replayed=False)


def receipt(ctx: Context, report: Report, *, replayed: bool, state: ReportState | None = None) -> ReportReceipt:
    state = state or ctx.session.get(ReportState, report.id)
    assert state is not None
    return ReportReceipt(
        id=report.id, case_id=report.case_id, subject_id=report.subject_id, reporter_id=report.reporter_id,
        reason=report.reason, source=ReportSource(report.source), outcome=ReportOutcome(state.outcome),
        withdrawn_at=state.withdrawn_at, processed=state.processed, reported_at=report.reported_at,
        received_at=report.received_at,
        replayed=replayed,
    )
