"""The /review contact sheet over real sockets: behind the service's Basic auth, doubtful cameras first with
their reason, each latest picture beside its acceptance picture or two healthy peers' pictures, every picture
served by its own small endpoint; and, in headless Chromium, the pictures really show on the page."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path

import aiohttp
import cv2
import numpy as np
import pytest
from aiohttp.test_utils import TestServer
from service_helpers import camera_rows, free_port, write_inventory
from system_helpers import need

from camfleet.config import CamfleetConfig
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import validate_file
from camfleet.model import BaselineReview, BaselineState, CameraState, Evidence, ReferencePicture, Status
from camfleet.service.app import Service
from camfleet.service.review import ReviewViews
from camfleet.service.views import Inventory
from camfleet.simulator import SimulatedFleet
from camfleet.simulator.inventory_specs import specs_from_inventory
from camfleet.web import WebDeps, make_app

NET = 191  # cameras C191-0..5 on 127.40.191.x: 东岭村 has the even ones, 西河村 the odd ones
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def jpeg(colour: tuple[int, int, int], width: int = 320) -> bytes:
    """A flat picture of one colour with a white bar (so that it is not featureless), as JPEG."""
    img = np.full((width * 9 // 16, width, 3), colour, np.uint8)
    img[20:40, 20 : width - 20] = 255
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return bytes(buf)


PICTURES = {
    ("C191-0", "latest"): jpeg((0, 0, 200)),  # red: C191-0's doubtful picture
    ("C191-0", "reference"): jpeg((0, 200, 0)),  # green: its acceptance picture
    ("C191-1", "latest"): jpeg((200, 0, 0)),  # blue: C191-1's doubtful picture (no acceptance picture)
    ("C191-3", "reference"): jpeg((0, 200, 200)),  # yellow: peer C191-3's acceptance picture
    ("C191-5", "learned"): jpeg((200, 0, 200)),  # magenta: peer C191-5's learned view (from its evidence)
}
EVIDENCE = jpeg((9, 9, 9))  # C191-5's evidence thumbnail (the fault it showed a day ago)


def fill(url: str) -> None:
    """C191-0 and -1 doubtful, -2 provisional, -4 approved; acceptance pictures of -0 and -3; evidence of -5."""
    now = time.time()
    with Store(url) as store:
        store.put_reviews([
            BaselineReview("C191-0", BaselineState.DOUBTFUL, "covered: 画面大面积无纹理", now - 7200,
                           PICTURES[("C191-0", "latest")], now),
            BaselineReview("C191-1", BaselineState.DOUBTFUL, "needs_review: 画面偏软, 同型号摄像机太少", now - 600,
                           PICTURES[("C191-1", "latest")], now),
            BaselineReview("C191-2", BaselineState.PROVISIONAL, "learned from 3 pictures", now - 300, None, now),
            BaselineReview("C191-4", BaselineState.APPROVED, "approved by 李工", now - 300, None, now),
        ])  # fmt: skip
        store.put_references([
            ReferencePicture("C191-0", PICTURES[("C191-0", "reference")], "C191-0.jpg", now),
            ReferencePicture("C191-3", PICTURES[("C191-3", "reference")], "C191-3.jpg", now),
        ])  # fmt: skip
        store.put_evidence([
            Evidence("C191-5", now - 86400, Status.COVERED, thumbnail=EVIDENCE,
                     reference=PICTURES[("C191-5", "learned")]),
        ])  # fmt: skip


def check_page(html: str) -> list[str]:
    """The page's promises; returns the picture URLs it shows."""
    assert html.index("C191-0") < html.index("C191-2") and html.index("C191-1") < html.index("C191-2")
    assert html.index("存疑 doubtful") < html.index("待确认 provisional")
    assert "C191-4" not in html  # approved: nothing to review
    assert "青石镇 / 东岭村" in html and "青石镇 / 西河村" in html
    assert "covered: 画面大面积无纹理" in html and "needs_review: 画面偏软" in html
    assert "camfleet baseline approve C191-1" in html
    shown = ("/review/C191-0/latest.jpg", "/review/C191-0/reference.jpg", "/review/C191-1/latest.jpg",
             "/review/C191-3/reference.jpg", "/review/C191-5/learned.jpg")  # fmt: skip
    urls = [u for u in shown if f'src="{u}"' in html]
    assert len(urls) == 5, urls
    row = html[html.index('<div class="row doubtful"><figure><img loading="lazy" alt="C191-1') :]
    row = row[: row.index("</div></div>")]
    assert "/review/C191-3/reference.jpg" in row and "/review/C191-5/learned.jpg" in row  # the peers beside it
    return urls


