"""The user's report flow: a signed, short-lived, single-use link to fairflag's own report page.

The platform asks for a link for one of its users and one subject (``issue_link``, with its service key) and
sends the user there. The link is the only credential: ``rl_<id>.<expiry>.<signature>``, where the signature
is an HMAC, under a key this installation generates for itself, of the id, the reporter, the subject and the
expiry. A link whose signature does not match is forged; after its expiry it is refused; once it filed a report
it files no other (a conditional UPDATE that one request only can win, so two tabs or two processes cannot both
file). After filing, the same link shows the user the status of their own reports and lets them ask once to
block or mute the account, for :data:`AFTER_USE`.

Reports filed here go through :func:`fairflag.services.reports.file_report`, like the API's. A notice of illegal
content (DSA Art. 16) adds the user's explanation and the exact location to the report moderators read; the
name, email and good-faith statement stay with the link, for the provider's records: moderators see reporters
as pseudonyms only.

Rules:
- a link lives ``ttl_s`` (default 15 minutes, at most an hour);
- at most ``report_links_per_hour`` links per reporter at once, then one every hour divided by it (policy
  ``[rate_limits]``, one mechanism with the service's other limits: 429 with ``Retry-After``, held in the
  database and shared by every process);
- a notice of illegal content needs an explanation, the exact location, and the good-faith statement; name and
  email too, except for content endangering minors (Art. 16(2)(c)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import update

from fairflag.delivery import events as delivered
from fairflag.delivery import outbox
from fairflag.domain.enums import ActorType, Surface
from fairflag.domain.errors import Conflict, Forbidden, InvalidInput
from fairflag.domain.events import EventKind
from fairflag.services import platform, ratelimits, reports, validation, views
from fairflag.services.context import Actor, Context
from fairflag.services.inputs import ExternalId, Input, Integer
from fairflag.store.tables import InstanceSecret, ReportLink, Subject

AFTER_USE = timedelta(hours=1)
NO_CONTACT_NEEDED = frozenset({"minor_safety"})  # Art. 16(2)(c): offences concerning children
_KEY_NAME = "report_link_key"
# Who opens the page: nobody yet. Once the link is verified, its reporter acts, through the key that asked for it.
VISITOR = Actor(ActorType.platform, None)


class LinkForged(Forbidden):
    code = "link_invalid"


class LinkExpired(Forbidden):
    code = "link_expired"


class LinkUsed(Conflict):
    code = "link_used"


class LinkNotUsed(Conflict):
    code = "link_not_used"


class FollowUpDone(Conflict):
    code = "follow_up_done"


class ReportLinkIn(Input):
    reporter_id: ExternalId = Field(description="The platform's id of the user who will report.")
    subject_id: ExternalId = Field(description="What they will report (upserted beforehand).")
    ttl_s: Integer = Field(900, ge=60, le=3600, description="How long the link works, in seconds.")


class ReportLinkOut(BaseModel):
    token: str = Field(description="The credential; send the user to `path`.")
    path: str = Field(description="Where to send the user, relative to fairflag's address.")
    expires_at: datetime


class ReasonChoice(BaseModel):
    code: str
    description: str


class LinkForm(BaseModel):
    """What the report page shows for an unused link."""

    subject_id: str
    surface: str
    reasons: list[ReasonChoice]
    expires_at: datetime
    max_text_chars: int
    max_evidence_urls: int


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _clean(value: object) -> object:
    """What a person typed into the page: no NUL or control character (tab and newlines aside) and valid
    Unicode, so every database stores it and gives it back."""
    items = value if isinstance(value, list) else [value]
    if any(isinstance(v, str) and _CONTROLS.search(v) for v in items):
        raise ValueError("must not contain control characters")
    return value


class _PageInput(Input):
    @field_validator("*", mode="before")
    @classmethod
    def _typed_text(cls, value: object) -> object:
        return _clean(value)


class IllegalNotice(_PageInput):
    """DSA Art. 16(2): why the content is illegal, where exactly it is, who says so, in good faith."""

    explanation: str
    location: str = Field(description="The exact URL of the content.")
    name: str | None = None
    email: str | None = None
    good_faith: bool = False


class LinkReportIn(_PageInput):
    reason: str
    text: str | None = None
    evidence_urls: list[str] = Field(default_factory=list)
    illegal: IllegalNotice | None = None


class FiledViaLink(BaseModel):
    """After filing: the user's own reports (newest first) and whether they may still block or mute."""

    subject_id: str
    report_id: str
    account_id: str = Field(description="The account they may block or mute.")
    follow_up: str | None
    follow_up_open: bool
    reports: list[views.ReporterReport]


