"""``camfleet db upgrade``: bring the database schema up to date."""

from __future__ import annotations

import typer

from camfleet.cli.app import app, not_implemented

db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply every pending schema migration (Alembic) to the configured database."""
    not_implemented("db upgrade", "foundation issue")()
