"""A full sweep (liveness + identity + discovery + snapshot + analysis) of the simulated district, in the
worst case where every camera offers only its 1920×1080 snapshot. Target (vision issue): under 60 s on this
2-core machine with the simulator beside it, the event loop never stalled more than 100 ms.

The floor, measured in the same run: a bare loop that fetches the same 1080p snapshots (HTTP Digest,
same concurrency) and decodes each at the same reduced scale in a process pool of the same size.

The simulator serves pictures from a pool of pre-drawn scenes (``--frame-pool``): drawing 5,500 1080p
frames would cost it ~110 CPU-seconds per sweep on the same two cores, which no real camera charges us.
The pool is drawn before anything is timed (otherwise the floor, measured first, paid for it). The default
picture settings: the first full sweep meets every camera for the first time (its client built, its media
discovered, two pictures judged by the no-baseline rules so ``frozen`` can be judged, one learned); the second,
with the poller held open as the service holds it, is the steady state. Baselines are written to a SQLite
database as they are learned, as in the service, so ``vision.resident_mib`` applies. Camera events
(``[events]``) are off: the target names liveness, identity, snapshot and analysis. Targets (#23): steady
≤ 1.5× the floor, first ≤ 3×, loop lag ≤ 50 ms, poller + workers ≤ 400 MiB.

Each phase reports (``full_sweep_meter``): wall time and ratio to the floor, load average, the worst
wall-clock loop lag, the most CPU one pass of the loop took and how many callbacks were ready for it,
garbage collections, CPU seconds of the poller process, the picture workers and the simulator, and RSS.

Run: cd benchmarks && ../.venv/bin/python full_sweep.py [N] [WORKERS] [--trace] [--pool-limit CALLS] [--concurrency N]
[--resident-mib MIB]
(``--trace``: attribute the event loop's CPU to what each callback was doing; it slows the loop a little.)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import cv2
import numpy as np
from full_sweep_meter import LoopMeter, Phase, report
from poller_common import GROUP, credentials, start_simulator, stop_simulator, targets
from poller_simrunner import PASSWORD, USER

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from inventory_helpers import write_csv
from poller_helpers import inventory_rows
from poller_simrunner import bench_specs

from camfleet.config import CamfleetConfig
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import validate_file
from camfleet.model import CameraTarget
from camfleet.probe.pool import VisionPool
from camfleet.runtime.poller import Poller
from camfleet.simulator.spec import camera_seed

NET = 120
FRAME_POOL = 64  # scenes in the simulator's picture pool
POOL_VARIANTS = 3  # noise variants per scene (FramePool's default)


def _decode(data: bytes) -> int:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_COLOR_4)
    return 0 if img is None else int(img.shape[1])


def _init() -> None:
    cv2.setNumThreads(1)


async def warm_simulator(fleet: list[CameraTarget]) -> None:
    """Have the simulator draw every picture of its pool before anything is timed.

    Its pool keeps ``scenes × variants`` pictures per resolution, drawn on first request: the first pass over
    the fleet would pay ~200 1080p drawings (tens of CPU-seconds here) inside whatever is measured first.
    One camera per scene, fetched ``variants`` times, draws them all.
    """
    by_scene: dict[int, CameraTarget] = {}
    for t in fleet:
        by_scene.setdefault(camera_seed(1, t.camera_id) % FRAME_POOL, t)
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(host: str) -> None:
            for _ in range(POOL_VARIANTS):
                digest = (aiohttp.DigestAuthMiddleware(USER, PASSWORD),)
                url = f"http://{host}:8080/onvif/snapshot?profile=Profile_1"
                async with session.get(url, middlewares=digest) as reply:
                    await reply.read()

        await asyncio.gather(*(one(t.host) for t in by_scene.values()))


async def bare_loop(hosts: list[str], concurrency: int, workers: int, meter: LoopMeter, sim_pid: int) -> Phase:
    """Fetch every camera's 1080p snapshot with Digest auth and decode it (reduced) in a process pool."""
    limit = asyncio.Semaphore(concurrency)
    loop = asyncio.get_running_loop()
    ok = 0
    with concurrent.futures.ProcessPoolExecutor(workers, initializer=_init) as pool:
        # Start every worker outside the measurement.
        await asyncio.gather(*(loop.run_in_executor(pool, time.sleep, 0.2) for _ in range(workers)))
        pool_pids = list(pool._processes)  # type: ignore[attr-defined]
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(host: str) -> None:
                nonlocal ok
                async with limit:
                    # One Digest middleware per request, as the frame probe does: each camera has its own nonce.
                    digest = (aiohttp.DigestAuthMiddleware(USER, PASSWORD),)
                    url = f"http://{host}:8080/onvif/snapshot?profile=Profile_1"
                    async with session.get(url, middlewares=digest) as reply:
                        data = await reply.read()
                    if await loop.run_in_executor(pool, _decode, data) > 0:
                        ok += 1

            meter.start(f"floor: bare fetch + decode of {len(hosts)} 1080p snapshots", _pids(sim_pid, pool_pids))
            await asyncio.gather(*(one(h) for h in hosts))
            phase = await meter.stop()
    phase.name += f" ({ok} decoded)"
    return phase


