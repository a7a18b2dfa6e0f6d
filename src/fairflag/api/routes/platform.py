"""Routes for the platform backend (service key): subjects, accounts, reports, creator and reporter views."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from fairflag.api.deps import CoreDep, PathId, PlatformActor
from fairflag.domain.enums import AppellantRole
from fairflag.services import appeals, platform, reports, views

router = APIRouter(prefix="/v1", tags=["platform"])
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


@router.post("/reports", status_code=status.HTTP_201_CREATED, summary="File a report on behalf of a user",
             responses={200: {"description": "A retry with the same idempotency key: the original report."}})
def file_report(body: reports.ReportIn, core: CoreDep, actor: PlatformActor,
                response: Response) -> reports.ReportReceipt:
    receipt = core.run(replace(actor, on_behalf_of=body.reporter_id), reports.file_report, body,
                       service_key_id=actor.id)
    if receipt.replayed:
        response.status_code = status.HTTP_200_OK
    return receipt


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
