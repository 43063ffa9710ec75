"""End to end with a real Prometheus: it scrapes a running camfleet service watching a simulated fleet,
evaluates the shipped alert rules, and fires CamfleetCameraOffline for the camera we take offline."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest
from service_helpers import camera_rows, free_port, write_inventory
from system_helpers import need

from camfleet.config import CamfleetConfig
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.validate import validate_file
from camfleet.service.app import Service
from camfleet.simulator import Fault, SimulatedFleet
from camfleet.simulator.inventory_specs import specs_from_inventory

REPO = Path(__file__).resolve().parents[1]
PROM = shutil.which("prometheus")


@pytest.fixture(autouse=True)
def _prometheus() -> None:
    """Skip (fail under CI) without Prometheus."""
    need(PROM, "Debian package prometheus is not installed")


NET = 42


def _rules_with_short_windows(tmp: Path) -> list[str]:
    """The shipped rule files, with every `for:` shortened to 2s so that the test does not wait 15 minutes."""
    names = []
    for name in ("camfleet.rules.yml", "camfleet.alerts.yml"):
        text = (REPO / "deploy" / "prometheus" / name).read_text(encoding="utf-8")
        (tmp / name).write_text(re.sub(r"(?m)^(\s*)for: .*$", r"\1for: 2s", text), encoding="utf-8")
        names.append(str(tmp / name))
    return names


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
    import_inventory(f"sqlite:///{tmp_path / 'c.db'}", validate_file(inventory))
    cfg = CamfleetConfig.model_validate(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'c.db'}", "write_interval_s": 0.5},
            "credentials": {"file": str(tmp_path / "district.credentials.toml")},
            "poller": {"liveness_interval_s": 1.0, "recheck_delay_s": 0.2, "call_timeout_s": 1.0,
                       "connect_timeout_s": 0.5},
            "vision": {"enabled": False},
        }
    )  # fmt: skip
    listen = f"127.0.0.1:{free_port()}"
    prom_port = free_port()
    rules = _rules_with_short_windows(tmp_path)
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: [{', '.join(rules)}]\n"
        f"scrape_configs:\n  - job_name: camfleet\n    static_configs: [{{targets: ['{listen}']}}]\n",
        encoding="utf-8",
    )
    fleet = SimulatedFleet(specs_from_inventory(inventory))
    await fleet.start()
    svc = Service(cfg, listen=listen, configure_logging=False)
    prom = subprocess.Popen(
        [PROM or "prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
         f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "prom.log").open("wb"),
    )  # fmt: skip
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
        prom.terminate()
        try:
            prom.wait(timeout=20)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait()
        await svc.stop()
        await fleet.stop()
    assert len(firing) == 1, firing
    labels = firing[0]["labels"]
    assert isinstance(labels, dict)
    assert labels["camera"] == "C42-1" and labels["town"] == "青石镇" and labels["village"] == "西河村"
    assert all(value >= 4 for value in observed.values()), observed  # every camera checked, writes timed
