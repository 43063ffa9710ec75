"""Liveness sweeps with 30 % of the cameras blackholed (TCP accepted, never an answer) against a clean fleet.

Run: .venv/bin/python benchmarks/poller_blackhole.py [N] [FRACTION]
One simulator process; in the same run: a sweep of the clean fleet, a sweep with FRACTION of the cameras
blackholed, and a clean sweep again (a fresh poller each time, production defaults: concurrency 256, 4 per
uplink, call timeout 5 s, K = 2). Reports:
- the first pass over the fleet (every camera checked once) against the bound
  timeout × blackholed ÷ concurrency + 20 %;
- the whole confirmed sweep (blackholed cameras re-checked after ``recheck_delay_s`` until offline is
  confirmed) against K × that bound + the re-check delay;
- probe latency percentiles of the cameras that answer, with and without the blackholed share, and when
  the last of them had answered.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time

from poller_common import config, credentials, simulator_command, start_simulator, stop_simulator, targets

from camfleet.model import CameraTarget, CheckKind, ProbeResult, Status
from camfleet.onvif.client import tune_gc
from camfleet.onvif.wsdl import load_wsdls
from camfleet.probe.context import ProbeContext
from camfleet.probe.liveness import probe_liveness
from camfleet.runtime.poller import Poller

NET_BASE = 45


class Sweep:
    """One confirmed liveness sweep by a fresh poller, with per-camera latencies and pass timings."""

    def __init__(self, tgts: list[CameraTarget]) -> None:
        self.tgts = tgts
        self.latency: dict[str, float] = {}  # first answer's probe latency per camera, seconds
        self.answered_at: dict[str, float] = {}  # seconds from the sweep's start
        self.first_pass_s = 0.0
        self.total_s = 0.0
        self.counts: dict[str, int] = {}

    async def run(self) -> Sweep:
        cfg = config()
        poller = Poller(cfg, self.tgts, credentials(), None)
        self.timeout_s, self.concurrency = cfg.poller.call_timeout_s, cfg.poller.concurrency
        self.k, self.recheck_s = cfg.poller.fail_threshold, cfg.poller.recheck_delay_s
        n = len(self.tgts)
        t0 = time.perf_counter()

        async def timed_probe(target: CameraTarget, ctx: ProbeContext) -> ProbeResult:
            result = await probe_liveness(target, ctx)
            if result.status is Status.OK and target.camera_id not in self.latency:
                self.latency[target.camera_id] = result.latency_s or 0.0
                self.answered_at[target.camera_id] = time.perf_counter() - t0
            return result

        def progress(done: int, _total: int) -> None:
            if done == n and not self.first_pass_s:
                self.first_pass_s = time.perf_counter() - t0

        poller.runner.probes[CheckKind.LIVENESS] = timed_probe
        gc.collect()
        await poller.sweep_once("liveness", progress=progress)
        self.total_s = time.perf_counter() - t0
        self.counts = poller.fleet.status_counts()
        return self


def percentiles_ms(values: list[float]) -> str:
    """p50 / p90 / p99 / max in milliseconds."""
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49] * 1000:.1f}, p90 {q[89] * 1000:.1f}, p99 {q[98] * 1000:.1f}, max {max(values) * 1000:.1f} ms"


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5500
    fraction = float(sys.argv[2]) if len(sys.argv) > 2 else 0.3
    tune_gc()
    await asyncio.to_thread(load_wsdls)
    tgts = targets(n, NET_BASE)
    sim = await start_simulator(n, NET_BASE)
    try:
        clean = await Sweep(tgts).run()
        await simulator_command(sim, f"blackhole {fraction}")
        holed = await Sweep(tgts).run()
        await simulator_command(sim, "clear")
        clean2 = await Sweep(tgts).run()
    finally:
        await stop_simulator(sim)
    healthy = sorted(holed.latency)  # the cameras that answered while the others were blackholed
    blackholed = n - len(healthy)
    bound = holed.timeout_s * blackholed / holed.concurrency
    confirmed_bound = holed.k * bound * 1.2 + (holed.k - 1) * holed.recheck_s
    print(f"cameras: {n}, blackholed: {blackholed} ({fraction:.0%}), concurrency {holed.concurrency}, "
          f"call timeout {holed.timeout_s:g} s, K {holed.k}, re-check delay {holed.recheck_s:g} s")  # fmt: skip
    print(f"statuses with blackholes: {holed.counts}")
    print(f"first pass: {holed.first_pass_s:.1f} s; bound {bound:.1f} s + 20 % = {bound * 1.2:.1f} s "
          f"({holed.first_pass_s / bound:.2f} × timeout × blackholed ÷ concurrency)")  # fmt: skip
    print(f"confirmed sweep: {holed.total_s:.1f} s; bound {confirmed_bound:.1f} s")
    for name, sweep in (("clean", clean), ("30 % blackholed", holed), ("clean again", clean2)):
        lat = [sweep.latency[c] for c in healthy if c in sweep.latency]
        last = max(sweep.answered_at[c] for c in healthy if c in sweep.answered_at)
        print(f"healthy cameras' probe latency, {name}: {percentiles_ms(lat)}; "
              f"last healthy answer at {last:.1f} s; sweep {sweep.total_s:.1f} s")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
