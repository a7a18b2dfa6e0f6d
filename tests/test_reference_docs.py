"""docs/configuration.md and docs/events.md are generated (fairflag.docgen) and must not drift; the words of
src/fairflag/reference.py name only keys and kinds that exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairflag import docgen, reference
from fairflag.domain.events import EventKind

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize(("name", "render"), [("configuration.md", docgen.render_configuration),
                                              ("events.md", docgen.render_events)])
def test_the_reference_is_up_to_date(name: str, render: object) -> None:
    current = (DOCS / name).read_text(encoding="utf-8")
    assert current == render(), f"docs/{name} is out of date: run `python -m fairflag.docgen`"  # type: ignore[operator]


def test_no_words_for_keys_or_kinds_that_do_not_exist() -> None:
    keys = {key for key, _ in docgen.policy_keys()}
    assert set(reference.POLICY_MEANINGS) - keys == set()
    assert set(reference.POLICY_DEFAULTS) - keys == set()
    assert set(reference.EVENT_MEANINGS) == set(EventKind)


def test_defaults_are_read_from_the_packaged_policy() -> None:
    text = docgen.render_configuration()
    assert "| `rate_limits.reporter_per_minute` | 30 |" in text
    assert "| `FAIRFLAG_REQUEST_TIMEOUT_S` | `30.0` |" in text
    assert "| `triage.group_cap` | 1.0 |" in text
