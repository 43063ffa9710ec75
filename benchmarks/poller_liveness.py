"""Liveness sweep of 5,500 simulated cameras (simulator in another process) against a bare aiohttp loop.

Run: .venv/bin/python benchmarks/poller_liveness.py [N] [REPEATS]
Each repeat runs the bare loop, the poller's ``sweep_once("liveness")`` and the bare loop again, back to back
against the same simulator; the poller is compared with the mean of the two bare runs around it (the shared
machine's load drifts). Reports medians and ranges over the repeats: cameras/s, bare/poller ratio (wall
clock and CPU per camera), peak event-loop lag (wall clock, and the longest loop pass in this process's own CPU time),
the simulator's CPU per camera, and the poller's RSS. Both loops run under the same process settings (the
poller's garbage-collector thresholds are applied first), so the ratio is the poller's own overhead.
"""

from __future__ import annotations

import asyncio
import gc
import sys

import aiohttp
from poller_common import (
    LagTicker,
    Meter,
    config,
    credentials,
    median_range,
    rss_mib,
    start_simulator,
    stop_simulator,
    targets,
)

from camfleet.model import CameraTarget
from camfleet.onvif.client import tune_gc
from camfleet.onvif.clock import REQUEST_BODY, REQUEST_HEADERS
from camfleet.onvif.wsdl import load_wsdls
from camfleet.runtime.poller import Poller

NET_BASE = 41
CONCURRENCY = 256


async def bare_loop(tgts: list[CameraTarget]) -> None:
    """The baseline: one session, the same limit, the same request; parse nothing."""
    connector = aiohttp.TCPConnector(limit=CONCURRENCY, limit_per_host=0)
    sem = asyncio.Semaphore(CONCURRENCY)
    ok = 0

    async def one(t: CameraTarget) -> None:
        nonlocal ok
        url = f"http://{t.host}:{t.port}/onvif/device_service"
        async with sem, session.post(url, data=REQUEST_BODY, headers=REQUEST_HEADERS) as r:
            await r.read()
            ok += r.status == 200

    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(one(t) for t in tgts))
    assert ok == len(tgts), f"bare loop: only {ok} of {len(tgts)} answered"


async def poller_sweep(tgts: list[CameraTarget], ticker: LagTicker) -> dict[str, int]:
    """The poller's liveness sweep (fresh poller: every camera unknown, as at start-up); status counts."""
    cfg = config(concurrency=CONCURRENCY, per_uplink_concurrency=CONCURRENCY)
    poller = Poller(cfg, tgts, credentials(), None)
    ticker.start()
    await poller.sweep_once("liveness")
    await ticker.stop()
    return poller.fleet.status_counts()


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5500
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    tune_gc()
    # The WSDL parse (~150 ms, once per process at start-up) is not part of a sweep.
    await asyncio.to_thread(load_wsdls)
    tgts = targets(n, NET_BASE)
    sim = await start_simulator(n, NET_BASE)
    rates, bare_rates, ratios, cpu_ratios, lags, own_lags, sim_cpu, cpus, bare_cpus = ([] for _ in range(9))
    try:
        rss0 = rss_mib()
        await bare_loop(tgts)  # warms the simulator and this process
        for _ in range(repeats):
            ticker = LagTicker()
            gc.collect()  # no run pays for the garbage of the one before
            with Meter(sim.pid) as before:
                await bare_loop(tgts)
            gc.collect()
            with Meter(sim.pid) as run:
                counts = await poller_sweep(tgts, ticker)
            gc.collect()
            with Meter(sim.pid) as after:
                await bare_loop(tgts)
            bare_wall, bare_cpu = (before.wall + after.wall) / 2, (before.cpu + after.cpu) / 2
            rates.append(n / run.wall)
            bare_rates.append(n / bare_wall)
            ratios.append(run.wall / bare_wall)
            cpus.append(run.cpu / n * 1e6)
            bare_cpus.append(bare_cpu / n * 1e6)
            cpu_ratios.append(run.cpu / bare_cpu)
            lags.append(ticker.max_lag * 1000)
            own_lags.append(ticker.max_own * 1000)
            sim_cpu.append(run.sim_cpu / n * 1e6)
            print(
                f"  run: bare {n / bare_wall:.0f}/s, poller {n / run.wall:.0f}/s, ratio {run.wall / bare_wall:.2f}, "
                f"lag {ticker.max_lag * 1000:.0f} ms (own {ticker.max_own * 1000:.0f} ms), {counts}",
                flush=True,
            )
        rss = rss_mib()
    finally:
        await stop_simulator(sim)
    print(f"cameras: {n}, concurrency {CONCURRENCY}, repeats: {repeats}; median (min–max)")
    print(f"bare aiohttp loop: {median_range(bare_rates)} cameras/s, CPU {median_range(bare_cpus)} µs/camera")
    print(f"poller liveness sweep: {median_range(rates)} cameras/s, CPU {median_range(cpus)} µs/camera")
    print(f"ratio poller/bare: wall {median_range(ratios, '{:.2f}')}, CPU {median_range(cpu_ratios, '{:.2f}')}")
    print(f"max event-loop lag: wall {median_range(lags)} ms, longest loop pass (own CPU) {median_range(own_lags)} ms")
    print(f"simulator CPU during the poller sweep: {median_range(sim_cpu)} µs/camera")
    print(f"poller process RSS after all runs: {rss:.0f} MiB (before the sweeps {rss0:.0f} MiB)")


if __name__ == "__main__":
    asyncio.run(main())
