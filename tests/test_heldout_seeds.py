"""Held-out seed ranges: the fixed sets by default, a fresh range with ``--first-seed`` (so a held-out run on
seeds nobody has looked at needs no code change), never overlapping the tune seeds."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from fairflag.sim import heldout, worlds
from fairflag.sim.cli import app


def test_the_default_ranges_are_the_fixed_sets() -> None:
    assert heldout.seed_range("held-out") == worlds.HELDOUT_SEEDS == tuple(range(1001, 1011))
    assert heldout.seed_range("tune") == worlds.TUNE_SEEDS


def test_a_fresh_range_has_as_many_seeds_from_the_first_one() -> None:
    assert heldout.seed_range("held-out", 2001) == tuple(range(2001, 2011))
    plan = heldout.specs("held-out", ["swarm", "brigade"], seeds=2, first_seed=2001)
    assert [(s.name, s.seed) for s in plan] == [("swarm", 2001), ("swarm", 2002), ("brigade", 2001),
                                                ("brigade", 2002)]
    with pytest.raises(ValueError, match="overlap the tune seeds"):
        heldout.seed_range("held-out", 1)


@pytest.mark.parametrize(("args", "message"), [
    (["--first-seed", "2001"], "--first-seed choose held-out or tune worlds; add --held-out or --tune"),
    (["--held-out", "--first-seed", "3"], "--first-seed: held-out seeds 3-12 overlap the tune seeds 1-5"),
    (["--seeds", "2", "--family", "swarm"], "--family, --seeds choose held-out or tune worlds"),
])
def test_bad_seed_range_arguments_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["simulate", *args, "--workers", "1"], catch_exceptions=False)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_help_names_the_ranges() -> None:
    result = CliRunner().invoke(app, ["simulate", "--help"], terminal_width=400)
    text = " ".join(result.output.split())
    assert "1001-1010" in text and "--first-seed 2001 for 2001-2010" in text
