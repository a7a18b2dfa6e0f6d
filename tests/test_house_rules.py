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
