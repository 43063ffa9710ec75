"""``camfleet inventory import|validate|export``."""

from __future__ import annotations

from typing import Annotated

import typer

from camfleet.cli.app import app, not_implemented

inventory_app = typer.Typer(help="Inventory of towns, villages, points and cameras.", no_args_is_help=True)
app.add_typer(inventory_app, name="inventory")


@inventory_app.command("import")
def import_(
    file: Annotated[str, typer.Argument(help="CSV (UTF-8, UTF-8 BOM or GB18030) or XLSX file.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")] = False,
) -> None:
    """Import an inventory file, all or nothing, applying exactly the differences."""
    not_implemented("inventory import", "foundation issue")()


@inventory_app.command("validate")
def validate(file: Annotated[str, typer.Argument(help="Inventory file to check.")]) -> None:
    """Report every problem in an inventory file with its row and column; change nothing."""
    not_implemented("inventory validate", "foundation issue")()


@inventory_app.command("export")
def export(file: Annotated[str, typer.Argument(help="CSV or XLSX file to write.")]) -> None:
    """Write the inventory to a file that re-imports to the same database."""
    not_implemented("inventory export", "foundation issue")()
