"""Hostile snapshot URLs through ``probe_frame`` (real HTTP on 127.60.x.y, real decode in the vision pool)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from hostile_helpers import (
    HUGE,
    PASSWORD,
    USER,
    HostileCamera,
    HostileFleet,
    peak_rss,
    peak_rss_reset,
    self_signed_context,
)

from camfleet.model import ProbeResult, Reason, Status
from camfleet.probe.frame import FrameMemory, FrameSettings, probe_frame
from camfleet.probe.pool import VisionPool

MAX_BYTES = 8 * 1024 * 1024
SETTINGS = FrameSettings(max_bytes=MAX_BYTES, timeout_s=2.0)

#: behaviour → (status, reason) the frame check must report.
FRAMES: dict[str, tuple[Status, Reason]] = {
    "truncated_jpeg": (Status.PROTOCOL_ERROR, Reason.NOT_A_JPEG),
    "truncated": (Status.PROTOCOL_ERROR, Reason.SNAPSHOT_ERROR),  # lying Content-Length, connection closed
    "not_jpeg": (Status.PROTOCOL_ERROR, Reason.NOT_A_JPEG),
    "html": (Status.PROTOCOL_ERROR, Reason.NOT_A_JPEG),
    "bomb": (Status.PROTOCOL_ERROR, Reason.OVERSIZED),
    "huge": (Status.PROTOCOL_ERROR, Reason.OVERSIZED),
    "huge_declared": (Status.PROTOCOL_ERROR, Reason.OVERSIZED),
    "drip": (Status.OFFLINE, Reason.TIMEOUT),
    "unauthorized": (Status.AUTH_FAILED, Reason.PASSWORD),
    "redirect": (Status.PROTOCOL_ERROR, Reason.SNAPSHOT_ERROR),
    "reset": (Status.PROTOCOL_ERROR, Reason.SNAPSHOT_ERROR),
}


@pytest.fixture(scope="module")
def pool() -> Iterator[VisionPool]:
    """One picture worker for the module."""
    p = VisionPool(1)
    p.start()
    yield p
    p.shutdown()


@pytest.fixture
async def fleet() -> AsyncIterator[HostileFleet]:
    """Fresh hostile cameras, stopped after the test."""
    async with HostileFleet(net=11) as f:
        yield f


async def probe(cam: HostileCamera, session: aiohttp.ClientSession, pool: VisionPool) -> ProbeResult:
    """``probe_frame`` against the camera's snapshot URL."""
    return await probe_frame(
        cam.target(), session=session, pool=pool, memory=FrameMemory(), username=USER, password=PASSWORD,
        snapshot_uri=f"{cam.base_url}/snap", settings=SETTINGS,
    )  # fmt: skip


async def test_every_hostile_snapshot_is_contained_and_named(fleet: HostileFleet, pool: VisionPool) -> None:
    """Truncated, non-JPEG, decompression-bomb, 100 MB, drip-fed, 401-looping, redirecting and resetting
    snapshot URLs each give their precise status/reason, in parallel with healthy cameras that stay judged;
    the redirect target is never contacted, the 401 loop is bounded, the bomb is refused from its header."""
    healthy = [await fleet.add("healthy") for _ in range(2)]
    trap = await fleet.add("healthy", camera_id="trap")
    hostile = {b: await fleet.add(b) for b in FRAMES}
    hostile["redirect"].redirect_to = f"http://{trap.host}:{trap.port}/snap"
    async with aiohttp.ClientSession() as session:
        results = await asyncio.gather(*(probe(c, session, pool) for c in [*healthy, *hostile.values()]))
    by_id = {r.camera_id: r for r in results}
    for cam in healthy:
        assert by_id[cam.camera_id].frame is not None, by_id[cam.camera_id]
        assert by_id[cam.camera_id].status is Status.CANNOT_JUDGE  # judged: no baseline yet on a first frame
    got = {b: (by_id[c.camera_id].status, by_id[c.camera_id].reason) for b, c in hostile.items()}
    assert got == FRAMES
    assert trap.requests == 0
    assert hostile["unauthorized"].requests <= 2
    assert "60000" in by_id[hostile["bomb"].camera_id].detail


async def test_hundred_megabyte_snapshot_is_cut_without_buffering(fleet: HostileFleet, pool: VisionPool) -> None:
    """A 100 MB chunked snapshot stops at the 8 MiB cap: peak RSS grows < 50 MB, the server sent < 1/3 of it."""
    cam = await fleet.add("huge")
    async with aiohttp.ClientSession() as session:
        before = peak_rss_reset()
        result = await probe(cam, session, pool)
        growth = peak_rss() - before
    assert (result.status, result.reason) == (Status.PROTOCOL_ERROR, Reason.OVERSIZED)
    assert cam.bytes_sent < HUGE // 3
    assert growth < 50 * 1024 * 1024, f"peak RSS grew {growth / 2**20:.1f} MiB"


async def test_self_signed_tls_snapshot_is_a_protocol_error(
    fleet: HostileFleet, pool: VisionPool, tmp_path: Path
) -> None:
    """An https snapshot URL with a self-signed certificate is refused as protocol_error/snapshot_error
    naming the certificate: the camera answered, it is not offline."""
    cam = await fleet.add("healthy", tls=self_signed_context(tmp_path, "127.60.11.1"))
    async with aiohttp.ClientSession() as session:
        result = await probe(cam, session, pool)
    assert (result.status, result.reason) == (Status.PROTOCOL_ERROR, Reason.SNAPSHOT_ERROR)
    assert "certificate" in result.detail
