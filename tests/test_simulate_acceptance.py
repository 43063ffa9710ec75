"""``camfleet simulate acceptance``: each simulated camera's healthy daytime view, and nothing else."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import aiohttp
import cv2
import numpy as np
import pytest
from simulator_helpers import USER, clock_fault, decode, envelope, post, running, wsse_header
from typer.testing import CliRunner

from camfleet.cli import app
from camfleet.simulator import SimulatedFleet
from camfleet.simulator.district import generate_district, write_district

pytestmark = pytest.mark.timeout(120)
runner = CliRunner()
NET = "127.20.190"  # this file's loopback addresses, apart from other tests' fleets


def _district(tmp_path: Path) -> tuple[Path, list[str], int]:
    """A small district on this file's addresses: its inventory, its camera ids, its planned points."""
    district = generate_district(towns=1, villages=2, points=3, cameras=2, legacy=2, seed=5)
    ids = [r["camera_id"] for r in district.camera_rows]
    for i, row in enumerate(district.camera_rows):
        row["host"] = f"{NET}.{i + 1}"
    path, _ = write_district(district, tmp_path / "district.csv")
    return path, ids, sum(1 for r in district.rows if not r["camera_id"])


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two pictures' grey levels at a quarter of their size (noise averages out)."""

    def small(img: np.ndarray) -> np.ndarray:
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        return cv2.resize(grey, (img.shape[1] // 4, img.shape[0] // 4), interpolation=cv2.INTER_AREA).astype(float)

    return float(np.corrcoef(small(a).ravel(), small(b).ravel())[0, 1])


def test_one_picture_per_camera_none_for_planned_points(tmp_path: Path) -> None:
    """Every camera of the inventory gets ``<camera_id>.jpg`` at the sub stream's 640×360; a planned point
    with no camera gets nothing, and the command says how many it wrote."""
    inventory, ids, planned = _district(tmp_path)
    assert planned >= 1  # the district really has a point without a camera
    out = tmp_path / "acceptance"
    result = runner.invoke(app, ["simulate", "acceptance", "--inventory", str(inventory), "--out", str(out),
                                 "--workers", "2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{cid}.jpg" for cid in ids)
    assert f"wrote {len(ids)} acceptance pictures" in result.stdout
    for cid in ids:
        assert decode((out / f"{cid}.jpg").read_bytes()).shape == (360, 640, 3)


async def test_file_is_what_the_healthy_camera_serves(tmp_path: Path) -> None:
    """The written picture is the simulated camera's own healthy daytime view: the ONVIF snapshot (the URI
    its GetSnapshotUri gives for the sub stream) served at local noon with no fault correlates with the file
    (> 0.9; only movers, noise and the OSD clock differ) and clearly less with another camera's file; a
    --main-only fleet's pictures are 1920×1080."""
    inventory, ids, _ = _district(tmp_path)
    out = tmp_path / "acceptance"
    assert runner.invoke(app, ["simulate", "acceptance", "--inventory", str(inventory), "--out", str(out),
                               "--workers", "1"]).exit_code == 0  # fmt: skip
    fleet = SimulatedFleet.from_inventory(inventory, seed=1)
    first, other = ids[0], ids[1]
    noon = clock_fault(first, 12.0)  # the camera's local noon, whatever the time of the test run
    fleet.add_fault(noon)
    cam = fleet.cameras[first]
    async with running(fleet):
        # As the poller does: ask the camera (signed with its own clock) for the sub stream's snapshot URI.
        signed = wsse_header(USER, cam.spec.password, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=noon.skew))
        body = "<trt:GetSnapshotUri><trt:ProfileToken>Profile_2</trt:ProfileToken></trt:GetSnapshotUri>"
        status, reply = await post(f"{cam.base_url}/onvif/media_service", envelope(body, signed))
        assert status == 200, reply
        found = re.search(rb"<tt:Uri>([^<]+)</tt:Uri>", reply)
        assert found is not None
        mw = (aiohttp.DigestAuthMiddleware(USER, cam.spec.password),)
        async with aiohttp.ClientSession(middlewares=mw) as session, session.get(found.group(1).decode()) as resp:
            assert resp.status == 200
            served = await resp.read()
    live = decode(served)
    same = _correlation(live, decode((out / f"{first}.jpg").read_bytes()))
    different = _correlation(live, decode((out / f"{other}.jpg").read_bytes()))
    assert same > 0.9, (same, different)
    assert different < same - 0.2, (same, different)

    main = tmp_path / "main"
    result = runner.invoke(app, ["simulate", "acceptance", "--inventory", str(inventory), "--out", str(main),
                                 "--main-only", "--workers", "1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert decode((main / f"{first}.jpg").read_bytes()).shape == (1080, 1920, 3)
