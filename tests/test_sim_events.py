"""The fairflag-events/1 reader: a malformed line stops the replay with its line number and reason; unknown
fields are ignored; what the generator writes reads back identically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fairflag.policy import load_policy
from fairflag.sim.events import EventsError, ReportEvent, parse_generated, read_events, write_events
from fairflag.sim.scenarios import SCENARIOS, generate

POLICY = load_policy()
HEADER = {"format": "fairflag-events/1", "name": "tiny", "start": "2026-06-01T00:00:00Z", "horizon_s": 3600}


def good_lines() -> list[dict[str, Any]]:
    return [
        HEADER,
        {"type": "account", "t": 0, "id": "cr1", "created_at": -86400, "verified": False, "trusted_flagger": False,
         "followers": 10},
        {"type": "account", "t": 0, "id": "u1", "created_at": -86400},
        {"type": "subject", "t": 1, "id": "v1", "kind": "video", "owner": "cr1", "created_at": 0, "views": 10,
         "live_until": None, "truth": {"violating": False, "reason": None, "attacked": True}},
        {"type": "views", "t": 2, "subject": "v1", "views": 50},
        {"type": "report", "t": 3, "reporter": "u1", "subject": "v1", "reason": "spam", "text": None,
         "fp_net": "n1", "fp_dev": None, "truth": {"abusive": True}},
    ]


def write(tmp_path: Path, lines: list[Any], raw: dict[int, str] | None = None) -> Path:
    path = tmp_path / "events.jsonl"
    text = [json.dumps(line) for line in lines]
    for index, replacement in (raw or {}).items():
        text[index] = replacement
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def test_a_valid_file_reads_in_order(tmp_path: Path) -> None:
    stream = read_events(write(tmp_path, good_lines()), POLICY)
    assert stream.header.name == "tiny" and stream.header.horizon_s == 3600
    assert [type(e).__name__ for e in stream.events] == [
        "AccountEvent", "AccountEvent", "SubjectEvent", "ViewsEvent", "ReportEvent"]
    report = stream.events[-1]
    assert isinstance(report, ReportEvent) and report.source == "user" and report.abusive is True
    assert report.line == 6  # line numbers count the header


def test_unknown_fields_are_ignored(tmp_path: Path) -> None:
    lines = good_lines()
    lines[0] = {**lines[0], "generator": "someone else's", "notes": [1, 2]}
    lines[5] = {**lines[5], "platform_extra": {"x": 1}, "truth": {"abusive": False, "why": "?"}}
    stream = read_events(write(tmp_path, lines), POLICY)
    assert stream.reports == 1


def mutate(index: int, **changes: Any) -> list[dict[str, Any]]:
    lines = good_lines()
    lines[index] = {**lines[index], **changes}
    return lines


@pytest.mark.parametrize(("lines", "raw", "line", "reason"), [
    pytest.param(good_lines(), {3: '{"type": "subject", "t": 1,'}, 4, "not valid JSON", id="not-json"),
    pytest.param(good_lines(), {1: "[1, 2]"}, 2, "expected a JSON object", id="not-an-object"),
    pytest.param(mutate(0, format="fairflag-events/9"), None, 1, "unsupported", id="wrong-format"),
    pytest.param([{"name": "x"}, *good_lines()[1:]], None, 1, "header", id="no-header"),
    pytest.param(mutate(0, start="yesterday"), None, 1, "start", id="bad-start"),
    pytest.param(mutate(4, t=0.5), None, 5, "sorted by t", id="unsorted"),
    pytest.param(mutate(4, type="like"), None, 5, "type: unknown", id="unknown-type"),
    pytest.param(mutate(5, reporter="u9"), None, 6, "reporter: unknown account 'u9'", id="account-not-declared"),
    pytest.param(mutate(3, owner="cr9"), None, 4, "owner: unknown account", id="owner-not-declared"),
    pytest.param(mutate(4, subject="v9"), None, 5, "subject: unknown subject", id="views-unknown-subject"),
    pytest.param(mutate(5, reason="looks_weird"), None, 6, "reason", id="unknown-reason"),
    pytest.param(mutate(5, source="automated", classifier="nsfw@1"), None, 6, "score", id="automated-no-score"),
    pytest.param(mutate(5, source="trusted_flagger"), None, 6, "not a trusted flagger", id="not-trusted"),
    pytest.param(mutate(3, truth={"violating": "yes"}), None, 4, "truth.violating", id="bad-truth"),
    pytest.param(mutate(3, truth={"violating": True}), None, 4, "truth.reason", id="violating-without-reason"),
    pytest.param(mutate(4, views=-3), None, 5, "views: must be a non-negative integer", id="negative-views"),
    pytest.param(mutate(2, created_at=100), None, 3, "created_at", id="account-from-the-future"),
    pytest.param(mutate(3, kind="podcast"), None, 4, "kind", id="unknown-kind"),
    pytest.param(mutate(5, t="soon"), None, 6, "t: must be a number", id="t-not-a-number"),
])
def test_a_malformed_line_names_its_number_and_reason(tmp_path: Path, lines: list[Any], raw: dict[int, str] | None,
                                                      line: int, reason: str) -> None:
    path = write(tmp_path, lines, raw)
    with pytest.raises(EventsError) as excinfo:
        read_events(path, POLICY)
    assert excinfo.value.line == line
    assert reason in excinfo.value.reason
    assert str(excinfo.value).startswith(f"{path}:{line}: ")


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    with pytest.raises(EventsError, match="header"):
        read_events(path, POLICY)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_generates_a_valid_deterministic_stream(name: str, tmp_path: Path) -> None:
    lines = generate(name, 7, 0.02)
    assert lines == generate(name, 7, 0.02)
    assert lines != generate(name, 8, 0.02)
    in_memory = parse_generated(lines, POLICY, name)
    path = tmp_path / f"{name}.jsonl"
    write_events(path, lines)
    from_file = read_events(path, POLICY)
    assert [_strip_line(e) for e in from_file.events] == [_strip_line(e) for e in in_memory.events]
    assert in_memory.reports > 0


def _strip_line(event: Any) -> tuple[Any, ...]:
    return tuple(getattr(event, f) for f in event.__slots__ if f != "line")
