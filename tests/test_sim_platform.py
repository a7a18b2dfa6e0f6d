"""The synthetic platform reproduces the public figures it is calibrated on (CALIBRATION.md), and every
attack scenario contains what it claims: attacked innocent subjects, bad-faith reports, and for the
community scam, coordinated good-faith reports on a real violation."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from fairflag.sim.scenarios import SCENARIOS, UnknownScenario, generate


def reports(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines[1:] if line["type"] == "report"]


def subjects(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["id"]: line for line in lines[1:] if line["type"] == "subject"}


@pytest.fixture(scope="module")
def organic() -> list[dict[str, Any]]:
    return generate("no_attack", 11, 0.5)


def test_ordinary_user_reports_are_upheld_20_to_30_percent(organic: list[dict[str, Any]]) -> None:
    subj = subjects(organic)
    user = [r for r in reports(organic) if r.get("source", "user") == "user"]
    upheld = sum(1 for r in user if subj[r["subject"]]["truth"]["violating"]) / len(user)
    assert 0.18 <= upheld <= 0.35


def test_reports_pile_up_two_to_three_per_reported_item(organic: list[dict[str, Any]]) -> None:
    per_item = Counter(r["subject"] for r in reports(organic))
    assert 1.9 <= sum(per_item.values()) / len(per_item) <= 3.2
    assert max(per_item.values()) >= 20  # heavy-tailed reach: some items collect many reports


def test_trusted_flaggers_and_the_classifier_are_mostly_right(organic: list[dict[str, Any]]) -> None:
    subj = subjects(organic)
    for source, low in (("trusted_flagger", 0.7), ("automated", 0.5)):
        rows = [r for r in reports(organic) if r.get("source") == source]
        assert rows, source
        precision = sum(1 for r in rows if subj[r["subject"]]["truth"]["violating"]) / len(rows)
        assert low <= precision <= 1.0, (source, precision)


def test_reviewers_keep_up_with_organic_load_only(organic: list[dict[str, Any]]) -> None:
    moderators = organic[0]["moderators"]
    reported = len({r["subject"] for r in reports(organic)})
    hours = organic[0]["horizon_s"] / 3600
    assert reported / hours < moderators["per_hour"] < 2 * reported / hours


@pytest.mark.parametrize("name", sorted(set(SCENARIOS) - {"no_attack"}))
def test_each_attack_scenario_contains_its_attack(name: str) -> None:
    lines = generate(name, 7, 0.05)
    subj = subjects(lines)
    if name == "legit_scam_community":
        scam = {s for s, line in subj.items() if line["truth"].get("cohort") == "legit_scam"}
        assert scam and all(subj[s]["truth"]["violating"] for s in scam)
        assert not any(r["truth"]["abusive"] for r in reports(lines))
        return
    attacked = {s for s, line in subj.items() if line["truth"]["attacked"]}
    assert attacked and not any(subj[s]["truth"]["violating"] for s in attacked)
    abusive = [r for r in reports(lines) if r["truth"]["abusive"]]
    assert abusive and {r["subject"] for r in abusive} <= attacked
    # attack capacity exceeds what reviewers can decide in the attack's hours
    assert len(abusive) > lines[0]["moderators"]["per_hour"]


def test_reputation_then_strike_builds_reputation_before_the_window() -> None:
    lines = generate("reputation_then_strike", 7, 0.05)
    subj = subjects(lines)
    strikers = {r["reporter"] for r in reports(lines) if r["truth"]["abusive"]}
    history = [r for r in reports(lines) if r["reporter"] in strikers and r["t"] < 0]
    assert history and all(subj[r["subject"]]["truth"]["violating"] for r in history)


def test_unknown_scenario_names_the_known_ones() -> None:
    with pytest.raises(UnknownScenario, match="no_attack"):
        generate("nope", 1, 1.0)
