"""Where the poller's memory goes after full sweeps: tracemalloc's top allocation sites, grouped by file and line,
and the poller's RSS, after a liveness sweep and after two full sweeps held open (as the service holds them).

Run: cd benchmarks && unshare --net sh -c 'ip link set lo up; exec ../.venv/bin/python poller_memory.py [N] [WORKERS]'
"""

from __future__ import annotations

import asyncio
import gc
import sys
import tracemalloc

from full_sweep import FRAME_POOL, NET, poller_config, scratch_store, warm_simulator
from full_sweep_meter import rss_mib
from poller_common import credentials, start_simulator, stop_simulator, targets

from camfleet.inventory.store import Store
from camfleet.runtime.poller import Poller


def top(snapshot: tracemalloc.Snapshot, n: int = 25) -> str:
    stats = snapshot.statistics("lineno")
    total = sum(s.size for s in stats)
    lines = [f"  traced total {total / 2**20:.1f} MiB"]
    for s in stats[:n]:
        frame = s.traceback[0]
        where = f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}"
        lines.append(f"  {s.size / 2**20:8.2f} MiB {s.count:8d} blocks  {where}")
    return "\n".join(lines)


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    sim = await start_simulator(n, NET, "--main-only", "--frame-pool", str(FRAME_POOL))
    try:
        fleet = targets(n, NET)
        await warm_simulator(fleet)
        print(f"before the poller: RSS {rss_mib():.0f} MiB", flush=True)
        tracemalloc.start(1)
        poller = Poller(poller_config(workers), fleet, credentials(), Store(scratch_store(n)))
        async with poller.opened():
            await poller.sweep_once("liveness")
            gc.collect()
            print(f"after a liveness sweep: RSS {rss_mib():.0f} MiB", flush=True)
            print(top(tracemalloc.take_snapshot(), 12), flush=True)
            for i in (1, 2):
                await poller.sweep_once("full")
                gc.collect()
                print(f"after full sweep {i}: RSS {rss_mib():.0f} MiB", flush=True)
            print(top(tracemalloc.take_snapshot()), flush=True)
    finally:
        await stop_simulator(sim)


if __name__ == "__main__":
    asyncio.run(main())
