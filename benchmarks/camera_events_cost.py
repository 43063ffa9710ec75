"""What reading the cameras' own events costs: a liveness sweep with and without an events round beside it.

Run: nice -n 10 .venv/bin/python benchmarks/camera_events_cost.py [N] [REPEATS]
One simulator child process serves N cameras (40 per uplink). Two pollers (production defaults, pictures
off) keep their sessions open through the run: ``off`` has ``[events] enabled = false``, ``on`` has the
defaults. First ``on`` subscribes every camera (GetCapabilities, CreatePullPointSubscription, first
PullMessages); then each repeat runs, back to back:

1. ``off``: a liveness sweep alone (the baseline of this repeat);
2. ``on``: a liveness sweep while an events round (one PullMessages per camera, nothing new, so each is held
   for ``pull_timeout_s``) runs beside it;
3. ``on``: the events round alone.

Reported, median (min–max) over repeats: the liveness sweep's wall time with and without the events round
(and their ratio), this process's CPU per pull, the simulator's CPU per pull, the longest event-loop pass
(own CPU) during 2, and what 5,500 cameras pulled every 60 s would cost in CPU and pull slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import time

from poller_common import (
    LagTicker,
    Meter,
    credentials,
    median_range,
    start_simulator,
    stop_simulator,
    targets,
)

from camfleet.config import CamfleetConfig
from camfleet.onvif.client import tune_gc
from camfleet.onvif.wsdl import load_wsdls
from camfleet.runtime.poller import Poller

NET_BASE = 61


def _config(events: bool) -> CamfleetConfig:
    return CamfleetConfig.model_validate({"vision": {"enabled": False}, "events": {"enabled": events}})


class GcPauses:
    """The longest garbage collection (this thread's CPU) while installed, to explain long loop passes."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.thread_time()
        else:
            self.longest = max(self.longest, time.thread_time() - self._t0)

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


async def timed(coro: object) -> float:
    """Wall seconds of one awaitable."""
    t0 = time.perf_counter()
    await coro  # type: ignore[misc]
    return time.perf_counter() - t0


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    tune_gc()
    await asyncio.to_thread(load_wsdls)
    tgts = targets(n, NET_BASE)
    sim = await start_simulator(n, NET_BASE)
    off, on = Poller(_config(False), tgts, credentials()), Poller(_config(True), tgts, credentials())
    assert on.events is not None and off.events is None
    # Both pollers stay open across the repeats (a scheduled poller keeps its subscriptions).
    held = contextlib.AsyncExitStack()
    await held.enter_async_context(off.opened())
    await held.enter_async_context(on.opened())
    base, beside, ratio, pull_cpu, pull_sim, pull_wall, own, live_cpu, own_alone, gcs = ([] for _ in range(10))
    try:
        await off.sweep_once("liveness")  # warms the simulator and this process
        await on.sweep_once("liveness")
        with Meter(sim.pid) as first:
            await on.events.sweep(tgts)
        subscribed = sum(1 for s in on.events.sessions.values() if s.address is not None)
        print(f"first round (subscribe + first pull): {first.wall:.1f} s wall, {first.cpu / n * 1e6:.0f} µs CPU "
              f"per camera here, {first.sim_cpu / n * 1e6:.0f} µs in the simulator; {subscribed}/{n} "
              "subscribed")  # fmt: skip
        for _ in range(repeats):
            gc.collect()
            ticker = LagTicker()
            ticker.start()
            with Meter(sim.pid) as live:
                await off.sweep_once("liveness")
            await ticker.stop()
            alone = live.wall
            own_alone.append(ticker.max_own * 1000)
            gc.collect()
            ticker = LagTicker()
            ticker.start()
            with GcPauses() as pauses:
                with_events, _ = await asyncio.gather(timed(on.sweep_once("liveness")), on.events.sweep(tgts))
            await ticker.stop()
            gcs.append(pauses.longest * 1000)
            gc.collect()
            with Meter(sim.pid) as pulls:
                await on.events.sweep(tgts)
            base.append(alone)
            beside.append(with_events)
            ratio.append(with_events / alone)
            pull_cpu.append(pulls.cpu / n * 1e6)
            pull_sim.append(pulls.sim_cpu / n * 1e6)
            pull_wall.append(pulls.wall)
            own.append(ticker.max_own * 1000)
            live_cpu.append(live.cpu / n * 1e6)
            print(f"  run: liveness alone {alone:.2f} s, beside events {with_events:.2f} s, pull round "
                  f"{pulls.wall:.1f} s, {pulls.cpu / n * 1e6:.0f} µs CPU/pull", flush=True)  # fmt: skip
        probes = dict(on.fleet.counters.probes)
    finally:
        await held.aclose()
        await stop_simulator(sim)
    cfg = on.cfg.events
    print(f"cameras {n}, repeats {repeats}, events: timeout {cfg.pull_timeout_s:g} s, concurrency {cfg.concurrency}")
    print(f"liveness sweep alone: {median_range(base, '{:.2f}')} s; beside an events round: "
          f"{median_range(beside, '{:.2f}')} s; ratio {median_range(ratio, '{:.2f}')}")  # fmt: skip
    print(f"events round alone: {median_range(pull_wall, '{:.1f}')} s for {n} pulls")
    print(f"CPU per pull: {median_range(pull_cpu)} µs here, {median_range(pull_sim)} µs in the simulator; "
          f"per liveness check (same run): {median_range(live_cpu)} µs here")  # fmt: skip
    print(f"longest loop pass (own CPU): liveness alone {median_range(own_alone)} ms, liveness + events "
          f"{median_range(own)} ms; longest garbage collection meanwhile {median_range(gcs)} ms")  # fmt: skip
    cpu_share = 5500 / 60 * sorted(pull_cpu)[len(pull_cpu) // 2] / 1e6
    slots = 5500 / 60 * (cfg.pull_timeout_s + 0.05)
    print(f"5,500 cameras every 60 s: {cpu_share * 100:.1f} % of one core here, ~{slots:.0f} pull slots busy "
          f"of {cfg.concurrency}")  # fmt: skip
    print(f"event rounds by result: { {k: v for k, v in probes.items() if k[0] == 'events'} }")


if __name__ == "__main__":
    asyncio.run(main())
