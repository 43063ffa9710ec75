"""``camfleet demo``: a simulated district fleet, the poller and the web UI on embedded defaults."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from camfleet.cli.app import EXIT_USAGE, app, checked_listen, errors_as_messages, fail, out_console
from camfleet.config import CamfleetConfig

#: The simulated district has no 殷汇镇 or 梅街镇 (the pilot towns): these two of its towns stand in for them.
PILOT_STAND_INS = ("城关镇", "双溪镇")
#: The pilot towns' high standard, as config/camfleet.toml's example has it but without min_availability: the
#: demo's history is minutes old, and time before the first check counts against availability, so a 7-day
#: minimum would fail every village for a week and hide what the standard shows.
PILOT_STANDARD = {"name": "高标准全覆盖", "require_site_types": ["村口", "主路口", "学校"], "min_working_rate": 0.95}

#: The demo's faults: a few of each kind the field sees, staggered so that dashboards move while you watch.
SCENARIO = """\
# camfleet demo scenario (times from the simulator's start)
[[fault]]
kind = "offline"
fraction = 0.01
seed = 11
start = "40s"

[[fault]]
kind = "uplink_down"
village = "{village}"
start = "90s"
end = "8m"

[[fault]]
kind = "clock_skew"
fraction = 0.01
seed = 17
skew = "-7y"

[[fault]]
kind = "auth"
fraction = 0.004
seed = 19

[[fault]]
kind = "slow"
fraction = 0.005
seed = 18
latency = "3s"

[[fault]]
kind = "covered"
fraction = 0.004
seed = 12
start = "3m"

[[fault]]
kind = "defocus"
fraction = 0.004
seed = 14
start = "3m"

[[fault]]
kind = "frozen"
fraction = 0.003
seed = 16
start = "3m"

[[fault]]
kind = "malformed_xml"
fraction = 0.002
seed = 21

[[fault]]
kind = "reboot"
fraction = 0.005
seed = 22
start = "2m"
"""
#: Recorder faults, when the district has recorders: one recorder switched off, one channel without signal.
RECORDER_SCENARIO = """
[[fault]]
kind = "nvr_down"
host = "{nvr_host}"
start = "2m"
end = "10m"

