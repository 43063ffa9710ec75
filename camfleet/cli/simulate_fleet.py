"""``camfleet simulate fleet``: serve an inventory's cameras as virtual ONVIF cameras."""

from __future__ import annotations

import asyncio
import resource
import signal
from typing import TYPE_CHECKING, Annotated

import typer

from camfleet.cli.app import errors_as_messages, fail
from camfleet.cli.simulate import simulate_app
from camfleet.errors import ConfigError

if TYPE_CHECKING:
    from camfleet.simulator import SimulatedFleet

#: File descriptors beyond one listening socket per camera: both ends of connections, logs, threads.
_FD_HEADROOM = 1024


def _parse_hostport(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"--control {text!r}: expected HOST:PORT, e.g. 127.0.0.1:9871")
    return host, int(port)


def ensure_open_files(cameras: int) -> int:
    """Raise the soft open-file limit toward the hard one when the fleet needs more; returns the limit."""
    need = cameras + _FD_HEADROOM
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    target = need if hard == resource.RLIM_INFINITY else min(max(need, soft), hard)
    if target < need:
        raise ConfigError(
            f"{cameras} cameras need about {need} open files but the hard limit is {hard}; "
            "raise it (ulimit -Hn, or LimitNOFILE= in the unit)"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


async def _serve(
    inventory: str, scenario: str | None, control: tuple[str, int], seed: int, rtsp: int, main_only: bool, pool: int
) -> None:
    from camfleet.simulator import SimulatedFleet

    fleet = SimulatedFleet.from_inventory(
        inventory, scenario, seed=seed, control=control, rtsp=rtsp, main_only=main_only, frame_pool=pool
    )
    ensure_open_files(len(fleet.cameras))
    await fleet.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        # Plain print, one line, flushed: scripts and tests read this line to know the fleet is up.
        print(
            f"serving {len(fleet.cameras)} cameras{_recorders(fleet)}; {len(fleet.faults)} scenario fault(s); "
            f"control endpoint {fleet.control_url}/faults (Ctrl-C to stop)",
            flush=True,
        )
        await stop.wait()
    finally:
        await fleet.stop()
        print("simulator stopped", flush=True)


def _recorders(fleet: SimulatedFleet) -> str:
    """ " (N on M recorders, K RTSP-only)" when the fleet has them."""
    recorders = [d for d in fleet.devices.values() if d.channels]
    rtsp_only = sum(1 for cam in fleet.cameras.values() if cam.spec.access == "rtsp")
    if not recorders and not rtsp_only:
        return ""
    channels = sum(len(d.channels) for d in recorders)
    return f" ({channels} on {len(recorders)} recorders, {rtsp_only} RTSP-only)"


@simulate_app.command("fleet")
def fleet(
    inventory: Annotated[str, typer.Option("--inventory", help="Inventory file of the cameras to serve.")],
    scenario: Annotated[str | None, typer.Option("--scenario", help="Fault scenario TOML.")] = None,
    control: Annotated[
        str, typer.Option("--control", help="HOST:PORT of the fault control endpoint (loopback only).")
    ] = "127.0.0.1:9871",
    seed: Annotated[int, typer.Option(help="Seed of camera identities and scenes.")] = 1,
    rtsp: Annotated[
        int,
        typer.Option(
            "--rtsp",
            help="Cameras that also stream H.264 over RTSP (every second one without a snapshot URI); "
            "needs GStreamer's RTSP server (Debian python3-gi, gir1.2-gst-rtsp-server-1.0).",
        ),
    ] = 0,
    main_only: Annotated[
        bool, typer.Option("--main-only", help="Offer only the 1920×1080 profile (worst case for frame checks).")
    ] = False,
    frame_pool: Annotated[
        int,
        typer.Option(
            "--frame-pool",
            help="Benchmarks: serve N pre-drawn scenes instead of drawing every picture (0: draw each one).",
        ),
    ] = 0,
) -> None:
    """Serve every camera of an inventory as a virtual ONVIF camera on its own loopback address."""
    with errors_as_messages():
        try:
            asyncio.run(_serve(inventory, scenario, _parse_hostport(control), seed, rtsp, main_only, frame_pool))
        except OSError as exc:
            fail(f"cannot start the simulator: {exc.strerror or exc}")
