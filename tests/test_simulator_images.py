"""Snapshots: real JPEGs whose image faults look like the field fault, measured against the same camera's
healthy frame (so the checks hold for any scene the seed draws)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import cv2
import numpy as np
import pytest
from simulator_helpers import clock_fault, decode, running, snapshot, specs

from camfleet.simulator import Fault, SimulatedFleet

pytestmark = pytest.mark.timeout(120)
BASE = "http://127.20.30.1:8080"


@pytest.fixture
async def day_fleet() -> AsyncIterator[SimulatedFleet]:
    """One camera whose local clock is pinned at noon (daytime colour mode)."""
    fleet = SimulatedFleet(specs(1, 30))
    fleet.add_fault(clock_fault("T030-0", 12.0))
    async with running(fleet):
        yield fleet


async def _frame(profile: str = "Profile_2") -> tuple[bytes, np.ndarray]:
    status, jpeg = await snapshot(BASE, profile)
    assert status == 200
    return jpeg, decode(jpeg)


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)


def _sharpness(jpeg: bytes) -> float:
    """Laplacian variance at the ÷4 decode scale a poller would use (sensor noise averages out there)."""
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_4)
    assert img is not None
    return float(cv2.Laplacian(img, cv2.CV_64F).var())


def _detail(gray: np.ndarray) -> float:
    """Texture left once sensor noise is smoothed: mean absolute Laplacian of the lightly blurred picture."""
    return float(np.abs(cv2.Laplacian(cv2.GaussianBlur(gray, (0, 0), 1.5), cv2.CV_32F)).mean())


async def _with_fault(fleet: SimulatedFleet, kind: str) -> tuple[bytes, np.ndarray]:
    fleet.add_fault(Fault(kind, cameras=("T030-0",)))
    return await _frame()


async def test_main_stream_resolution_and_colour_by_day(day_fleet: SimulatedFleet) -> None:
    """The main profile is a 1920×1080 JPEG; by day the picture is in colour and has texture."""
    _, img = await _frame("Profile_1")
    assert img.shape == (1080, 1920, 3)
    b, g, r = (img[:, :, i].astype(np.float32) for i in range(3))
    assert float(np.abs(b - g).mean() + np.abs(r - g).mean()) > 10
    assert float(_gray(img).std()) > 20


async def test_night_is_grayscale_ir() -> None:
    """At 23:00 camera time the frame is IR: grayscale (channels equal up to JPEG error)."""
    fleet = SimulatedFleet(specs(1, 31))
    fleet.add_fault(clock_fault("T031-0", 23.0))
    async with running(fleet):
        status, jpeg = await snapshot("http://127.20.31.1:8080")
        assert status == 200
        img = decode(jpeg)
        b, g, r = (img[:, :, i].astype(np.float32) for i in range(3))
        assert float(np.abs(b - g).mean() + np.abs(r - g).mean()) < 4


async def test_covered_is_dark_and_flat(day_fleet: SimulatedFleet) -> None:
    """covered with dark cloth: much darker and far less varied than the same camera's healthy frame."""
    _, healthy = await _frame()
    day_fleet.add_fault(Fault("covered", cameras=("T030-0",), material="dark_cloth"))
    _, covered = await _frame()
    assert _gray(covered).mean() < 0.4 * _gray(healthy).mean()
    assert _gray(covered).std() < 0.5 * _gray(healthy).std()


