"""POST /v1/reports/batch: each line filed as POST /v1/reports would file it, in order, and one bad line never
loses the good ones (both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from fairflag.core import Fairflag
from fairflag.services import batch, reports
from fairflag.services.context import Context
from fairflag.store.tables import Case, Event, Report
from tests.support import CLI, Platform


@pytest.fixture
def kp(client: TestClient, core: Fairflag) -> Platform:
    plat = Platform.key_only(client, core)
    plat.subject("vid-1")
    plat.subject("vid-2")
    return plat


def _post(plat: Platform, lines: list[dict[str, Any]], expect: int = 200) -> Any:
    r = plat.client.post("/v1/reports/batch", json=lines, headers=plat.key)
    assert r.status_code == expect, r.text
    return r.json()


def _count(core: Fairflag, table: Any) -> int:
    with core.db.reader() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def test_mixed_lines_answer_in_order_and_the_good_ones_are_kept(kp: Platform) -> None:
    kp.report("u0", "vid-1", idempotency_key="k-old")
    lines = [
        {"reporter_id": "u1", "subject_id": "vid-1", "reason": "spam", "idempotency_key": "k1"},
        {"reporter_id": "u2", "subject_id": "no-such-video", "reason": "spam"},
        {"reporter_id": "u0", "subject_id": "vid-1", "reason": "spam", "idempotency_key": "k-old"},
        {"reporter_id": "u3", "subject_id": "vid-2", "reason": "spam", "source": "trusted_flagger"},
        {"reporter_id": "u4", "subject_id": "vid-2", "reason": "hate", "idempotency_key": "k-old"},
        {"reporter_id": "u5", "subject_id": "vid-2", "reason": "violence"},
    ]
    out = _post(kp, lines)
    assert [x["index"] for x in out["lines"]] == list(range(6))
    assert [x["result"] for x in out["lines"]] == ["created", "error", "replayed", "error", "error", "created"]
    assert [x["status"] for x in out["lines"]] == [201, 422, 200, 422, 409, 201]
    assert [x["error"]["type"] for x in out["lines"] if x["error"]] == [
        "unknown_subject", "invalid_input", "idempotency_key_reused"]
    assert out["lines"][1]["error"]["field"] == "subject_id"
    assert (out["created"], out["replayed"], out["failed"]) == (2, 1, 3)
    assert out["lines"][0]["report"]["reporter_id"] == "u1" and out["lines"][5]["report"]["subject_id"] == "vid-2"
    assert _count(kp.core, Report) == 3  # the earlier one and the two created
    # Each created line reads back as the single endpoint would show it to its reporter.
    assert kp.outcome_of("u5", out["lines"][5]["report"]["id"]) == "pending"


def test_a_new_reporter_twice_on_one_case_in_one_batch_counts_once(kp: Platform) -> None:
    """Each line is a unit of its own: the second line must not take the reporter for new on the case."""
    line = {"reporter_id": "fresh", "subject_id": "vid-1", "reason": "spam"}
    out = _post(kp, [line, {**line, "reason": "hate"}, {**line, "subject_id": "vid-2"}])
    assert [x["result"] for x in out["lines"]] == ["created"] * 3
    case = kp.core.query(CLI, lambda ctx: ctx.session.get(Case, out["lines"][0]["report"]["case_id"]))
    assert case.report_count == 2 and case.reporter_count == 1


def test_idempotency_is_per_line_across_batches_and_within_one(kp: Platform) -> None:
    line = {"reporter_id": "u1", "subject_id": "vid-1", "reason": "spam", "idempotency_key": "same"}
    first = _post(kp, [line, line])
    assert [x["result"] for x in first["lines"]] == ["created", "replayed"]
    again = _post(kp, [line])
    assert again["lines"][0]["result"] == "replayed"
    assert again["lines"][0]["report"]["id"] == first["lines"][0]["report"]["id"]
    single = kp.client.post("/v1/reports", json=line, headers=kp.key)
    assert single.status_code == 200 and single.json()["id"] == first["lines"][0]["report"]["id"]
    assert _count(kp.core, Report) == 1


def test_a_line_that_fails_in_the_database_undoes_only_its_own_writes(
        kp: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    real = reports.file_reports

    def flaky(ctx: Context, bodies: list[reports.ReportIn], **kw: Any) -> list[reports.Filed]:
        filed = real(ctx, bodies, **kw)  # writes the reports, their states, their events...
        if any(body.reporter_id == "u-bad" for body in bodies):
            ctx.session.flush()
            raise IntegrityError("INSERT ...", {}, Exception("simulated"))  # ...then the database refuses
        return filed

    monkeypatch.setattr(reports, "file_reports", flaky)
    events_before = _count(kp.core, Event)
    out = _post(kp, [{"reporter_id": "u1", "subject_id": "vid-1", "reason": "spam"},
                     {"reporter_id": "u-bad", "subject_id": "vid-1", "reason": "spam"},
                     {"reporter_id": "u3", "subject_id": "vid-2", "reason": "spam"}])
    assert [x["status"] for x in out["lines"]] == [201, 500, 201]
    assert out["lines"][1]["error"]["type"] == "internal_error"
    with kp.core.db.reader() as s:
        assert sorted(s.scalars(select(Report.reporter_id))) == ["u1", "u3"]
        assert s.scalar(select(func.count()).select_from(Event).where(Event.entity_id.like("rep%"))) == 2
    assert _count(kp.core, Event) > events_before


def test_too_many_lines_or_none_is_refused_whole(kp: Platform) -> None:
    line = {"reporter_id": "u1", "subject_id": "vid-1", "reason": "spam"}
    assert _post(kp, [line] * (batch.MAX_LINES + 1), expect=422)["error"]["type"] == "validation_error"
    assert _post(kp, [], expect=422)["error"]["type"] == "validation_error"
    bad = _post(kp, [line, {"reporter_id": "u2", "subject_id": "vid-1"}], expect=422)
    assert bad["error"]["field"] == "1.reason"
    # What the policy puts in the published schema (reason codes, lengths) is the schema too: refused whole.
    bad = _post(kp, [line, line, {**line, "reason": "spamm"}], expect=422)
    assert (bad["error"]["type"], bad["error"]["field"]) == ("unknown_reason", "2.reason")
    assert _count(kp.core, Report) == 0


def test_a_body_above_the_limit_is_413(kp: Platform) -> None:
    line = {"reporter_id": "u1", "subject_id": "vid-1", "reason": "spam", "text": "x" * 2000}
    r = kp.client.post("/v1/reports/batch", json=[line] * 600, headers=kp.key)
    assert r.status_code == 413 and r.json()["error"]["type"] == "body_too_large"


def test_lines_sharing_a_key_keep_the_request_order_whatever_their_subjects(kp: Platform) -> None:
    """Lines are filed in subject order (fewer deadlocks between batches), but the first line with a key wins."""
    kp.subject("a-first")
    out = _post(kp, [{"reporter_id": "u1", "subject_id": "vid-2", "reason": "spam", "idempotency_key": "k"},
                     {"reporter_id": "u1", "subject_id": "a-first", "reason": "spam", "idempotency_key": "k"},
                     {"reporter_id": "u2", "subject_id": "a-first", "reason": "spam"}])
    assert [x["status"] for x in out["lines"]] == [201, 409, 201]
    assert out["lines"][0]["report"]["subject_id"] == "vid-2"


def test_one_reporter_many_times_in_a_batch_takes_its_slots_in_order(kp: Platform) -> None:
    """The rate limit is taken set-based, one round per occurrence of a reporter: exactly as many lines pass as
    the reporter's minute allows, in the request's order, and a line refused for its content takes no slot."""
    limit = kp.core.policy.rate_limits.reporter_per_minute
    line = {"reporter_id": "busy", "subject_id": "vid-1", "reason": "spam"}
    lines = [{**line, "subject_id": "no-such-video"}] + [line] * (limit + 2)
    out = _post(kp, lines)
    assert [x["status"] for x in out["lines"]] == [422] + [201] * limit + [429, 429]
    assert out["lines"][0]["error"]["type"] == "unknown_subject"
    assert all(x["retry_after_s"] >= 1 for x in out["lines"][-2:])
    assert _count(kp.core, Report) == limit
