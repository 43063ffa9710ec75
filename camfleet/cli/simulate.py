"""``camfleet simulate inventory|fleet``: a synthetic district and its virtual camera fleet."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from camfleet.cli.app import app, errors_as_messages, fail, out_console

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
    # Imported here: the simulator package pulls in the virtual fleet (aiohttp, OpenCV), which the
    # other commands do not need at start-up.
    from camfleet.simulator.district import generate_district, write_district

    with errors_as_messages():
        try:
            district = generate_district(towns, villages, points, cameras, legacy, seed)
        except ValueError as exc:
            fail(str(exc))
        inventory_path, credentials_path = write_district(district, out)
        planned = sum(1 for r in district.rows if not r["camera_id"])
        out_console.print(
            f"wrote {escape(str(inventory_path))}: {towns} towns, {villages} villages, {points} new points "
            f"({planned} planned), {cameras} + {legacy} cameras",
            highlight=False,
            soft_wrap=True,
        )
        out_console.print(f"wrote {escape(str(credentials_path))} (mode 0600)", highlight=False, soft_wrap=True)
