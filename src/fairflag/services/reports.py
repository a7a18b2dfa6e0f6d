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
from fairflag.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from fairflag.domain.events import EventKind
from fairflag.engine.triage import deadline
from fairflag.policy import Policy
from fairflag.services import platform, ratelimits, reputation, triage, validation
from fairflag.services.context import Context
from fairflag.services.inputs import ExternalId, Input, Label, Number, Text, Time, Url, when
from fairflag.store import cases as case_store
from fairflag.store import locks, rows, triagelog
from fairflag.store.tables import Case, Report, ReportState, Subject

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


Filed = ReportReceipt | DomainError  # one report's result: its receipt, or why it was refused


def file_report(ctx: Context, body: ReportIn, *, service_key_id: str | None = None,
                rate_limit: bool = False) -> ReportReceipt:
    """Store the report, attach it to the subject's open case (opening one if needed); triage follows the commit.

    ``rate_limit``: count a new report (not a replay) against the reporter's limits, refusing it over them
    (the intake API does; replays of recorded worlds and the demo do not). One report is a batch of one
    (:func:`file_reports`): the single and the bulk endpoints follow the same rules in the same code."""
    result = file_reports(ctx, [body], service_key_id=service_key_id, rate_limit=rate_limit)[0]
    if isinstance(result, DomainError):
        raise result
    return result


def file_reports(ctx: Context, bodies: list[ReportIn], *, service_key_id: str | None = None,
                 rate_limit: bool = False) -> list[Filed]:
    """File each report as if alone, in one unit of work; results in the request's order.

    Set-based: each step below reads or writes every report in one statement (or one per round of reports that
    share a reporter or an idempotency key), so a batch of 500 costs about as many round trips as one report.
    Every refusal is known before anything of its report is written, so a refused report leaves nothing and
    never undoes the others. The steps, in the order their refusals take precedence:

    1. idempotency: a key used before replays its report (same request) or is refused (409); one writer per key;
    2. the report's own fields, its time (422);
    3. the subject (locked until commit; 422 when unknown);
    4. the reporter's account: trusted-flagger source only for trusted flaggers (422);
    5. the reporter's rate limits (429), for ``rate_limit``;
    6. then: new accounts, the subjects' open cases (locked; opened when missing), the reports, their states,
       their triage-log rows and events, and each case moved through the reducer.

    Reports are handled in lock order (by subject, see :func:`lock_order`). Lines that share an idempotency key
    are filed in rounds: the first of them alone, then the others replay it (or are refused), as they would be
    one by one; if the first was refused, the next one is filed in the next round."""
    results: list[Filed | None] = [None] * len(bodies)
    digests = [request_hash(body) for body in bodies]
    # One flush first: what the unit of work wrote before (an account or subject described just now) is then
    # visible to the lookups below; nothing below reads back a row it adds, so no autoflush.
    ctx.session.flush()
    with ctx.session.no_autoflush:
        pending = lock_order(bodies)
        while pending:
            first: dict[str, int] = {}
            this_round, later = [], []
            for index in pending:
                key = bodies[index].idempotency_key
                if key is not None and key in first:
                    later.append(index)
                    continue
                if key is not None:
                    first[key] = index
                this_round.append(index)
            _file_round(ctx, bodies, digests, this_round, results, service_key_id, rate_limit)
            pending = []
            for index in later:
                earlier = first[bodies[index].idempotency_key]  # type: ignore[index]
                filed = results[earlier]
                if not isinstance(filed, ReportReceipt):
                    pending.append(index)  # nothing was stored under the key: this line files itself
                elif digests[index] != digests[earlier]:
                    results[index] = _key_reused()
                else:
                    results[index] = filed.model_copy(update={"replayed": True})
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


