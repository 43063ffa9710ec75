"""Overload: half the fleet blackholed and a storm of flapping cameras. Sweeps end within their bound,
memory stays bounded, and /metrics (rendered off the loop) keeps answering throughout."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from dbfault_helpers import Flipper, credentials, outage_config
from hostile_helpers import HostileFleet, peak_rss, peak_rss_reset

from camfleet.config import CamfleetConfig
from camfleet.metrics.cache import MetricsCache
from camfleet.metrics.handler import make_metrics_handler
from camfleet.model import Status
from camfleet.onvif.wsdl import load_wsdls
from camfleet.runtime.poller import Poller
from camfleet.service.views import Inventory, ServiceStats, metrics_snapshot

pytestmark = pytest.mark.timeout(180)
BLACKHOLED, FLAPPING, STEADY = 48, 32, 16


def config() -> CamfleetConfig:
    """Small limits so the blackholed half really queues: 16 probes at once, 4 per uplink."""
    base = outage_config().model_dump()
    base["poller"].update(concurrency=16, per_uplink_concurrency=4, call_timeout_s=1.0, fail_threshold=2,
                          recover_threshold=2, recheck_delay_s=0.2)  # fmt: skip
    return CamfleetConfig.model_validate(base)


def sweep_bound(cfg: CamfleetConfig, cameras: int) -> float:
    """Every round, every camera may wait a whole call deadline, ``concurrency`` at a time; generous ×3."""
    p = cfg.poller
    rounds = 1 + max(p.fail_threshold, p.recover_threshold)
    per_round = math.ceil(cameras / p.concurrency) * p.call_timeout_s + p.recheck_delay_s
    return 3 * rounds * per_round + 10.0


@pytest.fixture
async def fleet() -> AsyncIterator[HostileFleet]:
    """Blackholed, flapping and steady cameras."""
    async with HostileFleet(net=14) as f:
        for behaviour, count in (("blackhole", BLACKHOLED), ("healthy", FLAPPING + STEADY)):
            for _ in range(count):
                await f.add(behaviour)
        yield f


async def test_blackholed_half_and_flapping_storm(fleet: HostileFleet) -> None:
    """Three sweeps under overload each finish within their computed bound; blackholed cameras end
    offline/timeout and steady ones ok; peak RSS grows < 50 MB; every /metrics scrape meanwhile answers
    200 within 5 s (the render runs in the cache's thread, not on the loop)."""
    cams = list(fleet.cameras.values())
    # Every uplink mixes blackholed and answering cameras, so no uplink is down as a whole.
    targets = [c.target(uplink=f"up-{i % 12}") for i, c in enumerate(cams)]
    cfg = config()
    await asyncio.to_thread(load_wsdls)
    poller = Poller(cfg, targets, credentials())
    cache = MetricsCache(lambda: metrics_snapshot(poller.fleet, Inventory([], []), ServiceStats()), max_age_s=0.2)
    app = web.Application()
    app.router.add_get("/metrics", make_metrics_handler(cache))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/metrics"
    scrapes: list[tuple[int, float]] = []
    done = asyncio.Event()

    async def scrape() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while not done.is_set():
                t0 = time.monotonic()
                async with session.get(url) as resp:
                    await resp.read()
                    scrapes.append((resp.status, time.monotonic() - t0))
                await asyncio.sleep(0.2)

    flipper = Flipper(cams[BLACKHOLED : BLACKHOLED + FLAPPING], bad="reset", period_s=0.3)
    before = peak_rss_reset()
    scraper = asyncio.create_task(scrape())
    flipper.start()
    durations = []
    try:
        for _ in range(3):
            states = await poller.sweep_once("liveness")
            durations.append(poller.fleet.counters.last_sweep_duration_s)
    finally:
        done.set()
        await flipper.stop()
        await scraper
        await runner.cleanup()
        cache.close()
    growth = peak_rss() - before
    bound = sweep_bound(cfg, len(cams))
    assert all(d < bound for d in durations), (durations, bound)
    for cam in cams[:BLACKHOLED]:
        assert (states[cam.camera_id].status, str(states[cam.camera_id].reason)) == (Status.OFFLINE, "timeout")
    for cam in cams[BLACKHOLED + FLAPPING :]:
        assert states[cam.camera_id].status is Status.OK
    assert len(scrapes) >= 5 and all(status == 200 for status, _ in scrapes)
    assert growth < 50 * 1024 * 1024, f"peak RSS grew {growth / 2**20:.1f} MiB"