[[fault]]
kind = "video_loss"
cameras = ["{lost_channel}"]
start = "1m"
"""


def legacy_mix(legacy: int, rtsp: bool) -> tuple[int, int]:
    """(NVR channels, RTSP-only cameras) of the demo's district: a tenth of the legacy cameras behind recorders (300
    of the default 5,000) and a few RTSP-only ones (20), those only where GStreamer can serve their streams."""
    channels = min(300, legacy // 10)
    return (channels if channels >= 4 else 0), (min(20, legacy // 20) if rtsp else 0)


def _scenario(rows: list[dict[str, str]]) -> str:
    """The demo scenario for this district: its faults, an uplink cut in its middle village, recorder faults."""
    villages = sorted({row["village"] for row in rows if row.get("camera_id")})
    cut = villages[len(villages) // 2]
    text = SCENARIO.format(village=cut)
    recorders: dict[str, list[str]] = {}
    for row in rows:
        if row.get("channel") and row["village"] != cut:
            recorders.setdefault(row["host"], []).append(row["camera_id"])
    if len(recorders) >= 2:
        (nvr_host, _), (_, channels) = list(recorders.items())[:2]
        text += RECORDER_SCENARIO.format(nvr_host=nvr_host, lost_channel=channels[-1])
    return text


def _prepare(directory: Path, fresh: bool, legacy: int, seed: int, rtsp: bool) -> tuple[Path, Path, Path]:
    """Write the district inventory, credentials and scenario (once), import them into SQLite."""
    from camfleet.inventory.importer import import_inventory
    from camfleet.inventory.validate import validate_file
    from camfleet.simulator.district import generate_district, write_district

    if fresh and directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    inventory = directory / "district.csv"
    credentials = directory / "district.credentials.toml"
    scenario = directory / "scenario.toml"
    db = directory / "camfleet.db"
    if db.exists():
        # The demo's own database: bring it to this version's schema (a newer camfleet on an old demo dir).
        from camfleet.inventory.db import upgrade

        upgrade(f"sqlite:///{db}")
    if not inventory.exists():
        channels, rtsp_only = legacy_mix(legacy, rtsp)
        try:
            district = generate_district(legacy=legacy, seed=seed, nvr_channels=channels, rtsp_only=rtsp_only)
        except ValueError:  # a small --legacy spread over the villages: no village holds a recorder's 4 cameras
            district = generate_district(legacy=legacy, seed=seed, rtsp_only=rtsp_only)
        write_district(district, inventory)
        scenario.write_text(_scenario(district.rows), encoding="utf-8")
        import_inventory(f"sqlite:///{db}", validate_file(inventory))
    return inventory, credentials, scenario


def pilot_towns(inventory: Path) -> list[str]:
    """The two towns the demo judges by the pilot standard: the stand-ins when the district has them (the
    default seed's does), else its first towns by name (another --seed draws other town names)."""
    with inventory.open(encoding="utf-8-sig", newline="") as fh:
        towns = sorted({row["town"] for row in csv.DictReader(fh)})
    chosen = [t for t in PILOT_STAND_INS if t in towns]
    return chosen + [t for t in towns if t not in chosen][: 2 - len(chosen)]


def demo_config(directory: Path, listen: str, pilots: Sequence[str] = PILOT_STAND_INS) -> CamfleetConfig:
    """Embedded defaults with short intervals, so that a newcomer sees faults appear within minutes; the
    ``pilots`` towns are judged by the high standard (/coverage shows its matrix and to-do list)."""
    return CamfleetConfig.model_validate(
        {
            "coverage": {"standard": [PILOT_STANDARD | {"towns": list(pilots)}]},
            "database": {"url": f"sqlite:///{directory / 'camfleet.db'}", "write_interval_s": 2.0},
            "credentials": {"file": str(directory / "district.credentials.toml")},
            "poller": {
                "liveness_interval_s": 30.0,
                "identity_interval_s": 600.0,
                "discovery_interval_s": 600.0,
                "frame_interval_s": 60.0,
                "recheck_delay_s": 3.0,
                "call_timeout_s": 4.0,
            },
            "vision": {"baseline_samples": 2},
            "web": {"listen": listen, "district": "示范县 (demo)"},
        }
    )


@app.command("demo")
def demo(
    directory: Annotated[
        str, typer.Option("--dir", help="Working directory for the demo's inventory and database.")
    ] = "camfleet-demo",
    listen: Annotated[str, typer.Option("--listen", help="HOST:PORT of the web UI.")] = "127.0.0.1:9870",
    legacy: Annotated[int, typer.Option(help="Legacy 农村小天网 cameras besides the 500 new ones.")] = 5000,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start over: a new district and empty history.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic district.")] = 1,
    control: Annotated[
        str, typer.Option("--control", help="HOST:PORT of the simulator's fault control endpoint.")
    ] = "127.0.0.1:9871",
) -> None:
    """Start a simulated district, poll it, and serve metrics and the coverage page on 127.0.0.1."""
    from camfleet.service.app import run_service
    from camfleet.simulator.process import SimulatorProcess

    with errors_as_messages():
        checked_listen(listen, "--listen")
        control_addr = checked_listen(control, "--control")
        work = Path(directory).resolve()
        out_console.print(f"[bold]camfleet demo[/] — preparing a synthetic district in {work} …")
        from camfleet.simulator.rtsp import available as rtsp_available

        gstreamer = rtsp_available()
        try:
            inventory, _credentials, scenario = _prepare(work, fresh, legacy, seed, gstreamer)
        except ValueError as exc:  # the district's sizes (--legacy)
            fail(str(exc), code=EXIT_USAGE)
        except OSError as exc:
            fail(f"{work}: cannot prepare the demo there: {exc.strerror}")
        # A few cameras stream RTSP (half of them without snapshots) when GStreamer is installed; so do the
        # district's RTSP-only cameras (none without it).
        rtsp = 6 if gstreamer else 0
        sim = SimulatorProcess(
            inventory, scenario=scenario, control=control_addr, log_file=work / "simulator.log", rtsp=rtsp
        )
        out_console.print("starting the simulated cameras (one loopback address each) …")
        try:
            sim.start()
        except RuntimeError as exc:
            fail(f"{exc}; see {work / 'simulator.log'}")
        try:
            cfg = demo_config(work, listen, pilot_towns(inventory))
            out_console.print(
                f"\n[bold green]polling[/] — open these while it runs (Ctrl-C to stop):\n"
                f"  coverage page   http://{listen}/coverage\n"
                f"  metrics         http://{listen}/metrics\n"
                f"  cameras (JSON)  http://{listen}/api/cameras\n"
                f"  fault control   {sim.control_url}/faults\n"
                f"  Prometheus rules, Alertmanager routes, Grafana dashboards: deploy/ (docs/operations.md)\n"
                f"  planners' report  CAMFLEET_DATABASE_URL=sqlite:///{work / 'camfleet.db'} camfleet coverage\n"
            )
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(run_service(cfg, config_path=None, listen=listen))
        finally:
            sim.stop()
            out_console.print("demo stopped; the history stays in", str(work / "camfleet.db"))
