"""End to end with a real Prometheus: it scrapes a running camfleet service watching a simulated fleet,
evaluates the shipped alert rules, and fires CamfleetCameraOffline for the camera we take offline."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from prom_helpers import PROM, prometheus_config, service_config, short_rules, start_prometheus, stop
from service_helpers import camera_rows, free_port, write_inventory
from system_helpers import need

from camfleet.service.app import Service
from camfleet.simulator import Fault, SimulatedFleet
from camfleet.simulator.inventory_specs import specs_from_inventory


@pytest.fixture(autouse=True)
def _prometheus() -> None:
    """Skip (fail under CI) without Prometheus."""
    need(PROM, "Debian package prometheus is not installed")


NET = 42


async def _firing(session: aiohttp.ClientSession, prom: str) -> list[dict[str, object]]:
    async with session.get(f"{prom}/api/v1/alerts") as reply:
        data = await reply.json()
    return [a for a in data["data"]["alerts"] if a["state"] == "firing"]


@pytest.mark.timeout(240)
async def test_real_prometheus_fires_camera_offline(tmp_path: Path) -> None:
    """Prometheus scrapes /metrics every second; one camera goes offline in the simulator; the shipped rule
    fires with the camera's town and village joined from camfleet_camera_info, and no other camera alarms. The
    check and database-write duration histograms the dashboards plot are filled (they were exported empty), and the
    poller's process series reach Prometheus."""
    inventory = write_inventory(tmp_path / "district.csv", camera_rows(4, NET))
    cfg = service_config(tmp_path, inventory)
    listen = f"127.0.0.1:{free_port()}"
    prom_port = free_port()
    config = prometheus_config(tmp_path, short_rules(tmp_path), listen)
    fleet = SimulatedFleet(specs_from_inventory(inventory))
    await fleet.start()
    svc = Service(cfg, listen=listen, configure_logging=False)
    prom = start_prometheus(config, prom_port, tmp_path / "prom.log")
    base = f"http://127.0.0.1:{prom_port}"
    observed: dict[str, float] = {}
    try:
        await svc.start()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            deadline = time.monotonic() + 120
            up = False
            while time.monotonic() < deadline and not up:
                try:
                    async with session.get(f"{base}/api/v1/query", params={"query": "camfleet_camera_up"}) as r:
                        up = len((await r.json())["data"]["result"]) == 4
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(1)
            assert up, (tmp_path / "prom.log").read_text()[-2000:]
            assert not [a for a in await _firing(session, base) if a["labels"]["alertname"] == "CamfleetCameraOffline"]

            fleet.add_fault(Fault(kind="offline", cameras=("C42-1",)))
            firing: list[dict[str, object]] = []
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                firing = [
                    a for a in await _firing(session, base) if a["labels"]["alertname"] == "CamfleetCameraOffline"
                ]
                if firing:
                    break
                await asyncio.sleep(1)
            # The durations the poller-health dashboard plots: the checks' and the batched writes'; and the process
            # series the memory and open-file alerts divide.
            for query in ('camfleet_probe_duration_seconds_count{kind="liveness"}',
                          "camfleet_db_write_duration_seconds_count",
                          'camfleet_probe_duration_seconds_bucket{kind="liveness",le="+Inf"}',
                          'process_resident_memory_bytes{job="camfleet"}',
                          'process_open_fds{job="camfleet"} / process_max_fds{job="camfleet"} * 1e6'):  # fmt: skip
                async with session.get(f"{base}/api/v1/query", params={"query": query}) as r:
                    found = (await r.json())["data"]["result"]
                observed[query] = float(found[0]["value"][1]) if found else 0.0
    finally:
        stop(prom)
        await svc.stop()
        await fleet.stop()
    assert len(firing) == 1, firing
    labels = firing[0]["labels"]
    assert isinstance(labels, dict)
    assert labels["camera"] == "C42-1" and labels["town"] == "青石镇" and labels["village"] == "西河村"
    assert all(value >= 4 for value in observed.values()), observed  # every camera checked, writes timed
