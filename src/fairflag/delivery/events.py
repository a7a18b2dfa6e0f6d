"""What the platform receives: every kind of event delivered by webhook and the pull feed, every field of its
payload, and every value an enumerated field can take.

This registry is the one source for the platform's contract: docs/delivery.md's tables are generated from it
(``python -m fairflag.docgen``; tests/test_delivery_contract.py fails when the file is out of date), and the
same tests check every payload the services deliver against it (:func:`problems`), so a new field, kind or
value cannot reach the platform undocumented. The ``reports.resolved`` payload is built here
(:func:`reports_resolved`), whichever use case changed the outcomes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from fairflag.domain.enums import ActionKind, ActionStatus, ReportOutcome


class EventType(StrEnum):
    """The ``type`` of every delivered event."""

    action_applied = "action.applied"
    action_reversed = "action.reversed"
    action_expired = "action.expired"
    action_lifted = "action.lifted"
    reports_resolved = "reports.resolved"
    account_block_requested = "account.block_requested"


class ResolutionCause(StrEnum):
    """``reports.resolved``'s top-level ``outcome``: what changed the outcomes of the listed reports."""

    violation = "violation"
    no_violation = "no_violation"
    overturned_on_appeal = "overturned_on_appeal"
    campaign_confirmed = "campaign_confirmed"


class ResolvedOutcome(StrEnum):
    """A report's outcome as ``reports.resolved`` announces it (a subset of :class:`ReportOutcome`: ``pending``
    is no outcome, and a withdrawal is the platform's own request, answered when it is made)."""

    upheld = ReportOutcome.upheld.value
    rejected = ReportOutcome.rejected.value
    abusive = ReportOutcome.abusive.value


@dataclass(frozen=True, slots=True)
class PayloadField:
    """One field of a payload. ``name`` is a path: ``target.type`` inside an object, ``reports[].outcome``
    inside each item of a list."""

    name: str
    type: str  # string | boolean | integer | datetime (ISO 8601 UTC) | object | list
    meaning: str
    values: tuple[str, ...] = ()  # the closed set of values, if the field is enumerated
    nullable: bool = False
    optional: bool = False  # absent from some events of the kind (the meaning says which)


@dataclass(frozen=True, slots=True)
class EventSpec:
    type: EventType
    when: str
    fields: tuple[PayloadField, ...]


