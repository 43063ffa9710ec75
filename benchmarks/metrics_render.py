"""Benchmark: /metrics at district scale (5,500 cameras) — fast writer vs prometheus_client, gzip, loop stall.

Run: ``.venv/bin/python benchmarks/metrics_render.py [--cameras 5500] [--repeat 5] [--nvr-channels 0]``
(``--nvr-channels N``: the first N cameras are channels of 8-channel recorders, one recorder in 50 down)

Prints, from one run on one machine:
1. collect + fast text writer vs collect + prometheus_client ``generate_latest`` over the equivalent custom
   collector (median of ``--repeat``), and their ratio;
2. gzip cost and size at the level served;
3. an aiohttp server on 127.0.0.1 serving /metrics through ``MetricsCache`` while a concurrent client
   scrapes it from another process: scrape time, and the longest event-loop stall seen by a 5 ms ticker
   (targets: a scrape under 150 ms, no stall over 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest

from camfleet.metrics import MetricsCache, MetricsSnapshot, PollerStats, make_metrics_handler
from camfleet.metrics.client import SnapshotCollector
from camfleet.metrics.render import GZIP_LEVEL, render_snapshot
from camfleet.metrics.snapshot import Histogram
from camfleet.model import (
    CameraRecord,
    CameraState,
    DeviceIdentity,
    PointRecord,
    PointStatus,
    Reason,
    Status,
)
from camfleet.runtime.fleet import PROBE_BUCKETS

STATUS_MIX = [
    (Status.OK, 0.9),
    (Status.OFFLINE, 0.04),
    (Status.COVERED, 0.01),
    (Status.AUTH_FAILED, 0.01),
    (Status.UNKNOWN, 0.02),
    (Status.DEFOCUSED, 0.01),
    (Status.UPLINK_DOWN, 0.01),
]


def synthetic_snapshot(n_cameras: int, seed: int = 7, nvr_channels: int = 0) -> MetricsSnapshot:
    """20 towns, 128 villages, 3 cameras per point on average, statuses drawn from ``STATUS_MIX``; the first
    ``nvr_channels`` cameras are channels of 8-channel recorders (every 50th recorder down: its channels
    offline/nvr)."""
    rng = random.Random(seed)
    now = time.time()
    villages = [(f"镇{t:02d}", f"村{t:02d}-{v:02d}") for t in range(20) for v in range(7)][:128]
    points: list[PointRecord] = []
    cameras: list[CameraRecord] = []
    states: dict[str, CameraState] = {}
    statuses, weights = zip(*STATUS_MIX, strict=True)
    for i in range(n_cameras):
        if i % 3 == 0:
            town, village = villages[(i // 3) % len(villages)]
            program = "一村一探头" if i % 11 == 0 else "农村小天网"
            points.append(PointRecord(f"P{i:05d}", town, village, "村口", program=program, status=PointStatus.ACCEPTED))
        cam_id = f"C{i:05d}"
        status = rng.choices(statuses, weights)[0]
        reason = Reason.TIMEOUT if status is Status.OFFLINE else Reason.NONE
        if i < nvr_channels:  # a recorder per 8 channels: one host and port, channels 1-8
            cameras.append(CameraRecord(cam_id, points[-1].point_id, f"127.2.{i // 2000}.{i // 8 % 250 + 1}", 8000,
                                        channel=i % 8 + 1))  # fmt: skip
            if i // 8 % 50 == 0:
                status, reason = Status.OFFLINE, Reason.NVR
        else:
            cameras.append(CameraRecord(cam_id, points[-1].point_id, f"127.1.{i // 250}.{i % 250 + 1}"))
        states[cam_id] = CameraState(
            cam_id,
            status,
            reason,
            since=now - rng.uniform(0, 86400),
            last_probe_at=now - 5,
            last_ok_at=now - rng.uniform(0, 600),
            last_frame_at=now - 60,
            latency_s=rng.uniform(0.01, 0.5),
            clock_offset_s=rng.uniform(-5, 5),
            identity=DeviceIdentity("HIKVISION", "DS-2CD3T46", "V5.7.3"),
            scores={"sharpness_ratio": rng.uniform(0.5, 1.2)},
        )
    by_id = {p.point_id: p for p in points}
    targets = {c.camera_id: c.target(by_id[c.point_id]) for c in cameras}
    poller = PollerStats(
        probes={("liveness", "ok"): 10_000}, probe_duration={"liveness": Histogram.of(PROBE_BUCKETS, [0.1] * 50)}
    )
    return MetricsSnapshot(targets, states, points, cameras, poller, taken_at=now)


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn`` in seconds."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


#: The scraping client runs in its own process, like Prometheus: its gunzip must not load the server's loop.
CLIENT = """
import json, sys, time, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
out = []
for _ in range(n):
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200 and resp.headers["Content-Encoding"] == "gzip"
        resp.read()
    out.append(time.perf_counter() - started)
    time.sleep(0.1)