async def test_cover_materials_are_not_all_black(day_fleet: SimulatedFleet) -> None:
    """The other covers of the field: grey cloth is flat but mid-grey; a translucent bag is flat and bright with the
    scene's layout faintly through it (its rows still follow the healthy frame's); both have far less detail than
    the healthy frame; a leaf hides a large part of
    the frame from a corner and leaves the rest as it was; with no material given, the camera's seed picks one."""
    _, healthy = await _frame()
    got = {}
    for material in ("grey_cloth", "translucent", "leaf"):
        day_fleet.clear_faults()
        day_fleet.add_fault(clock_fault("T030-0", 12.0))
        day_fleet.add_fault(Fault("covered", cameras=("T030-0",), material=material))
        got[material] = _gray((await _frame())[1])
    grey, bag, leaf = got["grey_cloth"], got["translucent"], got["leaf"]
    detail = _detail(_gray(healthy))
    assert 80 < grey.mean() < 170 and _detail(grey) < 0.5 * detail
    assert bag.mean() > 120 and _detail(bag) < 0.5 * detail
    rows = np.corrcoef(bag.mean(axis=1), _gray(healthy).mean(axis=1))[0, 1]
    assert rows > 0.5, rows  # the sky above, the fields below: faint, but there
    hidden = cv2.GaussianBlur(np.abs(leaf - _gray(healthy)), (0, 0), 3) > 25
    assert 0.25 < float(hidden.mean()) < 0.85
    day_fleet.clear_faults()
    day_fleet.add_fault(clock_fault("T030-0", 12.0))
    day_fleet.add_fault(Fault("covered", cameras=("T030-0",)))
    _, drawn = await _frame()
    _, again = await _frame()
    assert float(np.abs(_gray(drawn) - _gray(again)).mean()) < 6  # the same material every time


