"""How long one full (generation-2) garbage collection stalls the poller's event loop once it holds a whole
fleet's clients, states and picture memories — and how much of that ``gc.freeze()`` takes away.

A full collection walks every container object the process holds. The poller's are mostly long-lived (one
ONVIF client, HTTP state, health state and picture memory per camera), and CPython's collector walks them
all again on each full collection: with 5,500 cameras that is one stall of hundreds of milliseconds, every
few dozen sweeps. The poller freezes what it holds once every camera has been checked (``Poller`` and
``camfleet.runtime.gcfreeze``): frozen objects are never walked again.

Measured in one run, on the same process: two full sweeps of N simulated cameras held open (as the service
holds them), then the CPU time of ``gc.collect()`` — the poller's long-lived objects unfrozen (the baseline)
— then after ``freeze_fleet()``, then after each of three more full sweeps (the objects promoted since the
freeze: do they level off?).

Run: cd benchmarks && ../.venv/bin/python gc_full_pause.py [N] [WORKERS]
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time

from full_sweep import poller_config, warm_simulator
from poller_common import credentials, start_simulator, stop_simulator, targets

from camfleet.runtime.gcfreeze import freeze_fleet
from camfleet.runtime.poller import Poller

NET = 120
REPEATS = 3
SWEEPS_AFTER = 3  # does what the collector walks keep growing after the freeze, or level off?


def full_collection_ms() -> tuple[float, int]:
    """Median CPU milliseconds of ``REPEATS`` full collections, and how many objects the collector tracks."""
    times = []
    for _ in range(REPEATS):
        t0 = time.process_time()
        gc.collect()
        times.append((time.process_time() - t0) * 1000)
    return sorted(times)[len(times) // 2], len(gc.get_objects())


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5500
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    sim = await start_simulator(n, NET, "--main-only", "--frame-pool", "64")
    try:
        fleet = targets(n, NET)
        await warm_simulator(fleet)
        poller = Poller(poller_config(workers), fleet, credentials(), None)
        async with poller.opened():
            for _ in range(2):
                await poller.sweep_once("full")
            gc.unfreeze()  # the parsed WSDLs were frozen at load: count them in, as without any freeze
            before, tracked = full_collection_ms()
            print(f"{n} cameras, nothing frozen: full collection {before:.1f} ms CPU, {tracked} objects tracked")
            frozen = freeze_fleet()
            after, tracked = full_collection_ms()
            print(f"after freeze_fleet() ({frozen} objects frozen): {after:.1f} ms, {tracked} tracked")
            for sweep in range(1, SWEEPS_AFTER + 1):
                await poller.sweep_once("full")
                later, tracked = full_collection_ms()
                print(f"after {sweep} more full sweep(s): {later:.1f} ms, {tracked} tracked, "
                      f"ratio to unfrozen {later / before:.3f}", flush=True)  # fmt: skip
    finally:
        await stop_simulator(sim)


if __name__ == "__main__":
    asyncio.run(main())
