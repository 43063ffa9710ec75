"""The coverage standards through the running service: a Service on 127.0.0.1 polls simulated cameras, reads
``[[coverage.standard]]`` from its config and serves the verdicts on /api/coverage, /coverage (the matrix)
and /metrics, over real loopback HTTP.

The district (cameras on 127.40.198.x; the standard: 村口 and 学校 working, 完好率 ≥ 50 %, in 殷汇镇 and 梅街镇)::

    殷汇镇/东岭村  P198-0 村口 C198-0, P198-1 学校 C198-1             → met
    殷汇镇/西河村  P198-2 村口 C198-2, P198-3 学校 C198-3 (not served) → not met: 学校 broken (完好率 1/2)
    殷汇镇/南山村  P198-4 村口 C198-4, P198-5 学校 planned, no camera  → not met: 学校 not built
    梅街镇/北坞村  P198-6 村口 C198-6, P198-7 学校 C198-7             → met: 梅街镇 met since its first sweep
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from service_helpers import GROUP, free_port, write_inventory

from camfleet.config import CamfleetConfig
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.validate import validate_file
from camfleet.service.app import Service
from camfleet.simulator import SimulatedFleet
from camfleet.simulator.inventory_specs import specs_from_inventory

NET = 198
UNSERVED = "C198-3"  # in the inventory, not in the simulator: nothing answers at its address
STANDARD = {"name": "高标准全覆盖", "towns": ["殷汇镇", "梅街镇"], "require_site_types": ["村口", "学校"]}


def _rows() -> list[dict[str, str]]:
    """The district above as inventory rows (P198-5 planned, without a camera)."""
    layout = [("殷汇镇", "东岭村"), ("殷汇镇", "西河村"), ("殷汇镇", "南山村"), ("梅街镇", "北坞村")]
    rows = []
    for i in range(8):
        town, village = layout[i // 2]
        row = {
            "town": town, "village": village, "point_id": f"P{NET}-{i}", "point_name": f"{village}{i}",
            "site_type": "村口" if i % 2 == 0 else "学校", "lat": "30.1", "lon": "120.1", "program": "一村一探头",
            "point_status": "accepted", "camera_id": f"C{NET}-{i}", "host": f"127.40.{NET}.{i + 1}", "port": "8080",
            "credential": GROUP,
        }  # fmt: skip
        if i == 5:
            row |= {"point_status": "planned", "camera_id": "", "host": "", "port": "", "credential": ""}
        rows.append(row)
    return rows


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as reply:
        return reply.status, await reply.text()


@pytest.mark.timeout(180)
async def test_api_coverage_page_and_metrics_show_the_standard(tmp_path: Path) -> None:
    """Once the first sweep has judged every camera, /api/coverage has the standard per town as worked out
    above (殷汇镇 not met, its two short villages with their lacks and the repair before the build; 梅街镇 met
    since its first check), /coverage draws the matrix (and ?town= keeps one town's), and /metrics says 0 for
    殷汇镇 and 1 for 梅街镇."""
    inventory = write_inventory(tmp_path / "district.csv", _rows())
    served = write_inventory(tmp_path / "served.csv", [r for r in _rows() if r["camera_id"] not in ("", UNSERVED)])
    url = f"sqlite:///{tmp_path / 'c.db'}"
    import_inventory(url, validate_file(inventory))
    cfg = CamfleetConfig.model_validate({
        "database": {"url": url, "write_interval_s": 0.5},
        "credentials": {"file": str(tmp_path / "district.credentials.toml")},
        "poller": {"liveness_interval_s": 1.0, "recheck_delay_s": 0.2, "call_timeout_s": 1.0, "connect_timeout_s": 0.5},
        "vision": {"enabled": False},
        "coverage": {"standard": [STANDARD | {"min_working_rate": 0.5}]},
    })  # fmt: skip
    fleet = SimulatedFleet(specs_from_inventory(served))
    await fleet.start()
    started = time.time()
    svc = Service(cfg, listen=f"127.0.0.1:{free_port()}", configure_logging=False)
    try:
        await svc.start()
        assert svc.bound is not None
        base = f"http://{svc.bound[0]}:{svc.bound[1]}"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session:
            deadline = time.monotonic() + 60
            statuses: dict[str, str] = {}
            while time.monotonic() < deadline:
                async with session.get(f"{base}/api/cameras") as reply:
                    statuses = {c["id"]: c["status"] for c in (await reply.json())["cameras"]}
                if statuses[UNSERVED] == "offline" and all(s == "ok" for c, s in statuses.items() if c != UNSERVED):
                    break
                await asyncio.sleep(0.3)
            else:
                raise AssertionError(f"the first sweep did not settle: {statuses}")
            async with session.get(f"{base}/api/coverage") as reply:
                assert reply.status == 200
                data: dict[str, Any] = await reply.json()
            status, page = await _get(session, f"{base}/coverage")
            assert status == 200
            status, one_town = await _get(session, f"{base}/coverage?town=梅街镇")
            assert status == 200
            metrics = (await _get(session, f"{base}/metrics"))[1]
    finally:
        await svc.stop()
        await fleet.stop()

    (std,) = data["standards"]
    assert (std["name"], std["villages"], std["villages_met"], std["met_rate"]) == ("高标准全覆盖", 4, 2, 0.5)
    towns = {t["town"]: t for t in std["towns"]}
    yinhui, meijie = towns["殷汇镇"], towns["梅街镇"]
    assert (yinhui["met"], yinhui["villages"], yinhui["villages_met"]) == (False, 3, 1)
    assert [(v["village"], v["lacks"]) for v in yinhui["short"]] == [
        ("南山村", [{"lack": "not_built", "site_type": "学校"}]),
        ("西河村", [{"lack": "broken", "site_type": "学校"}]),
    ]
    keys = ("rank", "action", "village", "point_id", "camera_id", "status")
    assert [tuple(t[k] for k in keys) for t in yinhui["todo"]] == [
        (1, "repair", "西河村", f"P{NET}-3", UNSERVED, "offline"),
        (2, "build", "南山村", f"P{NET}-5", None, None),
    ]
    assert (meijie["met"], meijie["short"], meijie["todo"], meijie["since_known"]) == (True, [], [], True)
    since = meijie["since"]  # met from its first sweep: before that its cameras were unknown
    assert since is not None and started - 1 <= _epoch(since) <= time.time()

    section = page[page.index('<section class="standards">') :]
    cells = re.findall(r'class="c cell-(\w+)"', section)
    # 4 villages × 7 site types: 村口 and 学校 as above, the other 5 types unplanned everywhere.
    assert {s: cells.count(s) for s in set(cells)} == {"working": 6, "broken": 1, "not_built": 1, "unplanned": 20}
    assert "<h3>殷汇镇 · " in section and "<h3>梅街镇 · " in section
    town_section = one_town[one_town.index('<section class="standards">') :]
    assert "<h3>梅街镇 · " in town_section and "<h3>殷汇镇" not in town_section

    assert 'camfleet_standard_met{standard="高标准全覆盖",town="殷汇镇"} 0' in metrics
    assert 'camfleet_standard_met{standard="高标准全覆盖",town="梅街镇"} 1' in metrics


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()