print(json.dumps(out))
"""


async def idle_stall(seconds: float) -> float:
    """The longest stall a 5 ms ticker sees on an idle loop: the machine's own noise, for comparison."""
    worst = 0.0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        worst = max(worst, time.perf_counter() - before - 0.005)
    return worst


async def serve_and_scrape(snapshot: MetricsSnapshot, scrapes: int) -> tuple[list[float], float]:
    """Serve /metrics on 127.0.0.1; a client process scrapes it ``scrapes`` times (cache expired each time)
    while a 5 ms ticker on the server's loop records the longest stall."""
    cache = MetricsCache(lambda: snapshot, max_age_s=0.0)
    app = web.Application()
    app.router.add_get("/metrics", make_metrics_handler(cache))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    worst = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, time.perf_counter() - before - 0.005)

    tick = asyncio.create_task(ticker())
    try:
        client = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CLIENT,
            f"http://127.0.0.1:{port}/metrics",
            str(scrapes),
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(client.communicate(), timeout=300)
        if client.returncode != 0:
            raise RuntimeError("the scraping client failed")
        durations: list[float] = json.loads(out)
    finally:
        stop.set()
        await tick
        await runner.cleanup()
        cache.close()
    return durations, worst


def main() -> None:
    """Run every measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=5500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--nvr-channels", type=int, default=0, help="cameras that are channels of NVRs")
    args = parser.parse_args()
    snapshot = synthetic_snapshot(args.cameras, nvr_channels=args.nvr_channels)
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: snapshot))

    ours = timed(lambda: render_snapshot(snapshot), args.repeat)
    stock = timed(lambda: generate_latest(registry), args.repeat)
    plain = render_snapshot(snapshot)
    series = plain.count(b"\n") - plain.count(b"\n#")
    gz = timed(lambda: gzip.compress(plain, compresslevel=GZIP_LEVEL, mtime=0), args.repeat)
    gz6 = timed(lambda: gzip.compress(plain, compresslevel=6, mtime=0), args.repeat)
    size = len(gzip.compress(plain, compresslevel=GZIP_LEVEL, mtime=0))
    started = time.perf_counter()
    durations, worst = asyncio.run(serve_and_scrape(snapshot, scrapes=args.repeat * 2))
    idle = asyncio.run(idle_stall(time.perf_counter() - started))

    print(f"machine: {platform.machine()} {platform.system()} Python {platform.python_version()}")
    print(f"cameras: {args.cameras} ({args.nvr_channels} NVR channels), series: {series}, ", end="")
    print(f"text: {len(plain) / 1e6:.2f} MB")
    print(f"fast writer (collect + render):            {ours * 1e3:7.1f} ms")
    print(f"prometheus_client generate_latest (same):  {stock * 1e3:7.1f} ms   ratio {stock / ours:.1f}x")
    print(f"gzip level {GZIP_LEVEL}: {gz * 1e3:.1f} ms -> {size / 1e3:.0f} kB; level 6: {gz6 * 1e3:.1f} ms")
    print(
        f"scrape through MetricsCache (uncached): median {statistics.median(durations) * 1e3:.1f} ms, "
        f"max {max(durations) * 1e3:.1f} ms"
    )
    print(f"worst event-loop stall during scrapes:     {worst * 1e3:7.1f} ms")
    print(f"worst stall of the idle loop, same length: {idle * 1e3:7.1f} ms   (machine noise)")


if __name__ == "__main__":
    main()
