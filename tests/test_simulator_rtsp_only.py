"""RTSP-only cameras in the simulator (access ``rtsp``): no ONVIF service at all, an H.264 stream at the inventory's
path on port 8554 behind Digest authentication, and the two faults that matter for them: ``offline`` (nothing
answers RTSP) and ``auth`` (the stream refuses the inventory's password)."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from simulator_helpers import PASSWORD, USER, decode, running
from system_helpers import need

from camfleet.errors import FrameError
from camfleet.model import Reason
from camfleet.probe.frame import grab_rtsp_frame
from camfleet.simulator import Fault, SimCameraSpec, SimulatedFleet
from camfleet.simulator.rtsp import RTSP_PORT, available

pytestmark = pytest.mark.timeout(180)
HIK, DAHUA = "127.22.20.1", "127.22.20.2"
HIK_PATH, DAHUA_PATH = "/Streaming/Channels/101", "/cam/realmonitor?channel=1&subtype=0"


@pytest.fixture(autouse=True)
def _gstreamer() -> None:
    """Skip (fail under CI) without GStreamer's RTSP server for /usr/bin/python3."""
    need(available(), "GStreamer RTSP server for /usr/bin/python3 not installed (see .ci/run)")


def _fleet() -> SimulatedFleet:
    """Two RTSP-only cameras, Hikvision- and Dahua-style paths, on the simulator's RTSP port."""
    return SimulatedFleet(
        [
            SimCameraSpec("R1", HIK, RTSP_PORT, USER, PASSWORD, village="溪口村", access="rtsp", rtsp_path=HIK_PATH),
            SimCameraSpec(
                "R2", DAHUA, RTSP_PORT, USER, PASSWORD, village="溪口村", access="rtsp", rtsp_path=DAHUA_PATH
            ),
        ]
    )