@pytest.mark.timeout(180)
async def test_review_page_behind_basic_auth(tmp_path: Path) -> None:
    """A running service with Basic auth: /review and its pictures answer 401 without the password; with it
    the page lists the doubtful cameras before the provisional one, with reasons, town and village, and every
    picture it shows is served as the stored JPEG, byte for byte; a missing picture is 404. A camera's newest
    evidence thumbnail is served at /cameras/<id>/evidence.jpg the same way."""
    inventory = write_inventory(tmp_path / "district.csv", camera_rows(6, NET))
    url = f"sqlite:///{tmp_path / 'c.db'}"
    import_inventory(url, validate_file(inventory))
    fill(url)
    (tmp_path / "web.pass").write_text("review-Pass-9\n", encoding="utf-8")
    cfg = CamfleetConfig.model_validate({
        "database": {"url": url, "write_interval_s": 0.5},
        "credentials": {"file": str(tmp_path / "district.credentials.toml")},
        "poller": {"liveness_interval_s": 1.0, "recheck_delay_s": 0.2, "call_timeout_s": 1.0, "connect_timeout_s": 0.5},
        "vision": {"enabled": False},
        "web": {"basic_auth_user": "ops", "basic_auth_password_file": str(tmp_path / "web.pass")},
    })  # fmt: skip
    fleet = SimulatedFleet(specs_from_inventory(inventory))
    await fleet.start()
    svc = Service(cfg, listen=f"127.0.0.1:{free_port()}", configure_logging=False)
    try:
        await svc.start()
        assert svc.bound is not None
        base = f"http://{svc.bound[0]}:{svc.bound[1]}"
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as anonymous:
            for path in ("/review", "/review/C191-0/latest.jpg"):
                async with anonymous.get(base + path) as reply:
                    assert reply.status == 401
        auth = {"Authorization": aiohttp.encode_basic_auth("ops", "review-Pass-9", "utf-8")}
        async with aiohttp.ClientSession(timeout=timeout, headers=auth) as session:
            deadline = time.monotonic() + 60  # peers are chosen among cameras ok now: wait for the first sweep
            while time.monotonic() < deadline:
                async with session.get(f"{base}/api/cameras") as reply:
                    if all(c["status"] == "ok" for c in (await reply.json())["cameras"]):
                        break
                await asyncio.sleep(0.5)
            async with session.get(f"{base}/review") as reply:
                assert reply.status == 200 and reply.content_type == "text/html"
                urls = check_page(await reply.text())
            for path in urls:
                camera, kind = path.split("/")[2], path.split("/")[3].removesuffix(".jpg")
                async with session.get(base + path) as reply:
                    assert reply.status == 200 and reply.content_type == "image/jpeg", path
                    assert await reply.read() == PICTURES[(camera, kind)], path
            for missing in ("/review/C191-2/latest.jpg", "/review/C191-2/reference.jpg", "/review/C191-0/raw.jpg"):
                async with session.get(base + missing) as reply:
                    assert reply.status == 404, missing
            # the camera detail dashboard's evidence thumbnail: the newest stored one, 404 without
            async with session.get(f"{base}/cameras/C191-5/evidence.jpg") as reply:
                assert reply.status == 200 and reply.content_type == "image/jpeg"
                assert await reply.read() == EVIDENCE
            for missing in ("/cameras/C191-0/evidence.jpg", "/cameras/C999/evidence.jpg"):
                async with session.get(base + missing) as reply:
                    assert reply.status == 404, missing
        async with (
            aiohttp.ClientSession(timeout=timeout) as anonymous,
            anonymous.get(f"{base}/cameras/C191-5/evidence.jpg") as reply,
        ):
            assert reply.status == 401
    finally:
        await svc.stop()
        await fleet.stop()


