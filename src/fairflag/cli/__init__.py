"""The command line: ``fairflag serve | demo | simulate | migrate | keys | users | policy | bench``.

One module per command group (serve, demo, migrate, keys, users, policy, bench; simulate is
``fairflag.sim.cli``), registered here on the root command. Every command reads the deployment settings from
the environment (``FAIRFLAG_*``, see settings.py) and calls the same use cases as the HTTP API, as the trusted
operator ``cli:cli``. Bad input ends in one red line on stderr and exit code 2, never a traceback
(:class:`fairflag.cli.base.Group`). Help is plain text (no Rich panels) so that docs/cli.md can be generated
from it (see docgen.py).
"""

from __future__ import annotations

from typing import Annotated

import typer

from fairflag import __version__
from fairflag.cli import bench, demo, keys, migrate, policy, serve, users
from fairflag.cli.base import CLI, EXIT_BAD_INPUT, CliError, Group, describe_error
from fairflag.sim.cli import simulate

__all__ = ["CLI", "EXIT_BAD_INPUT", "CliError", "app", "describe_error"]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fairflag {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=Group,
    name="fairflag",
    help="Receive user reports (flags) and handle them fairly, resisting mass-reporting abuse.",
    epilog="Settings come from the environment: FAIRFLAG_DATABASE_URL (default sqlite:///fairflag.db), "
    "FAIRFLAG_POLICY_FILE (default: the packaged policy), FAIRFLAG_HOST, FAIRFLAG_PORT. "
    "Bad input exits with code 2.",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,  # locals may hold passwords and tokens
)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Receive user reports (flags) and handle them fairly, resisting mass-reporting abuse."""


# Commands are listed in `fairflag --help` in this order, then the groups.
app.command("simulate", help=simulate.__doc__)(simulate)  # the quality benchmark (fairflag.sim)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("migrate")(migrate.migrate)
app.add_typer(keys.app, name="keys")
app.add_typer(users.app, name="users")
app.add_typer(policy.app, name="policy")
app.add_typer(bench.app, name="bench")
