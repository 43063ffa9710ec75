"""``camfleet simulate inventory|fleet``: a synthetic district and its virtual camera fleet."""

from __future__ import annotations

from typing import Annotated

import typer

from camfleet.cli.app import app, not_implemented

simulate_app = typer.Typer(help="Synthetic district inventory and virtual camera fleet.", no_args_is_help=True)
app.add_typer(simulate_app, name="simulate")


@simulate_app.command("inventory")
def inventory(
    out: Annotated[str, typer.Option("--out", help="CSV file to write (credentials file beside it).")],
    towns: Annotated[int, typer.Option(help="Towns and sub-districts.")] = 20,
    villages: Annotated[int, typer.Option(help="Administrative villages.")] = 128,
    points: Annotated[int, typer.Option(help="New 一村一探头 camera points.")] = 336,
    cameras: Annotated[int, typer.Option(help="Cameras on the new points.")] = 500,
    legacy: Annotated[int, typer.Option(help="Legacy 农村小天网 cameras.")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same district).")] = 1,
) -> None:
    """Write a realistic synthetic district inventory and its credentials file."""
    not_implemented("simulate inventory", "foundation issue")()
