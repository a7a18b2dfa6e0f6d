"""``fairflag migrate``: apply the database migrations, or verify them."""

from __future__ import annotations

from typing import Annotated

import typer

from fairflag.cli.base import core_for, safe_url, settings_from_env, stdout
from fairflag.store import migrate as store_migrate


def migrate(
    check: Annotated[bool, typer.Option("--check", help="Change nothing; fail if the database is behind the "
                                        "migrations or the models and the migrations differ.")] = False,
) -> None:
    """Apply the database migrations (or, with --check, verify them)."""
    settings = settings_from_env()
    with core_for(settings) as core:
        where = safe_url(settings.database_url)
        if check:
            store_migrate.check(core.db)
            stdout().print(f"ok: {where} is at the latest migration and matches the models.", soft_wrap=True)
        else:
            core.migrate()
            stdout().print(f"ok: {where} is at the latest migration.", soft_wrap=True)
