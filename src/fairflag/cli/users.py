"""``fairflag users``: console users."""

from __future__ import annotations

from typing import Annotated

import typer

from fairflag.cli.base import CLI, core_for, settings_from_env, stdout
from fairflag.domain.enums import Role
from fairflag.services import auth

app = typer.Typer(help="Console users (moderators, seniors, admins, auditors).", no_args_is_help=True,
                  rich_markup_mode=None)


@app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Lower-case letters, digits, '.', '_' or '-'.")],
    role: Annotated[Role, typer.Option(help="What the user may do.", case_sensitive=False, show_default=False)],
    password: Annotated[str | None, typer.Option(
        envvar="FAIRFLAG_NEW_USER_PASSWORD", show_envvar=True,
        help="At least 12 characters. Prompted for (twice, hidden) when not given; prefer the prompt or the "
             "environment variable to keep it out of shell history.")] = None,
) -> None:
    """Create a console user."""
    with core_for(settings_from_env()) as core:
        if password is None:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        body = auth.UserIn(username=username, role=role, password=password)
        user = core.run(CLI, auth.create_user, body)
    stdout().print(f"Created {user.role.value} {user.username} ({user.id}).")
