"""Two `camfleet run` services on one PostgreSQL database share a fleet: each camera is exported by exactly
one instance, only the leader exports the village series, and both serve the same coverage report."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import aiohttp
import pytest
from service_helpers import GROUP, SECRET, free_port, write_inventory

from camfleet.config import CamfleetConfig
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.validate import validate_file
from camfleet.service.app import Service
from camfleet.simulator import SimulatedFleet
from camfleet.simulator.inventory_specs import specs_from_inventory

NET = 43
VILLAGES = ("上村", "中村", "下村", "外村")


def _rows() -> list[dict[str, str]]:
    rows = []
    for v, village in enumerate(VILLAGES):
        for i in range(3):
            n = v * 3 + i
            rows.append(
                {"town": "青石镇", "village": village, "point_id": f"Q{n}", "point_name": "村口", "lat": "30.1",
                 "lon": "120.1", "program": "一村一探头", "point_status": "accepted", "installed_on": "2025-05-01",
                 "camera_id": f"Q{NET}-{n}", "host": f"127.40.{NET}.{n + 1}", "port": "8080", "credential": GROUP,
                 "uplink": ""}
            )  # fmt: skip
    return rows


def _config(url: str, cred: Path, name: str) -> CamfleetConfig:
    return CamfleetConfig.model_validate(
        {
            "database": {"url": url, "write_interval_s": 0.5},
            "credentials": {"file": str(cred)},
            "poller": {"liveness_interval_s": 2.0, "recheck_delay_s": 0.2, "call_timeout_s": 1.0,
                       "connect_timeout_s": 0.5},
            "vision": {"enabled": False},
            "cluster": {"enabled": True, "instance_id": name},
        }
    )  # fmt: skip


async def _metrics(session: aiohttp.ClientSession, svc: Service) -> str:
    assert svc.bound is not None
    async with session.get(f"http://{svc.bound[0]}:{svc.bound[1]}/metrics") as reply:
        return await reply.text()


def _cameras(text: str) -> set[str]:
    return set(re.findall(r'^camfleet_camera_up\{camera="([^"]+)"\}', text, re.M))


@pytest.mark.timeout(180)
async def test_two_services_share_the_fleet(tmp_path: Path, pg_url: str) -> None:
    """Disjoint camera series that together cover the fleet; village series from the leader alone; the same
    coverage JSON from both instances; and no secret in either instance's metrics."""
    inventory = write_inventory(tmp_path / "district.csv", _rows())
    import_inventory(pg_url, validate_file(inventory))
    fleet = SimulatedFleet(specs_from_inventory(inventory))
    await fleet.start()
    cred = tmp_path / "district.credentials.toml"
    services = [
        Service(_config(pg_url, cred, name), listen=f"127.0.0.1:{free_port()}", configure_logging=False)
        for name in ("a", "b")
    ]
    try:
        for svc in services:
            await svc.start()
        everyone = {row["camera_id"] for row in _rows()}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            deadline = time.monotonic() + 60
            texts: list[str] = []
            while time.monotonic() < deadline:
                texts = [await _metrics(session, svc) for svc in services]
                owned = [_cameras(t) for t in texts]
                if owned[0] and owned[1] and owned[0] | owned[1] == everyone and not owned[0] & owned[1]:
                    break
                await asyncio.sleep(0.5)
            owned = [_cameras(t) for t in texts]
            assert owned[0] | owned[1] == everyone and not owned[0] & owned[1], owned
            leaders = [svc.cluster.leader for svc in services if svc.cluster is not None]
            assert sorted(leaders) == [False, True]
            for text, leader in zip(texts, leaders, strict=True):
                assert ("camfleet_village_covered{" in text) is leader
                assert "camfleet_cluster_" in text and SECRET not in text
            await asyncio.sleep(16)  # one refresh of the shared states on both instances
            reports = []
            for svc in services:
                assert svc.bound is not None
                async with session.get(f"http://{svc.bound[0]}:{svc.bound[1]}/api/coverage") as reply:
                    reports.append((await reply.json())["district"])
            assert reports[0]["online_rate"] == reports[1]["online_rate"] == 1.0
            assert reports[0]["coverage_rate"] == reports[1]["coverage_rate"]
    finally:
        for svc in services:
            await svc.stop()
        await fleet.stop()
