"""``camfleet db upgrade``: bring the database schema up to date."""

from __future__ import annotations

import typer
from rich.markup import escape

from camfleet.cli.app import app, errors_as_messages, get_config, out_console

db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply every pending schema migration (Alembic) to the configured database."""
    from camfleet.inventory.db import safe_url
    from camfleet.inventory.db import upgrade as upgrade_schema

    with errors_as_messages():
        url = get_config().database.url
        before, after = upgrade_schema(url)
        where = escape(safe_url(url))
        if before == after:
            out_console.print(f"{where}: schema already at {after}", highlight=False, soft_wrap=True)
        else:
            out_console.print(
                f"{where}: schema upgraded from {before or 'empty'} to {after}", highlight=False, soft_wrap=True
            )