async def test_a_burst_of_paint_is_one_even_blot(day_fleet: SimulatedFleet) -> None:
    """spray with ``paint = "burst"``: one blot of one even colour over 8–18 % of the view, inside it, and the rest
    of the picture as it was (no mist): the hard case a can sprayed once, close, leaves."""
    _, healthy = await _frame()
    day_fleet.add_fault(Fault("spray", cameras=("T030-0",), paint="burst"))
    _, burst = await _frame()
    changed = cv2.GaussianBlur(np.abs(_gray(burst) - _gray(healthy)), (0, 0), 3) > 20
    assert 0.04 < float(changed.mean()) < 0.25, float(changed.mean())
    h, w = changed.shape
    _, _, boxes, _ = cv2.connectedComponentsWithStats(changed.astype(np.uint8))
    blots = [b for b in boxes[1:] if b[cv2.CC_STAT_AREA] >= 0.01 * h * w]  # the OSD clock's ticks are smaller
    assert len(blots) == 1, boxes  # one blot ...
    x, y, bw, bh, _ = blots[0]
    assert x > 0 and y > 0 and x + bw < w and y + bh < h, blots  # ... inside the view
    core = cv2.erode(changed.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    assert float(burst[core].std(axis=0).max()) < 6  # one even colour, up to sensor noise and JPEG


async def test_defocus_loses_sharpness(day_fleet: SimulatedFleet) -> None:
    """defocus: Laplacian variance far below the healthy frame's; brightness about the same."""
    healthy_jpeg, healthy = await _frame()
    for blur in ("disc", "gaussian"):
        day_fleet.clear_faults()
        day_fleet.add_fault(clock_fault("T030-0", 12.0))
        day_fleet.add_fault(Fault("defocus", cameras=("T030-0",), blur=blur))
        blurred_jpeg, blurred = await _frame()
        assert _sharpness(blurred_jpeg) < 0.35 * _sharpness(healthy_jpeg), blur
        assert abs(_gray(blurred).mean() - _gray(healthy).mean()) < 25, blur


async def test_defocus_keeps_the_osd_sharp(day_fleet: SimulatedFleet) -> None:
    """defocus blurs the picture, not the date/time text the camera draws over it: the OSD strip's edges stay as
    strong as in the healthy frame while the rest of the frame loses most of its edges."""
    _, healthy = await _frame()
    day_fleet.add_fault(Fault("defocus", cameras=("T030-0",), blur="disc"))
    _, blurred = await _frame()

    def edges(img: np.ndarray) -> float:
        return float(np.abs(cv2.Laplacian(_gray(img), cv2.CV_32F)).mean())

    osd = (slice(0, 24), slice(0, 300))  # the date/time line at the top left of a 640×360 frame
    rest = (slice(60, 300), slice(0, 640))
    assert edges(blurred[osd]) > 0.7 * edges(healthy[osd])
    assert edges(blurred[rest]) < 0.6 * edges(healthy[rest])


async def test_spray_blots_part_of_the_frame(day_fleet: SimulatedFleet) -> None:
    """spray: a large part (but not all) of the frame changes, where two healthy frames barely differ."""
    _, a = await _frame()
    _, b = await _frame()
    _, sprayed = await _with_fault(day_fleet, "spray")

    def changed(x: np.ndarray, y: np.ndarray) -> float:
        diff = cv2.GaussianBlur(np.abs(_gray(x) - _gray(y)), (0, 0), 3)
        return float((diff > 25).mean())

    assert changed(a, b) < 0.05
    assert 0.15 < changed(a, sprayed) < 0.9


async def test_spray_leaves_a_mist_over_the_rest(day_fleet: SimulatedFleet) -> None:
    """spray is not only blotches: where no blotch lies, the paint's mist still lowers the picture's contrast
    (its local standard deviation is well below the healthy frame's almost everywhere)."""
    _, healthy = await _frame()
    _, sprayed = await _with_fault(day_fleet, "spray")

    def local_std(img: np.ndarray) -> np.ndarray:
        g = _gray(img)
        mean = cv2.blur(g, (15, 15))
        return np.sqrt(np.maximum(cv2.blur(g * g, (15, 15)) - mean * mean, 0))

    before, after = local_std(healthy), local_std(sprayed)
    textured = before > 6
    assert float((after[textured] < 0.85 * before[textured]).mean()) > 0.8


async def test_displaced_shows_another_view(day_fleet: SimulatedFleet) -> None:
    """displaced: the picture no longer matches the healthy view (low correlation), unlike two healthy frames."""
    _, a = await _frame()
    _, b = await _frame()
    _, moved = await _with_fault(day_fleet, "displaced")

    def corr(x: np.ndarray, y: np.ndarray) -> float:
        sx, sy = (cv2.resize(_gray(i), (160, 90), interpolation=cv2.INTER_AREA).ravel() for i in (x, y))
        return float(np.corrcoef(sx, sy)[0, 1])

    assert corr(a, b) > 0.9
    assert corr(a, moved) < 0.7


async def test_frozen_returns_identical_bytes(day_fleet: SimulatedFleet) -> None:
    """frozen: the same JPEG byte for byte on every fetch, where a live camera's frames differ."""
    first, _ = await _frame()
    second, _ = await _frame()
    assert first != second
    frozen1, _ = await _with_fault(day_fleet, "frozen")
    frozen2, _ = await _frame()
    assert frozen1 == frozen2


async def test_black_is_near_zero(day_fleet: SimulatedFleet) -> None:
    """black: mean level near zero (only noise and the OSD text)."""
    _, img = await _with_fault(day_fleet, "black")
    assert _gray(img).mean() < 10


async def test_glare_blows_out_highlights(day_fleet: SimulatedFleet) -> None:
    """glare: a large share of pixels is clipped white, unlike the healthy frame."""
    _, healthy = await _frame()
    _, glare = await _with_fault(day_fleet, "glare")
    assert float((_gray(healthy) > 245).mean()) < 0.05
    assert float((_gray(glare) > 245).mean()) > 0.3


async def test_ir_cut_magenta_by_day_and_colour_at_night() -> None:
    """ir_cut: by day a strong magenta cast (red and blue well above green); at night a colour picture
    where a healthy camera is grayscale."""
    fleet = SimulatedFleet(specs(2, 32))
    fleet.add_fault(clock_fault("T032-0", 12.0))
    fleet.add_fault(clock_fault("T032-1", 23.0))
    fleet.add_fault(Fault("ir_cut", cameras=("T032-0", "T032-1")))
    async with running(fleet):
        day = decode((await snapshot("http://127.20.32.1:8080"))[1]).reshape(-1, 3).astype(np.float32).mean(0)
        assert day[2] - day[1] > 30 and day[0] - day[1] > 20
        night = decode((await snapshot("http://127.20.32.2:8080"))[1]).astype(np.float32)
        b, g, r = night[:, :, 0], night[:, :, 1], night[:, :, 2]
        assert float(np.abs(b - g).mean() + np.abs(r - g).mean()) > 10
