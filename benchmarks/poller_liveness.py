"""Liveness sweep of 5,500 simulated cameras (simulator in another process) against a bare aiohttp loop.

Run: .venv/bin/python benchmarks/poller_liveness.py [N]
Reports cameras/s for the poller's ``sweep_once("liveness")`` and for a bare aiohttp loop sending the same
GetSystemDateAndTime requests in the same run, their ratio, peak event-loop lag and the poller's RSS.
"""

from __future__ import annotations

import asyncio
import sys
import time

import aiohttp
from poller_common import LagTicker, config, credentials, rss_mib, start_simulator, stop_simulator, targets

from camfleet.model import CameraTarget
from camfleet.onvif.clock import REQUEST_BODY, REQUEST_HEADERS
from camfleet.onvif.wsdl import load_wsdls
from camfleet.runtime.poller import Poller

NET_BASE = 41
CONCURRENCY = 256


async def bare_loop(tgts: list[CameraTarget]) -> float:
    """The baseline: one session, the same limit, the same request; parse nothing. Returns cameras/s."""
    connector = aiohttp.TCPConnector(limit=CONCURRENCY, limit_per_host=0)
    sem = asyncio.Semaphore(CONCURRENCY)
    ok = 0

    async def one(t: CameraTarget) -> None:
        nonlocal ok
        async with (
            sem,
            session.post(
                f"http://{t.host}:{t.port}/onvif/device_service", data=REQUEST_BODY, headers=REQUEST_HEADERS
            ) as r,
        ):
            await r.read()
            ok += r.status == 200

    async with aiohttp.ClientSession(connector=connector) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(one(t) for t in tgts))
        elapsed = time.perf_counter() - t0
    assert ok == len(tgts), f"bare loop: only {ok} of {len(tgts)} answered"
    return len(tgts) / elapsed


async def poller_sweep(tgts: list[CameraTarget]) -> tuple[float, float, float, dict[str, int]]:
    """The poller's liveness sweep: cameras/s, max loop lag (s), RSS after (MiB), status counts."""
    cfg = config(concurrency=CONCURRENCY, per_uplink_concurrency=CONCURRENCY)
    poller = Poller(cfg, tgts, credentials(), None)
    # The WSDL parse (~150 ms of GIL-holding work, once per process at start-up) is not part of a sweep.
    await asyncio.to_thread(load_wsdls)
    ticker = LagTicker()
    ticker.start()
    t0 = time.perf_counter()
    await poller.sweep_once("liveness")
    elapsed = time.perf_counter() - t0
    lag = await ticker.stop()
    return len(tgts) / elapsed, lag, rss_mib(), poller.fleet.status_counts()


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5500
    tgts = targets(n, NET_BASE)
    sim = await start_simulator(n, NET_BASE)
    try:
        rss0 = rss_mib()
        bare_first = await bare_loop(tgts)  # also warms the simulator
        rate, lag, rss, counts = await poller_sweep(tgts)
        bare_second = await bare_loop(tgts)
    finally:
        await stop_simulator(sim)
    bare = max(bare_first, bare_second)
    print(f"cameras: {n}  statuses: {counts}")
    print(f"bare aiohttp loop: {bare_first:.0f} / {bare_second:.0f} cameras/s (best {bare:.0f})")
    print(f"poller liveness sweep: {rate:.0f} cameras/s  ratio bare/poller: {bare / rate:.2f}")
    print(f"max event-loop lag during the sweep: {lag * 1000:.0f} ms")
    print(f"poller process RSS: {rss:.0f} MiB (before the sweeps {rss0:.0f} MiB)")


if __name__ == "__main__":
    asyncio.run(main())