def lock_order(bodies: list[ReportIn]) -> list[int]:
    """The order to file reports in: by subject, since each locks its subject's row until the unit of work
    commits, and two batches that lock subjects in one order wait for each other instead of deadlocking. Lines
    that share an idempotency key stay together in the request's order (sorted by the first one's subject), so
    the first of them is the one filed and the others replay it or are refused, as sent one by one."""
    first_subject: dict[str, str] = {}
    for body in bodies:
        if body.idempotency_key is not None:
            first_subject.setdefault(body.idempotency_key, body.subject_id)
    return sorted(range(len(bodies)), key=lambda i: (
        first_subject.get(bodies[i].idempotency_key or "", bodies[i].subject_id)
        if bodies[i].idempotency_key is not None else bodies[i].subject_id, i))


def _key_reused() -> IdempotencyKeyReused:
    return IdempotencyKeyReused("this idempotency key was used for a different report", field="idempotency_key")


def _file_round(ctx: Context, bodies: list[ReportIn], digests: list[str], lines: list[int],
                results: list[Filed | None], service_key_id: str | None, rate_limit: bool) -> None:
    """File ``lines`` (no two share an idempotency key), setting each one's result. See :func:`file_reports`."""
    session, policy, now = ctx.session, ctx.policy, ctx.now()
    live = _replay_known_keys(ctx, bodies, digests, lines, results, service_key_id)
    reported_at: dict[int, datetime] = {}
    for index in list(live):
        try:
            check_fields(policy, bodies[index])
            reported_at[index] = validation.event_time(policy, bodies[index].reported_at, now, "reported_at")
        except DomainError as exc:
            results[index] = exc
    live = [i for i in live if results[i] is None]
    # The subjects' rows are locked (FOR NO KEY UPDATE, in id order) for the rest of the transaction: reports on
    # one subject take turns, so exactly one of them opens its case when none is open (uq_cases_open_subject
    # never fires).
    subjects = _lock_subjects(ctx, sorted({bodies[i].subject_id for i in live}))
    known = platform.accounts(ctx, [bodies[i].reporter_id for i in live])
    details: dict[int, dict[str, object]] = {}
    for index in live:
        body = bodies[index]
        try:
            if body.subject_id not in subjects:
                raise UnknownSubject("no such subject; describe it first (POST /v1/subjects)", field="subject_id")
            reporter = known.get(body.reporter_id)  # a new account is no trusted flagger
            details[index] = _source_detail(body, bool(reporter and reporter.trusted_flagger))
        except DomainError as exc:
            results[index] = exc
    live = [i for i in live if results[i] is None]
    if rate_limit and live:
        refusals = ratelimits.take_reporters(ctx, [(bodies[i].reporter_id, bodies[i].source.value) for i in live])
        for index, refusal in zip(live, refusals, strict=True):
            results[index] = refusal
        live = [i for i in live if results[i] is None]
    if not live:
        return
    reporters = sorted({bodies[i].reporter_id for i in live})
    platform.add_accounts(ctx, [r for r in reporters if r not in known])
    for reporter_id in reporters:
        if platform.added_in_this_unit(ctx, reporter_id):
            reputation.no_record_yet(ctx, reporter_id)
    reputation.load_stats(ctx, reporters)
    cases = case_store.open_cases_for_subjects(session, sorted({bodies[i].subject_id for i in live}))

    report_rows: list[dict[str, object]] = []
    state_rows: list[dict[str, object]] = []
    for index in live:
        body, at = bodies[index], reported_at[index]
        subject = subjects[body.subject_id]
        case = cases.get(subject.id)
        if case is None:
            case = cases[subject.id] = _open_case(ctx, subject, at)
        report_id = ctx.ids.new("rep")
        report_rows.append({
            "id": report_id, "reporter_id": body.reporter_id, "subject_id": subject.id, "case_id": case.id,
            "reason": body.reason, "text": body.text, "evidence_urls": list(body.evidence_urls),
            "source": body.source.value, "source_detail": details[index], "fp_net": body.fp_net,
            "fp_dev": body.fp_dev, "reported_at": at, "received_at": now, "service_key_id": service_key_id,
            "idempotency_key": body.idempotency_key, "request_hash": digests[index],
            "policy_version": policy.full_version})
        # DSA Art. 23: a suspended reporter's report is stored (evidence, campaign detection) but not counted; the
        # receipt says so at once, and the consumer reads it from here.
        processed = not reputation.processing_suspended(ctx, body.reporter_id, at)
        state_rows.append({"report_id": report_id, "outcome": ReportOutcome.pending.value, "withdrawn_at": None,
                           "decision_id": None, "updated_at": now, "processed": processed, "weight": 0.0,
                           "group_key": None, "suspicion": {}})
        ctx.record(
            EventKind.report_filed, "report", report_id,
            {"case_id": case.id, "subject_id": subject.id, "reporter_id": body.reporter_id, "reason": body.reason,
             "source": body.source.value, **({"source_detail": details[index]} if details[index] else {})},
            occurred_at=at,
        )
        case_store.transition(session, case, case_rules.ReportAttached(report_id, now))
        results[index] = ReportReceipt(
            id=report_id, case_id=case.id, subject_id=subject.id, reporter_id=body.reporter_id, reason=body.reason,
            source=body.source, outcome=ReportOutcome.pending, withdrawn_at=None, processed=processed,
            reported_at=at, received_at=now, replayed=False)
    # Written set-based: the new cases and the cases' new state (the ORM's flush), then the reports, their states
    # and their log rows, one multi-row INSERT each. Weighing follows the commit, in log order
    # (services/consumer.py): the reports are acknowledged once durable.
    session.flush()
    rows.insert_rows(session, Report.__table__, report_rows)
    rows.insert_rows(session, ReportState.__table__, state_rows)
    triagelog.append_many(session, triagelog.REPORT, [(row["id"], row["reported_at"])  # type: ignore[misc]
                                                      for row in report_rows])


