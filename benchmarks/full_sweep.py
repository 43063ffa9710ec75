"""A full sweep (liveness + identity + discovery + snapshot + analysis) of the simulated district, in the
worst case where every camera offers only its 1920×1080 snapshot. Target (vision issue): under 60 s on this
2-core machine with the simulator beside it, the event loop never stalled more than 100 ms.

The floor, measured in the same run: a bare loop that fetches the same 1080p snapshots (HTTP Digest,
same concurrency) and decodes each at the same reduced scale in a process pool of the same size.

The simulator serves pictures from a pool of pre-drawn scenes (``--frame-pool``): drawing 5,500 1080p
frames would cost it ~110 CPU-seconds per sweep on the same two cores, which no real camera charges us.
Baselines are learned in a first full sweep (``baseline_samples = 1``, not timed as the result); the
second full sweep, the steady state, is the figure.

Run: cd benchmarks && ../.venv/bin/python full_sweep.py [N] [WORKERS]
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import time

import aiohttp
import cv2
import numpy as np
from poller_common import (
    GROUP,
    LagTicker,
    credentials,
    rss_mib,
    start_simulator,
    stop_simulator,
    targets,
)
from poller_simrunner import PASSWORD, USER

from camfleet.config import CamfleetConfig
from camfleet.runtime.poller import Poller

NET = 120


def _decode(data: bytes) -> int:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_COLOR_4)
    return 0 if img is None else int(img.shape[1])


def _init() -> None:
    cv2.setNumThreads(1)


async def bare_loop(hosts: list[str], concurrency: int, workers: int) -> tuple[float, int]:
    """Fetch every camera's 1080p snapshot with Digest auth and decode it (reduced) in a process pool."""
    limit = asyncio.Semaphore(concurrency)
    loop = asyncio.get_running_loop()
    ok = 0
    with concurrent.futures.ProcessPoolExecutor(workers, initializer=_init) as pool:
        await loop.run_in_executor(pool, _init)  # start the workers outside the measurement
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

            t0 = time.perf_counter()
            await asyncio.gather(*(one(h) for h in hosts))
            return time.perf_counter() - t0, ok


def poller_config(workers: int) -> CamfleetConfig:
    return CamfleetConfig.model_validate(
        {
            "poller": {"concurrency": 256, "per_uplink_concurrency": 8, "call_timeout_s": 10.0,
                       "frame_timeout_s": 30.0},
            "vision": {"workers": workers, "baseline_samples": 1},
        }
    )  # fmt: skip


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5500
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    sim = await start_simulator(n, NET, "--main-only", "--frame-pool", "64")
    try:
        fleet_targets = targets(n, NET)
        floor, fetched = await bare_loop([t.host for t in fleet_targets], 256, workers)
        print(f"floor: bare fetch + decode of {fetched}/{n} 1080p snapshots: {floor:.1f} s", flush=True)

        poller = Poller(poller_config(workers), fleet_targets, credentials(), None)
        t0 = time.perf_counter()
        await poller.sweep_once("full")
        learn = time.perf_counter() - t0
        print(f"first full sweep (learns every baseline): {learn:.1f} s", flush=True)

        ticker = LagTicker()
        ticker.start()
        t0 = time.perf_counter()
        states = await poller.sweep_once("full")
        sweep = time.perf_counter() - t0
        await ticker.stop()
        counts: dict[str, int] = {}
        for s in states.values():
            counts[str(s.status)] = counts.get(str(s.status), 0) + 1
        print(f"second full sweep (steady state): {sweep:.1f} s  (target < 60 s; floor ×{sweep / floor:.2f})")
        print(f"max loop lag {ticker.max_lag * 1000:.0f} ms (own CPU per pass {ticker.max_own * 1000:.0f} ms); "
              f"poller RSS {rss_mib():.0f} MiB")  # fmt: skip
        print(f"statuses: {dict(sorted(counts.items()))}; credential group {GROUP}")
    finally:
        await stop_simulator(sim)


if __name__ == "__main__":
    asyncio.run(main())
