"""The ``fairflag-events/1`` format: reading, validating and writing event streams.

Generated scenarios and third-party histories go through the same :func:`parse_lines`, so a scenario written
with ``--write-events`` and read back replays exactly like the generated one. Validation is complete before
anything is replayed: a malformed line stops the run with its line number and reason (:class:`EventsError`),
not minutes later in the middle of a replay. Unknown fields are ignored (the format is meant to grow).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fairflag.policy import Policy

FORMAT = "fairflag-events/1"
KINDS = ("account", "video", "comment", "livestream")
SOURCES = ("user", "trusted_flagger", "automated")
FINGERPRINT_MAX = 128  # ReportIn's bound on fp_net / fp_dev


class EventsError(ValueError):
    """A malformed stream: which line, and why."""

    def __init__(self, line: int, reason: str, source: str | None = None) -> None:
        self.line = line
        self.reason = reason
        self.source = source
        where = f"{source}:{line}" if source else f"line {line}"
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[type[EventsError], tuple[int, str, str | None]]:
        return (EventsError, (self.line, self.reason, self.source))  # survives the trip from a worker process


@dataclass(frozen=True, slots=True)
class ModeratorSpec:
    """Simulated reviewer capacity (decisions per hour, from the top of the queue) and error rates."""

    per_hour: float
    error_false_negative: float = 0.0
    error_false_positive: float = 0.0
    # Not in the format's example: how often a reviewer recognises a bad-faith report as abusive.
    abusive_recognition: float = 0.5


@dataclass(frozen=True, slots=True)
class Header:
    name: str
    start: datetime
    horizon_s: float
    moderators: ModeratorSpec | None


@dataclass(frozen=True, slots=True)
class SubjectTruth:
    violating: bool
    reason: str | None = None
    attacked: bool = False
    cohort: str | None = None  # an optional label for per-cohort metrics, e.g. "legit_scam"


@dataclass(frozen=True, slots=True)
class AccountEvent:
    t: float
    id: str
    created_at: float | None
    verified: bool
    trusted_flagger: bool
    followers: int
    line: int


@dataclass(frozen=True, slots=True)
class SubjectEvent:
    t: float
    id: str
    kind: str
    owner: str
    created_at: float | None
    views: int
    live_until: float | None
    truth: SubjectTruth | None
    line: int


@dataclass(frozen=True, slots=True)
class ViewsEvent:
    t: float
    subject: str
    views: int
    line: int


@dataclass(frozen=True, slots=True)
class ReportEvent:
    t: float
    reporter: str
    subject: str
    reason: str
    text: str | None
    fp_net: str | None
    fp_dev: str | None
    source: str
    classifier: str | None
    score: float | None
    abusive: bool | None  # truth: filed in bad faith (None = unknown)
    line: int


Event = AccountEvent | SubjectEvent | ViewsEvent | ReportEvent


@dataclass
class Stream:
    """A validated stream, events in time order, plus what the scorer and the reviewers may know."""

    header: Header
    events: list[Event]
    source: str = "<generated>"
    subjects: dict[str, SubjectEvent] = field(default_factory=dict)  # the latest line of each subject
    accounts: dict[str, AccountEvent] = field(default_factory=dict)

    @property
    def reports(self) -> int:
        return sum(1 for e in self.events if isinstance(e, ReportEvent))


# --- reading -------------------------------------------------------------------------------------


def read_events(path: Path, policy: Policy) -> Stream:
    """Read and validate a file; JSON errors and rule violations raise :class:`EventsError`."""
    source = str(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise EventsError(0, f"cannot read the events file: {exc.strerror}", source) from exc
    with handle:
        return parse_lines(_decode(handle, source), policy, source)


def _decode(lines: Iterable[str], source: str) -> Iterator[tuple[int, Any]]:
    n = 0
    try:
        for n, raw in enumerate(lines, 1):
            if not raw.strip():
                continue  # a trailing blank line is not an event
            try:
                yield n, json.loads(raw)
            except json.JSONDecodeError as exc:
                raise EventsError(n, f"not valid JSON ({exc.msg} at column {exc.colno})", source) from None
    except UnicodeDecodeError as exc:
        raise EventsError(n + 1, f"not UTF-8 ({exc.reason})", source) from None


def parse_lines(lines: Iterable[tuple[int, Any]], policy: Policy, source: str = "<generated>") -> Stream:
    """Validate decoded lines (line number, JSON value) into a :class:`Stream`."""
    parser = _Parser(policy, source)
    header: Header | None = None
    events: list[Event] = []
    for line, value in lines:
        if header is None:
            header = parser.header(line, value)
            continue
        events.append(parser.event(line, value))
    if header is None:
        raise EventsError(1, f"empty stream: the first line must be the {FORMAT} header", source)
    return Stream(header, events, source, parser.subjects, parser.accounts)


class _Parser:
    def __init__(self, policy: Policy, source: str) -> None:
        self.policy = policy
        self.source = source
        self.accounts: dict[str, AccountEvent] = {}
        self.subjects: dict[str, SubjectEvent] = {}
        self.last_t = -math.inf

    def fail(self, line: int, reason: str) -> EventsError:
        return EventsError(line, reason, self.source)

    # header

    def header(self, line: int, value: Any) -> Header:
        obj = self._object(line, value)
        if obj.get("format") != FORMAT:
            if "format" not in obj:
                raise self.fail(line, f'the first line must be the header with "format": "{FORMAT}"')
            raise self.fail(line, f"format: unsupported {obj['format']!r} (expected {FORMAT!r})")
        name = obj.get("name", "events")
        if not isinstance(name, str) or not name.strip():
            raise self.fail(line, "name: must be a non-empty string")
        start = _time(obj.get("start"))
        if start is None:
            raise self.fail(line, "start: must be an ISO 8601 time such as 2026-06-01T00:00:00Z")
        horizon = obj.get("horizon_s")
        if not _number(horizon) or horizon <= 0:
            raise self.fail(line, "horizon_s: must be a positive number of seconds")
        moderators = None
        if obj.get("moderators") is not None:
            moderators = self._moderators(line, obj["moderators"])
        return Header(name=name, start=start, horizon_s=float(horizon), moderators=moderators)

    def _moderators(self, line: int, value: Any) -> ModeratorSpec:
        if not isinstance(value, Mapping):
            raise self.fail(line, "moderators: must be an object")
        per_hour = value.get("per_hour")
        if not _number(per_hour) or per_hour < 0:
            raise self.fail(line, "moderators.per_hour: must be a non-negative number")
        rates = {}
        for key, default in (("error_false_negative", 0.0), ("error_false_positive", 0.0),
                             ("abusive_recognition", 0.5)):
            rate = value.get(key, default)
            if not _number(rate) or not 0.0 <= rate <= 1.0:
                raise self.fail(line, f"moderators.{key}: must be a number from 0 to 1")
            rates[key] = float(rate)
        return ModeratorSpec(per_hour=float(per_hour), **rates)

    # events

    def event(self, line: int, value: Any) -> Event:
        obj = self._object(line, value)
        kind = obj.get("type")
        if kind is None:
            raise self.fail(line, "type: missing (account, subject, views or report)")
        t = obj.get("t")
        if not _number(t):
            raise self.fail(line, "t: must be a number (seconds from start)")
        t = float(t)
        if t < self.last_t:
            raise self.fail(line, f"t: events must be sorted by t ({t:g} comes after {self.last_t:g})")
        if kind == "account":
            event: Event = self._account(line, obj, t)
        elif kind == "subject":
            event = self._subject(line, obj, t)
        elif kind == "views":
            event = self._views(line, obj, t)
        elif kind == "report":
            event = self._report(line, obj, t)
        else:
            raise self.fail(line, f"type: unknown {kind!r} (expected account, subject, views or report)")
        self.last_t = t
        return event

    def _account(self, line: int, obj: Mapping[str, Any], t: float) -> AccountEvent:
        account_id = self._id(line, obj, "id")
        created = self._optional_number(line, obj, "created_at")
        if created is not None and created > t:
            raise self.fail(line, f"created_at: {created:g} is after the line's t {t:g} "
                                  "(an account cannot be described before it exists)")
        event = AccountEvent(
            t=t, id=account_id, created_at=created, verified=self._bool(line, obj, "verified"),
            trusted_flagger=self._bool(line, obj, "trusted_flagger"),
            followers=self._count(line, obj, "followers"), line=line,
        )
        self.accounts[account_id] = event
        return event

    def _subject(self, line: int, obj: Mapping[str, Any], t: float) -> SubjectEvent:
        subject_id = self._id(line, obj, "id")
        kind = obj.get("kind")
        if kind not in KINDS:
            raise self.fail(line, f"kind: must be one of {', '.join(KINDS)}")
        owner = self._id(line, obj, "owner")
        if owner not in self.accounts:
            raise self.fail(line, f"owner: unknown account {owner!r} (its account line must come first)")
        if kind == "account" and owner != subject_id:
            raise self.fail(line, "owner: an account subject is owned by itself (owner must equal id)")
        previous = self.subjects.get(subject_id)
        if previous is not None and (previous.kind != kind or previous.owner != owner):
            raise self.fail(line, f"subject {subject_id!r} was declared on line {previous.line} as a {previous.kind} "
                                  f"of {previous.owner!r}; its kind and owner cannot change")
        created = self._optional_number(line, obj, "created_at")
        if created is not None and created > t:
            raise self.fail(line, f"created_at: {created:g} is after the line's t {t:g}")
        live_until = self._optional_number(line, obj, "live_until")
        if live_until is not None and kind != "livestream":
            raise self.fail(line, "live_until: only a livestream has one (use null)")
        event = SubjectEvent(t=t, id=subject_id, kind=kind, owner=owner, created_at=created,
                             views=self._count(line, obj, "views"), live_until=live_until,
                             truth=self._truth(line, obj.get("truth")), line=line)
        self.subjects[subject_id] = event
        return event

    def _truth(self, line: int, value: Any) -> SubjectTruth | None:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.fail(line, "truth: must be an object")
        violating = value.get("violating")
        if not isinstance(violating, bool):
            raise self.fail(line, "truth.violating: must be true or false")
        reason = value.get("reason")
        if reason is not None and reason not in self.policy.reasons:
            raise self.fail(line, f"truth.reason: {reason!r} is not in the policy's reason taxonomy")
        if violating and reason is None:
            raise self.fail(line, "truth.reason: a violating subject needs the rule it breaks")
        attacked = value.get("attacked", False)
        if not isinstance(attacked, bool):
            raise self.fail(line, "truth.attacked: must be true or false")
        cohort = value.get("cohort")
        if cohort is not None and not isinstance(cohort, str):
            raise self.fail(line, "truth.cohort: must be a string or null")
        return SubjectTruth(violating=violating, reason=reason, attacked=attacked, cohort=cohort)

    def _views(self, line: int, obj: Mapping[str, Any], t: float) -> ViewsEvent:
        subject = self._id(line, obj, "subject")
        if subject not in self.subjects:
            raise self.fail(line, f"subject: unknown subject {subject!r} (its subject line must come first)")
        if "views" not in obj:
            raise self.fail(line, "views: missing (the cumulative count at t)")
        return ViewsEvent(t=t, subject=subject, views=self._count(line, obj, "views"), line=line)

    def _report(self, line: int, obj: Mapping[str, Any], t: float) -> ReportEvent:
        reporter = self._id(line, obj, "reporter")
        if reporter not in self.accounts:
            raise self.fail(line, f"reporter: unknown account {reporter!r} (its account line must come first)")
        subject = self._id(line, obj, "subject")
        if subject not in self.subjects:
            raise self.fail(line, f"subject: unknown subject {subject!r} (its subject line must come first)")
        reason = obj.get("reason")
        if not isinstance(reason, str) or reason not in self.policy.reasons:
            raise self.fail(line, f"reason: {reason!r} is not in the policy's reason taxonomy")
        text = obj.get("text")
        if text is not None:
            if not isinstance(text, str):
                raise self.fail(line, "text: must be a string or null")
            if len(text) > self.policy.limits.max_text_chars:
                raise self.fail(line, f"text: {len(text)} characters; at most {self.policy.limits.max_text_chars}")
            if _has_control(text, allow_newlines=True):
                raise self.fail(line, "text: contains NUL or control characters")
        source = obj.get("source") or "user"
        if source not in SOURCES:
            raise self.fail(line, f"source: must be one of {', '.join(SOURCES)}")
        classifier, score = obj.get("classifier"), obj.get("score")
        if source == "automated":
            if not isinstance(classifier, str) or not classifier.strip() or len(classifier) > 150:
                raise self.fail(line, "classifier: an automated report needs the classifier's name (name@version)")
            if not _number(score) or not 0.0 <= score <= 1.0:
                raise self.fail(line, "score: an automated report needs a score from 0 to 1")
            score = float(score)
        else:
            classifier, score = None, None
        if source == "trusted_flagger" and not self.accounts[reporter].trusted_flagger:
            raise self.fail(line, f"source: {reporter!r} is not a trusted flagger (see its account line)")
        truth = obj.get("truth")
        abusive = None
        if truth is not None:
            if not isinstance(truth, Mapping) or not isinstance(truth.get("abusive", False), bool):
                raise self.fail(line, "truth: must be an object with a boolean abusive")
            abusive = bool(truth.get("abusive", False))
        return ReportEvent(
            t=t, reporter=reporter, subject=subject, reason=reason, text=text,
            fp_net=self._fingerprint(line, obj, "fp_net"), fp_dev=self._fingerprint(line, obj, "fp_dev"),
            source=source, classifier=classifier, score=score, abusive=abusive, line=line,
        )

    # field helpers

    def _object(self, line: int, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(line, f"expected a JSON object, got {type(value).__name__}")
        return value

    def _id(self, line: int, obj: Mapping[str, Any], key: str) -> str:
        value = obj.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(line, f"{key}: must be a non-empty string")
        if len(value) > self.policy.limits.max_id_chars:
            raise self.fail(line, f"{key}: longer than {self.policy.limits.max_id_chars} characters")
        if _has_control(value):
            raise self.fail(line, f"{key}: contains control characters")
        return value

    def _bool(self, line: int, obj: Mapping[str, Any], key: str) -> bool:
        value = obj.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(line, f"{key}: must be true or false")
        return value

    def _count(self, line: int, obj: Mapping[str, Any], key: str) -> int:
        value = obj.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                or value < 0 or int(value) != value:
            raise self.fail(line, f"{key}: must be a non-negative integer")
        return int(value)

    def _optional_number(self, line: int, obj: Mapping[str, Any], key: str) -> float | None:
        value = obj.get(key)
        if value is None:
            return None
        if not _number(value):
            raise self.fail(line, f"{key}: must be a number of seconds from start, or null")
        return float(value)

    def _fingerprint(self, line: int, obj: Mapping[str, Any], key: str) -> str | None:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value or len(value) > FINGERPRINT_MAX or _has_control(value):
            raise self.fail(line, f"{key}: must be an opaque string of 1 to {FINGERPRINT_MAX} characters, or null")
        return value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _has_control(value: str, *, allow_newlines: bool = False) -> bool:
    allowed = "\t\n\r" if allow_newlines else ""
    return any(ord(c) < 32 and c not in allowed for c in value)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# --- writing -------------------------------------------------------------------------------------


def dumps_line(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def write_events(path: Path, lines: Iterable[Mapping[str, Any]]) -> int:
    """Write raw lines (header first) as JSON Lines; returns how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as handle:
        for obj in lines:
            handle.write(dumps_line(obj))
            handle.write("\n")
            n += 1
    return n


def parse_generated(lines: list[dict[str, Any]], policy: Policy, name: str) -> Stream:
    """Validate a generated stream exactly as a file would be (line 1 is the header)."""
    return parse_lines(enumerate(lines, 1), policy, f"<scenario {name}>")
