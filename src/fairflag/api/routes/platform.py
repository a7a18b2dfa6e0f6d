"""Routes for the platform backend (service key): subjects, accounts, reports, creator and reporter views."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import BaseModel, Field

from fairflag.api.deps import CoreDep, MetricsDep, PathId, PlatformActor
from fairflag.api.errors import RATE_LIMITED_RESPONSES, STATUS, ErrorInfo
from fairflag.core import Fairflag
from fairflag.domain.enums import AppellantRole
from fairflag.domain.errors import RateLimited
from fairflag.services import appeals, batch, consumer, platform, reports, views
from fairflag.services.context import SYSTEM

router = APIRouter(prefix="/v1", tags=["platform"], responses=RATE_LIMITED_RESPONSES)
AccountId = PathId


class Reason(BaseModel):
    code: str
    description: str
    severity: str


@router.get("/reasons", summary="The reason taxonomy to show reporters")
def list_reasons(core: CoreDep, _: PlatformActor) -> list[Reason]:
    return [Reason(code=k, description=v.description, severity=v.severity) for k, v in core.policy.reasons.items()]


@router.post("/accounts", summary="Create or update an account")
def upsert_account(body: platform.AccountIn, core: CoreDep, actor: PlatformActor) -> platform.AccountOut:
    return core.run(actor, platform.upsert_account, body)


@router.post("/subjects", summary="Create or update a reportable subject and its exposure signals")
def upsert_subject(body: platform.SubjectIn, core: CoreDep, actor: PlatformActor) -> platform.SubjectOut:
    return core.run(actor, platform.upsert_subject, body)


WaitFor = Annotated[Literal["committed", "scored"], Query(
    description="`committed` (default): answer once the report is durable; scoring, campaign detection and "
    "automatic restriction follow in log order within a bounded lag. `scored`: answer once the triage consumer "
    "has also weighed it (at most 5 s; the header `X-Fairflag-Scored` says whether it was).")]
WAIT_SCORED_S = 5.0


@router.post("/reports", status_code=status.HTTP_201_CREATED, summary="File a report on behalf of a user",
             response_model=reports.ReportReceipt,
             responses={200: {"description": "A retry with the same idempotency key: the original report."}})
def file_report(body: reports.ReportIn, core: CoreDep, actor: PlatformActor, metrics: MetricsDep,
                wait: WaitFor = "committed") -> Response:
    metrics.count_received([body.source.value], "single")
    receipt = core.run(replace(actor, on_behalf_of=body.reporter_id), reports.file_report, body,
                       service_key_id=actor.id, rate_limit=True)
    metrics.count_acknowledged(receipt)
    # Rendered here, once: returned as a model, the receipt would be validated again in another worker thread
    # and then encoded (the hot path of intake; the schema is the same, from response_model).
    answer = Response(receipt.model_dump_json(), media_type="application/json",
                      status_code=status.HTTP_200_OK if receipt.replayed else status.HTTP_201_CREATED)
    if wait == "scored":
        _wait_scored(core, answer, [receipt.id])
    return answer


def _wait_scored(core: Fairflag, response: Response, report_ids: list[str]) -> None:
    """Hold the answer until the consumer (of whichever process holds the lease) passed these reports."""
    target = core.query(SYSTEM, consumer.position_of, report_ids) if report_ids else None
    scored = target is None or core.consumer.wait_passed(target, WAIT_SCORED_S)
    response.headers["X-Fairflag-Scored"] = "true" if scored else "false"


class BatchLine(BaseModel):
    index: int = Field(description="The line's position in the request (from 0).")
    result: Literal["created", "replayed", "error"]
    status: int = Field(description="The status this line would have had alone: 201, 200 (replayed), 4xx (429 "
                        "over the reporter's rate limit) or "
                        "500 (the database failed on this line; nothing of it was stored).")
    report: reports.ReportReceipt | None = Field(description="The receipt, unless the line failed.")
    error: ErrorInfo | None = Field(description="Why the line was not filed, in the usual error shape.")
    retry_after_s: int | None = Field(None, description="For a line over the reporter's rate limit (429): the "
                                      "seconds before it would be allowed, as `Retry-After` says alone.")


class BatchResult(BaseModel):
    created: int
    replayed: int
    failed: int
    lines: list[BatchLine] = Field(description="One result per line, in the request's order.")


ReportLines = Annotated[list[reports.ReportIn], Body(min_length=1, max_length=batch.MAX_LINES)]


@router.post("/reports/batch", summary=f"File up to {batch.MAX_LINES} reports at once, each with its own result",
             response_model=BatchResult,
             description=f"At most {batch.MAX_LINES} lines, and the whole body within `FAIRFLAG_MAX_BODY_BYTES` "
             "(413 otherwise). A body that breaks the schema is refused whole (422, `field` names the line, "
             "e.g. `3.reason`). Otherwise each line is filed as `POST /v1/reports` would file it, with its own "
             "idempotency key, and answers in order: `created`, `replayed`, or `error` with the usual error "
             "shape. A refused line never undoes the others; the accepted lines are committed together.")
def file_reports(body: ReportLines, core: CoreDep, actor: PlatformActor, metrics: MetricsDep,
                 wait: WaitFor = "committed") -> Response:
    metrics.count_received((line.source.value for line in body), "batch")
    outcomes = core.run(actor, batch.file_reports, body, service_key_id=actor.id, rate_limit=True)
    metrics.count_acknowledged_many(o for o in outcomes if isinstance(o, reports.ReportReceipt))
    for outcome in outcomes:
        if isinstance(outcome, batch.LineFailed) and isinstance(outcome.error, RateLimited):
            metrics.count_rate_limited(outcome.error.code)
    lines = [_line(i, outcome) for i, outcome in enumerate(outcomes)]
    result = BatchResult(created=sum(x.result == "created" for x in lines),
                         replayed=sum(x.result == "replayed" for x in lines),
                         failed=sum(x.result == "error" for x in lines), lines=lines)
    # Rendered here, once (as the single report's receipt): returned as a model, the answer would be validated
    # again in another worker thread before being encoded; the schema is the same, from response_model.
    answer = Response(result.model_dump_json(), media_type="application/json")
    if wait == "scored":
        filed = [o.id for o in outcomes if isinstance(o, reports.ReportReceipt) and not o.replayed]
        _wait_scored(core, answer, filed)
    return answer


def _line(index: int, outcome: batch.LineResult) -> BatchLine:
    if isinstance(outcome, reports.ReportReceipt):
        return BatchLine(index=index, result="replayed" if outcome.replayed else "created",
                         status=200 if outcome.replayed else 201, report=outcome, error=None)
    exc = outcome.error
    if exc is None:
        return BatchLine(index=index, result="error", status=500, report=None, error=ErrorInfo(
            type="internal_error", message="the database failed on this line; retry it", field=None, details=[]))
    return BatchLine(index=index, result="error", status=STATUS[exc.category], report=None,
                     error=ErrorInfo(type=exc.code, message=exc.message, field=exc.field, details=[]),
                     retry_after_s=exc.retry_after_s if isinstance(exc, RateLimited) else None)


@router.post("/reports/{report_id}/withdrawals", summary="Withdraw a report (kept, stops counting)")
def withdraw_report(report_id: PathId, body: reports.WithdrawalIn, core: CoreDep,
                    actor: PlatformActor) -> reports.ReportReceipt:
    return core.run(replace(actor, on_behalf_of=body.reporter_id), reports.withdraw_report, report_id, body)


@router.get("/creators/{account_id}/notices",
            summary="Actions on the creator's content and account, with statements of reasons")
def creator_notices(account_id: AccountId, core: CoreDep, actor: PlatformActor) -> views.CreatorNotices:
    return core.query(actor, views.creator_notices, account_id)


@router.post("/creators/{account_id}/appeals", status_code=status.HTTP_201_CREATED,
             summary="The creator appeals a decision")
def creator_appeal(account_id: AccountId, body: appeals.AppealIn, core: CoreDep,
                   actor: PlatformActor) -> appeals.AppealOut:
    return core.run(replace(actor, on_behalf_of=account_id), appeals.file_appeal, account_id,
                    AppellantRole.creator, body)


@router.get("/reporters/{account_id}/reports", summary="A reporter's own reports and their outcomes")
def reporter_reports(account_id: AccountId, core: CoreDep, actor: PlatformActor) -> views.ReporterView:
    return core.query(actor, views.reporter_view, account_id)


@router.post("/reporters/{account_id}/appeals", status_code=status.HTTP_201_CREATED,
             summary="A reporter appeals a no-violation decision")
def reporter_appeal(account_id: AccountId, body: appeals.AppealIn, core: CoreDep,
                    actor: PlatformActor) -> appeals.AppealOut:
    return core.run(replace(actor, on_behalf_of=account_id), appeals.file_appeal, account_id,
                    AppellantRole.reporter, body)
