"""``camfleet inventory import|validate|export``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from camfleet.cli.app import app, err_console, errors_as_messages, get_config, out_console
from camfleet.errors import InventoryError
from camfleet.inventory.files import write_inventory_file
from camfleet.inventory.validate import Inventory, validate_file

if TYPE_CHECKING:
    from camfleet.inventory.diff import Plan

# The database modules (SQLAlchemy, Alembic) are imported inside the commands that use them, so that
# `validate` and every other command start without them.

inventory_app = typer.Typer(help="Inventory of towns, villages, points and cameras.", no_args_is_help=True)
app.add_typer(inventory_app, name="inventory")

MAX_CHANGE_LINES = 200  # a first import adds thousands of rows; the counts say the rest


def _validated(file: str) -> Inventory:
    """The validated file, or every problem printed with its row and column and exit 1."""
    try:
        return validate_file(file, get_config().coverage.site_types)
    except InventoryError as exc:
        for problem in exc.problems:
            err_console.print(f"  {escape(str(problem))}", highlight=False, soft_wrap=True)
        err_console.print(
            f"[bold red]rejected:[/] {len(exc.problems)} problem(s) in {escape(file)}; nothing changed", soft_wrap=True
        )
        raise typer.Exit(1) from None


def _warn_missing_groups(inventory: Inventory, file: str) -> None:
    """A warning per credential group the cameras name that the credentials file lacks, with its rows: those
    cameras would read auth_failed/no_credentials. Not an error: the groups may be added after the import."""
    from camfleet.config.credentials import load_credentials
    from camfleet.errors import ConfigError

    try:
        store = load_credentials(get_config().credentials.file, file)
    except ConfigError as exc:
        err_console.print(f"[yellow]warning:[/] credential groups not checked: {escape(str(exc))}", soft_wrap=True)
        return
    for group, rows in sorted(inventory.missing_groups(store.groups).items()):
        shown = ", ".join(f"{line} ({camera})" for line, camera in rows[:10])
        more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
        err_console.print(
            f"[yellow]warning:[/] {escape(store.missing(group))}; {len(rows)} camera(s) use it, rows {escape(shown)}"
            f"{more}: they will read auth_failed/no_credentials until it is added",
            highlight=False, soft_wrap=True,
        )  # fmt: skip


def _print_plan(plan: Plan, title: str) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("", "added", "changed", "retired/removed", "unchanged"):
        table.add_column(column, justify="right" if column else "left")
    counts = plan.counts()
    p, c = counts["points"], counts["cameras"]
    table.add_row("points", str(p["added"]), str(p["changed"]), str(p["retired"]), str(p["unchanged"]))
    table.add_row("cameras", str(c["added"]), str(c["changed"]), str(c["removed"]), str(c["unchanged"]))
    out_console.print(table)
    changes = plan.changes()
    for change in changes[:MAX_CHANGE_LINES]:
        out_console.print(f"  {escape(str(change))}", highlight=False, soft_wrap=True)
    if len(changes) > MAX_CHANGE_LINES:
        out_console.print(f"  … and {len(changes) - MAX_CHANGE_LINES} more")


@inventory_app.command("import")
def import_(
    file: Annotated[str, typer.Argument(help="CSV (UTF-8, UTF-8 BOM or GB18030) or XLSX file.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")] = False,
) -> None:
    """Import an inventory file, all or nothing, applying exactly the differences."""
    with errors_as_messages():
        inventory = _validated(file)  # before the database is opened: a rejected file changes nothing
        _warn_missing_groups(inventory, file)
        url = get_config().database.url
        from camfleet.inventory.db import head_revision, safe_url
        from camfleet.inventory.importer import import_inventory

        result = import_inventory(url, inventory, dry_run=dry_run)
        where = escape(safe_url(url))
        if result.created_schema:
            out_console.print(
                f"created a new database at schema {head_revision()}: {where}", highlight=False, soft_wrap=True
            )
        if dry_run:
            _print_plan(result.plan, f"dry run: {escape(file)} → {where} (nothing changed)")
        elif result.plan.empty:
            out_console.print(f"no change: {where} already matches {escape(file)}", highlight=False, soft_wrap=True)
        else:
            _print_plan(result.plan, f"imported {escape(file)} → {where}")


@inventory_app.command("validate")
def validate(file: Annotated[str, typer.Argument(help="Inventory file to check.")]) -> None:
    """Report every problem in an inventory file with its row and column; change nothing."""
    with errors_as_messages():
        inventory = _validated(file)
        _warn_missing_groups(inventory, file)
        out_console.print(
            f"ok: {len(inventory.points)} points, {len(inventory.cameras)} cameras", highlight=False, soft_wrap=True
        )


@inventory_app.command("export")
def export(
    file: Annotated[str, typer.Argument(help="CSV or XLSX file to write.")],
    chinese: Annotated[bool, typer.Option("--chinese", help="Chinese column headers (点位编号, …).")] = False,
) -> None:
    """Write the inventory to a file that re-imports to the same database."""
    with errors_as_messages():
        from camfleet.inventory.importer import export_rows

        rows = export_rows(get_config().database.url)
        write_inventory_file(file, rows, chinese=chinese)
        cameras = sum(1 for r in rows if r["camera_id"])
        points = len({r["point_id"] for r in rows})
        out_console.print(f"wrote {escape(file)}: {points} points, {cameras} cameras", highlight=False, soft_wrap=True)
