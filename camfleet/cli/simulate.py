"""``camfleet simulate inventory|fleet``: a synthetic district and its virtual camera fleet."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from camfleet.cli.app import EXIT_USAGE, app, errors_as_messages, fail, out_console

if TYPE_CHECKING:
    from camfleet.simulator.district import District

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
    nvr_channels: Annotated[
        int, typer.Option("--nvr-channels", help="Legacy cameras that are channels of village NVRs (4–16 each).")
    ] = 0,
    rtsp_only: Annotated[
        int, typer.Option("--rtsp-only", help="Legacy cameras with ONVIF switched off: RTSP only.")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same district).")] = 1,
) -> None:
    """Write a realistic synthetic district inventory and its credentials file."""
    # Imported here: the simulator package pulls in the virtual fleet (aiohttp, OpenCV), which the
    # other commands do not need at start-up.
    from camfleet.simulator.district import generate_district, write_district

    with errors_as_messages():
        try:
            district = generate_district(
                towns, villages, points, cameras, legacy, seed, nvr_channels=nvr_channels, rtsp_only=rtsp_only
            )
        except ValueError as exc:
            fail(str(exc), code=EXIT_USAGE)
        try:
            inventory_path, credentials_path = write_district(district, out)
        except OSError as exc:
            fail(f"{out}: cannot write: {exc.strerror}")
        planned = sum(1 for r in district.rows if not r["camera_id"])
        out_console.print(
            f"wrote {escape(str(inventory_path))}: {towns} towns, {villages} villages, {points} new points "
            f"({planned} planned), {cameras} + {legacy} cameras{_legacy_note(district)}",
            highlight=False,
            soft_wrap=True,
        )
        out_console.print(f"wrote {escape(str(credentials_path))} (mode 0600)", highlight=False, soft_wrap=True)


def _legacy_note(district: District) -> str:
    """ " (N NVR channels on M recorders, K RTSP-only)" when the district has them."""
    rows = district.camera_rows
    recorders = {(r["host"], r["port"]) for r in rows if r.get("channel")}
    channels = sum(1 for r in rows if r.get("channel"))
    rtsp = sum(1 for r in rows if r.get("access") == "rtsp")
    if not channels and not rtsp:
        return ""
    return f" ({channels} NVR channels on {len(recorders)} recorders, {rtsp} RTSP-only)"


@simulate_app.command("acceptance")
def acceptance(
    inventory: Annotated[str, typer.Option("--inventory", help="Inventory file of the simulated cameras.")],
    out: Annotated[str, typer.Option("--out", help="Directory to write <camera_id>.jpg into (created).")],
    seed: Annotated[int, typer.Option(help="Seed of the simulated fleet (as given to `simulate fleet`).")] = 1,
    main_only: Annotated[
        bool, typer.Option("--main-only", help="The fleet offers only its 1920×1080 profile (as `simulate fleet`).")
    ] = False,
    workers: Annotated[int, typer.Option(help="Drawing processes (0: one per CPU).")] = 0,
) -> None:
    """Write each simulated camera's healthy daytime view as <camera_id>.jpg: its acceptance picture.

    The picture is what the camera serves at local noon with no fault, at the size of the snapshot the
    poller fetches. Planned points without a camera get none. Import them with `camfleet baseline import`.
    """
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from camfleet.cli.app import err_console
    from camfleet.inventory.files import read_inventory_file
    from camfleet.simulator.acceptance import write_acceptance

    with errors_as_messages():
        rows = read_inventory_file(inventory).rows
        ids = list(dict.fromkeys(cid for row in rows if (cid := row.get("camera_id"))))
        if not ids:
            fail(f"{inventory}: no camera rows (every row lacks a camera_id)")
        started = time.monotonic()
        columns = (TextColumn("drawing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        try:
            with Progress(*columns, console=err_console, transient=True) as bar:
                task = bar.add_task("draw", total=len(ids))
                written = write_acceptance(
                    ids, out, fleet_seed=seed, main_only=main_only, workers=workers or None,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )  # fmt: skip
        except OSError as exc:
            fail(f"{out}: cannot write: {exc.strerror or exc}")
        took = time.monotonic() - started
        out_console.print(
            f"wrote {written} acceptance pictures to {escape(out)} in {took:.1f} s", highlight=False, soft_wrap=True
        )