# --- signing ---------------------------------------------------------------------------------------

def _key(ctx: Context) -> bytes:
    row = ctx.session.get(InstanceSecret, _KEY_NAME)
    if row is None:
        row = InstanceSecret(name=_KEY_NAME, value=secrets.token_hex(32), created_at=ctx.now())
        ctx.session.add(row)
        ctx.session.flush()
    return bytes.fromhex(row.value)


def _signature(ctx: Context, link_id: str, reporter_id: str, subject_id: str, expiry: int) -> str:
    message = "\x1f".join((link_id, reporter_id, subject_id, str(expiry))).encode()
    digest = hmac.new(_key(ctx), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _verified(ctx: Context, token: str) -> ReportLink:
    """The link's row if ``token`` is one this installation signed, for that row's reporter, subject and expiry
    (whether it expired or was used is for the caller: each use case says what it allows)."""
    parts = token.split(".")
    if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()) or len(token) > 300:
        raise LinkForged("this link is not valid")
    link = ctx.session.get(ReportLink, parts[0])
    if link is None:
        raise LinkForged("this link is not valid")
    expected = _signature(ctx, link.id, link.reporter_id, link.subject_id, int(parts[1]))
    signed = hmac.compare_digest(expected.encode(), parts[2].encode("utf-8", "surrogatepass"))
    if not signed or int(parts[1]) != int(link.expires_at.timestamp()):
        raise LinkForged("this link is not valid")
    return link


def _act_as_reporter(ctx: Context, link: ReportLink) -> None:
    """The verified link vouches for its reporter: what follows is recorded as theirs, through the platform's key."""
    ctx.actor = Actor(ActorType.platform, link.service_key_id, on_behalf_of=link.reporter_id)


# --- use cases --------------------------------------------------------------------------------------

def issue_link(ctx: Context, body: ReportLinkIn, *, service_key_id: str | None = None) -> ReportLinkOut:
    validation.external_id(ctx.policy, body.reporter_id, "reporter_id")
    validation.external_id(ctx.policy, body.subject_id, "subject_id")
    if ctx.session.get(Subject, body.subject_id) is None:
        raise reports.UnknownSubject("describe the subject first (POST /v1/subjects)", field="subject_id")
    now = ctx.now()
    ratelimits.take_report_link(ctx, body.reporter_id)
    platform.ensure_account(ctx, body.reporter_id, "reporter_id")
    expires = (now + timedelta(seconds=body.ttl_s)).replace(microsecond=0)
    link = ReportLink(id=ctx.ids.new("rl"), reporter_id=body.reporter_id, subject_id=body.subject_id,
                      service_key_id=service_key_id, created_at=now, expires_at=expires)
    ctx.session.add(link)
    ctx.session.flush()
    ctx.record(EventKind.report_link_issued, "report_link", link.id,
               {"reporter_id": body.reporter_id, "subject_id": body.subject_id, "expires_at": expires.isoformat()})
    expiry = int(expires.timestamp())
    token = f"{link.id}.{expiry}.{_signature(ctx, link.id, link.reporter_id, link.subject_id, expiry)}"
    return ReportLinkOut(token=token, path=f"/report/{token}", expires_at=expires)


def open_link(ctx: Context, token: str) -> LinkForm:
    link = _verified(ctx, token)
    if link.used_at is not None:
        raise LinkUsed("this link was already used to file a report; ask the app for a new one to report again")
    if ctx.now() >= link.expires_at:
        raise LinkExpired("this link has expired; report again from the app to get a new one")
    subject = ctx.session.get(Subject, link.subject_id)
    assert subject is not None
    policy = ctx.policy
    return LinkForm(subject_id=subject.id, surface=subject.surface, expires_at=link.expires_at,
                    reasons=[ReasonChoice(code=code, description=r.description)
                             for code, r in policy.reasons.items() if code != "report_abuse"],
                    max_text_chars=policy.limits.max_text_chars,
                    max_evidence_urls=policy.limits.max_evidence_urls)