def scratch_store(n: int) -> str:
    """A SQLite database in a new scratch directory holding the benchmark fleet's inventory; its URL."""
    work = Path(tempfile.mkdtemp(prefix="full-sweep-"))
    url = f"sqlite:///{work / 'camfleet.db'}"
    import_inventory(url, validate_file(write_csv(work / "inventory.csv", inventory_rows(bench_specs(n, NET)))))
    return url


def _pids(sim_pid: int, workers: list[int]) -> dict[str, list[int]]:
    return {"poller process": [os.getpid()], "picture workers": list(workers), "simulator": [sim_pid]}


def _pool_pids(poller: Poller) -> list[int]:
    executor = poller.frames.pool._executor if poller.frames is not None else None
    return list(executor._processes) if executor is not None else []  # type: ignore[attr-defined]


def poller_config(workers: int, concurrency: int = 256) -> CamfleetConfig:
    return CamfleetConfig.model_validate(
        {
            "poller": {"concurrency": concurrency, "per_uplink_concurrency": 8, "call_timeout_s": 10.0,
                       "frame_timeout_s": 30.0},
            "vision": {"workers": workers},  # the default learning (baseline_samples, sweep_learns, resident_mib)
            # The target is liveness + identity + snapshot + analysis; reading the cameras' tamper events
            # (subscribe, pull, unsubscribe per camera) is a separate round with its own figures.
            "events": {"enabled": False},
        }
    )  # fmt: skip


async def sweep(poller: Poller, meter: LoopMeter, name: str, sim_pid: int) -> tuple[Phase, dict[str, int]]:
    """One timed ``sweep_once("full")`` with the loop, CPU and picture hand-over measured."""
    frames = poller.frames
    assert frames is not None
    # The pool may start with the sweep (then its workers are counted from zero) or be running already, held
    # open from an earlier sweep (then from what they had used by now).
    meter.watch = lambda: {"picture workers": _pool_pids(poller)}
    meter.start(name, _pids(sim_pid, _pool_pids(poller)))
    frames.pool.max_in_flight = 0
    frames.pool.calls.clear()
    states = await poller.sweep_once("full")
    phase = await meter.stop()
    meter.watch = None
    calls = ", ".join(f"{n} {fn}" for fn, n in frames.pool.calls.most_common())
    phase.name += f" (calls in the pool ≤ {frames.pool.max_in_flight}, limit {frames.pool.limit}; {calls})"
    counts: dict[str, int] = {}
    for s in states.values():
        counts[str(s.status)] = counts.get(str(s.status), 0) + 1
    return phase, dict(sorted(counts.items()))


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5500
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    meter = LoopMeter(trace="--trace" in sys.argv)
    sim = await start_simulator(n, NET, "--main-only", "--frame-pool", str(FRAME_POOL))
    try:
        fleet_targets = targets(n, NET)
        await warm_simulator(fleet_targets)
        floor = await bare_loop([t.host for t in fleet_targets], 256, workers, meter, sim.pid)
        print(report(floor), flush=True)

        concurrency = int(sys.argv[sys.argv.index("--concurrency") + 1]) if "--concurrency" in sys.argv else 256
        # A database as the service has one (SQLite in a scratch directory): baselines are written as they are
        # learned, and only what is written may leave memory (vision.resident_mib).
        store = Store(scratch_store(n))
        poller = Poller(poller_config(workers, concurrency), fleet_targets, credentials(), store)
        if "--resident-mib" in sys.argv and poller.frames is not None:  # the spill's cost: 0 keeps every baseline
            poller.frames.resident_limit = int(sys.argv[sys.argv.index("--resident-mib") + 1]) * 2**20
        if "--pool-limit" in sys.argv and poller.frames is not None:  # compare hand-over limits
            limit = int(sys.argv[sys.argv.index("--pool-limit") + 1])
            poller.frames.pool = VisionPool(workers, limit)
        # Held open across both sweeps, as the running service is between its rounds: the clients, the session
        # and its kept-alive connections stay (each ``sweep_once`` alone would rebuild every client).
        async with poller.opened():
            learn, _ = await sweep(poller, meter, "first full sweep (every camera met for the first time)", sim.pid)
            print(report(learn, floor), flush=True)
            steady, counts = await sweep(poller, meter, "second full sweep (steady state)", sim.pid)
            print(report(steady, floor), flush=True)
        print(f"target: < 60 s and loop lag < 100 ms; statuses {counts}; credential group {GROUP}", flush=True)
    finally:
        await stop_simulator(sim)


if __name__ == "__main__":
    asyncio.run(main())
