"""End to end with a real Prometheus: a camera under a maintenance window goes offline and nobody is paged, while
another camera going offline alerts; ending the window in the database (no restart) lets the first alert."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prom_helpers import PROM, prometheus_config, service_config, short_rules, start_prometheus, stop
from service_helpers import camera_rows, free_port, write_inventory
from system_helpers import need

from camfleet.inventory import maintenance as windows
from camfleet.inventory.store import Store
from camfleet.maintenance import Scope
from camfleet.service.app import Service
from camfleet.simulator import Fault, SimulatedFleet
from camfleet.simulator.inventory_specs import specs_from_inventory

NET = 147  # cameras C147-0..3 on 127.40.147.x: 东岭村 has the even ones, 西河村 the odd ones
HELD, LOUD = "C147-0", "C147-1"


@pytest.fixture(autouse=True)
def _prometheus() -> None:
    """Skip (fail under CI) without Prometheus."""
    need(PROM, "Debian package prometheus is not installed")


async def _get(session: aiohttp.ClientSession, url: str, **params: str) -> Any:
    try:
        async with session.get(url, params=params) as reply:
            return await reply.json()
    except (aiohttp.ClientError, TimeoutError):
        return None


async def _offline_alerts(session: aiohttp.ClientSession, prom: str) -> dict[str, str]:
    """Camera → state (pending, firing) of every CamfleetCameraOffline alert Prometheus holds now."""
    data = await _get(session, f"{prom}/api/v1/alerts")
    alerts = data["data"]["alerts"] if data else []
    return {a["labels"]["camera"]: a["state"] for a in alerts if a["labels"]["alertname"] == "CamfleetCameraOffline"}


async def _until(what: str, probe: Any, timeout_s: float) -> Any:
    """Poll ``probe()`` once a second until it returns something true; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.timeout(240)
async def test_real_prometheus_holds_the_camera_under_maintenance(tmp_path: Path) -> None:
    """Four cameras, one (C147-0) under a camera window stored before the service starts. C147-0 and C147-1 go
    offline: Prometheus, evaluating the shipped rules every second (`for:` cut to 2 s), fires CamfleetCameraOffline
    for C147-1 only, and C147-0 stays neither pending nor firing while its offline status is well past `for:`.
    /api/coverage lists the window and names it beside C147-0 in the repair list. The window is ended in the
    database while the service runs: within seconds the alert fires for C147-0 too."""
    inventory = write_inventory(tmp_path / "district.csv", camera_rows(4, NET))
    cfg = service_config(tmp_path, inventory)
    db_url = cfg.database.url
    now = time.time()
    with Store(db_url) as store:
        window = windows.add(store, Scope.CAMERA, HELD, starts_at=now, ends_at=now + 3600, reason="立杆更换",
                             by="王工", now=now)  # fmt: skip
    listen = f"127.0.0.1:{free_port()}"
    prom_port = free_port()
    config = prometheus_config(tmp_path, short_rules(tmp_path), listen)
    fleet = SimulatedFleet(specs_from_inventory(inventory))
    await fleet.start()
    svc = Service(cfg, listen=listen, configure_logging=False)
    svc.maintenance_refresh_s = 1.0  # the shipped 15 s would only make the test wait
    prom = start_prometheus(config, prom_port, tmp_path / "prom.log")
    base = f"http://127.0.0.1:{prom_port}"
    query = f"{base}/api/v1/query"
    try:
        await svc.start()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:

            async def scraped() -> bool:
                ups = await _get(session, query, query="camfleet_camera_up == 1")
                held = await _get(session, query, query="camfleet_camera_in_maintenance")
                return bool(ups and held and len(ups["data"]["result"]) == 4 and len(held["data"]["result"]) == 1)

            try:
                await _until("Prometheus to see 4 cameras up and one held", scraped, 120)
            except AssertionError:
                raise AssertionError((tmp_path / "prom.log").read_text()[-2000:]) from None
            assert await _offline_alerts(session, base) == {}

            fleet.add_fault(Fault(kind="offline", cameras=(HELD, LOUD)))
            alerts = await _until(
                f"the alert for {LOUD}",
                lambda: _alerts_firing_for(session, base, LOUD),
                90,
            )

            async def held_offline_for(seconds: int) -> bool:
                found = await _get(
                    session,
                    query,
                    query=f'min_over_time(camfleet_camera_status{{camera="{HELD}",status="offline"}}[{seconds}s])',
                )
                return bool(found and found["data"]["result"])

            # The held camera has been offline in Prometheus for 6 s: three times `for:`.
            await _until(f"{HELD} offline in Prometheus", lambda: held_offline_for(6), 60)
            alerts = await _offline_alerts(session, base)
            assert HELD not in alerts and alerts.get(LOUD) == "firing", alerts

            coverage = await _get(session, f"http://{listen}/api/coverage")
            assert [(w["id"], w["target"], w["reason"]) for w in coverage["maintenance"]] == [
                (window.id, HELD, "立杆更换")
            ]
            repairs = {r["camera_id"]: r["maintenance_window"] for r in coverage["repairs"]}
            assert repairs.get(HELD) == window.id and repairs.get(LOUD, "absent") is None, repairs

            with Store(db_url) as store:
                windows.end(store, window.id, now=time.time())
            await _until(f"the alert for {HELD} after its window", lambda: _alerts_firing_for(session, base, HELD), 60)
    finally:
        stop(prom)
        await svc.stop()
        await fleet.stop()


async def _alerts_firing_for(session: aiohttp.ClientSession, prom: str, camera: str) -> dict[str, str] | None:
    """The offline alerts when the one for ``camera`` is firing, else None."""
    alerts = await _offline_alerts(session, prom)
    return alerts if alerts.get(camera) == "firing" else None