async def _sheet_server(tmp_path: Path) -> tuple[TestServer, ReviewViews]:
    """The review endpoints alone over a real socket: a SQLite store and states given by hand (every camera
    ok except the two doubtful ones)."""
    inventory = write_inventory(tmp_path / "district.csv", camera_rows(6, NET))
    url = f"sqlite:///{tmp_path / 'c.db'}"
    import_inventory(url, validate_file(inventory))
    fill(url)
    store = Store(url)
    points, cameras, _ = store.load_inventory()
    views = ReviewViews(store)
    states = {f"C191-{i}": CameraState(f"C191-{i}", Status.OK) for i in range(6)}
    states["C191-0"] = CameraState("C191-0", Status.COVERED, detail="镜头被遮挡")
    states["C191-1"] = CameraState("C191-1", Status.CANNOT_JUDGE)

    async def unused(_: object = None) -> dict[str, object]:
        return {}

    deps = WebDeps(
        metrics=unused, coverage_html=unused, coverage_json=unused, cameras=list, camera=lambda _: None,  # type: ignore[arg-type]
        ready=lambda: True,
        review_html=lambda token: views.html(lambda: states, Inventory(points, cameras), "青石镇 审核", token),
        review_picture=views.picture,
    )  # fmt: skip
    server = TestServer(make_app(deps), host="127.0.0.1")
    await server.start_server()
    return server, views


async def test_peers_and_status_words_without_a_poller(tmp_path: Path) -> None:
    """C191-1 has no acceptance picture: beside it stand the same village's ok cameras C191-3 (its acceptance
    picture) and C191-5 (the healthy view saved with its evidence), never a doubtful camera; the live status
    shows in Chinese with its word (遮挡 covered, 无法判断 cannot_judge)."""
    server, views = await _sheet_server(tmp_path)
    try:
        async with aiohttp.ClientSession() as session, session.get(server.make_url("/review")) as reply:
            html = await reply.text()
        check_page(html)
        assert "遮挡 covered" in html and "无法判断 cannot_judge" in html and "镜头被遮挡" in html
    finally:
        await server.close()
        views.store.close()


@pytest.mark.timeout(240)
async def test_screenshot_shows_the_pictures(tmp_path: Path) -> None:
    """Headless Chromium loads /review from the server and draws the pictures: the red doubtful picture, the
    green acceptance picture and the yellow and magenta peers' pictures each cover a real area of the
    screenshot (a page whose picture endpoints failed would show none of these colours)."""
    need(CHROMIUM, "Debian package chromium is not installed")
    server, views = await _sheet_server(tmp_path)
    shot = tmp_path / "review.png"
    try:
        proc = await asyncio.create_subprocess_exec(
            CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'p'}",
            "--window-size=1400,1400", "--virtual-time-budget=5000", f"--screenshot={shot}",
            str(server.make_url("/review")), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert await asyncio.wait_for(proc.wait(), 180) == 0
    finally:
        await server.close()
        views.store.close()
    image = cv2.imread(str(shot))
    assert image is not None
    for name, bgr in (("red", (0, 0, 200)), ("green", (0, 200, 0)), ("yellow", (0, 200, 200)),
                      ("magenta", (200, 0, 200)), ("blue", (200, 0, 0))):  # fmt: skip
        area = int((np.abs(image.astype(np.int16) - np.array(bgr, np.int16)).max(axis=2) <= 30).sum())
        assert area > 20_000, f"{name} picture barely drawn: {area} px"


def test_peer_found_beyond_the_cameras_of_its_own_village(tmp_path: Path) -> None:
    """A doubtful camera in a village of 60 ok cameras without any picture still gets a peer: the one ok camera
    of another village of its town that has an acceptance picture (the search goes through the whole town,
    a chunk at a time, same village first), and no picture of a camera in another town."""
    rows = camera_rows(64, 193)
    for i, row in enumerate(rows):
        row["village"] = "东岭村" if i < 61 else "西河村"
        row["town"] = "青石镇" if i < 63 else "白沙镇"
    inventory = write_inventory(tmp_path / "district.csv", rows)
    url = f"sqlite:///{tmp_path / 'c.db'}"
    import_inventory(url, validate_file(inventory))
    now = time.time()
    with Store(url) as store:
        store.put_reviews([BaselineReview("C193-0", BaselineState.DOUBTFUL, "covered", now, jpeg((0, 0, 200)), now)])
        store.put_references(
            [ReferencePicture(cid, jpeg((0, 200, 0)), f"{cid}.jpg", now) for cid in ("C193-62", "C193-63")]
        )
        points, cameras, _ = store.load_inventory()
        states = {f"C193-{i}": CameraState(f"C193-{i}", Status.OK) for i in range(64)}
        states["C193-0"] = CameraState("C193-0", Status.COVERED)
        views = ReviewViews(store)
        html = asyncio.run(views.html(lambda: states, Inventory(points, cameras), "t"))
    assert 'src="/review/C193-62/reference.jpg"' in html  # 西河村, same town
    assert "C193-63" not in html  # another town
