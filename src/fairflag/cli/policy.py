"""``fairflag policy``: check a policy file, show the policy in force."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fairflag.cli.base import settings_from_env, stdout
from fairflag.policy import Policy, load_policy

app = typer.Typer(help="The moderation policy file.", no_args_is_help=True, rich_markup_mode=None)


@app.command("check")
def policy_check(
    file: Annotated[Path | None, typer.Argument(help="The policy file. [default: $FAIRFLAG_POLICY_FILE or the "
                                                "packaged policy]", show_default=False)] = None,
) -> None:
    """Validate a policy file and print its version."""
    source = str(file) if file is not None else settings_from_env().policy_file
    policy = load_policy(source)
    stdout().print(f"ok: {source or 'the packaged default policy'} is valid; version {policy.full_version} "
                    f"({len(policy.reasons)} reasons, {len(policy.actions)} actions, "
                    f"{len(policy.strikes.ladder)} strike ladder steps).", soft_wrap=True)


@app.command("show")
def policy_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print the full policy as JSON.")] = False,
) -> None:
    """Print the policy in force (FAIRFLAG_POLICY_FILE or the packaged default), defaults filled in."""
    source = settings_from_env().policy_file
    policy = load_policy(source)
    if as_json:
        typer.echo(policy.model_dump_json(indent=2))
        return
    print_policy(policy, source or "the packaged default policy")


def print_policy(policy: Policy, source: str) -> None:
    out = stdout()
    out.print(f"policy {policy.full_version} from {source}", style="bold")
    reasons = Table(title="Reasons")
    for column in ("code", "severity", "description"):
        reasons.add_column(column)
    for code, reason in policy.reasons.items():
        reasons.add_row(code, reason.severity, reason.description)
    out.print(reasons)
    surfaces = Table(title="Surfaces: urgency and review deadlines (seconds)")
    for column in ("surface", "urgency", "low", "medium", "high", "critical"):
        surfaces.add_column(column)
    for name, surface in policy.surfaces.items():
        deadlines = surface.review_deadline_s
        surfaces.add_row(name, str(surface.urgency), *(str(deadlines[s]) for s in ("low", "medium", "high",
                                                                                     "critical")))
    out.print(surfaces)
    actions = Table(title="Actions")
    for column in ("action", "target", "strike", "surfaces", "permanent", "max duration (s)"):
        actions.add_column(column)
    for name, action in policy.actions.items():
        actions.add_row(name, action.target, "yes" if action.strike else "no", ", ".join(action.surfaces or ()) or
                        "all", "yes" if action.permanent else "no", str(action.max_duration_s or ""))
    out.print(actions)
    ladder = Table(title=f"Strike ladder (strikes expire after {policy.strikes.expire_after_days} days)")
    for column in ("strikes", "consequence", "duration (s)"):
        ladder.add_column(column)
    for step in policy.strikes.ladder:
        ladder.add_row(str(step.strikes), step.consequence, str(step.duration_s or ""))
    out.print(ladder)
    limits = Table(title="Limits", show_header=False)
    for name, value in policy.limits.model_dump().items():
        limits.add_row(name, str(value))
    out.print(limits)