def _rtsp(host: str, method: str, path: str) -> str:
    """One RTSP request on a raw socket, no credentials; the reply's status line and headers ("refused" if none)."""
    try:
        with socket.create_connection((host, RTSP_PORT), timeout=5) as s:
            s.sendall(f"{method} rtsp://{host}:{RTSP_PORT}{path} RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode())
            reply = b""
            while b"\r\n\r\n" not in reply:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
            return reply.decode(errors="replace")
    except ConnectionRefusedError:
        return "refused"


def _http_refused(host: str) -> bool:
    """Whether nothing listens for ONVIF (HTTP 80 or the district's 8080) at ``host``."""
    for port in (80, 8080):
        with socket.socket() as s:
            s.settimeout(2)
            try:
                s.connect((host, port))
            except ConnectionRefusedError:
                continue
            return False
    return True


async def _until_rtsp(host: str, path: str, expected: str, limit: float = 15.0) -> str:
    """Ask DESCRIBE until the reply starts with ``expected`` (bounded)."""
    deadline = time.monotonic() + limit
    while True:
        reply = await asyncio.to_thread(_rtsp, host, "DESCRIBE", path)
        if reply.startswith(expected) or time.monotonic() > deadline:
            return reply
        await asyncio.sleep(0.1)


async def test_rtsp_only_cameras_stream_behind_digest_and_have_no_onvif() -> None:
    """Nothing answers HTTP at an RTSP-only camera's address; its RTSP port answers OPTIONS and challenges DESCRIBE
    with Digest; FFmpeg (through OpenCV) decodes a 640×360 picture with the inventory's user and password at the
    inventory's path (a Dahua path's query is not part of the mount), and is refused with a wrong password."""
    async with running(_fleet()):
        assert await asyncio.to_thread(_http_refused, HIK)
        assert (await asyncio.to_thread(_rtsp, HIK, "OPTIONS", HIK_PATH)).startswith("RTSP/1.0 ")
        challenge = await asyncio.to_thread(_rtsp, HIK, "DESCRIBE", HIK_PATH)
        assert challenge.startswith("RTSP/1.0 401") and "WWW-Authenticate: Digest" in challenge
        for host, path in ((HIK, HIK_PATH), (DAHUA, DAHUA_PATH)):
            uri = f"rtsp://{host}:{RTSP_PORT}{path}"
            jpeg = await asyncio.to_thread(grab_rtsp_frame, uri, 30.0, USER, PASSWORD)
            assert decode(jpeg).shape[:2] == (360, 640)
        with pytest.raises(FrameError) as refused:
            await asyncio.to_thread(grab_rtsp_frame, f"rtsp://{HIK}:{RTSP_PORT}{HIK_PATH}", 10.0, USER, "wrong")
        assert refused.value.reason == Reason.PASSWORD


async def test_offline_takes_the_stream_off_the_air_and_back() -> None:
    """``offline`` on an RTSP-only camera: its RTSP port refuses connections while the other camera keeps serving;
    withdrawn, the camera answers (with its Digest challenge) again."""
    fleet = _fleet()
    async with running(fleet):
        fleet.add_fault(Fault("offline", cameras=("R1",)))
        assert await _until_rtsp(HIK, HIK_PATH, "refused") == "refused"
        assert (await asyncio.to_thread(_rtsp, DAHUA, "DESCRIBE", DAHUA_PATH)).startswith("RTSP/1.0 401")
        fleet.clear_faults()
        assert (await _until_rtsp(HIK, HIK_PATH, "RTSP/1.0 401")).startswith("RTSP/1.0 401")


async def test_auth_fault_refuses_the_inventory_password_then_accepts_it_again() -> None:
    """``auth`` on an RTSP-only camera: the stream still answers but refuses the inventory's own password (the
    poller reads that as a password fault, not a dead stream); withdrawn, the same password opens it again."""
    fleet = _fleet()
    uri = f"rtsp://{HIK}:{RTSP_PORT}{HIK_PATH}"
    async with running(fleet):
        fleet.add_fault(Fault("auth", cameras=("R1",)))
        await asyncio.sleep(0.5)  # the fleet's next tick passes the order to the RTSP child
        with pytest.raises(FrameError) as refused:
            await asyncio.to_thread(grab_rtsp_frame, uri, 10.0, USER, PASSWORD)
        assert refused.value.reason == Reason.PASSWORD
        fleet.clear_faults()
        await asyncio.sleep(0.5)
        jpeg = await asyncio.to_thread(grab_rtsp_frame, uri, 30.0, USER, PASSWORD)
        assert decode(jpeg).shape[:2] == (360, 640)


def _connect(host: str) -> str:
    """A TCP connect to host's RTSP port: "ok", "refused" or "timeout"."""
    with socket.socket() as s:
        s.settimeout(0.5)
        try:
            s.connect((host, RTSP_PORT))
        except ConnectionRefusedError:
            return "refused"
        except TimeoutError:
            return "timeout"
    return "ok"


async def test_uplink_down_makes_the_stream_time_out_not_refuse() -> None:
    """``uplink_down`` on an RTSP-only camera: connects to its RTSP port time out (SYNs dropped, as behind a cut
    fibre; ``offline`` refuses instead); withdrawn, the stream answers with its Digest challenge again."""
    fleet = _fleet()
    async with running(fleet):
        fleet.add_fault(Fault("uplink_down", cameras=("R1",)))
        deadline = time.monotonic() + 15
        while await asyncio.to_thread(_connect, HIK) != "timeout":
            assert time.monotonic() < deadline, "the RTSP port never went silent"
            await asyncio.sleep(0.1)
        assert (await asyncio.to_thread(_rtsp, DAHUA, "DESCRIBE", DAHUA_PATH)).startswith("RTSP/1.0 401")
        fleet.clear_faults()
        assert (await _until_rtsp(HIK, HIK_PATH, "RTSP/1.0 401")).startswith("RTSP/1.0 401")
