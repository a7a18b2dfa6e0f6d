"""``fairflag demo``: seed the demo dataset, and the summary (users, key, what to try) that ``serve --demo``
prints too."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fairflag import demo as demo_data
from fairflag.cli.base import core_for, safe_url, settings_from_env, stderr, stdout
from fairflag.core import Fairflag
from fairflag.domain.enums import Role
from fairflag.settings import Settings


def demo(
    reset: Annotated[bool, typer.Option("--reset", help="Delete EVERYTHING in the database first, then seed.")]
    = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before --reset deletes.")] = False,
) -> None:
    """Seed the demo dataset (ten days of a small platform) into the configured database.

    A second run adds nothing. It refuses a database that holds other data unless --reset.
    """
    settings = settings_from_env()
    with core_for(settings) as core:
        core.migrate()
        if reset:
            where = safe_url(settings.database_url)
            if not yes and not typer.confirm(f"Delete everything in {where}?", default=False):
                raise typer.Abort()
            demo_data.reset_database(core)
            stdout().print(f"Deleted everything in {where}.")
        summary = seed_with_progress(core)
        print_summary(summary, base_url=base_url(settings))


def seed_with_progress(core: Fairflag) -> demo_data.DemoSummary:
    """Seed with a progress bar, or describe the demo already there; refuse a database with other data."""
    found = demo_data.state(core)
    if found is demo_data.DemoState.seeded:
        return demo_data.describe(core)
    if found is not demo_data.DemoState.empty:
        raise demo_data.DemoRefused(demo_data.refusal(found))
    columns = (TextColumn("seeding the demo"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=stderr(), transient=False) as bar:
        task = bar.add_task("", total=None)

        def step(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label[:50])

        return demo_data.seed(core, progress=step)


def base_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{'[' + host + ']' if ':' in host else host}:{settings.port}"


def print_summary(summary: demo_data.DemoSummary, *, base_url: str) -> None:
    out = stdout()
    out.print("Demo dataset " + ("seeded." if summary.created else "already present; nothing added."),
              style="bold green")
    counts = Table(title="What is in the database", show_header=False)
    for name, value in summary.counts.items():
        counts.add_row(name, str(value))
    out.print(counts)
    users = Table(title="Console users (log in with POST /v1/auth/login)")
    for column in ("username", "role", "password", "note"):
        users.add_column(column)
    for u in summary.users:
        users.add_row(u.username, u.role.value, u.password, u.note)
    out.print(users)
    look = Table(title="Worth a look", show_header=False)
    for label, value in summary.highlights.items():
        look.add_row(label, value)
    out.print(look)
    if summary.service_key:
        out.print("Platform service key (shown once; send it as `Authorization: Bearer <key>`):")
        typer.echo(summary.service_key.token)
    else:
        out.print("The demo's service key was shown when it was seeded; make another with `fairflag keys create`.")
    first = next(u for u in summary.users if u.role is Role.moderator)
    out.print(f"Moderator console: {base_url}/console/ (log in as {first.username}, password {first.password})",
              style="bold")
    out.print("Try it:", style="bold")
    typer.echo(f"  curl -s {base_url}/healthz")
    typer.echo(f"  curl -s -X POST {base_url}/v1/auth/login -H 'content-type: application/json' "
               f"-d '{{\"username\": \"{first.username}\", \"password\": \"{first.password}\"}}'")
    typer.echo(f"  curl -s {base_url}/v1/queue -H 'Authorization: Bearer <token from the login>'")
