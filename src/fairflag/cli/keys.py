"""``fairflag keys``: platform service keys."""

from __future__ import annotations

from typing import Annotated

import typer

from fairflag.cli.base import CLI, core_for, settings_from_env, stderr
from fairflag.services import auth

app = typer.Typer(help="Platform service keys.", no_args_is_help=True, rich_markup_mode=None)


@app.command("create")
def keys_create(name: Annotated[str, typer.Argument(help="What the key is for, e.g. the platform's name.")]) -> None:
    """Create a platform service key and print its token (shown only this once)."""
    with core_for(settings_from_env()) as core:
        created = core.run(CLI, auth.create_service_key, name)
    stderr().print(f"Created service key {created.id} ({created.name}). Its token is shown only now:")
    typer.echo(created.token)
