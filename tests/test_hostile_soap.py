"""Hostile ONVIF replies through the real network path: each is contained, bounded, and named precisely.

The cameras are ``hostile_helpers.HostileCamera`` servers on 127.60.x.y; the client is the poller itself
(``Poller.sweep_once``) or its probes over the shared ``OnvifClientFactory``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dbfault_helpers import credentials
from hostile_helpers import HUGE, HostileFleet, peak_rss, peak_rss_reset, self_signed_context

from camfleet.config import CamfleetConfig
from camfleet.errors import DeviceProtocolError
from camfleet.model import Reason, Status
from camfleet.onvif.client import OnvifClientFactory
from camfleet.onvif.clock import REQUEST_BODY, REQUEST_HEADERS
from camfleet.onvif.wsdl import load_wsdls
from camfleet.probe.context import ProbeContext
from camfleet.probe.identity import probe_identity
from camfleet.runtime.poller import Poller

CALL_TIMEOUT_S = 1.5
MiB = 1024 * 1024

#: behaviour → (status, reason) the liveness check must report for it.
LIVENESS: dict[str, tuple[Status, Reason]] = {
    "malformed": (Status.PROTOCOL_ERROR, Reason.MALFORMED),
    "truncated": (Status.PROTOCOL_ERROR, Reason.MALFORMED),
    "xxe": (Status.PROTOCOL_ERROR, Reason.MALFORMED),
    "billion_laughs": (Status.PROTOCOL_ERROR, Reason.MALFORMED),
    "huge": (Status.PROTOCOL_ERROR, Reason.OVERSIZED),
    "huge_declared": (Status.PROTOCOL_ERROR, Reason.OVERSIZED),
    "endless_chunked": (Status.PROTOCOL_ERROR, Reason.OVERSIZED),
    "gzip_bomb": (Status.PROTOCOL_ERROR, Reason.OVERSIZED),
    "drip": (Status.OFFLINE, Reason.TIMEOUT),
    "html": (Status.PROTOCOL_ERROR, Reason.WRONG_TYPE),
    "jpeg_body": (Status.PROTOCOL_ERROR, Reason.WRONG_TYPE),
    "json": (Status.PROTOCOL_ERROR, Reason.WRONG_TYPE),
    "wrong_soap": (Status.PROTOCOL_ERROR, Reason.MALFORMED),
    "redirect": (Status.PROTOCOL_ERROR, Reason.HTTP_ERROR),
    "reset": (Status.PROTOCOL_ERROR, Reason.MALFORMED),
}
#: behaviour (on GetDeviceInformation only) → what the identity check must report.
IDENTITY: dict[str, tuple[Status, Reason]] = {
    "malformed": (Status.PROTOCOL_ERROR, Reason.MALFORMED),
    "truncated": (Status.PROTOCOL_ERROR, Reason.MALFORMED),
    "xxe": (Status.PROTOCOL_ERROR, Reason.MALFORMED),
    "billion_laughs": (Status.PROTOCOL_ERROR, Reason.MALFORMED),
    "huge": (Status.PROTOCOL_ERROR, Reason.OVERSIZED),
    "endless_chunked": (Status.PROTOCOL_ERROR, Reason.OVERSIZED),
    "gzip_bomb": (Status.PROTOCOL_ERROR, Reason.OVERSIZED),
    "drip": (Status.OFFLINE, Reason.TIMEOUT),
    "html": (Status.PROTOCOL_ERROR, Reason.WRONG_TYPE),
    "json": (Status.PROTOCOL_ERROR, Reason.WRONG_TYPE),
    "wrong_soap": (Status.PROTOCOL_ERROR, Reason.WRONG_TYPE),
    "unauthorized": (Status.AUTH_FAILED, Reason.PASSWORD),
    "redirect": (Status.PROTOCOL_ERROR, Reason.HTTP_ERROR),
    "reset": (Status.PROTOCOL_ERROR, Reason.MALFORMED),
}


def config() -> CamfleetConfig:
    """Short deadlines (a hostile camera costs at most ~1.5 s per call), quick re-checks."""
    poller = {"call_timeout_s": CALL_TIMEOUT_S, "connect_timeout_s": 1.0, "recheck_delay_s": 0.05}
    return CamfleetConfig.model_validate({"poller": poller, "database": {"write_interval_s": 0.1}})


def sweep_bound(cfg: CamfleetConfig) -> float:
    """Loose upper bound of a liveness sweep of a small fleet: every round may wait a whole deadline."""
    rounds = 1 + max(cfg.poller.fail_threshold, cfg.poller.recover_threshold)
    return rounds * (cfg.poller.call_timeout_s + cfg.poller.recheck_delay_s) * 3 + 10.0


@pytest.fixture
async def fleet() -> AsyncIterator[HostileFleet]:
    """A fresh set of hostile cameras, stopped after the test."""
    async with HostileFleet(net=10) as f:
        yield f


async def test_liveness_sweep_contains_every_hostile_reply(fleet: HostileFleet) -> None:
    """One sweep over every hostile behaviour plus healthy cameras: each hostile camera gets its precise
    status/reason, the healthy ones stay ok, a redirect never reaches the other host, and the sweep ends
    within its deadline-derived bound."""
    healthy = [await fleet.add("healthy") for _ in range(3)]
    trap = await fleet.add("healthy", camera_id="trap")
    hostile = {b: await fleet.add(b) for b in LIVENESS}
    hostile["redirect"].redirect_to = f"http://{trap.host}:{trap.port}/onvif/device_service"
    cfg = config()
    poller = Poller(cfg, [c.target() for c in [*healthy, *hostile.values()]], credentials())
    t0 = time.monotonic()
    states = await poller.sweep_once("liveness")
    elapsed = time.monotonic() - t0
    for cam in healthy:
        assert states[cam.camera_id].status is Status.OK, states[cam.camera_id]
    got = {b: (states[c.camera_id].status, states[c.camera_id].reason) for b, c in hostile.items()}
    assert got == LIVENESS
    assert trap.requests == 0, "the redirect was followed to another host"
    assert hostile["drip"].bytes_sent < 400, "the drip-fed reply was waited for past the deadline"
    assert elapsed < sweep_bound(cfg)


async def test_liveness_of_a_camera_demanding_http_auth_is_alive(fleet: HostileFleet) -> None:
    """A camera answering 401 to the unauthenticated clock read is reachable (ok, detail says so), and is
    asked once per check, not in a loop."""
    cam = await fleet.add("unauthorized")
    states = await Poller(config(), [cam.target()], credentials()).sweep_once("liveness")
    assert states[cam.camera_id].status is Status.OK
    assert "credentials" in states[cam.camera_id].detail
    assert cam.requests == 1


async def test_identity_contains_every_hostile_reply(fleet: HostileFleet) -> None:
    """Through zeep (authenticated GetDeviceInformation), each hostile reply gets its precise status/reason:
    a truncated or wrong-type reply is not silently accepted, a 401 loop is auth_failed after a bounded
    number of requests; healthy cameras probed at the same time are ok with their identity read."""
    healthy = [await fleet.add("healthy") for _ in range(2)]
    hostile = {b: await fleet.add(b, ops=(b"GetDeviceInformation",)) for b in IDENTITY}
    trap = await fleet.add("healthy", camera_id="trap")
    hostile["redirect"].redirect_to = f"http://{trap.host}:{trap.port}/onvif/device_service"
    cfg = config()
    async with OnvifClientFactory(cfg.poller) as factory:
        ctx = ProbeContext(cfg.poller, factory, credentials())
        cams = [*healthy, *hostile.values()]
        results = await asyncio.gather(*(probe_identity(c.target(), ctx) for c in cams))
    by_id = {r.camera_id: r for r in results}
    for cam in healthy:
        result = by_id[cam.camera_id]
        assert result.status is Status.OK and result.identity is not None and result.identity.serial == "HX-1"
    got = {b: (by_id[c.camera_id].status, by_id[c.camera_id].reason) for b, c in hostile.items()}
    assert got == IDENTITY
    assert trap.requests == 0
    assert hostile["unauthorized"].requests <= 4  # clock read + call (+ one re-measure and retry at most)


async def test_hundred_megabyte_replies_are_cut_at_the_cap_without_buffering(fleet: HostileFleet) -> None:
    """100 MB replies (chunked, declared, endless, a gzip bomb inflating to 100 MB) are refused as oversized
    after at most the cap; the poller's peak RSS grows < 50 MB and each server sent a fraction of 100 MB."""
    cams = [await fleet.add(b) for b in ("huge", "huge_declared", "endless_chunked", "gzip_bomb")]
    healthy = await fleet.add("healthy")
    cfg = config()
    await asyncio.to_thread(load_wsdls)  # the one-off WSDL parse is not what this test measures
    poller = Poller(cfg, [c.target() for c in [healthy, *cams]], credentials())
    before = peak_rss_reset()
    states = await poller.sweep_once("liveness")
    growth = peak_rss() - before
    assert states[healthy.camera_id].status is Status.OK
    for cam in cams:
        assert (states[cam.camera_id].status, states[cam.camera_id].reason) == (
            Status.PROTOCOL_ERROR,
            Reason.OVERSIZED,
        )
        assert cam.bytes_sent < HUGE // 3, f"{cam.behaviour}: {cam.bytes_sent} bytes were pulled"
    assert growth < 50 * MiB, f"peak RSS grew {growth / MiB:.1f} MiB"


async def test_self_signed_tls_device_service_is_a_protocol_error(fleet: HostileFleet, tmp_path: Path) -> None:
    """An https device service with a self-signed certificate: refused (verification stays on) as a
    protocol error naming the certificate — not offline, not a crash."""
    cam = await fleet.add("healthy", tls=self_signed_context(tmp_path, "127.60.10.1"))
    async with OnvifClientFactory(config().poller) as factory:
        with pytest.raises(DeviceProtocolError) as caught:
            await factory.transport.post_bytes(
                f"{cam.base_url}/onvif/device_service", REQUEST_BODY, REQUEST_HEADERS, "GetSystemDateAndTime"
            )
    assert caught.value.reason == "malformed" and "certificate" in str(caught.value)
    assert cam.requests == 0  # no request was sent over the untrusted channel
