"""House rules as checks that can fail: the wall clock is read only in clock.py, and the references
(docs/configuration.md, docs/events.md) document every setting, policy key and event kind."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from fairflag.domain.events import EventKind
from fairflag.policy import PolicyError, default_policy_text, parse_policy
from fairflag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "fairflag"
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
EVENTS = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
WALL_CLOCK = re.compile(r"datetime\.(now|utcnow|today)\(|time\.time\(\)|date\.today\(\)")


def test_wall_clock_is_read_only_in_clock_module() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in SRC.rglob("*.py") if path.name != "clock.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WALL_CLOCK.search(line)
    ]
    assert offenders == [], "inject a Clock instead:\n" + "\n".join(offenders)


def test_every_event_kind_is_namespaced_and_documented() -> None:
    for kind in EventKind:
        assert re.fullmatch(r"[a-z_]+:[a-z_]+:[a-z_]+", kind.value), kind
        assert f"`{kind.value}`" in EVENTS, f"docs/events.md lacks event kind {kind.value}"


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`FAIRFLAG_{name.upper()}`" in CONFIGURATION, f"docs/configuration.md lacks FAIRFLAG_{name.upper()}"


def _policy_keys(data: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        # Tables keyed by reason code, surface or action kind are documented once as <code>/<surface>/<kind>.
        shown = {"reasons": "<code>", "surfaces": "<surface>", "actions": "<kind>"}.get(prefix.rstrip("."))
        path = f"{prefix}{shown or key}"
        if isinstance(value, dict) and not (prefix.startswith("surfaces.") and key == "review_deadline_s"):
            keys.extend(_policy_keys(value, path + "."))
        else:
            keys.append(path)
    return sorted(set(keys))


def test_every_policy_key_is_documented() -> None:
    keys = _policy_keys(tomllib.loads(default_policy_text()))
    keys = [k if not k.startswith("severities.") else "severities." for k in keys]
    missing = [k for k in set(keys) if f"`{k}" not in CONFIGURATION]
    assert missing == [], f"docs/configuration.md lacks policy keys {missing}"


def test_invalid_policy_names_the_key_and_reason() -> None:
    broken = default_policy_text().replace('severity = "critical"', 'severity = "apocalyptic"', 1)
    with pytest.raises(PolicyError) as excinfo:
        parse_policy(broken, "broken.toml")
    message = str(excinfo.value)
    assert "broken.toml" in message and "reasons.violence.severity" in message


def test_policy_version_changes_with_content() -> None:
    a = parse_policy(default_policy_text())
    b = parse_policy(default_policy_text().replace("claim_lease_s = 900", "claim_lease_s = 600"))
    assert a.version == b.version and a.full_version != b.full_version


def test_policy_file_and_engine_defaults_agree() -> None:
    """The engines' dataclass defaults (used when a custom policy omits a section) match the default file."""
    from fairflag.engine.campaigns import CampaignPolicy
    from fairflag.engine.credibility import CredibilityPolicy
    from fairflag.engine.misuse import MisusePolicy
    from fairflag.policy import Triage, load_policy

    policy = load_policy()
    assert policy.credibility == CredibilityPolicy()
    assert policy.misuse == MisusePolicy()
    assert policy.campaigns == CampaignPolicy()
    assert policy.triage == Triage()


def test_policy_validates_engine_sections_without_patching_engine_classes() -> None:
    """policy.py owns the file's models; the engine dataclasses are built from validated values, not
    given a pydantic configuration at import time."""
    from fairflag.engine.campaigns import CampaignPolicy
    from fairflag.engine.credibility import CredibilityPolicy
    from fairflag.engine.misuse import MisusePolicy

    for cls in (CampaignPolicy, CredibilityPolicy, MisusePolicy):
        assert "__pydantic_config__" not in vars(cls), f"{cls.__name__} was patched"
    text = default_policy_text()
    broken = (text.replace("[campaigns]\n", "[campaigns]\nbogus_knob = 1\n", 1)
              .replace("prior_mean = 0.25 ", "prior_mean = \"high\" ", 1)
              .replace("warn_after = 3 ", "warn_after = 1.5 ", 1))
    assert "bogus_knob" in broken and "prior_mean = \"high\"" in broken and "warn_after = 1.5" in broken
    with pytest.raises(PolicyError) as excinfo:
        parse_policy(broken, "broken.toml")
    message = str(excinfo.value)
    for where in ("campaigns.bogus_knob", "credibility.prior_mean", "misuse.warn_after"):
        assert where in message, message
    policy = parse_policy(text.replace("warn_after = 3 ", "warn_after = 5 ", 1))
    assert isinstance(policy.misuse, MisusePolicy) and policy.misuse.warn_after == 5


def test_importing_fairflag_leaves_other_sessions_alone(tmp_path: Path) -> None:
    """The unit-of-work hooks listen on fairflag's own session class: a plain SQLAlchemy session in the same
    process commits without writing fairflag's buffers (were the hooks on ``Session``, this commit would
    insert into a table that does not exist here, and fail)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    import fairflag.api.app  # noqa: F401  (everything fairflag registers at import)
    from fairflag.store import eventlog
    from fairflag.store.db import Database
    from fairflag.store.session import FairflagSession

    engine = create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    with Session(engine) as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        eventlog.append(session, {"kind": "not:fairflag:s"})
        session.commit()
        assert eventlog.pending(session) == [{"kind": "not:fairflag:s"}], "a plain session's commit was hooked"
    db = Database(f"sqlite:///{tmp_path / 'ff.db'}")
    with db.reader() as session:
        assert isinstance(session, FairflagSession)
    db.dispose()
    engine.dispose()
