"""Run a simulated fleet in its own process for the poller benchmarks.

Usage: python benchmarks/poller_simrunner.py N NET_BASE [--blackhole FRACTION] [--main-only] [--frame-pool N]
Cameras C00000.. on 127.<NET_BASE + i // 62500>.<i // 250 % 250>.<i % 250 + 1>; prints "ready" when every
camera listens, then serves until stdin closes (the benchmark holds the pipe and closes it to stop us).
Commands on stdin, one a line, each answered "ok": ``blackhole FRACTION`` (seed 7, so the same cameras every
time) and ``clear`` (withdraw every fault).
"""

from __future__ import annotations

import asyncio
import sys

from camfleet.simulator import Fault, SimCameraSpec, SimulatedFleet

USER, PASSWORD = "admin", "Bench-pass-1"
PER_VILLAGE = 40


def bench_specs(n: int, net_base: int) -> list[SimCameraSpec]:
    """``n`` cameras, 40 per village (uplink), 250 per /24 on 127.<net_base + k>.x.y."""
    out = []
    for i in range(n):
        host = f"127.{net_base + i // 62500}.{i // 250 % 250}.{i % 250 + 1}"
        village = f"村{i // PER_VILLAGE:03d}"
        out.append(
            SimCameraSpec(
                f"C{i:05d}",
                host,
                8080,
                USER,
                PASSWORD,
                town=f"镇{i // 400:02d}",
                village=village,
                uplink=f"uplink-{village}",
            )
        )
    return out


async def main() -> None:
    n, net_base = int(sys.argv[1]), int(sys.argv[2])
    specs = bench_specs(n, net_base)
    for spec in specs:
        spec.main_only = "--main-only" in sys.argv  # only the 1920×1080 profile: the frame checks' worst case
    pool = int(sys.argv[sys.argv.index("--frame-pool") + 1]) if "--frame-pool" in sys.argv else 0
    fleet = SimulatedFleet(specs, frame_pool=pool)
    if "--blackhole" in sys.argv:
        fraction = float(sys.argv[sys.argv.index("--blackhole") + 1])
        fleet.add_fault(Fault(kind="blackhole", fraction=fraction, seed=7))
    await fleet.start()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        words = line.split()
        if words[:1] == ["blackhole"]:
            fleet.add_fault(Fault(kind="blackhole", fraction=float(words[1]), seed=7))
        elif words[:1] == ["clear"]:
            fleet.clear_faults()
        print("ok", flush=True)
    await fleet.stop()


if __name__ == "__main__":
    asyncio.run(main())
