"""``camfleet coverage``: village-by-village coverage for planners."""

from __future__ import annotations

from typing import Annotated

import typer

from camfleet.cli.app import app, not_implemented


@app.command("coverage")
def coverage(
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json or html.")] = "table",
    output: Annotated[str | None, typer.Option("--output", help="File to write (default stdout).")] = None,
    town: Annotated[str | None, typer.Option("--town", help="Only this town.")] = None,
    window: Annotated[str, typer.Option("--window", help="Availability window, e.g. 24h, 7d, 30d.")] = "7d",
) -> None:
    """Report coverage, online rate (在线率) and working rate (完好率) by district, town and village."""
    not_implemented("coverage", "coverage issue")()