def file_via_link(ctx: Context, token: str, body: LinkReportIn) -> FiledViaLink:
    link = _verified(ctx, token)
    if ctx.now() >= link.expires_at:
        raise LinkExpired("this link has expired; report again from the app to get a new one")
    text, urls, contact = _with_notice(ctx, body)
    _act_as_reporter(ctx, link)
    won = ctx.session.execute(update(ReportLink).where(ReportLink.id == link.id, ReportLink.used_at.is_(None))
                              .values(used_at=ctx.now()).execution_options(synchronize_session=False)).rowcount
    if won != 1:
        raise LinkUsed("this link was already used to file a report; ask the app for a new one to report again")
    receipt = reports.file_report(ctx, reports.ReportIn(
        reporter_id=link.reporter_id, subject_id=link.subject_id, reason=body.reason, text=text,
        evidence_urls=urls), service_key_id=link.service_key_id)
    ctx.session.execute(update(ReportLink).where(ReportLink.id == link.id)
                        .values(report_id=receipt.id, notice=contact).execution_options(synchronize_session=False))
    ctx.session.expire(link)
    return filed(ctx, token)


def _with_notice(ctx: Context, body: LinkReportIn) -> tuple[str | None, list[str], dict[str, object] | None]:
    if body.reason not in ctx.policy.reasons or body.reason == "report_abuse":
        raise reports.UnknownReason("choose one of the reasons listed", field="reason")
    text = validation.text(ctx.policy, body.text, "text")
    urls = [u for u in body.evidence_urls if u.strip()]
    notice = body.illegal
    if notice is None:
        return text or None, urls, None
    if not notice.explanation.strip():
        raise InvalidInput("explain why you believe the content is illegal", field="explanation")
    if not notice.location.strip():
        raise InvalidInput("give the exact location (URL) of the content", field="location")
    needs_contact = body.reason not in NO_CONTACT_NEEDED
    if needs_contact and not ((notice.name or "").strip() and "@" in (notice.email or "")):
        raise InvalidInput("a notice of illegal content needs your name and email address", field="email")
    if not notice.good_faith:
        raise InvalidInput("confirm that you believe the notice is accurate and complete", field="good_faith")
    combined = "\n\n".join(p for p in (text, "Notice of illegal content (DSA Art. 16). Why it is illegal: "
                                       + notice.explanation.strip() + "\nExact location: " + notice.location.strip())
                           if p)
    validation.text(ctx.policy, combined, "explanation")
    contact = {"name": (notice.name or "").strip() or None, "email": (notice.email or "").strip() or None,
               "good_faith": True, "at": ctx.now().isoformat()}
    return combined, [notice.location.strip(), *urls], contact


def filed(ctx: Context, token: str) -> FiledViaLink:
    """The page after filing: readable with the same link for :data:`AFTER_USE`."""
    link = _verified(ctx, token)
    if link.used_at is None or link.report_id is None:
        raise LinkNotUsed("no report was filed with this link yet")
    if ctx.now() >= link.used_at + AFTER_USE:
        raise LinkExpired("this link has expired; your reports are listed in the app")
    subject = ctx.session.get(Subject, link.subject_id)
    assert subject is not None
    account = subject.id if subject.surface == Surface.account.value else subject.owner_id
    mine = views.reporter_view(ctx, link.reporter_id, limit=20)
    return FiledViaLink(subject_id=subject.id, report_id=link.report_id, account_id=account or "",
                        follow_up=link.follow_up, follow_up_open=link.follow_up is None and bool(account),
                        reports=mine.reports)


def block_or_mute(ctx: Context, token: str, mode: Literal["block", "mute"]) -> FiledViaLink:
    """Once per link, after filing: recorded, and delivered to the platform, which applies it."""
    state = filed(ctx, token)
    if not state.follow_up_open:
        raise FollowUpDone("you already chose for this account")
    link = _verified(ctx, token)
    _act_as_reporter(ctx, link)
    won = ctx.session.execute(update(ReportLink).where(ReportLink.id == link.id, ReportLink.follow_up.is_(None))
                              .values(follow_up=mode, follow_up_at=ctx.now())
                              .execution_options(synchronize_session=False)).rowcount
    if won != 1:
        raise FollowUpDone("you already chose for this account")
    ctx.record(EventKind.account_block_requested, "report_link", link.id,
               {"mode": mode, "account_id": state.account_id, "report_id": state.report_id})
    outbox.enqueue(ctx, delivered.EventType.account_block_requested, {
        "reporter_id": link.reporter_id, "account_id": state.account_id, "mode": mode,
        "report_id": state.report_id, "subject_id": state.subject_id})
    ctx.session.expire(link)
    return filed(ctx, token)