def _values(enum: Iterable[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


ENVELOPE = (
    PayloadField("id", "string", "the event id (`evt_...`), unique forever; the same value as the "
                 "`Fairflag-Event-Id` header"),
    PayloadField("type", "string", "the kind of event", values=_values(EventType)),
    PayloadField("seq", "integer", "the event's position in the pull feed, its cursor (pull feed only: "
                 "webhook bodies leave it out)", optional=True),
)


def _action_fields(status: ActionStatus) -> tuple[PayloadField, ...]:
    return (
        PayloadField("action_id", "string", "the action; `action.applied`, then at most one of `action.reversed`, "
                     "`action.expired` or `action.lifted`, share it"),
        PayloadField("decision_id", "string", "the decision that caused it; `null` for an automatic restriction",
                     nullable=True),
        PayloadField("kind", "string", "what to do", values=_values(ActionKind)),
        PayloadField("target", "object", "what to enforce on"),
        PayloadField("target.type", "string", "a subject (content) or an account", values=("subject", "account")),
        PayloadField("target.id", "string", "your id of it"),
        PayloadField("owner_id", "string", "the account that owns the target"),
        PayloadField("automatic", "boolean", "`true` for an automatic, always reversible restriction pending "
                     "review; `false` after a human decision"),
        PayloadField("via_strike_ladder", "boolean", "`true` when the action is the strike ladder's consequence, "
                     "not the decision's own action"),
        PayloadField("status", "string", "the action's state after this event", values=(status.value,)),
        PayloadField("starts_at", "datetime", "when it took effect"),
        PayloadField("ends_at", "datetime", "when it ends by itself; `null` for actions without an end",
                     nullable=True),
        PayloadField("rule", "string", "the reason code of the rule broken (the policy's taxonomy); `null` for an "
                     "automatic restriction", nullable=True),
        PayloadField("policy_version", "string", "the policy the action was taken under"),
    )


def _reason(meaning: str, *, optional: bool = False) -> PayloadField:
    return PayloadField("reason", "string", meaning, optional=optional)


BLOCK_MODES = ("block", "mute")

EVENTS: tuple[EventSpec, ...] = (
    EventSpec(EventType.action_applied,
              "a decision created an action (remove, warn, suspend...), including strike-ladder consequences, or "
              "triage restricted a subject automatically pending review",
              (*_action_fields(ActionStatus.active),
               PayloadField("case_id", "string", "the case whose review the restriction awaits (automatic "
                            "restrictions only)", optional=True),
               PayloadField("pending_review", "boolean", "always `true`: a person will review it (automatic "
                            "restrictions only)", optional=True),
               _reason("why triage restricted it (automatic restrictions only)", optional=True))),
    EventSpec(EventType.action_reversed,
              "an action still in force was undone (an appeal overturned its decision)",
              (*_action_fields(ActionStatus.reversed), _reason("why it was undone"))),
    EventSpec(EventType.action_expired,
              "a time-limited action (e.g. a suspension) reached its end by itself",
              _action_fields(ActionStatus.expired)),
    EventSpec(EventType.action_lifted,
              "an automatic restriction ended: a person reviewed the case, or a detected campaign was behind it",
              (*_action_fields(ActionStatus.lifted), _reason("why it was lifted"))),
    EventSpec(EventType.reports_resolved,
              "the outcome of one or more reports changed; tell each reporter what became of their report",
              (PayloadField("outcome", "string", "what changed the outcomes (see below)",
                            values=_values(ResolutionCause)),
               PayloadField("subject_id", "string", "the reported subject"),
               PayloadField("decision_id", "string", "the decision that set the outcomes (for "
                            "`overturned_on_appeal`, the decision overturned); `null` for `campaign_confirmed`",
                            nullable=True),
               PayloadField("appeal_id", "string", "the appeal that led to the change, if any", nullable=True),
               PayloadField("campaign_id", "string", "the confirmed campaign (`campaign_confirmed` only)",
                            nullable=True),
               PayloadField("reports", "list", "every report whose outcome this change set, each exactly once; "
                            "may be empty (every report of the case was withdrawn or already had its outcome)"),
               PayloadField("reports[].report_id", "string", "the report, as fairflag acknowledged it"),
               PayloadField("reports[].reporter_id", "string", "who filed it (the platform's user id; never "
                            "shown to creators)"),
               PayloadField("reports[].outcome", "string", "the report's outcome from now on",
                            values=_values(ResolvedOutcome)))),
    EventSpec(EventType.account_block_requested,
              "a user who reported through fairflag's report page asked not to see an account any more; apply it "
              "for them",
              (PayloadField("reporter_id", "string", "the user who asked (the platform's user id)"),
               PayloadField("account_id", "string", "the account to block or mute: the reported subject's owner, "
                            "or the reported account itself"),
               PayloadField("mode", "string", "`block`: no contact either way; `mute`: hide its content from the "
                            "user", values=BLOCK_MODES),
               PayloadField("report_id", "string", "the report the user had just filed"),
               PayloadField("subject_id", "string", "the reported subject"))),
)

SPECS: dict[str, EventSpec] = {spec.type.value: spec for spec in EVENTS}

CAUSES: dict[ResolutionCause, str] = {
    ResolutionCause.violation: "a moderator decided the case: a violation. Also a senior's new decision after a "
    "reporter's appeal was overturned (`appeal_id` set). Reports become `upheld` unless the moderator marked "
    "some otherwise.",
    ResolutionCause.no_violation: "a moderator decided the case: no violation (also a senior closing a "
    "campaign's cases with `dismiss-cases`). Reports become `rejected` unless marked otherwise.",
    ResolutionCause.overturned_on_appeal: "a senior overturned the decision `decision_id` on the creator's "
    "appeal `appeal_id`: its `upheld` reports are now `rejected`.",
    ResolutionCause.campaign_confirmed: "a senior confirmed the coordinated-reporting campaign `campaign_id`: "
    "its members' reports on this subject are `abusive`, decided or not (a report a moderator upheld "
    "keeps its outcome). One event per targeted subject.",
}

REPORT_OUTCOMES: dict[ResolvedOutcome, str] = {
    ResolvedOutcome.upheld: "the report was right: the subject broke the rule",
    ResolvedOutcome.rejected: "no violation was found; the report was mistaken, not in bad faith",
    ResolvedOutcome.abusive: "manifestly unfounded (bad faith): marked by a moderator, or part of a confirmed "
    "campaign; it counts toward misuse handling (DSA Art. 23)",
}


# --- building payloads ------------------------------------------------------------------------------


def resolved_report(report_id: str, reporter_id: str, outcome: ResolvedOutcome | str) -> dict[str, str]:
    return {"report_id": report_id, "reporter_id": reporter_id, "outcome": ResolvedOutcome(outcome).value}


def reports_resolved(cause: ResolutionCause | str, *, subject_id: str, reports: Sequence[Mapping[str, str]],
                     decision_id: str | None = None, appeal_id: str | None = None,
                     campaign_id: str | None = None) -> dict[str, Any]:
    """The payload of a ``reports.resolved`` event (without its envelope), every documented field present."""
    return {"outcome": ResolutionCause(cause).value, "subject_id": subject_id, "decision_id": decision_id,
            "appeal_id": appeal_id, "campaign_id": campaign_id, "reports": [dict(r) for r in reports]}


# --- checking payloads against the registry ---------------------------------------------------------


def fields_of(spec: EventSpec) -> tuple[PayloadField, ...]:
    return (*ENVELOPE, *spec.fields)


def problems(event: Mapping[str, Any]) -> list[str]:
    """Every way a delivered event departs from its documentation (empty: it conforms)."""
    kind = event.get("type")
    spec = SPECS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        return [f"undocumented event type {kind!r}"]
    found: list[str] = []
    _check(event, "", fields_of(spec), kind, found)
    return found


def _check(obj: Mapping[str, Any], prefix: str, fields: tuple[PayloadField, ...], kind: str,
           found: list[str]) -> None:
    level = {f.name[len(prefix):]: f for f in fields
             if f.name.startswith(prefix) and "." not in f.name[len(prefix):]}
    for key in obj:
        if key not in level:
            found.append(f"{kind}: undocumented field {prefix}{key}")
    for key, spec in level.items():
        if key not in obj:
            if not spec.optional:
                found.append(f"{kind}: missing field {spec.name}")
            continue
        value = obj[key]
        if value is None:
            if not spec.nullable:
                found.append(f"{kind}: {spec.name} is null")
            continue
        if not _has_type(value, spec.type):
            found.append(f"{kind}: {spec.name} is not a {spec.type}: {value!r}")
            continue
        if spec.values and value not in spec.values:
            found.append(f"{kind}: {spec.name} has undocumented value {value!r}")
        if spec.type == "object":
            _check(value, f"{spec.name}.", fields, kind, found)
        elif spec.type == "list":
            for item in value:
                if not isinstance(item, Mapping):
                    found.append(f"{kind}: an item of {spec.name} is not an object: {item!r}")
                else:
                    _check(item, f"{spec.name}[].", fields, kind, found)


def _has_type(value: Any, type_: str) -> bool:
    if type_ == "datetime":
        if not isinstance(value, str):
            return False
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    python = {"string": str, "boolean": bool, "integer": int, "object": Mapping, "list": list}[type_]
    if type_ == "integer" and isinstance(value, bool):
        return False
    return isinstance(value, python)


# --- the documentation ------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown() -> str:
    """The generated part of docs/delivery.md: the kinds, and each kind's payload with its values."""
    out = [
        "## Event kinds",
        "",
        "| `type` | when |",
        "|---|---|",
        *(f"| `{spec.type.value}` | {_cell(spec.when)} |" for spec in EVENTS),
        "",
        "## Payload",
        "",
        "Every event is a JSON object with these fields, and those of its kind below. A field marked *optional* "
        "is absent from some events of its kind; the others are always present (`null` only where the table "
        "says so). New fields and new values may be added; ignore the ones you do not know.",
        "",
    ]
    out += _table(ENVELOPE)
    actions = [spec for spec in EVENTS if spec.type.value.startswith("action.")]
    shared = tuple(f for f in actions[0].fields if all(f in spec.fields for spec in actions))
    out += ["### `action.*`", "", "Every `action.*` event has these fields, and those of its kind below.", ""]
    out += _table(shared)
    for spec in EVENTS:
        own = tuple(f for f in spec.fields if f not in shared) if spec in actions else spec.fields
        out += [f"### `{spec.type.value}`", "", _cell(spec.when[0].upper() + spec.when[1:]) + ".", ""]
        out += _table(own)
        if spec.type is EventType.reports_resolved:
            out += ["`outcome`, what changed the outcomes:", "", "| `outcome` | meaning |", "|---|---|",
                    *(f"| `{c.value}` | {_cell(text)} |" for c, text in CAUSES.items()), "",
                    "`reports[].outcome`, what the reporter is told:", "", "| value | meaning |", "|---|---|",
                    *(f"| `{o.value}` | {_cell(text)} |" for o, text in REPORT_OUTCOMES.items()), ""]
    return "\n".join(out).rstrip() + "\n"


def _table(fields: tuple[PayloadField, ...]) -> list[str]:
    rows = ["| field | type | values | meaning |", "|---|---|---|---|"]
    for f in fields:
        kind = f.type + (" or `null`" if f.nullable else "") + (", optional" if f.optional else "")
        values = ", ".join(f"`{v}`" for v in f.values)
        rows.append(f"| `{f.name}` | {kind} | {values} | {_cell(f.meaning)} |")
    return [*rows, ""]
