"""Liveness sweep of the legacy district (NVR channels, RTSP-only cameras) against today's all-ONVIF district.

Run: .venv/bin/python benchmarks/legacy_liveness.py [--nvr-channels 3000] [--rtsp-only 500] [--repeats 3]

Both districts are ``camfleet simulate inventory``'s default (20 towns, 128 villages, 5,500 cameras, seed 1); the
legacy one has ``--nvr-channels`` of its legacy cameras behind village recorders and ``--rtsp-only`` of them with
ONVIF switched off. Each is served by the simulator from its inventory file in a child process (the RTSP-only
cameras by its GStreamer child), and a fresh poller runs ``sweep_once("liveness")`` over it, as at start-up.
Repeats alternate the two districts (the shared machine's load drifts) and report medians and ranges of wall
time, the poller's CPU seconds, the ratio legacy/ONVIF of each, and the device calls made (a recorder is asked
once for all its channels). Addresses are the generator's 127.10.x.y: run it with nothing else there.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from poller_common import median_range, stop_simulator

from camfleet.config import CamfleetConfig, load_credentials
from camfleet.inventory.validate import validate_file
from camfleet.model import CameraTarget
from camfleet.runtime.poller import Poller
from camfleet.simulator.district import generate_district, write_district

RUNNER = """
import asyncio, sys
from camfleet.simulator import SimulatedFleet

async def main():
    fleet = SimulatedFleet.from_inventory(sys.argv[1])
    await fleet.start()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await fleet.stop()

asyncio.run(main())
"""


async def serve(inventory: Path) -> asyncio.subprocess.Process:
    """The simulator for ``inventory`` in a child process; returns once it listens."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUNNER, str(inventory), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=300)
    if line.strip() != b"ready":
        raise RuntimeError(f"simulator did not start: {line!r}")
    return proc


def load(inventory: Path) -> list[CameraTarget]:
    """The poller's targets for an inventory file."""
    inv = validate_file(inventory)
    points = {p.point_id: p for p in inv.points}
    return [c.target(points[c.point_id]) for c in inv.cameras]


async def sweep(inventory: Path) -> dict[str, float]:
    """One liveness sweep by a fresh poller: wall, CPU, statuses and the calls made."""
    proc = await serve(inventory)
    try:
        targets = load(inventory)
        cfg = CamfleetConfig.model_validate({"vision": {"enabled": False}})
        poller = Poller(cfg, targets, load_credentials(configured_file="", inventory_path=inventory), None)
        t0, c0 = time.perf_counter(), time.process_time()
        states = await poller.sweep_once("liveness")
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        await stop_simulator(proc)
    counts = Counter(str(s.status) for s in states.values())
    channels = sum(1 for t in targets if t.channel is not None)
    own = len(targets) - channels  # standalone ONVIF and RTSP-only cameras: asked themselves
    return {"wall": wall, "cpu": cpu, "cameras": len(targets), "ok": counts["ok"],
            "calls": own + poller.ctx.recorders.calls, "recorder_calls": poller.ctx.recorders.calls,
            "channels": channels}  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nvr-channels", type=int, default=3000)
    parser.add_argument("--rtsp-only", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        onvif, _ = write_district(generate_district(), Path(tmp) / "onvif.csv")
        legacy_district = generate_district(nvr_channels=args.nvr_channels, rtsp_only=args.rtsp_only)
        legacy, _ = write_district(legacy_district, Path(tmp) / "legacy.csv")
        runs: dict[str, list[dict[str, float]]] = {"onvif": [], "legacy": []}
        for i in range(args.repeats):
            for name, path in (
                (("onvif", onvif), ("legacy", legacy)) if i % 2 == 0 else (("legacy", legacy), ("onvif", onvif))
            ):
                runs[name].append(await sweep(path))
                r = runs[name][-1]
                print(f"{name}: {r['wall']:.1f} s wall, {r['cpu']:.1f} CPU-s, ok {r['ok']:.0f}/{r['cameras']:.0f}, "
                      f"calls {r['calls']:.0f}", flush=True)  # fmt: skip
    ratio_wall = [lg["wall"] / on["wall"] for lg, on in zip(runs["legacy"], runs["onvif"], strict=True)]
    ratio_cpu = [lg["cpu"] / on["cpu"] for lg, on in zip(runs["legacy"], runs["onvif"], strict=True)]
    for name in ("onvif", "legacy"):
        rs = runs[name]
        print(f"{name:6}: wall {median_range([r['wall'] for r in rs], '{:.1f}')} s, "
              f"CPU {median_range([r['cpu'] for r in rs], '{:.1f}')} s, "
              f"ok {statistics.median(r['ok'] for r in rs):.0f}/{rs[0]['cameras']:.0f}, "
              f"device calls {statistics.median(r['calls'] for r in rs):.0f} ({rs[0]['channels']:.0f} channels, "
              f"{statistics.median(r['recorder_calls'] for r in rs):.0f} to recorders)")  # fmt: skip
    print(f"legacy/onvif: wall {median_range(ratio_wall, '{:.2f}')}, CPU {median_range(ratio_cpu, '{:.2f}')}")


if __name__ == "__main__":
    asyncio.run(main())