def _replay_known_keys(ctx: Context, bodies: list[ReportIn], digests: list[str], lines: list[int],
                       results: list[Filed | None], service_key_id: str | None) -> list[int]:
    """Answer the lines whose idempotency key names a stored report (a replay, or 409 for a different request);
    returns the others. One writer per key: a retry sent while the first attempt is still running waits for it
    to commit, then answers from its report (or files its own if the first failed and stored nothing)."""
    keyed = {bodies[i].idempotency_key: i for i in lines if bodies[i].idempotency_key is not None}
    if not keyed:
        return lines
    locks.one_writer_each(ctx.session, locks.LockSpace.report_idempotency,
                          [f"{service_key_id}\x00{key}" for key in keyed])
    stored = ctx.session.execute(
        select(Report, ReportState).join(ReportState, ReportState.report_id == Report.id)
        .where(Report.service_key_id == service_key_id, Report.idempotency_key.in_(sorted(keyed)))).all()
    for report, state in stored:
        index = keyed[report.idempotency_key]
        results[index] = (_key_reused() if report.request_hash != digests[index]
                          else receipt(ctx, report, replayed=True, state=state))
    return [i for i in lines if results[i] is None]


def _lock_subjects(ctx: Context, subject_ids: list[str]) -> dict[str, Subject]:
    if not subject_ids:
        return {}
    if len(subject_ids) == 1:
        subject = ctx.session.get(Subject, subject_ids[0], with_for_update=platform.FOR_CHANGE)
        return {subject.id: subject} if subject is not None else {}
    query = (select(Subject).where(Subject.id.in_(subject_ids)).order_by(Subject.id)
             .with_for_update(**platform.FOR_CHANGE))
    return {subject.id: subject for subject in ctx.session.scalars(query)}


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


def _source_detail(body: ReportIn, trusted_flagger: bool | None) -> dict[str, object]:
    """What the source says about itself; ``trusted_flagger``: whether the reporter is one (``None``: not known
    yet, not checked)."""
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
    if body.source is ReportSource.trusted_flagger and trusted_flagger is False:
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
